"""Media over real HTTP: upload (v1 and v2), read back, describe; what is refused and why."""

import io

from PIL import Image

from rostra.posts.models import Media
from tests.images import exif_with_gps, jpeg_bytes, png_bytes


def test_v1_and_v2_uploads_answer_at_once_with_urls(api, people):
    with api.as_user("alice") as alice:
        v1 = alice.post("/api/v1/media", files={"file": ("a.png", png_bytes(size=(40, 30)), "image/png")})
        assert v1.status_code == 200, v1.text
        v2 = alice.post(
            "/api/v2/media",
            files={"file": ("b.jpg", jpeg_bytes(size=(200, 100)), "image/jpeg")},
            data={"description": "A wide red field", "focus": "0.5,-0.25"},
        )
        assert v2.status_code == 200, v2.text
    first, second = v1.json(), v2.json()
    assert first["type"] == "image" and first["url"].startswith(api.url) and first["description"] is None
    assert first["meta"]["original"] == {"width": 40, "height": 30, "size": "40x30", "aspect": round(40 / 30, 6)}
    assert second["description"] == "A wide red field"
    assert second["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert second["preview_url"] and second["url"]


def test_gps_and_camera_metadata_do_not_survive_an_upload(api, people):
    with api.as_user("alice") as alice:
        uploaded = alice.post("/api/v2/media", files={"file": ("spy.jpg", jpeg_bytes(exif=exif_with_gps()), "image/jpeg")})
        assert uploaded.status_code == 200, uploaded.text
        stored = alice.get(uploaded.json()["url"])
    assert stored.status_code == 200
    image = Image.open(io.BytesIO(stored.content))
    assert not image.getexif()


def test_describe_and_read_back_own_media_only(api, people):
    m = api.mastodon("alice")
    item = m.media_post(png_bytes(), mime_type="image/png")
    updated = m.media_update(item["id"], description="Now described")
    assert updated["description"] == "Now described"
    with api.as_user("alice") as alice:
        shown = alice.get(f"/api/v1/media/{item['id']}")
        assert shown.status_code == 200 and shown.json()["description"] == "Now described"
        too_long = alice.put(f"/api/v1/media/{item['id']}", json={"description": "x" * 1501})
        assert too_long.status_code == 422 and "1,500" in too_long.json()["error"]
        assert alice.put(f"/api/v1/media/{item['id']}", json={"description": "a\x00b"}).status_code == 422
        assert alice.put(f"/api/v1/media/{item['id']}", json={"focus": "2,0"}).status_code == 422
    with api.as_user("bob") as bob:
        assert bob.get(f"/api/v1/media/{item['id']}").status_code == 404
        assert bob.put(f"/api/v1/media/{item['id']}", json={"description": "mine"}).status_code == 404
        assert bob.get("/api/v1/media/not-a-number").json() == {"error": "Record not found"}
        used = bob.post("/api/v1/statuses", json={"status": "stolen", "media_ids": [item["id"]]})
        assert used.status_code == 422
    assert Media.objects.get(pk=int(item["id"])).description == "Now described"


def test_what_is_not_an_image_or_too_big_is_refused_with_a_clear_422(api, people, settings):
    with api.as_user("alice") as alice:
        text = alice.post("/api/v2/media", files={"file": ("notes.txt", b"just words", "text/plain")})
        assert text.status_code == 422 and "not an image" in text.json()["error"]
        lying = alice.post("/api/v2/media", files={"file": ("fake.jpg", b"\xff\xd8\xff" + b"0" * 500, "image/jpeg")})
        assert lying.status_code == 422
        empty = alice.post("/api/v2/media", files={"file": ("empty.png", b"", "image/png")})
        assert empty.status_code == 422
        missing = alice.post("/api/v2/media", data={"description": "no file"})
        assert missing.status_code == 422 and "File can't be blank" in missing.json()["error"]
        huge = alice.post("/api/v2/media", files={"file": ("huge.png", b"\x89PNG" + b"\0" * (11 * 1024 * 1024), "image/png")})
        assert huge.status_code == 422 and "at most 10 MB" in huge.json()["error"]
        bomb = Image.new("1", (8000, 6000))
        buffer = io.BytesIO()
        bomb.save(buffer, "PNG")
        pixels = alice.post("/api/v2/media", files={"file": ("bomb.png", buffer.getvalue(), "image/png")})
        assert pixels.status_code == 422 and "million pixels" in pixels.json()["error"]
    assert not Media.objects.exists()


def test_uploading_needs_write_media(api, people):
    with api.as_user("alice", scopes="read write:statuses") as narrow:
        refused = narrow.post("/api/v2/media", files={"file": ("a.png", png_bytes(), "image/png")})
        assert refused.status_code == 403
    with api.http() as anonymous:
        assert anonymous.post("/api/v2/media", files={"file": ("a.png", png_bytes(), "image/png")}).status_code == 401
