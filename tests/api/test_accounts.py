"""Accounts through the Mastodon API: sign-up, profiles, following, blocking, muting, lists.

Everything goes over HTTP to the real server, as an app would; some stories use Mastodon.py
itself, so what a real client library sends and expects is what is tested.
"""

import json
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from mastodon import MastodonAPIError, MastodonNotFoundError

from rostra.accounts import actions
from rostra.accounts.models import Account, User
from rostra.api.views.accounts import relationship_facts
from rostra.core.models import InstanceSettings
from tests.helpers import PASSWORD, make_user
from tests.images import jpeg_bytes, png_bytes
from tests.server import start_server, stop_server

from .conftest import ApiClient

RELATIONSHIP_KEYS = {
    "id", "following", "showing_reblogs", "notifying", "followed_by", "blocking", "blocked_by", "muting",
    "muting_notifications", "requested", "requested_by", "domain_blocking", "endorsed", "note",
}


def app_token(client, scopes="read write follow push"):
    """A token for the app itself (client credentials grant), as apps use to sign people up."""
    response = httpx.post(
        f"{client.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.app["client_id"],
            "client_secret": client.app["client_secret"],
            "scope": scopes,
        },
        timeout=20,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def signup_form(username="dora", **extra):
    return {"username": username, "email": f"{username}@example.org", "password": PASSWORD, "agreement": "true",
            "locale": "en", **extra}


def suspend(account, days=7):
    """Suspend through the real moderation path: a report, then a moderator's decision."""
    from rostra.moderation import actions as moderation
    from rostra.moderation.models import QueueItem

    reporter = make_user(f"rep{account.username}"[:30])
    mod = make_user(f"mod{account.username}"[:30], role=User.Role.MODERATOR)
    moderation.report(reporter, account=account, reason="harassment")
    item = QueueItem.objects.get(account=account, status="open")
    moderation.decide(mod.user, item, "suspend", days=days)


SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs" / "mastodon-openapi" / "schema.json"


def spec_errors(data, schema):
    """What in ``data`` breaks the Mastodon OpenAPI description's ``schema`` (a component name)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("spec", Resource.from_contents(json.loads(SPEC.read_text()), DRAFT202012))
    validator = Draft202012Validator({"$ref": f"spec#/components/schemas/{schema}"}, registry=registry)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def links(response):
    """{rel: url} from a Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


# --- sign-up ------------------------------------------------------------------------------


def test_an_app_signs_someone_up_and_the_token_it_gets_works(api, db):
    token = app_token(api)
    with api.http(token) as http:
        response = http.post("/api/v1/accounts", data=signup_form())
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"access_token", "token_type", "scope", "created_at"} <= set(body)
    assert body["token_type"] == "Bearer" and isinstance(body["created_at"], int)
    assert set(body["scope"].split()) == {"read", "write", "follow", "push"}
    with api.http(body["access_token"]) as http:
        me = http.get("/api/v1/accounts/verify_credentials")
    assert me.status_code == 200 and me.json()["username"] == "dora"
    assert User.objects.get(username="dora").email == "dora@example.org"


def test_signing_up_takes_json_and_the_token_carries_the_app_tokens_scopes(api, db):
    token = app_token(api, scopes="read write:accounts")
    with api.http(token) as http:
        response = http.post("/api/v1/accounts", json={**signup_form("jason"), "agreement": True})
    assert response.status_code == 200, response.text
    assert set(response.json()["scope"].split()) == {"read", "write:accounts"}
    with api.http(response.json()["access_token"]) as http:
        assert http.post("/api/v1/accounts/1/follow").status_code == 403


def test_signing_up_needs_an_app_token_allowed_to_write_accounts(live_rostra, db):
    anonymous = httpx.post(f"{live_rostra.url}/api/v1/accounts", data=signup_form())
    assert anonymous.status_code == 401 and anonymous.json() == {"error": "The access token is invalid"}
    reader = ApiClient(live_rostra, scopes="read")
    with reader.http(app_token(reader, scopes="read")) as http:
        refused = http.post("/api/v1/accounts", data=signup_form())
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert not User.objects.filter(username="dora").exists()


def test_every_mistake_on_the_form_comes_back_at_once_in_mastodons_shape(api, db):
    with api.http(app_token(api)) as http:
        response = http.post("/api/v1/accounts", data={"username": "no spaces!", "email": "not-an-email", "password": ""})
    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("Validation failed: ")
    codes = {field: [d["error"] for d in items] for field, items in body["details"].items()}
    assert codes == {"username": ["ERR_INVALID"], "email": ["ERR_INVALID"], "password": ["ERR_BLANK"],
                     "agreement": ["ERR_ACCEPTED"]}
    assert all(d["description"] for items in body["details"].values() for d in items)
    assert not User.objects.filter(username__icontains="no").exists()


@pytest.mark.parametrize(
    "form, field, code",
    [
        (signup_form("alice"), "username", "ERR_TAKEN"),
        (signup_form("ALICE"), "username", "ERR_TAKEN"),
        (signup_form("admin"), "username", "ERR_RESERVED"),
        (signup_form("x" * 31), "username", "ERR_TOO_LONG"),
        (signup_form("", ), "username", "ERR_BLANK"),
        (signup_form("dora", password="short"), "password", "ERR_TOO_SHORT"),
        (signup_form("dora", password="x" * 300), "password", "ERR_TOO_LONG"),
        (signup_form("dora", email=""), "email", "ERR_BLANK"),
        ({**signup_form("dora"), "username": "do\x00ra"}, "username", "ERR_INVALID"),
    ],
)
def test_refused_sign_ups_name_the_field_and_mastodons_error_code(api, people, form, field, code):
    with api.http(app_token(api)) as http:
        response = http.post("/api/v1/accounts", data=form)
    assert response.status_code == 422, response.text
    assert [d["error"] for d in response.json()["details"][field]] == [code]
    assert User.objects.count() == 3


def test_broken_or_odd_bodies_get_a_client_error_not_a_crash(api, db):
    with api.http(app_token(api)) as http:
        broken = http.post("/api/v1/accounts", content=b'{"username": "dora", ', headers={"Content-Type": "application/json"})
        listed = http.post("/api/v1/accounts", json=["dora"])
        objects = http.post("/api/v1/accounts", json={**signup_form(), "username": {"$ne": ""}, "agreement": True})
        surrogate = http.post("/api/v1/accounts", content=b'{"username":"dora","email":"d@example.org","password":"\\ud800 long enough pw","agreement":true}',
                              headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]
    assert listed.status_code == 400
    assert objects.status_code == 422 and "username" in objects.json()["details"]
    assert surrogate.status_code == 422 and surrogate.json()["details"]["password"][0]["error"] == "ERR_INVALID"
    assert not User.objects.exists()


def test_mastodon_py_signs_up_and_reads_detailed_errors(api, people):
    client = api.mastodon()
    token = client.create_account("eve_py", PASSWORD, "eve@example.org", agreement=True)
    assert token and client.account_verify_credentials()["acct"] == "eve_py"
    failed, error = api.mastodon().create_account("alice", PASSWORD, "a@example.org", agreement=True, return_detailed_error=True)
    assert failed is None and error["details"]["username"][0]["error"] == "ERR_TAKEN"


def test_closed_sign_ups_and_the_sign_up_rate_limit_are_honoured(db):
    """Servers of their own: one caches the settings of a closed instance, one has a low limit."""
    settings = InstanceSettings.current()
    settings.registrations_open = False
    settings.save()
    closed = start_server()
    try:
        client = ApiClient(closed)
        with client.http(app_token(client)) as http:
            response = http.post("/api/v1/accounts", data=signup_form())
        assert response.status_code == 403 and "closed" in response.json()["error"]
    finally:
        stop_server(closed)
    settings.registrations_open = True
    settings.save()
    strict = start_server({"ROSTRA_RATE_SIGNUP": "2/3600"})
    try:
        client = ApiClient(strict)
        with client.http(app_token(client)) as http:
            answers = [http.post("/api/v1/accounts", data=signup_form(name)).status_code for name in ("ann", "ben", "cid")]
            assert answers == [200, 200, 429]
            assert "Try again" in http.post("/api/v1/accounts", data=signup_form("dan")).json()["error"]
    finally:
        stop_server(strict)
    assert set(User.objects.values_list("username", flat=True)) == {"ann", "ben"}


# --- profiles -----------------------------------------------------------------------------


def test_anyone_may_look_at_an_account_and_bad_ids_are_404s(api, people):
    alice = people["alice"]
    with api.http() as http:
        shown = http.get(f"/api/v1/accounts/{alice.pk}")
        assert shown.status_code == 200
        body = shown.json()
        assert body["id"] == str(alice.pk) and body["acct"] == "alice" and "source" not in body
        assert body["url"].endswith("/@alice") and body["avatar"].startswith("http")
        for bad in ("abc", "-1", "1.5", "9" * 30, "0", "%00", "'or'1'='1"):
            response = http.get(f"/api/v1/accounts/{bad}")
            assert response.status_code == 404, bad
            assert response.json() == {"error": "Record not found"}
            assert http.get(f"/api/v1/accounts/{bad}/followers").status_code == 404
        assert http.get(f"/api/v1/accounts/{alice.pk}/").status_code == 200
        assert http.post(f"/api/v1/accounts/{alice.pk}/follow").status_code == 401
        assert http.delete(f"/api/v1/accounts/{alice.pk}").status_code == 405
        many = http.get("/api/v1/accounts", params=[("id[]", people["bob"].pk), ("id[]", alice.pk), ("id[]", "x")])
        assert [a["username"] for a in many.json()] == ["bob", "alice"]


def test_lookup_finds_handles_in_every_spelling_and_404s_the_rest(api, people, live_rostra):
    domain = live_rostra.url.split("//", 1)[1]
    with api.http() as http:
        for acct in ("alice", "@alice", "ALICE", f"alice@{domain}"):
            response = http.get("/api/v1/accounts/lookup", params={"acct": acct})
            assert response.status_code == 200 and response.json()["username"] == "alice", acct
        for acct in ("nobody", "", "alice@elsewhere.example", "al\x00ice", "@"):
            response = http.get("/api/v1/accounts/lookup", params={"acct": acct})
            assert response.status_code in (404, 422) and "error" in response.json(), acct
        assert http.get("/api/v1/accounts/lookup").status_code == 404


def test_search_matches_handles_and_names_and_can_be_narrowed_to_people_followed(api, people):
    actions.update_profile(people["carol"], display_name="Alicia Carol")
    actions.follow(people["bob"], people["carol"])
    with api.as_user("bob") as http:
        found = http.get("/api/v1/accounts/search", params={"q": "ali"}).json()
        assert [a["username"] for a in found] == ["carol", "alice"]  # the most followed first
        assert [a["username"] for a in http.get("/api/v1/accounts/search", params={"q": "ali", "following": "true"}).json()] == ["carol"]
        assert len(http.get("/api/v1/accounts/search", params={"q": "ali", "limit": 1}).json()) == 1
        assert [a["username"] for a in http.get("/api/v1/accounts/search", params={"q": "ali", "offset": 1}).json()] == ["alice"]
        assert http.get("/api/v1/accounts/search", params={"q": "@alice", "resolve": "true"}).json()[0]["username"] == "alice"
        assert http.get("/api/v1/accounts/search", params={"q": ""}).json() == []
        assert http.get("/api/v1/accounts/search", params={"q": "%"}).json() == []
        assert http.get("/api/v1/accounts/search", params={"q": "a", "limit": "lots"}).status_code == 422


def test_update_credentials_by_form_cleans_what_it_must_and_keeps_what_was_typed(api, people):
    with api.as_user("alice") as http:
        response = http.patch(
            "/api/v1/accounts/update_credentials",
            data={
                "display_name": "Alice <script>alert(1)</script>",
                "note": "Hi <b>there</b> <script>alert('x')</script> #tea https://example.org",
                "locked": "true",
                "fields_attributes[0][name]": "Site",
                "fields_attributes[0][value]": "https://alice.example",
                "fields_attributes[1][name]": "Code",
                "fields_attributes[1][value]": "https://code.example/alice",
                "source[privacy]": "unlisted",
                "source[sensitive]": "true",
                "bot": "true",
                "discoverable": "false",
            },
        )
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["display_name"] == "Alice <script>alert(1)</script>"  # plain text: apps escape it
    assert "<script" not in me["note"] and "<b>" not in me["note"]
    assert "&lt;script&gt;" in me["note"] and 'href="https://example.org"' in me["note"]
    assert me["source"]["note"].startswith("Hi <b>there</b>")
    assert me["locked"] is True
    assert [f["name"] for f in me["fields"]] == ["Site", "Code"]
    assert me["source"]["fields"][1] == {"name": "Code", "value": "https://code.example/alice", "verified_at": None}
    assert '<a href="https://alice.example"' in me["fields"][0]["value"]
    alice = Account.objects.get(pk=people["alice"].pk)
    assert alice.locked and alice.links == [["Site", "https://alice.example"], ["Code", "https://code.example/alice"]]


def test_update_credentials_by_json_and_refusals_with_details(api, people):
    with api.as_user("alice") as http:
        ok = http.patch("/api/v1/accounts/update_credentials",
                        json={"display_name": "Al", "fields_attributes": [{"name": "Web", "value": "https://a.example"}],
                              "source": {"privacy": "public"}})
        assert ok.status_code == 200, ok.text
        assert ok.json()["display_name"] == "Al" and ok.json()["fields"][0]["name"] == "Web"
        keyed = http.patch("/api/v1/accounts/update_credentials",
                           json={"fields_attributes": {"1": {"name": "B", "value": "https://b.example"},
                                                       "0": {"name": "A", "value": "https://a.example"}}})
        assert [f["name"] for f in keyed.json()["fields"]] == ["A", "B"]
        cleared = http.patch("/api/v1/accounts/update_credentials", data={"fields_attributes[0][name]": "", "fields_attributes[0][value]": ""})
        assert cleared.json()["fields"] == []
        huge = http.patch("/api/v1/accounts/update_credentials", data={"note": "x" * 100_000})
        assert huge.status_code == 422 and huge.json()["details"]["note"][0]["error"] == "ERR_TOO_LONG"
        long_name = http.patch("/api/v1/accounts/update_credentials", json={"display_name": "n" * 61})
        assert long_name.status_code == 422 and "display_name" in long_name.json()["details"]
        nul = http.patch("/api/v1/accounts/update_credentials", json={"note": "a\x00b"})
        assert nul.status_code == 422 and "note" in nul.json()["details"]
        nested = http.patch("/api/v1/accounts/update_credentials", json={"display_name": {"x": 1}})
        assert nested.status_code == 422
        not_link = http.patch("/api/v1/accounts/update_credentials",
                              data={"fields_attributes[0][name]": "x", "fields_attributes[0][value]": "javascript:alert(1)"})
        assert not_link.status_code == 422 and "fields_attributes" in not_link.json()["details"]
        too_many = http.patch("/api/v1/accounts/update_credentials",
                              json={"fields_attributes": [{"name": str(i), "value": f"https://{i}.example"} for i in range(5)]})
        assert too_many.status_code == 422
        broken = http.patch("/api/v1/accounts/update_credentials", content=b"{nope", headers={"Content-Type": "application/json"})
        assert broken.status_code == 400
        text_avatar = http.patch("/api/v1/accounts/update_credentials", data={"avatar": "http://evil.example/a.png"})
        assert text_avatar.status_code == 422 and "avatar" in text_avatar.json()["details"]
        bad_image = http.patch("/api/v1/accounts/update_credentials", files={"header": ("h.png", b"GIF89a not really", "image/png")})
        assert bad_image.status_code == 422 and "header" in bad_image.json()["details"]
    alice = Account.objects.get(pk=people["alice"].pk)
    assert alice.display_name == "Al" and alice.bio == "" and not alice.header


def test_mastodon_py_updates_a_profile_with_an_avatar_and_header(api, people):
    client = api.mastodon("alice")
    me = client.account_update_credentials(
        display_name="Alice A.", note="New bio", avatar=png_bytes((300, 200)), avatar_mime_type="image/png",
        header=jpeg_bytes((900, 300)), header_mime_type="image/jpeg", fields=[("Home", "https://alice.example")],
        default_privacy="private",
    )
    assert me["display_name"] == "Alice A." and me["source"]["note"] == "New bio"
    assert "/media/avatars/" in me["avatar"] and "/media/headers/" in me["header"]
    picture = httpx.get(me["avatar"])
    assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.account(people["alice"].pk)["avatar"] == me["avatar"]
    old = me["avatar"]
    again = client.account_update_credentials(avatar=jpeg_bytes((120, 120)), avatar_mime_type="image/jpeg")
    assert again["avatar"] != old and httpx.get(old).status_code == 404


# --- following ----------------------------------------------------------------------------


def test_follow_and_unfollow_answer_with_the_relationship(api, people):
    alice, bob = people["alice"], people["bob"]
    with api.as_user("alice") as http:
        followed = http.post(f"/api/v1/accounts/{bob.pk}/follow", data={"reblogs": "false", "notify": "true"})
        assert followed.status_code == 200, followed.text
        rel = followed.json()
        assert set(rel) >= RELATIONSHIP_KEYS and rel["id"] == str(bob.pk)
        assert rel["following"] is True and rel["requested"] is False and rel["followed_by"] is False
        assert http.post(f"/api/v1/accounts/{bob.pk}/follow").json()["following"] is True  # twice is fine
        assert http.get(f"/api/v1/accounts/{bob.pk}").json()["followers_count"] == 1
        assert [a["username"] for a in http.get(f"/api/v1/accounts/{bob.pk}/followers").json()] == ["alice"]
        assert [a["username"] for a in http.get(f"/api/v1/accounts/{alice.pk}/following").json()] == ["bob"]
        self_follow = http.post(f"/api/v1/accounts/{alice.pk}/follow")
        assert self_follow.status_code == 422 and "yourself" in self_follow.json()["error"]
        assert http.post("/api/v1/accounts/123456789/follow").status_code == 404
        gone = http.post(f"/api/v1/accounts/{bob.pk}/unfollow").json()
        assert gone["following"] is False
        assert http.post(f"/api/v1/accounts/{bob.pk}/unfollow").status_code == 200
    with api.as_user("bob") as http:
        assert http.get(f"/api/v1/accounts/{bob.pk}/followers").json() == []
        actions.follow(alice, bob)
        removed = http.post(f"/api/v1/accounts/{alice.pk}/remove_from_followers").json()
        assert removed["followed_by"] is False
    assert not bob.follower_set.exists()


def test_a_locked_account_gets_requests_it_can_authorize_or_reject(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    actions.update_profile(alice, locked=True)
    for name in ("bob", "carol"):
        with api.as_user(name) as http:
            rel = http.post(f"/api/v1/accounts/{alice.pk}/follow").json()
            assert rel["requested"] is True and rel["following"] is False
    with api.as_user("alice") as http:
        waiting = http.get("/api/v1/follow_requests")
        assert [a["username"] for a in waiting.json()] == ["carol", "bob"]
        assert http.get("/api/v1/accounts/verify_credentials").json()["source"]["follow_requests_count"] == 2
        rel = http.get("/api/v1/accounts/relationships", params={"id[]": bob.pk}).json()[0]
        assert rel["requested_by"] is True
        yes = http.post(f"/api/v1/follow_requests/{bob.pk}/authorize")
        assert yes.status_code == 200 and yes.json()["followed_by"] is True and yes.json()["requested_by"] is False
        no = http.post(f"/api/v1/follow_requests/{carol.pk}/reject")
        assert no.status_code == 200 and no.json()["followed_by"] is False
        again = http.post(f"/api/v1/follow_requests/{carol.pk}/authorize")
        assert again.status_code == 404 and again.json() == {"error": "Record not found"}
        assert http.post("/api/v1/follow_requests/nope/reject").status_code == 404
        assert http.get("/api/v1/follow_requests").json() == []
    assert list(alice.follower_set.values_list("follower__username", flat=True)) == ["bob"]


def test_followers_page_newest_first_with_link_headers_both_ways(api, people):
    alice = people["alice"]
    fans = [make_user(f"fan{i}") for i in range(5)]
    for fan in fans:
        actions.follow(fan, alice)
    with api.http() as http:
        first = http.get(f"/api/v1/accounts/{alice.pk}/followers", params={"limit": 2})
        assert [a["username"] for a in first.json()] == ["fan4", "fan3"]
        assert set(links(first)) == {"next", "prev"}
        second = http.get(links(first)["next"])
        assert [a["username"] for a in second.json()] == ["fan2", "fan1"]
        last = http.get(links(second)["next"])
        assert [a["username"] for a in last.json()] == ["fan0"] and "next" not in links(last)
        back = http.get(links(second)["prev"])
        assert [a["username"] for a in back.json()] == ["fan4", "fan3"]
        assert http.get(f"/api/v1/accounts/{alice.pk}/followers", params={"max_id": "x"}).status_code == 422
        assert http.get(f"/api/v1/accounts/{alice.pk}/followers", params={"limit": 1000}).status_code == 200


def test_blocks_hide_people_from_lists_and_stop_follows(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    actions.follow(bob, carol)
    actions.follow(alice, carol)
    actions.follow(bob, alice)
    with api.as_user("alice") as http:
        rel = http.post(f"/api/v1/accounts/{bob.pk}/block").json()
        assert rel["blocking"] is True and rel["followed_by"] is False and rel["following"] is False
        assert [a["username"] for a in http.get(f"/api/v1/accounts/{carol.pk}/followers").json()] == ["alice"]
        assert http.get(f"/api/v1/accounts/{bob.pk}/following").json() == []
        assert http.get(f"/api/v1/accounts/{bob.pk}").status_code == 200
        listed = http.get("/api/v1/blocks")
        assert [a["username"] for a in listed.json()] == ["bob"]
    with api.as_user("bob") as http:
        refused = http.post(f"/api/v1/accounts/{alice.pk}/follow")
        assert refused.status_code == 403 and refused.json()["error"]
        assert http.get("/api/v1/accounts/relationships", params={"id[]": alice.pk}).json()[0]["blocked_by"] is True
        assert http.get(f"/api/v1/accounts/{alice.pk}/followers").json() == []
    with api.as_user("alice") as http:
        assert http.post(f"/api/v1/accounts/{bob.pk}/unblock").json()["blocking"] is False
        assert http.get("/api/v1/blocks").json() == []
    with api.http() as http:
        assert len(http.get(f"/api/v1/accounts/{carol.pk}/followers").json()) == 2


def test_mutes_are_listed_and_lifted(api, people):
    bob = people["bob"]
    with api.as_user("alice") as http:
        muted = http.post(f"/api/v1/accounts/{bob.pk}/mute", data={"notifications": "false", "duration": "3600"})
        assert muted.status_code == 200 and muted.json()["muting"] is True and muted.json()["muting_notifications"] is True
        assert [a["username"] for a in http.get("/api/v1/mutes").json()] == ["bob"]
        assert http.post(f"/api/v1/accounts/{bob.pk}/unmute").json()["muting"] is False
        assert http.get("/api/v1/mutes").json() == []


def test_relationships_for_many_accounts_in_the_order_asked(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    actions.follow(alice, bob)
    actions.follow(carol, alice)
    actions.mute(alice, carol)
    with api.as_user("alice") as http:
        params = [("id[]", carol.pk), ("id[]", "junk"), ("id[]", bob.pk), ("id[]", 999999999), ("id[]", carol.pk)]
        rels = http.get("/api/v1/accounts/relationships", params=params).json()
        assert [r["id"] for r in rels] == [str(carol.pk), str(bob.pk)]
        assert rels[0]["followed_by"] and rels[0]["muting"] and not rels[0]["following"]
        assert rels[1]["following"] and not rels[1]["followed_by"]
        assert http.get("/api/v1/accounts/relationships").json() == []
        too_many = http.get("/api/v1/accounts/relationships", params=[("id[]", i) for i in range(1, 200)])
        assert too_many.status_code == 422
        familiar = http.get("/api/v1/accounts/familiar_followers", params={"id[]": carol.pk}).json()
        assert familiar == [{"id": str(carol.pk), "accounts": []}]
        assert http.get("/api/v1/endorsements").json() == []
        assert http.get(f"/api/v1/accounts/{bob.pk}/featured_tags").json() == []


def test_familiar_followers_are_people_i_follow_who_follow_them(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    actions.follow(alice, bob)
    actions.follow(bob, carol)
    with api.as_user("alice") as http:
        familiar = http.get("/api/v1/accounts/familiar_followers", params={"id[]": carol.pk}).json()
    assert [a["username"] for a in familiar[0]["accounts"]] == ["bob"]


def test_relationship_facts_cost_one_query_however_many_accounts(people):
    alice = people["alice"]
    others = [make_user(f"many{i}") for i in range(12)]
    for other in others[:6]:
        actions.follow(alice, other)
    for other in others[6:9]:
        actions.block(alice, other)
    with CaptureQueriesContext(connection) as queries:
        facts = relationship_facts(alice, [o.pk for o in others])
    assert len(queries) == 1
    assert sum("following" in f for f in facts.values()) == 6
    assert sum("blocking" in f for f in facts.values()) == 3


def test_suspended_accounts_are_shown_as_suspended_and_cannot_be_followed(api, people):
    alice, bob = people["alice"], people["bob"]
    actions.update_profile(bob, display_name="Bob the Spammer", bio="buy now")
    actions.follow(bob, alice)
    suspend(bob)
    with api.as_user("alice") as http:
        shown = http.get(f"/api/v1/accounts/{bob.pk}").json()
        assert shown["suspended"] is True and shown["display_name"] == "" and shown["note"] == ""
        assert shown["username"] == "bob"
        assert http.get("/api/v1/accounts/lookup", params={"acct": "bob"}).json()["suspended"] is True
        refused = http.post(f"/api/v1/accounts/{bob.pk}/follow")
        assert refused.status_code == 404 and refused.json() == {"error": "Record not found"}
        assert http.get(f"/api/v1/accounts/{bob.pk}/following").json() == []
        assert http.get(f"/api/v1/accounts/{alice.pk}/followers").json() == []
        assert http.get("/api/v1/accounts/search", params={"q": "bob"}).json() == []
        assert http.get("/api/v1/accounts/relationships", params={"id[]": bob.pk}).json() == []
        with_suspended = http.get("/api/v1/accounts/relationships", params={"id[]": bob.pk, "with_suspended": "true"})
        assert with_suspended.json()[0]["followed_by"] is True
        assert http.post(f"/api/v1/accounts/{bob.pk}/block").status_code == 200
    with api.as_user("carol") as http:
        assert http.get(f"/api/v1/accounts/{alice.pk}").json().get("suspended") is None
    assert Account.objects.get(pk=bob.pk).suspended_until > timezone.now() + timedelta(days=6)


# --- scopes -------------------------------------------------------------------------------


def test_each_endpoint_asks_for_its_own_scope(live_rostra, people):
    bob = people["bob"]
    app = ApiClient(live_rostra, scopes="read write follow")
    with app.as_user("alice", scopes="read") as http:
        assert http.get(f"/api/v1/accounts/{bob.pk}").status_code == 200
        assert http.get("/api/v1/blocks").status_code == 200
        denied = http.post(f"/api/v1/accounts/{bob.pk}/follow")
        assert denied.status_code == 403 and denied.json() == {"error": "This action is outside the authorized scopes"}
        assert http.patch("/api/v1/accounts/update_credentials", data={"note": "x"}).status_code == 403
    with app.as_user("alice", scopes="write:follows read:accounts") as http:
        assert http.post(f"/api/v1/accounts/{bob.pk}/follow").status_code == 200
        assert http.post(f"/api/v1/accounts/{bob.pk}/block").status_code == 403
        assert http.post(f"/api/v1/accounts/{bob.pk}/mute").status_code == 403
        assert http.get("/api/v1/mutes").status_code == 403
        assert http.get("/api/v1/accounts/relationships", params={"id[]": bob.pk}).status_code == 403
    with app.as_user("alice", scopes="follow") as http:
        assert http.post(f"/api/v1/accounts/{bob.pk}/mute").status_code == 200
        assert http.post(f"/api/v1/accounts/{bob.pk}/block").status_code == 200
        assert http.get("/api/v1/blocks").status_code == 200
        assert http.get(f"/api/v1/accounts/{bob.pk}").status_code == 403
    with app.http() as http:
        for path in ("/api/v1/blocks", "/api/v1/mutes", "/api/v1/follow_requests", "/api/v1/accounts/relationships"):
            assert http.get(path).status_code == 401, path
    with app.http(app_token(app, scopes="read")) as http:
        assert http.get("/api/v1/blocks").status_code == 422  # an app token has nobody to list for


# --- a whole story through Mastodon.py ----------------------------------------------------


def test_mastodon_py_follows_blocks_mutes_and_answers_requests(api, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    actions.update_profile(carol, locked=True)
    client = api.mastodon("alice")
    assert client.account_follow(bob.pk)["following"] is True
    assert client.account_follow(carol.pk)["requested"] is True
    rels = client.account_relationships([bob.pk, carol.pk])
    assert [(str(r["id"]), r["following"], r["requested"]) for r in rels] == [(str(bob.pk), True, False), (str(carol.pk), False, True)]
    assert [a["acct"] for a in client.account_following(alice.pk)] == ["bob"]
    assert str(client.account_lookup("bob")["id"]) == str(bob.pk)
    assert [a["acct"] for a in client.account_search("bo")] == ["bob"]
    carol_client = api.mastodon("carol")
    assert [a["acct"] for a in carol_client.follow_requests()] == ["alice"]
    assert carol_client.follow_request_authorize(alice.pk)["followed_by"] is True
    assert client.account_relationships(carol.pk)[0]["following"] is True
    assert client.account_mute(bob.pk)["muting"] is True
    assert [a["acct"] for a in client.mutes()] == ["bob"]
    assert client.account_block(bob.pk)["blocking"] is True
    assert [a["acct"] for a in client.blocks()] == ["bob"]
    assert client.account_unblock(bob.pk)["blocking"] is False
    assert client.account_unfollow(carol.pk)["following"] is False
    with pytest.raises(MastodonNotFoundError):
        client.account(987654321)
    with pytest.raises(MastodonAPIError):
        client.account_follow(alice.pk)
    assert client.account_followers(carol.pk) == []


# --- the contract -------------------------------------------------------------------------


@pytest.mark.skipif(not SPEC.exists(), reason="the Mastodon OpenAPI description is not here")
def test_responses_match_the_mastodon_openapi_description(api, people):
    alice, bob = people["alice"], people["bob"]
    actions.update_profile(alice, display_name="Alice", bio="Hello #tea", links=[["Web", "https://alice.example"]])
    with api.http(app_token(api)) as http:
        token = http.post("/api/v1/accounts", data=signup_form()).json()
        refused = http.post("/api/v1/accounts", data=signup_form("alice")).json()
    suspend(bob)
    with api.http(token["access_token"]) as http:
        checks = [
            (token, "Token"),
            (refused, "ValidationError"),
            (http.get("/api/v1/accounts/verify_credentials").json(), "CredentialAccount"),
            (http.get(f"/api/v1/accounts/{alice.pk}").json(), "Account"),
            (http.get(f"/api/v1/accounts/{bob.pk}").json(), "Account"),
            (http.post(f"/api/v1/accounts/{alice.pk}/follow").json(), "Relationship"),
            (http.get("/api/v1/accounts/nope").json(), "Error"),
            (http.patch("/api/v1/accounts/update_credentials", data={"note": "x" * 501}).json(), "ValidationError"),
        ]
        checks += [(a, "Account") for a in http.get(f"/api/v1/accounts/{alice.pk}/followers").json()]
        checks += [(f, "FamiliarFollowers") for f in http.get("/api/v1/accounts/familiar_followers", params={"id[]": alice.pk}).json()]
    assert len(checks) > 9
    for data, schema in checks:
        assert spec_errors(data, schema) == [], (schema, data)
