"""``rostra backup``: the whole instance in one archive, read while it keeps running.

Parler could not move when its host let it go. A Rostra community can: this writes every
table Django knows, the uploaded media and the generated secret key into one tar.gz that
``rostra restore`` (``rostra.core.restore``) brings up on another machine, on SQLite or on
PostgreSQL, whichever the backup came from. The archive holds, in this order:

    manifest.json          format, Rostra version, engine, domain, applied migrations and,
                           per table, its columns and row count
    secret_key             the generated key file (absent when ROSTRA_SECRET_KEY is set)
    tables/<table>.jsonl   one JSON object per row, keyed by column name
    media/...              every file under MEDIA_ROOT

Every table is read inside one snapshot (a REPEATABLE READ read-only transaction on
PostgreSQL, one read transaction on SQLite in WAL mode), so the archive is the database as it
was at one instant however many posts are written meanwhile, and nobody waits for it. Media
files are copied after the snapshot: files are only ever added (or deleted with their rows),
so every file a row in the snapshot names is already on disk.
"""

import base64
import datetime
import decimal
import io
import json
import os
import stat
import tarfile
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.migrations.loader import MigrationLoader
from tqdm import tqdm

import rostra

FORMAT = "rostra-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_KEY = "secret_key"
TABLES = "tables/"
MEDIA = "media/"
# Rows per fetch and per insert: a 1M-row table never sits in memory.
BATCH = 2000
# Spooled table files stay in memory up to this size, then go to a temporary file.
SPOOL_BYTES = 16 * 1024 * 1024
# Media files up to this size are read whole, so one that changes while copied cannot
# leave a member shorter than its header says.
WHOLE_FILE_BYTES = 64 * 1024 * 1024
ENGINES = ("sqlite", "postgresql")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in one line, for operators."""


def first_line(exc):
    """An exception's message as one line, for a BackupError that quotes it."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def progress_bar(enabled, **kwargs):
    """A tqdm bar on stderr, drawn only on a terminal (a cron job's log gets the summary line)."""
    return tqdm(disable=None if enabled else True, leave=False, dynamic_ncols=True, **kwargs)


# --- Values ------------------------------------------------------------------------------


def _jsonable(value):
    """What JSON has no type for, in a form ``restore.decoder`` turns back by the field's type."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime.timedelta):
        return value // datetime.timedelta(microseconds=1)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} to a backup")


def encode_row(row):
    """One JSON line for a row (a dict of column to value)."""
    try:
        return orjson.dumps(row, default=_jsonable) + b"\n"
    except orjson.JSONEncodeError:
        # orjson refuses strings with lone surrogates, which SQLite can hold; the standard
        # library escapes them and still writes valid JSON.
        return json.dumps(row, default=_jsonable, separators=(",", ":")).encode() + b"\n"


# --- Schema ------------------------------------------------------------------------------


def models_of(state_apps):
    """The model of every table in ``state_apps``, auto-created many-to-many tables included.

    Found from the migrations rather than from a list, so a table another app adds later
    (federation's, say) is in the next backup without anyone remembering to add it.
    """
    by_table = {}
    for model in state_apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped or meta.db_table in by_table:
            continue
        by_table[meta.db_table] = model
    return [by_table[name] for name in sorted(by_table)]


def leaf_migrations(graph, keys):
    """The fewest migrations whose state (with everything they depend on) is all of ``keys``."""
    keys = set(keys)
    return sorted(key for key in keys if not any(child.key in keys for child in graph.node_map[key].children))


def stored_fields(model):
    """The columns a row is made of; generated columns are the database's to compute."""
    return [field for field in model._meta.concrete_fields if not getattr(field, "generated", False)]


def table_entry(model, rows):
    meta = model._meta
    return {
        "table": meta.db_table,
        "model": meta.label_lower,
        "file": f"{TABLES}{meta.db_table}.jsonl",
        "columns": [field.column for field in stored_fields(model)],
        "rows": rows,
    }


# --- The snapshot ------------------------------------------------------------------------


@contextmanager
def snapshot(connection):
    """One consistent view of every table for the reads inside, without blocking writers.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction sees the database as of its first
    query. SQLite in WAL mode: a deferred BEGIN, whose first SELECT fixes the snapshot; not
    Django's ``atomic()``, which here begins IMMEDIATE and would stop every writer meanwhile.
    """
    if connection.vendor not in ENGINES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")
    # A health check or first connection runs a query; it must not be the snapshot's first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    with connection.cursor() as cursor:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            # Only WAL lets writers go on while a reader holds a snapshot open.
            raise BackupError(f"the SQLite database is in {mode} mode, not WAL; start Rostra once to switch it")
        cursor.execute("BEGIN")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


# --- Backup ------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    files: int
    media_bytes: int
    vanished: int
    seconds: float

    def summary(self):
        gone = f", {self.vanished} deleted while copying" if self.vanished else ""
        return (
            f"Backed up {self.rows:,} rows in {self.tables} tables and {self.files:,} media files"
            f" ({self.media_bytes / 1048576:.1f} MB{gone}) to {self.path} in {self.seconds:.1f} s."
        )


def backup(path, *, using="default", progress=True):
    """Write the instance's database, media and generated secret key to ``path`` (a tar.gz).

    The archive is written next to ``path`` and renamed into place when complete, so a
    failed or interrupted backup never leaves a file that looks like a good one.
    """
    started = time.monotonic()
    path = Path(path).resolve()
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder")
    partial = path.with_name(path.name + ".partial")
    connection = connections[using]
    try:
        # Password hashes and the secret key are inside: readable by the operator only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise BackupError(f"cannot write {partial}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            tables, rows = _write_database(tar, connection, path.parent, progress)
            files, size, vanished = _write_media(tar, Path(settings.MEDIA_ROOT), {path, partial}, progress)
        os.replace(partial, path)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, DatabaseError):
            raise BackupError(f"the database could not be read ({first_line(exc)})") from exc
        if isinstance(exc, OSError):
            raise BackupError(f"{path} could not be written ({first_line(exc)})") from exc
        raise
    return BackupResult(path, tables, rows, files, size, vanished, time.monotonic() - started)


def _write_database(tar, connection, spool_dir, progress):
    with snapshot(connection):
        loader = MigrationLoader(connection)
        applied = sorted(key for key in loader.applied_migrations if key in loader.graph.nodes)
        if not applied:
            raise BackupError("the database has no Rostra tables yet (run `rostra migrate`)")
        state = loader.project_state(nodes=leaf_migrations(loader.graph, applied), at_end=True)
        models = models_of(state.apps)
        counts = {model: model._base_manager.using(connection.alias).count() for model in models}
        key = None if os.environ.get("ROSTRA_SECRET_KEY") else _read_secret_key()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "rostra_version": rostra.__version__,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "engine": connection.vendor,
            "domain": settings.ROSTRA_DOMAIN,
            # Where the instance's secret key lives: "file" (in this archive), "environment"
            # (ROSTRA_SECRET_KEY, not archived) or "none" (no key file was found).
            "secret_key": "environment" if os.environ.get("ROSTRA_SECRET_KEY") else "file" if key else "none",
            "migrations": [f"{app}.{name}" for app, name in applied],
            "tables": [table_entry(model, counts[model]) for model in models],
        }
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode() + b"\n")
        if key is not None:
            _add_bytes(tar, SECRET_KEY, key)
        for model in models:
            _write_table(tar, connection, model, counts[model], spool_dir, progress)
    return len(models), sum(counts.values())


def _read_secret_key():
    try:
        return (Path(settings.DATA_DIR) / "secret_key").read_bytes()
    except FileNotFoundError:
        return None


def _write_table(tar, connection, model, expected, spool_dir, progress):
    """Stream one table's rows, in primary-key order, into a JSON-lines member."""
    fields = stored_fields(model)
    columns = [field.column for field in fields]
    rows = (
        model._base_manager.using(connection.alias)
        .order_by("pk")
        .values_list(*[field.attname for field in fields])
        .iterator(chunk_size=BATCH)
    )
    written = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=spool_dir) as spool:
        with progress_bar(progress, total=expected, desc=model._meta.db_table, unit=" rows") as bar:
            for row in rows:
                spool.write(encode_row(dict(zip(columns, row))))
                written += 1
                if written % BATCH == 0:
                    bar.update(BATCH)
            bar.update(written % BATCH)
        if written != expected:
            # Cannot happen inside one snapshot; if it does, the archive would not be one.
            raise BackupError(f"{model._meta.db_table} changed during the backup ({expected} rows, then {written})")
        info = _member(f"{TABLES}{model._meta.db_table}.jsonl", spool.tell())
        spool.seek(0)
        tar.addfile(info, spool)


def _member(name, size, mode=0o600, mtime=None):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = int(time.time() if mtime is None else mtime)
    return info


def _add_bytes(tar, name, data):
    tar.addfile(_member(name, len(data)), io.BytesIO(data))


def _files_under(root):
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            yield Path(folder) / name


def _write_media(tar, root, skip, progress):
    """Copy every file under ``root``, after the snapshot; files deleted meanwhile are skipped.

    The folder is walked twice (a count for the progress bar, then the copy) rather than
    listed in memory: an instance can have millions of files.
    Returns (files copied, bytes copied, files that vanished before they could be read).
    """
    if not root.is_dir():
        return 0, 0, 0
    total = sum(1 for _ in _files_under(root))
    copied = size = vanished = 0
    with progress_bar(progress, total=total, desc="media", unit=" files") as bar:
        for path in _files_under(root):
            bar.update(1)
            if path in skip:
                continue
            name = MEDIA + path.relative_to(root).as_posix()
            try:
                handle = open(path, "rb")
            except FileNotFoundError:
                vanished += 1
                continue
            with handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    continue
                if info.st_size <= WHOLE_FILE_BYTES:
                    data = handle.read()
                    tar.addfile(_member(name, len(data), 0o644, info.st_mtime), io.BytesIO(data))
                    size += len(data)
                else:
                    tar.addfile(_member(name, info.st_size, 0o644, info.st_mtime), handle)
                    size += info.st_size
            # tarfile keeps every member it wrote; nothing here needs them again.
            tar.members.clear()
            copied += 1
    return copied, size, vanished
