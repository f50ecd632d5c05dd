"""What a person sees, read through the public query functions.

Each helper fetches the viewer afresh, as a new request would: the query functions cache a
viewer's blocks, mutes and filters on the Account object for the length of one request.
"""

from rostra.accounts.models import Account
from rostra.posts.models import Post
from rostra.posts.queries import can_see
from rostra.timelines import queries

ALL = 80  # the largest page the queries give


def newest_first(*posts):
    """The order lists show these posts in: by ID, newest first.

    IDs made in the same millisecond have random tails, so two posts written back to back
    may sort either way; tests that care about the order of writing wait a moment between
    posts, the others compare with this.
    """
    return sorted((p.pk for p in posts), reverse=True)


def moment():
    """Wait long enough for the next ID to be made in a later millisecond."""
    import time

    time.sleep(0.002)


def fresh(account):
    return None if account is None else Account.objects.get(pk=account.pk)


def ids(page_or_list):
    items = getattr(page_or_list, "items", page_or_list)
    return [p.pk for p in items]


def home(viewer):
    return ids(queries.home_feed(fresh(viewer), limit=ALL))


def discover(viewer, sort="new"):
    return ids(queries.discover(fresh(viewer), limit=ALL, sort=sort))


def hashtag(viewer, name):
    return ids(queries.hashtag_feed(fresh(viewer), name, limit=ALL))


def profile(viewer, author, tab="posts"):
    return ids(queries.profile_posts(fresh(viewer), fresh(author), tab=tab, limit=ALL))


def search(viewer, text):
    return ids(queries.search_posts(fresh(viewer), text, limit=ALL))


def thread(viewer, post):
    """IDs of the ancestors and the comments shown with ``post``."""
    ancestors, _, descendants = queries.thread(fresh(viewer), Post.objects.get(pk=post.pk))
    return ids(ancestors) + ids(descendants)


def sees(viewer, post):
    return can_see(fresh(viewer), Post.objects.get(pk=post.pk))


def notifications(viewer):
    """(kind, actor username, post id) of each notification the viewer is shown, newest first."""
    page = queries.notifications(fresh(viewer), limit=ALL)
    return [(n.kind, n.actor.username, n.post_id) for n in page.items]


def indexed(word):
    """IDs of posts whose words the search index holds, read from the index itself.

    Searches join the index to the posts table, so a deleted post is never found even if
    its words stayed in the index; this looks at the index, where they must not stay.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT rowid FROM posts_search WHERE posts_search MATCH %s", [f'"{word}"'])
        else:
            cursor.execute(
                "SELECT id FROM posts_post WHERE to_tsvector('simple', text) @@ plainto_tsquery('simple', %s)", [word]
            )
        return sorted(row[0] for row in cursor.fetchall())


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)
