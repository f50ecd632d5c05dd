"""A per-process cache of rendered post cards, so a feed page costs little more than its queries.

A card's HTML is a pure function of what it shows: the post and the post it echoes (text,
counts, state, media), their authors (name, avatar, badges), the viewer's own marks (voted,
echoed, bookmarked, author or not), how long ago it was written as shown ("5m"), and where its
buttons return to. The key below is exactly that tuple, so a cached card can never be stale: any
change to what it shows changes the key. The CSRF token differs per visitor, so cards are stored
with a placeholder that is replaced by this page's token on the way out.
"""

import threading
from collections import OrderedDict

from markupsafe import Markup

from .jinja import ago

PLACEHOLDER = "\x00csrf\x00"
MAX_CARDS = 5000

_cards = OrderedDict()
_lock = threading.Lock()
_macro = None


def _file_name(instance, field):
    """A file field's stored name, without making the FieldFile the descriptor would."""
    value = instance.__dict__.get(field)
    return getattr(value, "name", value) or ""


def _post_key(post):
    if post is None:
        return None
    author = post.author
    return (
        post.id,
        post.html,
        post.spoiler_text,
        post.sensitive,
        post.state,
        post.visibility,
        post.edited_at,
        post.replies_count,
        post.echoes_count,
        post.votes_count,
        post.in_reply_to_account_id is not None,
        ago(post.created_at),
        author.username,
        author.domain,
        author.display_name,
        _file_name(author, "avatar"),
        author.verified,
        author.public_figure,
        author.parody,
        tuple((m.id, m.description, str(m.file), str(m.thumbnail), m.width, m.height) for m in getattr(post, "media_list", ())),
        getattr(post, "viewer_voted", False),
        getattr(post, "viewer_bookmarked", False),
        getattr(post, "viewer_echoed", False),
    )


def card_key(item, viewer, next_url, depth, focus):
    shown = item.echo_of if item.is_plain_echo else item
    quoted = shown.echo_of if shown.echo_of_id else None
    return (
        _post_key(item) if item.is_plain_echo else None,
        _post_key(shown),
        _post_key(quoted),
        None if viewer is None else viewer.pk == shown.author_id,
        viewer is None,
        next_url,
        depth,
        focus,
    )


def post_card(environment, item, viewer, csrf, next_url, depth=0, focus=False):
    """The card of ``item`` as ``viewer`` sees it, from the cache when it was drawn before."""
    global _macro
    key = card_key(item, viewer, next_url, depth, focus)
    with _lock:
        html = _cards.get(key)
        if html is not None:
            _cards.move_to_end(key)
    if html is None:
        if _macro is None:
            _macro = environment.get_template("_macros.html").module.post_card
        html = str(_macro(item, viewer, PLACEHOLDER, next_url, depth=depth, focus=focus))
        with _lock:
            _cards[key] = html
            while len(_cards) > MAX_CARDS:
                _cards.popitem(last=False)
    return Markup(html.replace(PLACEHOLDER, csrf))
