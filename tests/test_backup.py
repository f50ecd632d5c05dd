"""`rostra backup` and `rostra restore` as an operator runs them: a live instance moved whole.

The restore target is a scratch database of the suite's engine (a new PostgreSQL database on a
PostgreSQL run, a new SQLite file otherwise), so the same stories run on both.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings

from rostra.accounts.models import Account
from rostra.core.backup import BackupError, backup
from rostra.core.restore import restore
from rostra.moderation.models import ModerationSettings, Screening
from rostra.posts import actions as posts
from rostra.posts.models import Media, Post
from rostra.posts.search import match_posts
from tests.helpers import PASSWORD, eventually, make_user
from tests.images import jpeg_bytes
from tests.server import database_url, start_server, stop_server
from tests.web.conftest import Visitor

BIGGEST_ID = 2**63 - 1


def rostra(*args, env, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "rostra.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def command_env(**changes):
    """The environment of a `rostra` command on this machine, as an operator's shell has it."""
    env = dict(os.environ)
    env.update({"DJANGO_SETTINGS_MODULE": "rostra.settings", "PYTHONPATH": os.getcwd()})
    env.update(changes)
    return {key: value for key, value in env.items() if value is not None}


@pytest.fixture
def scratch():
    """A folder for archives, data and media folders; removed afterwards, archives included."""
    path = Path(tempfile.mkdtemp(prefix="rostra-backup-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class Target:
    """Another machine: an empty database, data folder and media root, named by env vars."""

    url: str
    data: Path
    media: Path

    def folders(self):
        return {"ROSTRA_DATA_DIR": str(self.data), "ROSTRA_MEDIA_ROOT": str(self.media)}

    def env(self):
        # SQLite: no DATABASE_URL, so the database is made in ROSTRA_DATA_DIR as on a fresh install.
        return command_env(DATABASE_URL=None if self.url.startswith("sqlite") else self.url, **self.folders())

    def query(self, sql, params=()):
        if self.url.startswith("sqlite"):
            with sqlite3.connect(self.data / "rostra.sqlite3") as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def target(scratch):
    data, media = scratch / "target-data", scratch / "target-media"
    if connection.vendor != "postgresql":
        yield Target(f"sqlite:///{data / 'rostra.sqlite3'}", data, media)
        return
    import psycopg

    name = f"test_rostra_restore_{os.getpid()}"
    url = database_url().rsplit("/", 1)[0] + "/" + name
    admin = database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    yield Target(url, data, media)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def archive_manifest(path):
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def archive_rows(path, table):
    with tarfile.open(path) as tar:
        return [json.loads(line) for line in tar.extractfile(f"tables/{table}.jsonl")]


class Writer(threading.Thread):
    """Alice posting over HTTP, one post after another, until told to stop."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.visitor = Visitor(server).log_in("alice")
        self.token = self.visitor.csrf("/")
        self.stop = threading.Event()
        self.written = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            response = self.visitor.http.post(
                "/compose",
                data={"text": f"live post number {self.written + 1} #live", "csrfmiddlewaretoken": self.token},
                headers={"Referer": self.visitor.server.url + "/"},
            )
            if response.status_code == 302:
                self.written += 1
            else:
                self.failures.append(response.status_code)

    def finish(self):
        self.stop.set()
        self.join(timeout=30)
        self.visitor.close()


@pytest.mark.server
def test_a_backup_taken_while_people_post_restores_whole_on_another_machine(scratch, target):
    """Posts keep arriving during the backup; the restored instance has every one that existed
    when its snapshot began, its counters agree with its rows, its photo, and alice can sign in."""
    make_user("alice")
    source_data, source_media = scratch / "source-data", scratch / "source-media"
    source = {"ROSTRA_DATA_DIR": str(source_data), "ROSTRA_MEDIA_ROOT": str(source_media)}
    archive = scratch / "instance.tar.gz"
    server = start_server(extra_env=source)
    writer = None
    try:
        photographer = Visitor(server).log_in("alice")
        response = photographer.post_form(
            "/compose", {"text": "a photo before the backup"}, files={"media": ("sea.jpg", jpeg_bytes(), "image/jpeg")}
        )
        assert response.status_code == 302, response.text[:300]
        photographer.close()
        media = Media.objects.get(post__text="a photo before the backup")
        photo, photo_post = media.file.name, media.post_id
        photo_bytes = (source_media / photo).read_bytes()

        writer = Writer(server)
        writer.start()
        eventually(lambda: writer.written >= 3, timeout=30, message="the writer never got going")
        before = set(Post.objects.values_list("id", flat=True))
        written_before = writer.written
        result = rostra("backup", str(archive), env=command_env(DATABASE_URL=database_url(), **source))
        after = set(Post.objects.values_list("id", flat=True))
        assert writer.written > written_before, "nothing was written while the backup ran"
    finally:
        if writer is not None:
            writer.finish()
        stop_server(server)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("Backed up ") and len(result.stdout.strip().splitlines()) == 1
    assert not writer.failures

    manifest = archive_manifest(archive)
    archived = {row["id"] for row in archive_rows(archive, "posts_post")}
    assert before <= archived <= after
    assert {"django_session", "django_tasks_database_dbtaskresult", "oauth2_provider_accesstoken"} <= {
        entry["table"] for entry in manifest["tables"]
    }

    restored = rostra("restore", str(archive), env=target.env())
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert restored.stdout.startswith("Restored ") and len(restored.stdout.strip().splitlines()) == 1

    for entry in manifest["tables"]:
        assert target.query(f'SELECT COUNT(*) FROM "{entry["table"]}"') == [(entry["rows"],)], entry["table"]
    assert {row[0] for row in target.query("SELECT id FROM posts_post")} == archived
    # One snapshot: the counter written in each post's transaction matches the posts.
    [(posts_count, published)] = target.query(
        "SELECT a.posts_count, (SELECT COUNT(*) FROM posts_post p WHERE p.author_id = a.id AND p.state = 'published')"
        " FROM accounts_account a WHERE a.username = 'alice'"
    )
    assert posts_count == published > 0
    assert (target.media / photo).read_bytes() == photo_bytes
    if connection.vendor == "postgresql":
        [(next_id, highest)] = target.query(
            "SELECT nextval(pg_get_serial_sequence('posts_hashtag', 'id')), (SELECT MAX(id) FROM posts_hashtag)"
        )
        assert next_id > highest
    if manifest["secret_key"] == "file":
        assert (target.data / "secret_key").read_bytes() == (source_data / "secret_key").read_bytes()

    moved = start_server(extra_env={"DATABASE_URL": target.url, **target.folders()})
    try:
        alice = Visitor(moved).log_in("alice", PASSWORD)
        assert "live post number" in alice.get("/@alice").text
        first_live = Post.objects.get(text="live post number 1 #live").pk
        for post_id, text in ((photo_post, "a photo before the backup"), (first_live, "live post number 1")):
            page = alice.get(f"/@alice/{post_id}")
            assert page.status_code == 200 and text in page.text
        assert f"/media/{photo}" in alice.get(f"/@alice/{photo_post}").text
        # New rows go on after the restored ones (PostgreSQL's sequences were moved past them).
        assert alice.post_form("/compose", {"text": "safe and sound #moved"}).status_code == 302
        assert "safe and sound" in alice.get("/tags/moved").text
        assert alice.get(f"/media/{photo}").content == photo_bytes
        alice.close()
    finally:
        stop_server(moved)


def _rewrite_manifest(source, destination, change):
    """A copy of an archive with its manifest changed: a backup from some other Rostra."""
    with tarfile.open(source) as old, tarfile.open(destination, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_restore_refuses_what_it_must_with_one_line_and_changes_nothing(scratch):
    make_user("alice")
    (scratch / "data").mkdir()
    (scratch / "data" / "secret_key").write_text("the backed-up instance's key")
    good = scratch / "good.tar.gz"
    with override_settings(MEDIA_ROOT=scratch / "media", DATA_DIR=scratch / "data"):
        backup(good, progress=False)
    data = good.read_bytes()
    (scratch / "truncated.tar.gz").write_bytes(data[: len(data) // 2])
    (scratch / "garbage.tar.gz").write_bytes(b"GIF89a" + os.urandom(2000))
    with tarfile.open(scratch / "other.tar.gz", "w:gz") as other:
        other.add(Path(__file__), arcname="notes.txt")
    _rewrite_manifest(good, scratch / "future.tar.gz", lambda m: m["migrations"].append("posts.9999_from_the_future"))

    # As an operator meets them: `rostra restore` says why in one line and exits with 1.
    here = command_env(DATABASE_URL=database_url(), ROSTRA_DATA_DIR=str(scratch / "here"))
    elsewhere = command_env(
        DATABASE_URL=None, ROSTRA_DATA_DIR=str(scratch / "new"), ROSTRA_MEDIA_ROOT=str(scratch / "new-media")
    )
    cases = [
        ("good.tar.gz", here, "already has 1 account "),
        ("truncated.tar.gz", elsewhere, "is damaged or incomplete"),
        ("garbage.tar.gz", elsewhere, "is not a Rostra backup"),
    ]
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "rostra.cli", "restore", str(scratch / name)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, env, _ in cases
    ]
    for (name, _, expected), process in zip(cases, running):
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 1, (name, stderr[-2000:])
        assert stderr.startswith("rostra restore: ") and len(stderr.strip().splitlines()) == 1, (name, stderr)
        assert expected in stderr, (name, stderr)
        assert not stdout
    assert Account.objects.filter(username="alice").exists()
    assert not (scratch / "new-media").exists()

    # The same checks, cheaper in this process: each refuses before anything is changed.
    (scratch / "elsewhere").mkdir()
    (scratch / "elsewhere" / "secret_key").write_text("another instance's key")
    refusals = [
        ("other.tar.gz", "is not a Rostra backup"),
        ("future.tar.gz", "lacks its migration posts.9999_from_the_future"),
        ("missing.tar.gz", "does not exist"),
    ]
    if "ROSTRA_SECRET_KEY" not in os.environ:  # else the backup holds no key file
        refusals.append(("good.tar.gz", "holds a different secret key"))
    with override_settings(MEDIA_ROOT=scratch / "new-media", DATA_DIR=scratch / "elsewhere"):
        for name, expected in refusals:
            with pytest.raises(BackupError) as refused:
                restore(scratch / name, progress=False)
            assert expected in str(refused.value) and "\n" not in str(refused.value), (name, refused.value)
    assert Account.objects.filter(username="alice").exists()
    assert (scratch / "elsewhere" / "secret_key").read_text() == "another instance's key"


def _every_row():
    """Every row of every table Django knows, as the ORM reads it, for comparing before and after."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [field.attname for field in model._meta.concrete_fields]
        rows[model._meta.db_table] = sorted(model._base_manager.values_list(*names), key=repr)
    return rows


def test_tricky_values_come_back_exactly(scratch):
    """Emoji, HTML, nulls, JSON, booleans, the largest 64-bit ID and far dates survive the trip."""
    alice = make_user("alice", display_name="Ålice 🦊‍🔥", bio="<b>bold</b> & <script>x</script>")
    Account.objects.filter(pk=alice.pk).update(
        links=[["home 🏠", 'https://example.org/?a=1&b="2"'], ["", None]],
        notifications_seen_id=BIGGEST_ID,
        locked=True,
        verified=True,
        suspended_until=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    )
    text = "Family 👩‍👩‍👧‍👦 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 <script>alert('x')</script> & \"quotes\" \\ backslash\nnew line\ttab \u2028 end"
    post = posts.create_post(alice, text, spoiler_text="cw: <i>spoilers</i> ✨", rate_limit=False)
    Post.objects.create(
        id=BIGGEST_ID,
        author=alice,
        text="the last ID there is",
        state="published",
        sensitive=True,
        thread_root_id=-(2**63),
        created_at=datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        edited_at=None,
    )
    Screening.objects.create(
        post_id=BIGGEST_ID,
        decision="publish",
        scores={"violence": 0.1234567890123, "nested": {"list": [1, "two", None, True, False, 2**62]}, "é": -0.5},
        flags=[],
        rules=[3, 1, 2],
    )
    ModerationSettings.objects.update_or_create(pk=1, defaults={"thresholds": {}, "reject_at": {"spam": 0.99}})
    before = _every_row()
    archive = scratch / "tricky.tar.gz"
    with override_settings(MEDIA_ROOT=scratch / "media", DATA_DIR=scratch / "data"):
        backup(archive, progress=False)
        result = restore(archive, force=True, progress=False)
    assert result.rows == sum(len(rows) for rows in before.values())
    assert _every_row() == before
    restored = Post.objects.get(pk=post.pk)
    assert restored.text == text and restored.spoiler_text == "cw: <i>spoilers</i> ✨"
    assert Post.objects.get(pk=BIGGEST_ID).created_at.microsecond == 1
    # What is not a model came back too: the post is found by a word of its text.
    assert list(match_posts(Post.objects.all(), "backslash").values_list("pk", flat=True)) == [post.pk]
