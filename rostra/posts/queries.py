"""Who may see which post: the one set of rules every page, feed and search applies.

Rules, for a viewer who is not the author:
- only published posts are seen (held, pending and rejected ones only by their author);
- nothing passes a block, in either direction;
- public and unlisted posts are seen by anyone (unlisted ones are left out of public lists);
- followers-only posts by followers and by the people they mention;
- mentioned-only (direct) posts by the people they mention;
- an echo is seen only if the post it echoes is seen too.
"""

from django.db.models import Exists, OuterRef, Q

from rostra.accounts.models import Follow
from rostra.core import rawrows

from .models import Mention, Post, PostState, Visibility

OPEN_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)


def _load_relations(viewer):
    """Everything about the viewer's blocks, mutes and muted terms, in one query.

    Every page needs these; four small queries cost more in query building than in the
    database, so they are one UNION read once per request and kept on the Account object.
    """
    if hasattr(viewer, "_blocked_ids"):
        return
    blocked, muted, phrases = set(), set(), []
    # PostgreSQL types a UNION's columns from its first SELECT, where a bare NULL is text;
    # the casts keep the muted-terms branch (varchar, boolean) compatible.
    sql = (
        "SELECT 'b', target_id, CAST(NULL AS TEXT), CAST(NULL AS BOOLEAN) FROM accounts_block WHERE account_id = %s"
        " UNION ALL SELECT 'b', account_id, NULL, NULL FROM accounts_block WHERE target_id = %s"
        " UNION ALL SELECT 'm', target_id, NULL, NULL FROM accounts_mute WHERE account_id = %s"
        " UNION ALL SELECT 'f', NULL, phrase, whole_word FROM accounts_keywordfilter WHERE account_id = %s"
    )
    with rawrows.cursor() as cursor:
        cursor.execute(sql, [viewer.pk] * 4)
        for kind, account_id, phrase, whole_word in cursor.fetchall():
            if kind == "b":
                blocked.add(account_id)
            elif kind == "m":
                muted.add(account_id)
            else:
                phrases.append((phrase, bool(whole_word)))
    viewer._blocked_ids, viewer._muted_ids, viewer._muted_phrases = blocked, muted, phrases


def relations_columns(vendor, account_id_sql):
    """SQL for three extra columns that carry ``_load_relations``'s answer in another query.

    The query that loads the signed-in person (session or API token) selects these too, so
    a page learns the viewer's blocks, mutes and muted terms without a round trip of its own:
    blocked and muted account IDs as comma-separated text, muted terms as a JSON array.
    """
    if vendor == "postgresql":
        agg, json_agg = "string_agg(x::text, ',')", "json_agg(json_build_array(phrase, whole_word))"
    else:
        agg, json_agg = "group_concat(x, ',')", "json_group_array(json_array(phrase, whole_word))"
    a = account_id_sql
    return (
        f"(SELECT {agg} FROM (SELECT target_id AS x FROM accounts_block WHERE account_id = {a}"
        f" UNION ALL SELECT account_id FROM accounts_block WHERE target_id = {a}) AS rb),"
        f" (SELECT {agg} FROM (SELECT target_id AS x FROM accounts_mute WHERE account_id = {a}) AS rm),"
        f" (SELECT {json_agg} FROM accounts_keywordfilter WHERE account_id = {a})"
    )


def keep_relations(viewer, blocked, muted, phrases):
    """Store the three ``relations_columns`` values on the viewer, as ``_load_relations`` would."""
    import json

    viewer._blocked_ids = {int(x) for x in blocked.split(",")} if blocked else set()
    viewer._muted_ids = {int(x) for x in muted.split(",")} if muted else set()
    if isinstance(phrases, str):
        phrases = json.loads(phrases)
    viewer._muted_phrases = [(phrase, bool(whole)) for phrase, whole in (phrases or [])]


def forget_relations(*accounts):
    """Drop what ``_load_relations`` kept on these objects, after a block, mute or filter change."""
    for account in accounts:
        for name in ("_blocked_ids", "_muted_ids", "_muted_phrases", "_keyword_matcher"):
            account.__dict__.pop(name, None)


def blocked_ids(viewer):
    """IDs of accounts the viewer blocks or is blocked by."""
    if viewer is None:
        return set()
    _load_relations(viewer)
    return viewer._blocked_ids


def muted_ids(viewer):
    if viewer is None:
        return set()
    _load_relations(viewer)
    return viewer._muted_ids


def keyword_filters_exist(viewer):
    if viewer is None:
        return False
    _load_relations(viewer)
    return bool(viewer._muted_phrases)


def visible_q(viewer, prefix=""):
    """A Q object selecting the posts ``viewer`` (an Account or None) may see."""
    p = prefix
    if viewer is None:
        return Q(**{f"{p}state": PostState.PUBLISHED, f"{p}visibility__in": OPEN_VISIBILITIES})
    follows_author = Exists(Follow.objects.filter(follower=viewer, target=OuterRef(f"{p}author_id")))
    mentioned = Exists(Mention.objects.filter(account=viewer, post=OuterRef(f"{p}pk")))
    own = Q(**{f"{p}author_id": viewer.pk})
    audience = (
        Q(**{f"{p}visibility__in": OPEN_VISIBILITIES})
        | (Q(**{f"{p}visibility": Visibility.FOLLOWERS}) & (follows_author | mentioned))
        | (Q(**{f"{p}visibility": Visibility.DIRECT}) & mentioned)
    )
    q = own | (Q(**{f"{p}state": PostState.PUBLISHED}) & audience)
    blocked = blocked_ids(viewer)
    if blocked:
        q &= ~Q(**{f"{p}author_id__in": blocked})
    return q


def visible_posts(viewer):
    """Posts the viewer may see, echoes only where the echoed post is visible too."""
    q = visible_q(viewer) & (Q(echo_of__isnull=True) | visible_q(viewer, prefix="echo_of__"))
    return Post.objects.filter(q)


def audience_facts(viewer, posts):
    """(authors the viewer follows, posts that mention the viewer) among ``posts``: one query.

    With these, ``sees`` applies the rules of ``visible_q`` to posts already in memory, so a
    thread or a profile page is checked without building a query per post.
    """
    if viewer is None or not posts:
        return set(), set()
    authors = list({p.author_id for p in posts})
    ids = [p.pk for p in posts]
    by_author, authors = rawrows.among(authors)
    by_post, ids = rawrows.among(ids)
    sql = (
        f"SELECT 'f', target_id FROM accounts_follow WHERE follower_id = %s AND target_id {by_author}"
        f" UNION ALL SELECT 'm', post_id FROM posts_mention WHERE account_id = %s AND post_id {by_post}"
    )
    following, mentioned = set(), set()
    with rawrows.cursor() as cursor:
        cursor.execute(sql, [viewer.pk, *authors, viewer.pk, *ids])
        for kind, value in cursor.fetchall():
            (following if kind == "f" else mentioned).add(value)
    return following, mentioned


def sees(viewer, post, following, mentioned):
    """``visible_q``'s rules for one post in memory (``following``/``mentioned`` from audience_facts)."""
    if viewer is not None and post.author_id == viewer.pk:
        return True
    if post.state != PostState.PUBLISHED:
        return False
    if viewer is None:
        return post.visibility in OPEN_VISIBILITIES
    if post.author_id in blocked_ids(viewer):
        return False
    if post.visibility in OPEN_VISIBILITIES or post.pk in mentioned:
        return True
    return post.visibility == Visibility.FOLLOWERS and post.author_id in following


def can_see(viewer, post):
    """True when ``viewer`` may see ``post`` (and, for an echo, the post it echoes)."""
    if post is None:
        return False
    original = post.echo_of if post.echo_of_id else None
    if post.echo_of_id and original is None:
        return False
    checked = [post] + ([original] if original is not None else [])
    following, mentioned = audience_facts(viewer, checked)
    return all(sees(viewer, p, following, mentioned) for p in checked)


def keyword_matcher(viewer):
    """A function telling whether a text contains one of the viewer's muted terms."""
    import re

    if viewer is None:
        return lambda text: False
    cached = getattr(viewer, "_keyword_matcher", None)
    if cached is not None:
        return cached
    parts = []
    _load_relations(viewer)
    for phrase, whole_word in viewer._muted_phrases:
        escaped = re.escape(phrase)
        parts.append(rf"(?<!\w){escaped}(?!\w)" if whole_word else escaped)
    if not parts:
        matcher = lambda text: False  # noqa: E731
    else:
        pattern = re.compile("|".join(parts), re.IGNORECASE)
        matcher = lambda text: bool(text) and pattern.search(text) is not None  # noqa: E731
    viewer._keyword_matcher = matcher
    return matcher


def hidden_by_viewer(viewer, post):
    """True when the viewer chose not to see this post: a mute or a muted term."""
    if viewer is None:
        return False
    if post.author_id == viewer.pk:
        return False
    muted = muted_ids(viewer)
    if post.author_id in muted:
        return True
    original = post.echo_of if post.echo_of_id else None
    if original is not None and original.author_id in muted:
        return True
    matches = keyword_matcher(viewer)
    texts = [post.text, post.spoiler_text]
    if original is not None:
        texts += [original.text, original.spoiler_text]
    return any(matches(t) for t in texts if t)
