"""An account's archive: everything it owns, in the files Mastodon's own archive and exports use.

The zip holds ``actor.json`` (the Person), ``outbox.json`` (one Create per post, every
visibility, oldest first; plain echoes as Announce), ``likes.json`` and ``bookmarks.json``,
the avatar, header and post images, and the CSV files Mastodon's import page reads. Being
Mastodon's shapes is the point: a person who leaves takes their follows, blocks, mutes,
lists and bookmarks to any Mastodon-compatible server, and tools made for Mastodon archives
read this one.

It is written as a stream (``archive_chunks``), in batches of rows, so an account with
100,000 posts is never all in memory, and a download starts at once instead of after the
whole zip is built.
"""

import csv
import io
import json
import logging
import time
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.db.models import Max

from rostra.core.errors import ActionError

from .models import Block, Follow, FollowRequest, Mute

logger = logging.getLogger(__name__)

BATCH = 500
MEDIA_FOLDER = "media_attachments/files"
# The CSV files of Mastodon's export page, by the kind of import that reads them back.
CSV_FILES = {
    "following": "following_accounts.csv",
    "blocks": "blocked_accounts.csv",
    "mutes": "muted_accounts.csv",
    "bookmarks": "bookmarks.csv",
    "lists": "lists.csv",
}
CSV_HEADERS = {
    "following": ["Account address", "Show boosts", "Notify on new posts", "Languages"],
    "mutes": ["Account address", "Hide notifications"],
}


def address(account):
    """``user@server`` for anyone, here or elsewhere: what Mastodon's CSV files hold."""
    return f"{account.username}@{account.domain or settings.ROSTRA_DOMAIN}"


class Exported:
    """What an export wrote, for the command line's summary."""

    def __init__(self):
        self.posts = self.media = self.missing = self.bytes = 0

    def summary(self):
        missing = f", {self.missing} image files missing from storage" if self.missing else ""
        return f"{self.posts} posts, {self.media} images{missing}, {self.bytes / 1048576:.1f} MB"


# --- CSV files ---------------------------------------------------------------------------


def _keyset(qs, batch=BATCH):
    """Rows of ``qs`` in primary-key order, ``batch`` at a time: memory stays flat, and no
    cursor is held open between batches."""
    after = None
    while True:
        page = qs if after is None else qs.filter(pk__gt=after)
        rows = list(page.order_by("pk")[:batch])
        if not rows:
            return
        yield from rows
        after = rows[-1].pk


def csv_rows(account, kind):
    """The rows of one CSV file (header first, where Mastodon writes one)."""
    from rostra.federation import uris
    from rostra.posts.models import Bookmark
    from rostra.timelines.models import ListMember

    if kind not in CSV_FILES:
        raise ActionError(f"Unknown export {kind!r}.", status=404)
    if kind in CSV_HEADERS:
        yield CSV_HEADERS[kind]
    if kind == "following":
        # Requests still waiting (a server elsewhere has not answered yet) are follows the
        # person asked for: importing them elsewhere asks again.
        for model in (Follow, FollowRequest):
            for row in _keyset(model.objects.filter(follower=account).select_related("target")):
                yield [address(row.target), "true", "false", ""]
    elif kind == "blocks":
        for row in _keyset(Block.objects.filter(account=account).select_related("target")):
            yield [address(row.target)]
    elif kind == "mutes":
        for row in _keyset(Mute.objects.filter(account=account).select_related("target")):
            yield [address(row.target), "true"]
    elif kind == "bookmarks":
        for row in _keyset(Bookmark.objects.filter(account=account).select_related("post__author")):
            yield [uris.post(row.post)]
    elif kind == "lists":
        # Members the owner no longer follows are not shown by the list, so not exported.
        followed = Follow.objects.filter(follower=account).values("target_id")
        members = ListMember.objects.filter(list__account=account, account_id__in=followed)
        for row in _keyset(members.select_related("list", "account")):
            yield [row.list.title, address(row.account)]


def _csv_line(row):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue()


def export_csv(account, kind):
    """One CSV file as text, for a single-file download."""
    return "".join(_csv_line(row) for row in csv_rows(account, kind))


# --- The zip -----------------------------------------------------------------------------


class _Pipe:
    """A write-only file for ``zipfile`` that keeps what it is given until it is taken.

    Having no ``seek``, it makes ``zipfile`` write a streamable zip (sizes after each
    member's data), so the archive can go out over HTTP while it is being made.
    """

    def __init__(self):
        self.parts = []
        self.size = 0

    def write(self, data):
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts = []
        self.size = 0
        return data


def _member(name, compress=True):
    info = zipfile.ZipInfo(name, time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _media_name(item):
    """The file name an image has in the archive (its stored name is already random)."""
    return PurePosixPath(item.file.name).name


def _image_name(kind, field):
    return f"{kind}{PurePosixPath(field.name).suffix.lower() or '.jpg'}"


def _actor_document(account):
    from rostra.federation import render
    from rostra.federation.keys import local_actor

    doc = render.with_context(render.person(account, local_actor(account)))
    # The Person as others see it, public key included; the private key is never read here.
    doc.pop("privateKey", None)
    # Archive-relative images, as Mastodon writes them.
    if "icon" in doc and account.avatar:
        doc["icon"] = {**doc["icon"], "url": _image_name("avatar", account.avatar)}
    if "image" in doc and account.header:
        doc["image"] = {**doc["image"], "url": _image_name("header", account.header)}
    return doc


def _own_posts(account, upto):
    """(post, mentioned accounts, media) of everything the account wrote, oldest first."""
    from rostra.posts.models import Media, Mention, Post

    qs = Post.objects.filter(author=account, pk__lte=upto).select_related(
        "author", "in_reply_to__author", "echo_of__author"
    )
    after = 0
    while True:
        batch = list(qs.filter(pk__gt=after).order_by("pk")[:BATCH])
        if not batch:
            return
        ids = [p.pk for p in batch]
        media, mentioned = {}, {}
        for item in Media.objects.filter(post_id__in=ids).exclude(file="").order_by("position", "id"):
            media.setdefault(item.post_id, []).append(item)
        for mention in Mention.objects.filter(post_id__in=ids).select_related("account"):
            mentioned.setdefault(mention.post_id, []).append(mention.account)
        for post in batch:
            yield post, mentioned.get(post.pk, []), media.get(post.pk, [])
        after = batch[-1].pk


def _activity(post, mentioned, media):
    """The outbox entry of one post: a Create of its Note, or an Announce of a plain echo."""
    from rostra.federation import render, uris

    if post.is_plain_echo:
        doc = render.announce(post, uris.post(post.echo_of))
    else:
        note = render.note(post, mentioned, media)
        for attachment, item in zip(note["attachment"], media):
            attachment["url"] = f"{MEDIA_FOLDER}/{_media_name(item)}"
        doc = render.create(post, note)
    doc.pop("@context", None)  # the collection carries it once
    return doc


def _collection_head(name, total):
    from rostra.federation import render

    head = json.dumps(render.collection(name, total), ensure_ascii=False)
    return head[:-1] + ',"orderedItems":['


def archive_chunks(account, progress=None, stats=None, keep_alive=None):
    """The archive of ``account`` as a zip, in pieces of bytes as they are made.

    ``progress(done, total)`` counts posts and image files; ``stats`` (an ``Exported``)
    is filled in as it goes; ``keep_alive()`` is called between batches (the web view
    keeps its one-export-at-a-time lock alive with it).
    """
    for chunk in _chunks(account, progress, stats if stats is not None else Exported(), keep_alive):
        if chunk:
            yield chunk


def _chunks(account, progress, stats, keep_alive):
    from rostra.federation import uris
    from rostra.posts.models import Bookmark, Media, Post, Vote

    pipe = _Pipe()
    zf = zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    upto = Post.objects.filter(author=account).aggregate(last=Max("pk"))["last"] or 0
    own = Post.objects.filter(author=account, pk__lte=upto)
    images = Media.objects.filter(post__author=account, post_id__lte=upto).exclude(file="")
    total_posts, total_media = own.count(), images.count()
    total = total_posts + total_media
    done = 0

    def tick():
        if progress is not None:
            progress(done, total)
        if keep_alive is not None:
            keep_alive()

    def out(chunk_min=0):
        if pipe.size > chunk_min:
            data = pipe.take()
            stats.bytes += len(data)
            return data
        return b""

    zf.writestr(_member("actor.json"), json.dumps(_actor_document(account), ensure_ascii=False, indent=2))
    for kind, field in (("avatar", account.avatar), ("header", account.header)):
        if field:
            try:
                with field.storage.open(field.name, "rb") as f:
                    zf.writestr(_member(_image_name(kind, field), compress=False), f.read())
            except OSError:
                logger.warning("The %s of %s is missing from storage", kind, account.handle)
                stats.missing += 1
    yield out()

    with zf.open(_member("outbox.json"), "w", force_zip64=True) as f:
        f.write(_collection_head("outbox.json", total_posts).encode())
        first = True
        for post, mentioned, media in _own_posts(account, upto):
            f.write(((",\n" if not first else "\n") + json.dumps(_activity(post, mentioned, media), ensure_ascii=False)).encode())
            first = False
            done += 1
            stats.posts += 1
            if done % BATCH == 0:
                tick()
                yield out()
            else:
                chunk = out(1 << 16)
                if chunk:
                    yield chunk
        f.write(b"\n]}")
    tick()
    yield out()

    for name, qs in (
        ("likes.json", Vote.objects.filter(account=account).select_related("post__author")),
        ("bookmarks.json", Bookmark.objects.filter(account=account).select_related("post__author")),
    ):
        with zf.open(_member(name), "w", force_zip64=True) as f:
            f.write(_collection_head(name, qs.count()).encode())
            for i, row in enumerate(_keyset(qs)):
                f.write(((",\n" if i else "\n") + json.dumps(uris.post(row.post))).encode())
                chunk = out(1 << 16)
                if chunk:
                    yield chunk
            f.write(b"\n]}")
        yield out()

    written = set()
    for item in _keyset(images.only("id", "file")):
        name = _media_name(item)
        done += 1
        if name in written:
            continue
        written.add(name)
        try:
            with item.file.storage.open(item.file.name, "rb") as src:
                data = src.read()
        except OSError:
            logger.warning("Image %s of %s is missing from storage", item.file.name, account.handle)
            stats.missing += 1
            continue
        zf.writestr(_member(f"{MEDIA_FOLDER}/{name}", compress=False), data)
        stats.media += 1
        if done % 20 == 0:
            tick()
        yield out()
    tick()

    for kind, name in CSV_FILES.items():
        with zf.open(_member(name), "w") as f:
            for row in csv_rows(account, kind):
                f.write(_csv_line(row).encode())
                chunk = out(1 << 16)
                if chunk:
                    yield chunk
        yield out()
    zf.close()
    yield out()


def export_archive(account, fileobj, progress=None):
    """Write ``account``'s archive to ``fileobj`` as a zip; returns what was written (``Exported``)."""
    stats = Exported()
    for chunk in archive_chunks(account, progress=progress, stats=stats):
        if chunk:
            fileobj.write(chunk)
    return stats
