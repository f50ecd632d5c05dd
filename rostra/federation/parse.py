"""Reading ActivityStreams JSON from other servers, which is untrusted and varied.

Values may be a string, an object with an ``id``, or a list of either; Mastodon, Misskey,
Pleroma and others each pick differently. These helpers turn them into plain values and
refuse what Rostra cannot use, without ever raising anything but ``Invalid``.
"""

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from rostra.core.html import clean_text, html_to_text, sanitize

from .uris import PUBLIC_ALIASES

REMOTE_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,29}$")
ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}
MAX_TEXT = 20_000


class Invalid(Exception):
    """A document Rostra will not store, with the reason."""


def first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def id_of(value):
    """The id of a reference: a string, or an object's ``id`` (the first of a list)."""
    value = first(value)
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    return value if isinstance(value, str) and value else None


def ids(value):
    """Every id in a value that may be one reference or a list of them."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("id") or item.get("href")
        if isinstance(item, str) and item:
            found.append(item)
    return found


def types(obj):
    kind = obj.get("type") if isinstance(obj, dict) else None
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return {kind} if isinstance(kind, str) else set()


def host(uri):
    """The host (with a non-default port) an id lives on, lower-cased; '' when it has none."""
    try:
        parts = urlsplit(uri)
    except (ValueError, TypeError):
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    try:
        port = parts.port
    except ValueError:
        return ""
    name = parts.hostname.lower()
    return f"{name}:{port}" if port and port not in (80, 443) else name


def same_host(a, b):
    return bool(host(a)) and host(a) == host(b)


def text(value, limit):
    if not isinstance(value, str):
        return ""
    return clean_text(value)[:limit]


def html(value):
    """Sanitised HTML and its plain text, from a remote ``content`` or ``summary``."""
    if not isinstance(value, str):
        return "", ""
    value = value[: MAX_TEXT * 4]
    safe = sanitize(clean_text(value))
    return safe, html_to_text(safe)[:MAX_TEXT]


def content(obj):
    """A Note's HTML and text; ``contentMap`` when ``content`` is missing."""
    value = obj.get("content")
    if not isinstance(value, str):
        value = next((v for v in (obj.get("contentMap") or {}).values() if isinstance(v, str)), "") if isinstance(
            obj.get("contentMap"), dict
        ) else ""
    return html(value)


def language(obj):
    if isinstance(obj.get("contentMap"), dict) and obj["contentMap"]:
        key = next(iter(obj["contentMap"]))
        if isinstance(key, str) and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?", key):
            return key[:10]
    return ""


def when(value):
    """An aware datetime from an ISO 8601 string, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def audience(obj):
    """Every recipient id in to, cc, bto, bcc and audience."""
    found = []
    for field in ("to", "cc", "bto", "bcc", "audience"):
        found.extend(ids(obj.get(field)))
    return found


def is_public(recipients):
    return any(r in PUBLIC_ALIASES for r in recipients)


def visibility(obj, followers_uri):
    """Rostra's visibility for a remote Note, from its addressing (as Mastodon reads it)."""
    to, cc = ids(obj.get("to")), ids(obj.get("cc"))
    if is_public(to):
        return "public"
    if is_public(cc):
        return "unlisted"
    if followers_uri and followers_uri in to + cc:
        return "followers"
    if any(r.endswith("/followers") for r in to + cc):
        return "followers"
    return "direct"


def actor_fields(doc):
    """What Rostra keeps of a remote actor document; raises Invalid for what it cannot use."""
    if not isinstance(doc, dict) or not types(doc) & ACTOR_TYPES:
        raise Invalid("Not an actor.")
    uri = doc.get("id")
    if not isinstance(uri, str) or not host(uri):
        raise Invalid("The actor has no usable id.")
    username = doc.get("preferredUsername")
    if not isinstance(username, str) or not REMOTE_USERNAME.match(username):
        raise Invalid("The actor's username is missing or not one Rostra can show.")
    inbox = id_of(doc.get("inbox"))
    if not inbox or not same_host(inbox, uri):
        raise Invalid("The actor has no inbox on its own server.")
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    shared = id_of(endpoints.get("sharedInbox")) or ""
    key = doc.get("publicKey")
    key = first(key) if isinstance(key, list) else key
    key_id, key_pem = "", ""
    if isinstance(key, dict) and isinstance(key.get("publicKeyPem"), str):
        key_id = key.get("id") if isinstance(key.get("id"), str) else ""
        owner = key.get("owner")
        if owner not in (None, uri):
            raise Invalid("The actor's key belongs to someone else.")
        if key_id and not same_host(key_id, uri):
            raise Invalid("The actor's key lives on another server.")
        key_pem = key["publicKeyPem"][:10_000]
    bio_html, bio = html(doc.get("summary"))
    links = []
    for item in doc.get("attachment") or [] if isinstance(doc.get("attachment"), list) else []:
        if isinstance(item, dict) and item.get("type") == "PropertyValue":
            _, value = html(item.get("value"))
            label = text(item.get("name"), 60)
            if label and value.startswith(("http://", "https://")):
                links.append([label, value[:300]])
    icon, image = first(doc.get("icon")), first(doc.get("image"))
    return {
        "uri": uri,
        "kind": sorted(types(doc) & ACTOR_TYPES)[0],
        "username": username,
        "domain": host(uri),
        "display_name": text(doc.get("name"), 60).strip(),
        "bio": bio[:500],
        "bio_html": bio_html,
        "links": links[:4],
        "locked": bool(doc.get("manuallyApprovesFollowers")),
        "inbox": inbox,
        "shared_inbox": shared if shared and same_host(shared, uri) else "",
        "outbox": id_of(doc.get("outbox")) or "",
        "followers": id_of(doc.get("followers")) or "",
        "following": id_of(doc.get("following")) or "",
        "featured": id_of(doc.get("featured")) or "",
        "url": id_of(doc.get("url")) or uri,
        "public_key_id": key_id,
        "public_key_pem": key_pem,
        "also_known_as": [u for u in ids(doc.get("alsoKnownAs")) if host(u)][:20],
        "moved_to_uri": id_of(doc.get("movedTo")) or "",
        "avatar_url": id_of(icon.get("url")) if isinstance(icon, dict) else None,
        "header_url": id_of(image.get("url")) if isinstance(image, dict) else None,
        "published": when(doc.get("published")),
    }
