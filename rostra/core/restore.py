"""``rostra restore``: bring an instance up from ``rostra backup``'s archive on another machine.

The target is whatever DATABASE_URL, ROSTRA_DATA_DIR and ROSTRA_MEDIA_ROOT say, SQLite or
PostgreSQL whichever the backup came from. Nothing is changed until the whole archive has been
read once and found complete (gzip's checksum, every table's row count), so a truncated or
damaged file is refused with the database untouched. Then:

1. the schema is migrated to exactly the backup's migrations, so an older backup fits a newer
   Rostra: its rows go into the tables as they were, and the newer migrations run after;
2. in one transaction, every table is emptied and refilled in batches, with foreign keys
   checked once at the end (deferred on PostgreSQL, switched off and then
   ``PRAGMA foreign_key_check`` on SQLite); PostgreSQL's sequences are moved past the rows;
3. what is not a model is rebuilt (SQLite's search index), the cache is emptied;
4. media files and the generated secret key are put back.
"""

import base64
import datetime
import decimal
import itertools
import json
import os
import re
import shutil
import tarfile
import time
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import orjson
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string

import rostra

from .backup import (
    BATCH,
    ENGINES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA,
    SECRET_KEY,
    TABLES,
    BackupError,
    first_line,
    leaf_migrations,
    models_of,
    progress_bar,
    stored_fields,
)

# Structures that are not models, rebuilt from the restored rows. Each is called with no
# arguments once the rows are in; one that has nothing to do on this engine returns at once.
REBUILD_AFTER_RESTORE = ("rostra.posts.search.reindex_all",)

# What ``backup.encode_row`` wrote as text or a number, back to Python by the field's type.
DECODERS = {
    "DateTimeField": datetime.datetime.fromisoformat,
    "DateField": datetime.date.fromisoformat,
    "TimeField": datetime.time.fromisoformat,
    "DurationField": lambda value: datetime.timedelta(microseconds=value),
    "DecimalField": decimal.Decimal,
    "BinaryField": base64.b64decode,
    "UUIDField": uuid.UUID,
}
# Types whose JSON value (str, int, bool) is already what the database driver takes, so the
# per-value trip through ``get_db_prep_save`` (most of a load's time) can be skipped.
PLAIN_TYPES = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "BooleanField",
    "CharField", "TextField",
}  # fmt: skip
PREP_METHODS = ("get_prep_value", "get_db_prep_value", "get_db_prep_save")
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError, KeyError, TypeError)
TABLE_FILE = re.compile(r"tables/[A-Za-z0-9_$.-]+\.jsonl")


@dataclass
class Archive:
    """A backup read through once and found whole."""

    path: Path
    manifest: dict
    secret_key: bytes | None
    files: int


@dataclass
class RestoreResult:
    archive: Archive
    rows: int
    files: int
    seconds: float
    notes: list = field(default_factory=list)

    def summary(self):
        manifest = self.archive.manifest
        return (
            f"Restored {self.rows:,} rows in {len(manifest['tables'])} tables and {self.files:,} media files"
            f" from {self.archive.path} ({manifest['domain']} on {manifest['engine']}, Rostra"
            f" {manifest['rostra_version']}, {manifest['created_at'][:19].replace('T', ' ')} UTC)"
            f" in {self.seconds:.1f} s."
        )


def restore(path, *, force=False, using="default", progress=True):
    """Restore the archive at ``path`` into this instance's database, media root and data folder.

    Refuses (``BackupError``) a target that already has accounts or posts, or a different
    secret key file, unless ``force``; then everything in the database is replaced.
    """
    started = time.monotonic()
    archive = read_archive(Path(path), progress)
    connection = connections[using]
    executor = _executor(connection)
    targets, leaves = _migration_targets(executor, archive.manifest)
    key_path = Path(settings.DATA_DIR) / "secret_key"
    notes = _secret_key_notes(archive, key_path, force) + _domain_notes(archive)
    if not force:
        _refuse_content(connection)
    _migrate(executor, targets, progress)
    schema = models_of(executor.loader.project_state(nodes=leaves, at_end=True).apps)
    with tarfile.open(archive.path, "r:gz") as tar:
        members = members_of(tar)
        rows, first_file = _load(members, tar, archive, connection, schema, progress)
        try:
            files = _restore_media(first_file, members, tar, archive, progress)
        except ARCHIVE_ERRORS as exc:
            raise BackupError(
                f"the database is restored but the media files could not be ({first_line(exc)});"
                " fix that and restore again with --force"
            ) from exc
    if archive.secret_key is not None:
        _write_secret_key(key_path, archive.secret_key)
    # The newer migrations of this Rostra, if the backup is older; and post_migrate, which adds
    # the content types and permissions of models the backup did not have.
    call_command("migrate", interactive=False, verbosity=0, database=using)
    for dotted in REBUILD_AFTER_RESTORE:
        import_string(dotted)()
    from django.core.cache import cache

    cache.clear()
    return RestoreResult(archive, rows, files, time.monotonic() - started, notes)


def _cut_short(exc):
    """Whether reading failed because the file ends too soon (a copy cut off, a full disk)."""
    return isinstance(exc, EOFError) or "unexpected end of data" in str(exc)


# --- Reading the archive -------------------------------------------------------------------


def read_archive(path, progress=True):
    """Read the whole archive once: its manifest, secret key and media count, or why not.

    Every table file must hold as many lines as the manifest says and gzip's checksum must
    match at the end, so a truncated or damaged file is found before anything is changed.
    """
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        tar = tarfile.open(path, "r:gz")
    except (tarfile.ReadError, zlib.error, OSError) as exc:
        raise BackupError(f"{path} is not a Rostra backup (not a tar.gz archive)") from exc
    except ARCHIVE_ERRORS as exc:
        raise BackupError(f"{path} is damaged or incomplete ({first_line(exc)}); nothing was changed") from exc
    manifest = None
    try:
        with tar:
            secret_key, files, seen = None, 0, set()
            with progress_bar(progress, desc="checking", unit=" rows") as bar:
                for member in members_of(tar):
                    if manifest is None:
                        manifest = _parse_manifest(path, tar, member)
                        tables = {entry["file"]: entry for entry in manifest["tables"]}
                        bar.reset(total=sum(entry["rows"] for entry in manifest["tables"]))
                    elif member.name == SECRET_KEY and member.isfile():
                        secret_key = tar.extractfile(member).read()
                    elif member.name in tables and member.name not in seen and member.isfile():
                        _check_lines(tar.extractfile(member), tables[member.name], bar)
                        seen.add(member.name)
                    elif member.name.startswith(MEDIA) and (member.isfile() or member.isdir()):
                        media_path(Path("/"), member.name)
                        files += member.isfile()
                    else:
                        raise ValueError(f"unexpected {member.name!r} in the archive")
            # Past the tar's end marker is the end of the gzip stream, where its CRC is checked.
            while tar.fileobj.read(1 << 20):
                pass
    except BackupError:
        raise
    except ARCHIVE_ERRORS as exc:
        if manifest is None and not _cut_short(exc):
            raise BackupError(f"{path} is not a Rostra backup ({first_line(exc)})") from exc
        raise BackupError(f"{path} is damaged or incomplete ({first_line(exc)}); nothing was changed") from exc
    if manifest is None:
        raise BackupError(f"{path} is not a Rostra backup (the archive is empty)")
    missing = sorted(set(tables) - seen)
    if missing:
        raise BackupError(
            f"{path} is incomplete ({len(missing)} tables missing, first {missing[0]}); nothing was changed"
        )
    return Archive(path, manifest, secret_key, files)


def _parse_manifest(path, tar, member):
    if member.name != MANIFEST or not member.isfile():
        raise BackupError(f"{path} is not a Rostra backup (it does not start with {MANIFEST})")
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except ValueError as exc:
        raise BackupError(f"{path} is not a Rostra backup (its {MANIFEST} is not JSON)") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Rostra backup (its {MANIFEST} is not Rostra's)")
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(
            f"{path} was written by a newer Rostra (backup format {manifest.get('format_version')!r},"
            f" this is Rostra {rostra.__version__} with format {FORMAT_VERSION}); upgrade Rostra to restore it"
        )
    for key, kind in (("migrations", list), ("tables", list), ("engine", str), ("domain", str)):
        if not isinstance(manifest.get(key), kind):
            raise ValueError(f"{MANIFEST} has no valid {key!r}")
    for entry in manifest["tables"]:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("table"), str)
            and isinstance(entry.get("rows"), int)
            and isinstance(entry.get("columns"), list)
            and entry.get("file") == f"{TABLES}{entry['table']}.jsonl"
            and TABLE_FILE.fullmatch(entry["file"])
        ):
            raise ValueError(f"{MANIFEST} lists a table it does not describe fully")
    if not all(isinstance(label, str) and "." in label for label in manifest["migrations"]):
        raise ValueError(f"{MANIFEST} lists migrations it does not name")
    return manifest


def _check_lines(handle, entry, bar):
    lines, last = 0, b"\n"
    while chunk := handle.read(1 << 20):
        found = chunk.count(b"\n")
        lines += found
        bar.update(found)
        last = chunk[-1:]
    if lines != entry["rows"] or last != b"\n":
        raise ValueError(f"{entry['file']} has {lines} rows, the manifest says {entry['rows']}")


def members_of(tar):
    """The archive's members in order, each forgotten once the next is read.

    tarfile keeps every member it has read in a list; with a million media files that list
    alone would take hundreds of megabytes.
    """
    while (member := tar.next()) is not None:
        yield member
        tar.members.clear()


def media_path(root, name):
    """Where the member ``name`` (``media/...``) goes under ``root``; never outside it."""
    parts = PurePosixPath(name).parts[1:]
    if not parts or any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
        raise ValueError(f"unsafe media path {name!r}")
    return root.joinpath(*parts)


# --- Checks before anything changes ----------------------------------------------------------


def _executor(connection):
    if connection.vendor not in ENGINES:
        raise BackupError(f"restores support SQLite and PostgreSQL, not {connection.vendor}")
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        executor.loader.check_consistent_history(connection)
    except InconsistentMigrationHistory as exc:
        raise BackupError(f"the target database's migrations are inconsistent ({first_line(exc)})") from exc
    except DatabaseError as exc:
        raise BackupError(f"cannot reach the target database ({first_line(exc)})") from exc
    return executor


def _migration_targets(executor, manifest):
    """Per app, the migration the backup had reached; refuses a backup newer than this code.

    Returns the executor's targets (``(app, None)`` for an app the backup did not have) and
    the leaf migrations whose state the backup's rows were written in.
    """
    loader, graph = executor.loader, executor.loader.graph
    applied, unknown = set(), []
    for label in manifest["migrations"]:
        app, name = label.split(".", 1)
        key = _in_graph(loader, (app, name))
        if key is None:
            unknown.append(f"{app}.{name}")
        else:
            applied.add(key)
    if unknown:
        raise BackupError(
            f"the backup comes from a newer Rostra ({manifest.get('rostra_version', '?')}): this one"
            f" ({rostra.__version__}) lacks its migration{'s' if len(unknown) > 1 else ''}"
            f" {', '.join(unknown[:3])}{' and more' if len(unknown) > 3 else ''}; upgrade Rostra, then restore"
        )
    targets = []
    for app in sorted({key[0] for key in graph.nodes}):
        mine = {key for key in applied if key[0] == app}
        ends = [key for key in mine if not any(child.key in mine for child in graph.node_map[key].children)]
        targets.extend(sorted(ends) or [(app, None)])
    return targets, leaf_migrations(graph, applied)


def _in_graph(loader, key):
    """``key`` as this code's migration graph knows it, through a squashed migration if need be."""
    if key in loader.graph.nodes:
        return key
    for squashed, migration in loader.replacements.items():
        if key in migration.replaces and squashed in loader.graph.nodes:
            return squashed
    return None


def _secret_key_notes(archive, key_path, force):
    notes = []
    if archive.manifest.get("secret_key") == "environment" and not os.environ.get("ROSTRA_SECRET_KEY"):
        notes.append(
            "The backed-up instance took its secret key from ROSTRA_SECRET_KEY: set the same value here,"
            " or everyone has to sign in again."
        )
    if archive.secret_key is None:
        return notes
    try:
        current = key_path.read_bytes()
    except FileNotFoundError:
        current = None
    if current is not None and current.strip() != archive.secret_key.strip():
        if not force:
            raise BackupError(
                f"{key_path} holds a different secret key from the backup's; move it away, or add --force to replace it"
            )
        notes.append(f"{key_path} is replaced by the backup's secret key.")
    if os.environ.get("ROSTRA_SECRET_KEY", "").encode() not in (b"", archive.secret_key.strip()):
        notes.append(f"ROSTRA_SECRET_KEY is set here and wins over the restored {key_path}.")
    return notes


def _domain_notes(archive):
    domain = archive.manifest["domain"]
    if domain == settings.ROSTRA_DOMAIN:
        return []
    return [
        (
            f"The backup is of {domain}: serve it with ROSTRA_DOMAIN={domain}, or its links, sign-in"
            " cookies and federation identity will not match."
        )
    ]


def _refuse_content(connection):
    """Refuse to overwrite a database that already has people or posts in it."""
    from rostra.accounts.models import Account
    from rostra.posts.models import Post

    try:
        tables = set(connection.introspection.table_names())
        counts = {
            label: model._base_manager.using(connection.alias).count()
            for label, model in (("account", Account), ("post", Post))
            if model._meta.db_table in tables
        }
    except DatabaseError as exc:
        raise BackupError(f"cannot read the target database ({first_line(exc)})") from exc
    if any(counts.values()):
        found = " and ".join(f"{count:,} {label}{'' if count == 1 else 's'}" for label, count in counts.items())
        raise BackupError(
            f"the target database already has {found}; restore into an empty database,"
            " or add --force to replace everything in it"
        )


def _migrate(executor, targets, progress):
    """Bring the schema to the backup's migrations: the tables exactly as its rows were written."""
    plan = executor.migration_plan(targets)
    if any(backwards for _, backwards in plan):
        raise BackupError(
            "the target database has migrations the backup does not (it was set up by a newer Rostra);"
            " restore into an empty database"
        )
    with progress_bar(progress, total=len(plan), desc="migrations", unit=" migrations") as bar:

        def advance(action, *args):
            if action == "apply_success":
                bar.update(1)

        executor.progress_callback = advance
        try:
            if plan:
                executor.migrate(targets, plan=plan)
        except DatabaseError as exc:
            raise BackupError(f"migrating the target database failed ({first_line(exc)})") from exc


# --- Loading the rows -----------------------------------------------------------------------


def decoder(field):
    """How a value ``encode_row`` wrote becomes a Python value of ``field``'s type again."""
    while field.is_relation:
        field = field.target_field
    return DECODERS.get(field.get_internal_type())


def database_value(field):
    """``field.get_db_prep_save``, or None where the decoded value can go to the driver as it is.

    Only for Django's own plain types, not a subclass that changes how values are prepared.
    """
    target = field
    while target.is_relation:
        target = target.target_field
    kind = target.get_internal_type()
    base = getattr(models, kind, None) if kind in PLAIN_TYPES else None
    if base is None or any(getattr(type(target), name) is not getattr(base, name) for name in PREP_METHODS):
        return field.get_db_prep_save
    return None


def _load(members, tar, archive, connection, schema, progress):
    """Empty every table of ``schema`` (models) and fill it from the archive, in one transaction.

    Returns the rows loaded and the first member after the tables (media), already read
    from ``members`` and not yet restored.
    """
    by_table = {model._meta.db_table: model for model in schema}
    entries = {}
    for entry in archive.manifest["tables"]:
        model = by_table.get(entry["table"])
        if model is None:
            raise BackupError(f"the backup has a table {entry['table']} that its migrations do not make here")
        extra = set(entry["columns"]) - {f.column for f in stored_fields(model)}
        if extra:
            raise BackupError(f"the backup's {entry['table']} has columns its migrations do not make: {sorted(extra)}")
        entries[entry["file"]] = (entry, model)
    rows, after_tables = 0, None
    try:
        with connection.constraint_checks_disabled():
            if connection.vendor == "sqlite" and _sqlite_foreign_keys_on(connection):
                raise BackupError("could not switch SQLite's foreign-key checks off for the load")
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), list(by_table)))
                for member in members:
                    if member.name in entries:
                        entry, model = entries[member.name]
                        rows += _load_table(cursor, tar.extractfile(member), entry, model, connection, progress)
                    elif member.name.startswith(MEDIA):
                        after_tables = member
                        break
                connection.check_constraints()
                for sql in connection.ops.sequence_reset_sql(no_style(), schema):
                    cursor.execute(sql)
    except DatabaseError as exc:
        raise BackupError(f"the database refused the backup's rows ({first_line(exc)}); nothing was changed") from exc
    except ARCHIVE_ERRORS as exc:
        raise BackupError(f"the backup's rows could not be read ({first_line(exc)}); nothing was changed") from exc
    return rows, after_tables


def _sqlite_foreign_keys_on(connection):
    with connection.cursor() as cursor:
        return bool(cursor.execute("PRAGMA foreign_keys").fetchone()[0])


def _load_table(cursor, handle, entry, model, connection, progress):
    fields = stored_fields(model)
    # Per column: its name, how to decode it, how to hand it to the database, and what a row
    # written before the column existed gets.
    plan = [(f.column, decoder(f), database_value(f), f) for f in fields]

    def values(row):
        out = []
        for column, decode, prep, f in plan:
            if column in row:
                value = row[column]
                if value is not None and decode is not None:
                    value = decode(value)
            else:
                value, prep = f.get_default(), f.get_db_prep_save
            out.append(value if prep is None else prep(value, connection))
        return out

    loaded = 0
    with progress_bar(progress, total=entry["rows"], desc=entry["table"], unit=" rows") as bar:
        with _row_writer(cursor, connection, model._meta.db_table, [f.column for f in fields]) as write:
            for line in handle:
                write(values(orjson.loads(line)))
                loaded += 1
                if loaded % BATCH == 0:
                    bar.update(BATCH)
        bar.update(loaded % BATCH)
    return loaded


@contextmanager
def _row_writer(cursor, connection, table, columns):
    """A function that inserts one row; rows go to the database in batches.

    PostgreSQL: one COPY per table, several times faster than INSERTs. SQLite: executemany
    of BATCH rows at a time.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            yield copy.write_row
        return
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    batch = []

    def write(row):
        batch.append(row)
        if len(batch) == BATCH:
            cursor.executemany(sql, batch)
            batch.clear()

    yield write
    if batch:
        cursor.executemany(sql, batch)


# --- Files -----------------------------------------------------------------------------------


def _restore_media(first, members, tar, archive, progress):
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    restored = 0
    with progress_bar(progress, total=archive.files, desc="media", unit=" files") as bar:
        for member in itertools.chain([first] if first is not None else [], members):
            if not (member.name.startswith(MEDIA) and member.isfile()):
                continue
            target = media_path(root, member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.restoring")
            with tar.extractfile(member) as source, open(partial, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            os.utime(partial, (member.mtime, member.mtime))
            os.replace(partial, target)
            restored += 1
            bar.update(1)
    return restored


def _write_secret_key(path, key):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    os.replace(partial, path)
