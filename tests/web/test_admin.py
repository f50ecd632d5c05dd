"""The admin area: admins give badges and change instance settings; nobody else gets in."""

import re

from rostra.accounts.models import Account, User
from rostra.core.models import InstanceSettings
from tests.helpers import PASSWORD, make_user

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _admin_login(visitor, username):
    page = visitor.get("/admin/login/")
    token = CSRF_RE.search(page.text).group(1)
    return visitor.http.post(
        "/admin/login/?next=/admin/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/admin/"},
    )


def test_an_admin_gives_a_verified_badge_that_shows_on_the_profile(visitor, alice):
    make_user("boss", role=User.Role.ADMIN)
    assert _admin_login(visitor, "boss").status_code == 302
    form = visitor.get(f"/admin/accounts/account/{alice.pk}/change/")
    assert form.status_code == 200
    token = CSRF_RE.search(form.text).group(1)
    response = visitor.http.post(
        f"/admin/accounts/account/{alice.pk}/change/",
        data={"csrfmiddlewaretoken": token, "verified": "on", "parody": "on", "_save": "Save"},
    )
    assert response.status_code == 302, response.text[:500]
    alice = Account.objects.get(pk=alice.pk)
    assert alice.verified and alice.parody and not alice.public_figure
    profile = visitor.get("/@alice").text
    assert "verified" in profile and "parody" in profile


def test_an_admin_changes_the_post_length_limit(visitor, alice):
    make_user("boss", role=User.Role.ADMIN)
    InstanceSettings.current()
    _admin_login(visitor, "boss")
    form = visitor.get("/admin/core/instancesettings/1/change/")
    token = CSRF_RE.search(form.text).group(1)
    response = visitor.http.post(
        "/admin/core/instancesettings/1/change/",
        data={
            "csrfmiddlewaretoken": token,
            "name": "Town Square",
            "description": "Our town",
            "max_post_length": "280",
            "registrations_open": "on",
            "max_media_per_post": "4",
            "popular_window_hours": "48",
            "home_feed_size": "800",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.text[:800]
    assert InstanceSettings.objects.get(pk=1).max_post_length == 280


def test_plain_users_and_moderators_cannot_enter_the_admin_area(visitor, alice):
    response = _admin_login(visitor, "alice")
    assert response.status_code == 200  # the log-in form again, with an error
    assert visitor.get("/admin/accounts/account/").status_code == 302
    assert "/admin/login/" in visitor.get("/admin/accounts/account/").headers["location"]
