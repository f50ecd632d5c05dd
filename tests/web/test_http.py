"""The web app over real HTTP, against `rostra serve` running in its own process."""

import io

from PIL import Image

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from rostra.posts.models import Post
from tests.helpers import eventually, make_user


def test_pages_carry_security_headers(visitor):
    response = visitor.get("/discover")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_sign_up_over_http_sets_a_protected_session_cookie(visitor):
    token = visitor.csrf("/signup")
    response = visitor.http.post(
        "/signup", data={"username": "Newcomer", "password": "a sturdy pass phrase", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    cookie = response.headers["set-cookie"]
    assert "sessionid=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = visitor.get("/")
    assert "@Newcomer" in home.text


def test_sign_up_refusals_say_why_and_keep_the_form(visitor, alice):
    token = visitor.csrf("/signup")
    taken = visitor.http.post(
        "/signup", data={"username": "ALICE", "password": "a sturdy pass phrase", "csrfmiddlewaretoken": token}
    )
    assert taken.status_code == 400
    assert "That username is taken." in taken.text
    weak = visitor.http.post("/signup", data={"username": "dave", "password": "12345678", "csrfmiddlewaretoken": token})
    assert weak.status_code == 400
    assert "too short" in weak.text and 'value="dave"' in weak.text


def test_forms_without_a_csrf_token_are_refused(visitor, alice):
    visitor.log_in("alice")
    response = visitor.http.post("/compose", data={"text": "forged"})
    assert response.status_code == 403
    assert not Post.objects.filter(text="forged").exists()


def test_wrong_password_is_refused_with_a_message(visitor, alice):
    token = visitor.csrf("/login")
    response = visitor.http.post("/login", data={"username": "alice", "password": "nope", "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert "do not match" in response.text


def test_posting_reaches_followers_through_the_worker(visitor_factory, alice, bob):
    accounts.follow(bob, alice)
    author = visitor_factory().log_in("alice")
    response = author.post_form("/compose", {"text": "Fresh from the #press over HTTP"})
    assert response.status_code == 302
    post = Post.objects.get(text="Fresh from the #press over HTTP")
    assert response.headers["location"] == f"/@alice/{post.pk}"
    reader = visitor_factory().log_in("bob")
    # The embedded worker of the other process fans the post out.
    eventually(lambda: "Fresh from the" in reader.get("/").text, message="post never reached bob's home feed")
    assert "/tags/press" in reader.get("/").text


def test_refused_post_keeps_the_draft_and_stores_nothing(visitor, alice):
    visitor.log_in("alice")
    response = visitor.post_form("/compose", {"text": "x" * 1001})
    assert response.status_code == 422
    assert "at most 1000 characters" in response.text
    assert "x" * 1001 in response.text
    assert not Post.objects.filter(author=alice).exists()


def test_script_in_every_field_is_shown_as_text(visitor, alice):
    accounts.update_profile(alice, display_name="<script>alert(1)</script>", bio="<img src=x onerror=alert(2)>")
    post = posts.create_post(alice, "<b>bold</b> <script>alert(3)</script>", spoiler_text="<i>cw</i>")
    page = visitor.get(f"/@alice/{post.pk}").text
    profile = visitor.get("/@alice").text
    for html in (page, profile):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert "&lt;i&gt;cw&lt;/i&gt;" in page


def test_followers_only_posts_are_not_served_to_others(visitor_factory, alice, bob, carol):
    accounts.follow(bob, alice)
    post = posts.create_post(alice, "for my followers", visibility="followers")
    anonymous = visitor_factory()
    assert anonymous.get(f"/@alice/{post.pk}").status_code == 404
    assert "for my followers" not in anonymous.get("/@alice").text
    stranger = visitor_factory().log_in("carol")
    assert stranger.get(f"/@alice/{post.pk}").status_code == 404
    follower = visitor_factory().log_in("bob")
    assert "for my followers" in follower.get(f"/@alice/{post.pk}").text


def test_a_blocked_account_sees_nothing_of_the_blocker(visitor, alice, bob):
    post = posts.create_post(alice, "not for bob")
    accounts.block(alice, bob)
    visitor.log_in("bob")
    assert visitor.get(f"/@alice/{post.pk}").status_code == 404
    assert "not for bob" not in visitor.get("/@alice").text
    assert "not for bob" not in visitor.get("/discover").text
    assert "not for bob" not in visitor.get("/search?q=bob").text


def test_unknown_and_malformed_ids_are_404_not_errors(visitor, alice):
    assert visitor.get("/@alice/1").status_code == 404
    assert visitor.get("/@alice/99999999999999999999").status_code == 404
    assert visitor.get("/@nobody_here").status_code == 404
    assert visitor.get("/?max_id=abc").status_code == 200


def test_broken_utf8_in_a_form_is_handled(visitor, alice):
    visitor.log_in("alice")
    token = visitor.csrf("/")
    body = b"csrfmiddlewaretoken=" + token.encode() + b"&text=caf%C3%A9+%FF%FE+ok"
    response = visitor.http.post(
        "/compose",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": visitor.server.url + "/"},
    )
    assert response.status_code in (302, 400, 422)
    assert response.status_code != 500


def _jpeg_with_gps():
    image = Image.new("RGB", (64, 48), "teal")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_uploaded_photos_are_served_without_exif_or_gps(visitor, alice):
    visitor.log_in("alice")
    data = _jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    response = visitor.post_form(
        "/compose",
        {"text": "a photo", "media_description": "a teal square"},
        files={"media": ("holiday.jpg", data, "image/jpeg")},
    )
    assert response.status_code == 302, response.text[:300]
    post = Post.objects.get(author=alice)
    media = post.media.get()
    assert media.description == "a teal square"
    served = visitor.get(media.file.url)
    assert served.status_code == 200
    image = Image.open(io.BytesIO(served.content))
    assert not image.getexif()
    assert "exif" not in image.info and "gps" not in str(image.info).lower()
    assert 'alt="a teal square"' in visitor.get(f"/@alice/{post.pk}").text


def test_non_images_are_refused_with_a_message(visitor, alice):
    visitor.log_in("alice")
    response = visitor.post_form(
        "/compose", {"text": "look"}, files={"media": ("notes.jpg", b"just text, not a picture", "image/jpeg")}
    )
    assert response.status_code == 422
    assert "not an image" in response.text
    assert not Post.objects.filter(author=alice).exists()


def test_deleted_posts_and_their_files_are_gone(visitor, alice):
    visitor.log_in("alice")
    visitor.post_form("/compose", {"text": "short-lived"}, files={"media": ("a.jpg", _jpeg_with_gps(), "image/jpeg")})
    post = Post.objects.get(author=alice)
    url = post.media.get().file.url
    assert visitor.get(url).status_code == 200
    response = visitor.post_form(f"/posts/{post.pk}/delete", {}, page=f"/@alice/{post.pk}")
    assert response.status_code == 302
    assert visitor.get(f"/@alice/{post.pk}").status_code == 404
    assert visitor.get(url).status_code == 404
    assert "short-lived" not in visitor.get("/search?q=short").text


def test_the_app_is_installable(visitor):
    manifest = visitor.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert visitor.get(icon["src"]).status_code == 200
    worker = visitor.get("/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]


def test_the_unread_badge_counts_only_what_the_notifications_page_shows(visitor, alice, bob, carol):
    """A comment taken down after it notified alice leaves her list, and her badge."""
    post = posts.create_post(alice, "Who likes this one?")
    comment = posts.create_post(bob, "I do", in_reply_to=post)
    posts.vote(carol, post)
    visitor.log_in("alice")
    assert "2 unread" in visitor.get("/").text
    posts.unpublish(comment)
    home = visitor.get("/").text
    assert "1 unread" in home and "2 unread" not in home
    page = visitor.get("/notifications").text
    assert "@carol" in page and "I do" not in page
    assert "unread" not in visitor.get("/").text


def test_one_connection_survives_many_requests_whose_bodies_are_never_read(visitor):
    """A client that reuses its connection (every app does) is answered every time, even
    after answers that never read the request's body: a 404 for a POST, a GET with a body."""
    answered = []
    for i in range(150):
        response = visitor.http.post(f"/api/v1/no-such-thing/{i}", content=b"status=unread", headers={"Content-Type": "text/plain"})
        answered.append(response.status_code)
        response = visitor.http.request("GET", "/api/v1/instance", content=b"x" * 2048, headers={"Content-Type": "text/plain"})
        answered.append(response.status_code)
    assert answered == [404, 200] * 150
