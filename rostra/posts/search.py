"""Full-text search over posts, one function for SQLite FTS5 and PostgreSQL.

SQLite keeps a separate FTS5 table (``posts_search``, rowid = post id) that actions fill on
publish and edit and empty on delete. PostgreSQL indexes ``to_tsvector('simple', text)``
on the posts table itself (a GIN expression index), so there is nothing to keep in step.
"""

import re

from django.db import connection

FTS_TABLE = "posts_search"
# What PostgreSQL searches: the content warning and the text, as SQLite's index holds them.
PG_DOCUMENT = "to_tsvector('simple', {t}spoiler_text || ' ' || {t}text)"
MAX_QUERY_TERMS = 12


def create_index(schema_editor):
    """Called from the migration: the engine-specific structures search needs."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(text, tokenize='unicode61 remove_diacritics 2')"
        )
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS posts_post_text_fts ON posts_post USING GIN ({PG_DOCUMENT.format(t='')})"
        )


def drop_index(schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS posts_post_text_fts")


def index_post(post):
    """Make a published post findable (or refresh it after an edit)."""
    if connection.vendor != "sqlite":
        return
    searchable = " ".join(part for part in (post.spoiler_text, post.text) if part)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [post.pk])
        if searchable:
            cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (%s, %s)", [post.pk, searchable])


def forget_everything():
    """Empty the SQLite index (tests: a database flush does not reach this non-model table)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")


def unindex_posts(post_ids):
    """Forget deleted posts: the search index keeps no copy of removed text.

    FTS5 answers a DELETE at once but keeps the words in its index segments until they are
    merged, so a purge (``purge_deleted_words``) is scheduled to rewrite them.
    """
    if connection.vendor != "sqlite" or not post_ids:
        return
    post_ids = list(post_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(post_ids), 500):
            chunk = post_ids[start : start + 500]
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({','.join(['%s'] * len(chunk))})", chunk
            )
    from .tasks import schedule_search_purge

    schedule_search_purge()


def purge_deleted_words():
    """Rewrite the SQLite index so no segment still holds the words of deleted posts.

    With ``PRAGMA secure_delete`` on, the pages the old segments used are zeroed too: after
    this, the database file has no copy of a deleted post's text.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')")


def reindex_all():
    """Rebuild the SQLite index from the posts table (after a bulk load)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, text) SELECT id, trim(spoiler_text || ' ' || text) FROM posts_post"
            " WHERE state = 'published' AND text != ''"
        )


def _terms(query):
    return re.findall(r"\w+", query or "", flags=re.UNICODE)[:MAX_QUERY_TERMS]


def match_posts(queryset, query):
    """Narrow a Post queryset to posts whose text has every word of ``query``.

    Returns an empty queryset for a query with no words, so a search for "!!!" finds nothing
    rather than everything.
    """
    terms = _terms(query)
    if not terms:
        return queryset.none()
    if connection.vendor == "sqlite":
        fts_query = " ".join('"' + term.replace('"', "") + '"' for term in terms)
        return queryset.extra(
            where=[f"posts_post.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"],
            params=[fts_query],
        )
    if connection.vendor == "postgresql":
        return queryset.extra(
            where=[PG_DOCUMENT.format(t="posts_post.") + " @@ plainto_tsquery('simple', %s)"],
            params=[" ".join(terms)],
        )
    for term in terms:
        queryset = queryset.filter(text__icontains=term)
    return queryset
