"""Mastodon's OAuth scopes, and which granted scope covers which needed one.

A token granted ``read`` may do everything ``read:statuses``, ``read:accounts``... allow;
``follow`` is the old shorthand for reading and writing blocks, follows and mutes; ``profile``
only lets an app learn who signed in (verify_credentials).
"""

TOP_LEVEL = ("read", "write", "follow", "push", "profile")

GRANULAR = (
    "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
    "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
    "read:statuses",
    "write:accounts", "write:blocks", "write:bookmarks", "write:conversations",
    "write:favourites", "write:filters", "write:follows", "write:lists", "write:media",
    "write:mutes", "write:notifications", "write:reports", "write:statuses",
)

ALL = TOP_LEVEL + GRANULAR

FOLLOW_COVERS = {
    "read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes",
}

DESCRIPTIONS = {
    "read": "read your posts, timelines, notifications and settings",
    "write": "post, vote, echo, follow and change your profile on your behalf",
    "follow": "follow, block and mute people on your behalf",
    "push": "receive push notifications",
    "profile": "know who you are (your profile only)",
}


def parse(value):
    """A scope string (space or plus separated) as a set; unknown scopes kept, for refusal."""
    if not value:
        return set()
    return {s for s in str(value).replace("+", " ").split() if s}


def covers(granted, needed):
    """True when the granted scopes allow what ``needed`` names."""
    if needed in granted:
        return True
    top = needed.split(":", 1)[0]
    if ":" in needed and top in granted and top in ("read", "write"):
        return True
    if "follow" in granted and needed in FOLLOW_COVERS:
        return True
    return False


def describe(scope_set):
    """Plain words for the consent page, one line per scope asked for."""
    lines = []
    for scope in sorted(scope_set):
        top = scope.split(":", 1)[0]
        if scope in DESCRIPTIONS:
            lines.append(DESCRIPTIONS[scope])
        else:
            what = scope.split(":", 1)[1] if ":" in scope else scope
            lines.append(f"{'read' if top == 'read' else 'change'} your {what}")
    return lines
