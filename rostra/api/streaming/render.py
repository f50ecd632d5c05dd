"""Posts and notifications as the JSON strings Mastodon's stream events carry.

A post is rendered once for every stream that gets it, without a viewer, as Mastodon's own
fan-out does (so ``favourited`` and the like are false: a post seconds old has no marks
yet). Notifications are rendered per recipient by the notifications endpoint's own
``serialize``, so a streamed one is exactly what the REST API returns for it.
"""

import json

from rostra.api import serializers
from rostra.posts.models import Post
from rostra.timelines.models import Notification


def dumps(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def fetch_posts(ids):
    """Posts by ID with their authors and echoed posts: {id: post}."""
    if not ids:
        return {}
    posts = Post.objects.filter(pk__in=list(ids)).select_related("author", "echo_of", "echo_of__author")
    return {p.pk: p for p in posts}


def statuses(posts):
    """{post id: Status JSON string} for posts from ``fetch_posts``."""
    posts = list(posts)
    return {p.pk: dumps(data) for p, data in zip(posts, serializers.statuses_for(None, posts))}


def notifications(viewer, ids):
    """[(id, Notification JSON string)] of ``viewer``'s notifications ``ids``, oldest first.

    Kinds Mastodon has no word for (report outcomes) are left out, as the endpoint does.
    """
    from rostra.api.views import notifications as endpoint

    rows = [
        n
        for n in Notification.objects.filter(pk__in=list(ids), recipient_id=viewer.pk)
        .exclude(kind=Notification.Kind.REPORT_OUTCOME)
        .select_related("actor", "post", "post__author", "post__echo_of", "post__echo_of__author")
        .order_by("id")
        if endpoint.type_of(n) is not None
    ]
    return [(int(data["id"]), dumps(data)) for data in endpoint.serialize(viewer, rows)]
