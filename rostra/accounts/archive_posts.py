"""The posts of a Mastodon archive, brought here with their dates: Mastodon itself cannot.

Each of the archive's own posts goes through ``create_post`` like anything written here
(screened, counted, shown), quietly: nobody is notified and nothing is sent to other
servers, since it is not news. The original ids are remembered (``ImportedPost``), so
importing the same archive again adds nothing.

The zip is read defensively: refused whole (ActionError) when it is not a zip, has a member
that would land outside its folder, is encrypted, or unpacks to more than 2 GB (sizes are
summed before anything is decompressed); outbox.json is read as a stream, one post at a
time, so neither a huge outbox nor a lying header can fill the memory.
"""

import io
import json
import logging
import re
import zipfile
from datetime import timezone as dt_timezone
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rostra.core.errors import ActionError

from .archive_import import ImportResult
from .models import ImportedPost

logger = logging.getLogger(__name__)

MAX_ARCHIVE_BYTES = 2 * 1024**3  # uncompressed, all members together
MAX_ARCHIVE_MEMBERS = 500_000
MAX_ACTOR_BYTES = 1024 * 1024
MAX_ITEM_CHARS = 32 * 1024 * 1024  # one post of the outbox (a post is a few kilobytes)
MAX_ID_LENGTH = 500
PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
NOTE_TYPES = {"Note", "Article"}
ELLIPSIS = "…"


def _safe_name(name):
    """False for a member that would land outside the archive's folder if unpacked."""
    name = name.replace("\\", "/")
    return not (
        name.startswith("/")
        or re.match(r"^[A-Za-z]:", name)
        or "\x00" in name
        or any(part == ".." for part in name.split("/"))
    )


def _size(n):
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1048576:.1f} MB"


def _check_entry_count(source):
    """Refuse a zip listing too many files before ``zipfile`` reads the list: it keeps one
    object per entry, and a small file can list millions."""
    end_record = getattr(zipfile, "_EndRecData", None)  # private; the check is skipped without it
    if end_record is None:
        return
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        with open(source, "rb") as f:
            record = end_record(f)
    else:
        position = source.tell()
        record = end_record(source)
        source.seek(position)
    if record and record[zipfile._ECD_ENTRIES_TOTAL] > MAX_ARCHIVE_MEMBERS:
        raise ActionError(f"That archive has more than {MAX_ARCHIVE_MEMBERS:,} files.", status=413, field="file")


class Archive:
    """An opened Mastodon archive, checked: a zip, no member outside its folder, no member
    encrypted, bounded in size before anything is decompressed."""

    def __init__(self, source):
        try:
            _check_entry_count(source)
            self.zip = zipfile.ZipFile(source)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise ActionError("That file is not a zip archive, or it is damaged.", status=422, field="file") from None
        try:
            self._check(infos)
        except ActionError:
            self.zip.close()
            raise

    def _check(self, infos):
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise ActionError(f"That archive has more than {MAX_ARCHIVE_MEMBERS:,} files.", status=413, field="file")
        for info in infos:
            if not _safe_name(info.filename):
                raise ActionError(
                    f"That archive has a file that points outside it ({info.filename[:100]!r}); it was not read.",
                    status=422, field="file",
                )
            if info.flag_bits & 0x1:
                raise ActionError("That archive is encrypted; export it again without a password.", status=422, field="file")
        size = sum(info.file_size for info in infos)
        if size > MAX_ARCHIVE_BYTES:
            raise ActionError(
                f"That archive holds {_size(size)} once unpacked; at most {_size(MAX_ARCHIVE_BYTES)} can be imported.",
                status=413, field="file",
            )
        self.members = {info.filename.replace("\\", "/"): info for info in infos if not info.is_dir()}
        outboxes = sorted(
            (name for name in self.members if PurePosixPath(name).name == "outbox.json" and name.count("/") <= 1),
            key=lambda name: name.count("/"),
        )
        if not outboxes:
            raise ActionError(
                "That zip is not a Mastodon archive: it has no outbox.json. "
                "Download the archive from your old server's export page and upload it as it came.",
                status=422, field="file",
            )
        # An archive unpacked and zipped again has everything one folder down.
        self.base = outboxes[0][: -len("outbox.json")]
        self.outbox = self.members[outboxes[0]]

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def read(self, name, limit):
        """A member's bytes, or None when it is missing or bigger than ``limit``."""
        info = self.members.get(name)
        if info is None or info.file_size > limit:
            return None
        with self.zip.open(info) as f:
            data = f.read(limit + 1)
        return data if len(data) <= limit else None

    def find(self, url):
        """The member an attachment's URL names: archive-relative (``media_attachments/...``,
        as Mastodon writes it), with a leading ``/`` or ``/system/``, or a full URL."""
        path = unquote(urlsplit(url).path if "://" in url else url).lstrip("/")
        candidates = [path, path.removeprefix("system/")]
        if "media_attachments/" in path:
            candidates.append(path[path.index("media_attachments/"):])
        for candidate in candidates:
            for name in (self.base + candidate, candidate):
                if name in self.members and _safe_name(name):
                    return name
        return None

    def actor(self):
        """The archive's ``actor.json``, or {} when it has none (or it cannot be read)."""
        try:
            data = self.read(self.base + "actor.json", MAX_ACTOR_BYTES)
            doc = json.loads(data) if data else {}
        except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def outbox_items(self):
        """An ``OutboxReader`` over outbox.json (a context manager)."""
        return OutboxReader(io.TextIOWrapper(self.zip.open(self.outbox), encoding="utf-8-sig"))


class OutboxReader:
    """The items of outbox.json's ``orderedItems``, one at a time, read from a stream.

    An outbox of 100,000 posts is hundreds of megabytes; it is never all in memory. The
    top-level object is walked key by key (``json``'s own decoder does each value); values
    before ``orderedItems`` are kept in ``head`` (Mastodon writes ``totalItems`` there), and
    the array's items are handed out as they are decoded.
    """

    CHUNK = 1 << 20

    def __init__(self, stream):
        self.stream = stream
        self.buf, self.pos, self.eof = "", 0, False
        self.head = {}
        self._decoder = json.JSONDecoder()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()

    def _more(self, at_least=0):
        if self.eof:
            return False
        data = self.stream.read(max(self.CHUNK, at_least))
        if not data:
            self.eof = True
            return False
        if self.pos > self.CHUNK:
            self.buf, self.pos = self.buf[self.pos:], 0
        self.buf += data
        return True

    def _peek(self):
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _expect(self, char):
        if self._peek() != char:
            raise ValueError(f"expected {char!r} at character {self.pos}")
        self.pos += 1

    def _value(self):
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                # Perhaps only cut off by the end of what was read: read as much again.
                if len(self.buf) - self.pos > MAX_ITEM_CHARS:
                    raise ValueError(f"an item is longer than {MAX_ITEM_CHARS // 1048576} MB") from None
                if self._more(len(self.buf) - self.pos):
                    continue
                raise
            if end == len(self.buf) and self._more():
                continue  # a number may go on in the next piece
            self.pos = end
            return value

    def start(self):
        """Read up to the first item; ValueError if this is no outbox with ``orderedItems``."""
        self._expect("{")
        while True:
            if self._peek() == "}":
                raise ValueError("there is no orderedItems list")
            key = self._value()
            if not isinstance(key, str):
                raise ValueError("not a JSON object")
            self._expect(":")
            if key == "orderedItems":
                self._expect("[")
                return self
            self.head[key] = self._value()
            if self._peek() == ",":
                self.pos += 1

    def __iter__(self):
        if self._peek() == "]":
            return
        while True:
            yield self._value()
            char = self._peek()
            self.pos += 1
            if char == "]":
                return
            if char != ",":
                raise ValueError(f"expected ',' or ']' at character {self.pos}")


def check_archive(source):
    """Refuse (ActionError) what is not a Mastodon archive before it is queued for import."""
    with Archive(source) as archive, _open_outbox(archive):
        pass


def _open_outbox(archive):
    reader = None
    try:
        reader = archive.outbox_items()
        reader.start()
    except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        if reader is not None:
            reader.stream.close()
        raise ActionError(
            f"That zip is not a Mastodon archive: its outbox.json cannot be read ({str(exc)[:120]}).",
            status=422, field="file",
        ) from None
    return reader


def _id_of(value):
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _as_list(value):
    if value is None:
        return []
    return [_id_of(v) for v in (value if isinstance(value, list) else [value]) if _id_of(v)]


def _listed(value):
    """The dicts of a property that may be one object or a list of them."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]


def _url_of(value):
    """An attachment's URL: a string, a Link object (``href``), or a list of either."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            return item
        if isinstance(item, dict) and isinstance(item.get("href"), str):
            return item["href"]
    return None


def _is_image(attachment, url):
    kind = attachment.get("mediaType")
    if isinstance(kind, str) and kind:
        return kind.startswith("image/")
    return attachment.get("type") == "Image" or bool(re.search(r"\.(jpe?g|png|gif|webp)$", url, re.IGNORECASE))


def _visibility(note, activity, followers):
    from rostra.posts.models import Visibility

    to = _as_list(note.get("to")) or _as_list(activity.get("to"))
    cc = _as_list(note.get("cc")) or _as_list(activity.get("cc"))
    if PUBLIC & set(to):
        return Visibility.PUBLIC
    if PUBLIC & set(cc):
        return Visibility.UNLISTED
    if any(uri == followers or uri.endswith("/followers") for uri in to + cc):
        return Visibility.FOLLOWERS
    return Visibility.DIRECT


def _cut(text, limit):
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _full_mentions(text, note):
    """``@bob`` as Mastodon shows someone on its own server becomes ``@bob@their.server``:
    here a bare ``@bob`` is someone else (and would be told of a direct message)."""
    for tag in _listed(note.get("tag")):
        if tag.get("type") != "Mention":
            continue
        name, href = tag.get("name"), tag.get("href")
        if not isinstance(name, str) or not isinstance(href, str) or name.count("@") != 1 or not name.startswith("@"):
            continue
        host = urlsplit(href).netloc
        if not host:
            continue
        text = re.sub(rf"(?<![\w@]){re.escape(name)}(?![\w@])", f"{name}@{host}", text)
    return text


def _text_of(note):
    from rostra.core.html import clean_text, html_to_text

    source = note.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str) and source.get("content").strip():
        text = source["content"]
    else:
        content = note.get("content")
        if not isinstance(content, str):
            content_map = note.get("contentMap")
            content = next(iter(content_map.values()), "") if isinstance(content_map, dict) and content_map else ""
        text = html_to_text(content if isinstance(content, str) else "")
        text = _full_mentions(text, note)
    return clean_text(text).strip()


def _language(note):
    content_map = note.get("contentMap")
    if isinstance(content_map, dict) and len(content_map) == 1:
        language = next(iter(content_map))
        return language if isinstance(language, str) else ""
    return ""


def _published(note, activity):
    for value in (note.get("published"), activity.get("published")):
        if isinstance(value, str):
            try:
                moment = parse_datetime(value.strip())
            except ValueError:
                moment = None
            if moment is not None:
                if timezone.is_naive(moment):
                    moment = moment.replace(tzinfo=dt_timezone.utc)
                return min(moment, timezone.now())
    return None


class _PostImport:
    """One run of ``import_posts``: the archive, the account, and what went in so far."""

    def __init__(self, account, archive, result):
        from rostra.core.models import InstanceSettings

        self.account, self.archive, self.result = account, archive, result
        instance = InstanceSettings.current()
        self.max_length, self.max_media = instance.max_post_length, instance.max_media_per_post
        actor = archive.actor()
        self.actor_id = _id_of(actor.get("id"))
        self.followers = _id_of(actor.get("followers")) or ""
        self.imported = {}  # original id -> new post's id, this run (ids only: 100,000 posts fit)

    def parent(self, original):
        """The new post an answer answers, if that post was imported (this run or before)."""
        from rostra.posts.models import Post

        if not original:
            return None
        post_id = self.imported.get(original)
        if post_id is None:
            post_id = ImportedPost.objects.filter(account=self.account, original_id=original).values_list("post_id", flat=True).first()
        return Post.objects.filter(pk=post_id).select_related("author").first() if post_id else None

    def media(self, note, where):
        """Uploads of the note's images from the archive, stripped like any upload."""
        from rostra.posts import actions as posts

        uploaded = []
        for attachment in _listed(note.get("attachment")):
            url = _url_of(attachment.get("url"))
            label = (url or "?").rsplit("/", 1)[-1][:80]
            if not url or not _is_image(attachment, url):
                self.result.note(where, f"attachment {label} left out: only images are imported")
                continue
            if len(uploaded) >= self.max_media:
                self.result.note(where, f"attachment {label} left out: posts here have at most {self.max_media} images")
                continue
            name = self.archive.find(url)
            if name is None:
                self.result.note(where, f"attachment {label} left out: it is not in the archive")
                continue
            try:
                data = self.archive.read(name, settings.ROSTRA_MEDIA_MAX_BYTES)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                data = None
            if data is None:
                self.result.note(where, f"attachment {label} left out: it is too big or damaged")
                continue
            description = attachment.get("name") if isinstance(attachment.get("name"), str) else ""
            try:
                uploaded.append(posts.upload_media(self.account, ContentFile(data, name=label), description=description[:1500]))
            except ActionError as exc:
                self.result.note(where, f"attachment {label} left out: {exc.message}")
        return uploaded

    def one(self, activity, number, done_before):
        """Import one outbox item; returns the counter it adds to."""
        from rostra.posts import actions as posts
        from rostra.posts.models import PostState

        if not isinstance(activity, dict) or activity.get("type") != "Create":
            return "skipped"  # Announces (boosts of others' posts), Likes, anything else
        note = activity.get("object")
        if not isinstance(note, dict) or not ({note.get("type")} & NOTE_TYPES):
            return "skipped"
        actor = _id_of(activity.get("actor"))
        if self.actor_id is None:
            self.actor_id = actor
        author = _id_of(note.get("attributedTo")) or actor
        if actor != self.actor_id or author != self.actor_id:
            return "skipped"  # someone else's post
        original = _id_of(note)
        where = f"post {original or number}"
        if not original or len(original) > MAX_ID_LENGTH:
            self.result.fail(where, "it has no usable id")
            return None
        if original in self.imported or original in done_before:
            return "skipped"
        published = _published(note, activity)
        if published is None:
            self.result.fail(where, "it has no date")
            return None
        text = _cut(_text_of(note), self.max_length)
        summary = note.get("summary")
        spoiler = _cut(summary.strip(), posts.MAX_SPOILER_LENGTH) if isinstance(summary, str) else ""
        media = self.media(note, where)
        if not text and not media:
            self.result.fail(where, "nothing is left of it to import (no text, no readable image)")
            return None
        try:
            with transaction.atomic():
                post = posts.create_post(
                    self.account,
                    text,
                    spoiler_text=spoiler,
                    sensitive=bool(note.get("sensitive")),
                    visibility=_visibility(note, activity, self.followers),
                    in_reply_to=self.parent(_id_of(note.get("inReplyTo"))),
                    media_ids=[item.pk for item in media],
                    language=_language(note),
                    rate_limit=False,
                    created_at=published,
                    imported=True,
                )
                ImportedPost.objects.create(account=self.account, post=post, original_id=original)
        except IntegrityError:
            posts.discard_media(self.account, [item.pk for item in media])
            return "skipped"  # another import of the same archive got there first
        except ActionError as exc:
            posts.discard_media(self.account, [item.pk for item in media])
            self.result.fail(where, exc.message)
            return None
        self.imported[original] = post.pk
        if post.state != PostState.PUBLISHED:
            self.result.add("held")
        return "imported"


def import_posts(account, source, progress=None):
    """Import the posts of a Mastodon archive (a zip's path or file) into ``account``.

    Each Create of a Note by the archive's own actor becomes a post with its original date,
    text, content warning, visibility and images; an answer stays an answer when the post
    it answers was imported too, and is a post of its own otherwise. Boosts and other
    people's posts are skipped, and so is what an earlier import of the archive brought.
    ``progress(done, total)`` is called as items go by (total from ``totalItems``, or None).
    """
    if account.is_suspended:
        raise ActionError("Your account is suspended; posts cannot be imported now.", status=403)
    result = ImportResult("posts")
    with Archive(source) as archive:
        job = _PostImport(account, archive, result)
        done_before = set(ImportedPost.objects.filter(account=account).values_list("original_id", flat=True))
        with _open_outbox(archive) as items:
            total = items.head.get("totalItems")
            total = total if isinstance(total, int) and total >= 0 else None
            number = 0
            try:
                for number, activity in enumerate(items, 1):
                    try:
                        key = job.one(activity, number, done_before)
                    except Exception:  # one post must never end the import
                        logger.exception("Import of posts for %s: item %s failed", account.handle, number)
                        result.fail(f"item {number}", "an unexpected error; this post was not imported")
                        key = None
                    if key:
                        result.add(key)
                    if progress is not None:
                        progress(number, max(total, number) if total is not None else None)
            except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                result.fail(
                    f"outbox.json after item {number}",
                    f"the file is damaged from here on ({str(exc)[:120]}); what came before was imported",
                )
    return result
