"""Taking an account elsewhere and bringing one here: the archive, Mastodon's CSV files and posts."""

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timezone

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from rostra.accounts import actions as accounts
from rostra.accounts import archive
from rostra.accounts.models import ArchiveImport, Block, Follow, Mute
from rostra.core.errors import ActionError
from rostra.federation import uris
from rostra.posts import actions as posts
from rostra.posts.models import Bookmark, Media, Mention, Post, Visibility
from rostra.timelines import lists
from tests.helpers import make_user
from tests.images import exif_with_gps, jpeg_bytes, jpeg_upload
from tests.server import database_url

OLD = "https://old.example"
ME = f"{OLD}/users/alice"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _zip_of(account):
    out = io.BytesIO()
    archive.export_archive(account, out)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def _addr(account):
    return f"{account.username}@{settings.ROSTRA_DOMAIN}"


# --- Export, then import elsewhere -------------------------------------------------------


def test_export_then_import_into_another_account_restores_follows_blocks_mutes_bookmarks_lists(alice, bob, carol):
    dave, erin, frank = make_user("dave"), make_user("erin"), make_user("frank")
    accounts.follow(alice, bob)
    accounts.follow(alice, carol)
    accounts.block(alice, dave)
    accounts.mute(alice, erin)
    kept = posts.create_post(bob, "Worth keeping")
    posts.bookmark(alice, kept)
    friends = lists.create_list(alice, "Friends, close ones")  # a comma in the name: CSV quoting
    lists.add_members(alice, friends.pk, [bob.pk])

    zf = _zip_of(alice)
    files = {name: zf.read(name).decode() for name in archive.CSV_FILES.values()}
    assert files["following_accounts.csv"].splitlines()[0] == "Account address,Show boosts,Notify on new posts,Languages"
    assert f"{_addr(bob)},true,false," in files["following_accounts.csv"].splitlines()
    assert files["blocked_accounts.csv"] == f"{_addr(dave)}\n"
    assert files["muted_accounts.csv"].splitlines() == ["Account address,Hide notifications", f"{_addr(erin)},true"]
    assert files["bookmarks.csv"] == f"{uris.post(kept)}\n"
    assert files["lists.csv"] == f'"Friends, close ones",{_addr(bob)}\n'
    for kind, name in archive.CSV_FILES.items():
        assert archive.export_csv(alice, kind) == files[name]

    # Frank already follows someone: an import only adds.
    accounts.follow(frank, erin)
    for kind in ("following", "blocks", "mutes", "bookmarks", "lists"):
        result = archive.import_csv(frank, kind, files[archive.CSV_FILES[kind]].encode())
        assert result.failed == 0, result.failures
    assert set(Follow.objects.filter(follower=frank).values_list("target__username", flat=True)) == {"bob", "carol", "erin"}
    assert list(Block.objects.filter(account=frank).values_list("target__username", flat=True)) == ["dave"]
    assert list(Mute.objects.filter(account=frank).values_list("target__username", flat=True)) == ["erin"]
    assert list(Bookmark.objects.filter(account=frank).values_list("post_id", flat=True)) == [kept.pk]
    [copy] = lists.lists_of(frank)
    assert copy.title == "Friends, close ones"
    assert [a.pk for a in lists.lists_with(frank, bob.pk)] == [copy.pk]

    # The same files again: everything is already there, nothing doubles.
    again = archive.import_csv(frank, "following", files["following_accounts.csv"])
    assert (again.done, again.already, again.failed) == (0, 2, 0)
    assert archive.import_csv(frank, "lists", files["lists.csv"]).already == 1
    assert len(lists.lists_of(frank)) == 1


def test_the_archive_has_mastodon_shapes_with_every_file_it_points_at(alice, bob):
    accounts.update_profile(alice, avatar=jpeg_upload("me.jpg"), display_name="Alice A.")
    theirs = posts.create_post(bob, "A post of Bob's")
    photo = posts.upload_media(alice, jpeg_upload(), description="A red square")
    first = posts.create_post(alice, "Hello #world", media_ids=[photo.pk])
    reply = posts.create_post(alice, "Only for followers", in_reply_to=first, visibility=Visibility.FOLLOWERS)
    posts.create_post(alice, "Just me @bob", visibility=Visibility.DIRECT)
    echo = posts.echo(alice, theirs)
    posts.vote(alice, theirs)
    posts.bookmark(alice, theirs)

    zf = _zip_of(alice)
    names = set(zf.namelist())
    actor = json.loads(zf.read("actor.json"))
    assert actor["type"] == "Person" and actor["id"] == uris.actor(alice) and actor["name"] == "Alice A."
    assert "PRIVATE KEY" not in zf.read("actor.json").decode() and "publicKeyPem" in actor["publicKey"]
    assert actor["icon"]["url"] in names and actor["icon"]["url"].startswith("avatar.")

    outbox = json.loads(zf.read("outbox.json"))
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == len(outbox["orderedItems"]) == 4
    items = outbox["orderedItems"]
    assert [i["type"] for i in items] == ["Create", "Create", "Create", "Announce"]  # oldest first
    note = items[0]["object"]
    assert note["type"] == "Note" and note["source"]["content"] == "Hello #world" and PUBLIC in note["to"]
    [attachment] = note["attachment"]
    assert attachment["url"].startswith("media_attachments/files/") and attachment["url"] in names
    assert attachment["name"] == "A red square"
    assert Image.open(io.BytesIO(zf.read(attachment["url"]))).size == (64, 48)
    assert items[1]["object"]["inReplyTo"] == uris.post(first) and items[1]["object"]["to"] == [uris.followers(alice)]
    assert items[2]["object"]["to"] == [uris.actor(bob)]  # direct: only the people named
    assert items[3]["object"] == uris.post(theirs) and items[3]["id"].startswith(uris.post(echo))
    for name in ("likes.json", "bookmarks.json"):
        doc = json.loads(zf.read(name))
        assert doc["type"] == "OrderedCollection" and doc["orderedItems"] == [uris.post(theirs)] and doc["totalItems"] == 1

    # Rostra's own archive imports too (the Announce is someone else's post, left out).
    grace = make_user("grace")
    out = io.BytesIO()
    archive.export_archive(alice, out)
    result = archive.import_posts(grace, io.BytesIO(out.getvalue()))
    assert result.counts == {"imported": 3, "skipped": 1, "held": 0, "failed": 0}, result.failures
    copy = Post.objects.get(author=grace, text="Hello #world")
    assert copy.created_at == first.created_at.replace(microsecond=0) and copy.media.count() == 1  # to the second, as published
    assert Post.objects.get(author=grace, text="Only for followers").in_reply_to_id == copy.pk
    assert reply.pk != copy.pk


# --- A Mastodon archive --------------------------------------------------------------------


def _note(n, content, *, to=(PUBLIC,), cc=(f"{ME}/followers",), published="2019-03-04T05:06:07Z", **extra):
    note_id = f"{ME}/statuses/{n}"
    note = {
        "id": note_id, "type": "Note", "attributedTo": ME, "content": content, "published": published,
        "to": list(to), "cc": list(cc), "sensitive": False, "summary": None, "inReplyTo": None,
        "attachment": [], "tag": [], **extra,
    }
    return {
        "id": f"{note_id}/activity", "type": "Create", "actor": ME, "published": published,
        "to": list(to), "cc": list(cc), "object": note,
    }


def mastodon_archive(path, items, extra_members=()):
    """A zip shaped as Mastodon's BackupService writes it."""
    outbox = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json",
        "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items,
    }
    actor = {"id": ME, "type": "Person", "preferredUsername": "alice", "followers": f"{ME}/followers"}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("actor.json", json.dumps(actor))
        zf.writestr("outbox.json", json.dumps(outbox))
        zf.writestr("likes.json", json.dumps({"type": "OrderedCollection", "orderedItems": []}))
        for name, data in extra_members:
            zf.writestr(name, data)
    return path


def _story_items():
    gps_photo = "media_attachments/files/110/000/001/original/abc.jpeg"
    return [
        _note(1, '<p>Hello <a href="https://old.example/tags/fediverse" class="mention hashtag">#<span>fediverse</span></a></p>'),
        _note(2, "<p>Plot twist inside</p>", to=(f"{ME}/followers",), cc=(PUBLIC,), summary="spoilers",
              sensitive=True, published="2020-01-02T03:04:05Z"),
        _note(3, "<p>Only my followers see this answer</p>", to=(f"{ME}/followers",), cc=(),
              inReplyTo=f"{ME}/statuses/1", published="2020-01-03T00:00:00Z"),
        _note(4, "<p>Look at this</p>", published="2021-05-06T07:08:09Z", attachment=[
            {"type": "Document", "mediaType": "image/jpeg", "url": gps_photo, "name": "A photo", "blurhash": None},
        ]),
        {"id": f"{ME}/statuses/5/activity", "type": "Announce", "actor": ME, "published": "2021-06-01T00:00:00Z",
         "to": [PUBLIC], "cc": [], "object": "https://elsewhere.example/users/zed/statuses/9"},
        _note(6, '<p><span class="h-card"><a href="https://old.example/@bob" class="u-url mention">@<span>bob</span></a></span> just us</p>',
              to=("https://old.example/users/bob",), cc=(), published="2021-07-01T00:00:00Z",
              tag=[{"type": "Mention", "href": "https://old.example/users/bob", "name": "@bob"}]),
        {**_note(7, "<p>Not mine</p>"), "actor": "https://old.example/users/zed"},
        _note(8, "<p>" + "long words " * 150 + "</p>", published="2022-01-01T00:00:00Z"),
    ], gps_photo


def test_a_mastodon_archive_brings_posts_with_their_dates_visibility_answers_and_clean_images(alice, bob, tmp_path):
    items, photo_path = _story_items()
    path = mastodon_archive(tmp_path / "archive.zip", items, [(photo_path, jpeg_bytes(exif=exif_with_gps()))])
    seen = []
    result = archive.import_posts(alice, path, progress=lambda done, total: seen.append((done, total)))
    assert result.counts == {"imported": 6, "skipped": 2, "held": 0, "failed": 0}, result.failures
    assert seen[-1] == (8, 8)

    by_text = {p.text: p for p in Post.objects.filter(author=alice)}
    hello = by_text["Hello #fediverse"]
    assert hello.created_at == datetime(2019, 3, 4, 5, 6, 7, tzinfo=timezone.utc) and hello.visibility == "public"
    twist = by_text["Plot twist inside"]
    assert (twist.visibility, twist.spoiler_text, twist.sensitive) == ("unlisted", "spoilers", True)
    answer = by_text["Only my followers see this answer"]
    assert answer.visibility == "followers" and answer.in_reply_to_id == hello.pk
    look = by_text["Look at this"]
    [media] = Media.objects.filter(post=look)
    assert media.description == "A photo"
    with media.file.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert not stored.getexif() and "exif" not in stored.info
    # Bob elsewhere is not bob here: the direct message names bob@old.example, and bob here is not told.
    direct = by_text["@bob@old.example just us"]
    assert direct.visibility == "direct" and not Mention.objects.filter(post=direct, account=bob).exists()
    long = next(p for p in by_text.values() if p.text.startswith("long words"))
    assert len(long.text) == 1000 and long.text.endswith("…")
    assert "Not mine" not in by_text

    again = archive.import_posts(alice, path)
    assert again.counts == {"imported": 0, "skipped": 8, "held": 0, "failed": 0}
    assert Post.objects.filter(author=alice).count() == 6


def test_what_is_not_a_mastodon_archive_is_refused_and_nothing_is_lost(alice, tmp_path, monkeypatch):
    posts.create_post(alice, "Already here")

    def refused(data, words):
        with pytest.raises(ActionError) as caught:
            archive.import_posts(alice, io.BytesIO(data))
        assert words in caught.value.message, caught.value.message

    def zipped(*members):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for name, data in members:
                zf.writestr(name, data)
        return out.getvalue()

    refused(b"hello, this is text", "not a zip")
    refused(zipped(("likes.json", "{}")), "no outbox.json")
    refused(zipped(("outbox.json", "{}"), ("../../etc/cron.d/evil", "* * * * * root true")), "points outside")
    refused(zipped(("outbox.json", "{}"), ("/etc/passwd", "x")), "points outside")
    refused(zipped(("outbox.json", "this is not JSON")), "cannot be read")
    refused(zipped(("outbox.json", '{"type": "OrderedCollection", "first": "page1"}')), "cannot be read")
    refused(zipped(("outbox.json", "{}"))[:30], "not a zip")  # cut short
    # Zip bombs: sizes are summed, and files counted, before anything is unpacked.
    monkeypatch.setattr("rostra.accounts.archive_posts.MAX_ARCHIVE_BYTES", 10_000)
    refused(zipped(("outbox.json", '{"orderedItems": []}'), ("bomb.bin", b"\0" * 50_000)), "once unpacked")
    monkeypatch.setattr("rostra.accounts.archive_posts.MAX_ARCHIVE_MEMBERS", 2)
    refused(zipped(("outbox.json", "{}"), ("a", "1"), ("b", "2")), "more than 2 files")
    # A damaged tail: what came before goes in, the rest is a line in the result.
    good = json.dumps(_note(1, "<p>First</p>"))
    result = archive.import_posts(alice, io.BytesIO(zipped(("outbox.json", '{"orderedItems": [' + good + ", {oops"))))
    assert result.imported == 1 and result.failed == 1 and "damaged" in result.failures[0]
    assert set(Post.objects.filter(author=alice).values_list("text", flat=True)) == {"Already here", "First"}


# --- CSV files -----------------------------------------------------------------------------


def test_bad_csv_files_are_refused_or_reported_line_by_line_and_nothing_is_lost(alice, bob, carol):
    accounts.follow(alice, carol)

    with pytest.raises(ActionError, match="UTF-8"):
        archive.import_csv(alice, "following", b"Account address\nbob@x\n\xff\xfe broken\n")
    with pytest.raises(ActionError, match="10,000 rows"):
        archive.import_csv(alice, "blocks", "".join(f"user{i}@example.org\n" for i in range(10_001)))
    with pytest.raises(ActionError, match="2 MB"):
        archive.import_csv(alice, "blocks", b"x" * (2 * 1024 * 1024 + 1))
    with pytest.raises(ActionError, match="Unknown kind"):
        archive.import_csv(alice, "passwords", "bob")

    # Mastodon's file saved by a spreadsheet: a byte-order mark, Windows line ends, a header.
    data = (
        "\ufeffAccount address,Show boosts,Notify on new posts,Languages\r\n"
        f"{_addr(bob)},true,false,\r\n"
        f"ghost@{settings.ROSTRA_DOMAIN},true,false,\r\n"
        "someone@nowhere.invalid,true,false,\r\n"
        f"{_addr(alice)},true,false,\r\n"
        "\r\n"
    ).encode()
    result = archive.import_csv(alice, "following", data)
    assert (result.done, result.already, result.failed) == (1, 0, 3)
    assert result.failures[0] == f"line 3 (ghost@{settings.ROSTRA_DOMAIN}): there is no such account here"
    assert result.failures[1].startswith("line 4 (someone@nowhere.invalid): not found")
    assert result.failures[2] == f"line 5 ({_addr(alice)}): You cannot follow yourself."
    assert set(Follow.objects.filter(follower=alice).values_list("target__username", flat=True)) == {"bob", "carol"}

    lists_result = archive.import_csv(alice, "lists", f"Only a name\nClose,{_addr(bob)}\n")
    assert (lists_result.done, lists_result.failed) == (1, 1) and "list's name and an account" in lists_result.failures[0]
    marks = archive.import_csv(alice, "bookmarks", "not a url\nhttp://127.0.0.1:8000/@bob/12345\n")
    assert marks.failed == 2 and not Bookmark.objects.filter(account=alice).exists()


# --- The web pages and the command line ------------------------------------------------------


def test_the_settings_pages_download_the_archive_and_take_uploads(client, alice, bob, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    accounts.follow(alice, bob)
    posts.create_post(alice, "On the record")
    client.force_login(alice.user)

    page = client.get("/settings/export")
    assert page.status_code == 200 and b"/settings/export/archive.zip" in page.content
    assert client.get("/settings/export/archive.zip").status_code == 405  # a button (POST), not a link to follow
    response = client.post("/settings/export/archive.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(zf.read("outbox.json"))["orderedItems"][0]["object"]["source"]["content"] == "On the record"
    following = client.get("/settings/export/following_accounts.csv")
    assert following.status_code == 200 and _addr(bob) in following.content.decode()
    assert client.get("/settings/export/passwords.csv").status_code == 404

    carol = make_user("carol")
    client.force_login(carol.user)
    upload = SimpleUploadedFile("following_accounts.csv", following.content, content_type="text/csv")
    assert client.post("/settings/import", {"kind": "following", "file": upload}).status_code == 302
    assert Follow.objects.filter(follower=carol, target=bob).exists()
    [job] = ArchiveImport.objects.filter(account=carol)
    assert (job.state, job.counts) == ("done", {"done": 1, "already": 0, "failed": 0})
    assert b"1 done" in client.get("/settings/import").content

    bad = client.post("/settings/import", {"kind": "mutes", "file": SimpleUploadedFile("m.csv", b"\xff\xfe\x00")})
    assert bad.status_code == 422 and b"not UTF-8" in bad.content

    items, _ = _story_items()
    path = mastodon_archive(tmp_path / "upload.zip", items[:2])
    with open(path, "rb") as f:
        assert client.post("/settings/import", {"kind": "posts", "file": f}).status_code == 302
    job = ArchiveImport.objects.get(account=carol, kind="posts")
    assert job.state == "done" and job.counts["imported"] == 2
    assert not list((tmp_path / "imports").iterdir())  # the upload is gone once imported
    not_zip = client.post("/settings/import", {"kind": "posts", "file": SimpleUploadedFile("a.zip", b"nope")})
    assert not_zip.status_code == 422 and b"not a zip" in not_zip.content


def _cli(*args, media_root):
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="rostra.settings", PYTHONPATH=os.getcwd(),
        ROSTRA_MEDIA_ROOT=str(media_root), ROSTRA_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    return subprocess.run(
        [sys.executable, "-m", "rostra.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_command_line_exports_and_imports(alice, bob, carol, tmp_path, media_root):
    accounts.follow(alice, bob)
    posts.create_post(alice, "Exported from the command line", media_ids=[posts.upload_media(alice, jpeg_upload()).pk])
    target = tmp_path / "alice.zip"
    done = _cli("export", "alice", str(target), media_root=media_root)
    assert done.returncode == 0, done.stderr
    assert "Wrote" in done.stdout and "1 posts, 1 images" in done.stdout
    with zipfile.ZipFile(target) as zf:
        following = zf.read("following_accounts.csv")
        assert len([n for n in zf.namelist() if n.startswith("media_attachments/files/")]) == 1

    csv_path = tmp_path / "following_accounts.csv"
    csv_path.write_bytes(following + b"nobody@" + settings.ROSTRA_DOMAIN.encode() + b"\n")
    done = _cli("import", "carol", "following", str(csv_path), media_root=media_root)
    assert done.returncode == 0, done.stderr
    assert "following: 1 done, 0 already there, 1 failed." in done.stdout and "no such account" in done.stderr
    assert Follow.objects.filter(follower=carol, target=bob).exists()

    unknown = _cli("export", "nobody", str(tmp_path / "x.zip"), media_root=media_root)
    assert unknown.returncode != 0 and "no account named 'nobody'" in unknown.stderr
    missing = _cli("import", "carol", "blocks", str(tmp_path / "missing.csv"), media_root=media_root)
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    assert list(csv.reader(io.StringIO(following.decode())))[1][0] == _addr(bob)
