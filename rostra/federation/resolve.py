"""Finding other servers' accounts and posts: by handle (WebFinger), by URL, by key id.

What is found is stored in the shared tables (``actions.store_actor``, ``inbox.store_note``)
so the next look-up is a query, not a request. Every request goes through ``fetch``: signed
with the instance's key, private addresses refused, sizes and times bounded.
"""

import logging
import re
from datetime import timedelta

from django.core.cache import cache
from django.db.models.functions import Lower
from django.utils import timezone

from rostra.accounts.models import Account
from rostra.posts.models import Post

from . import fetch, keys, parse, uris
from .models import Actor

log = logging.getLogger(__name__)

ACTOR_FRESH_FOR = timedelta(days=1)
HANDLE = re.compile(r"^@?(?P<user>[A-Za-z0-9_][A-Za-z0-9_.-]{0,29})@(?P<domain>[A-Za-z0-9.-]+(?::\d{1,5})?)$")


class NotResolved(Exception):
    """Nothing usable was found; the message says why."""


def _scheme():
    from django.conf import settings

    return "http" if settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK and not settings.ROSTRA_HTTPS else "https"


def known_account(uri):
    """A stored account by its ActivityPub id (local ones by their profile URL)."""
    local = uris.parse_local(uri)
    if local is not None:
        username, post_id = local
        if post_id is not None:
            return None
        return (
            Account.objects.alias(username_lower=Lower("username"))
            .filter(username_lower=username.lower(), domain__isnull=True)
            .first()
        )
    return Account.objects.filter(uri=uri, domain__isnull=False).first()


def actor(uri, refresh=False):
    """The account for an actor id, fetched and stored when unknown or stale."""
    from .actions import store_actor

    if not isinstance(uri, str) or not uri:
        raise NotResolved("No actor id.")
    uri = uri.split("#", 1)[0]
    account = known_account(uri)
    if account is not None and account.is_local:
        return account
    if account is not None and not refresh:
        fetched = Actor.objects.filter(account_id=account.pk).values_list("fetched_at", flat=True).first()
        if fetched and timezone.now() - fetched < ACTOR_FRESH_FOR:
            return account
    try:
        doc = fetch.get_json(uri, signer=keys.instance_signer())
    except fetch.FetchError as exc:
        if account is not None:
            return account  # a stale copy beats none while its server is down
        raise NotResolved(str(exc)) from exc
    if not parse.same_host(doc.get("id"), uri):
        raise NotResolved("The actor's id is on another server than the URL it came from.")
    try:
        return store_actor(doc)
    except parse.Invalid as exc:
        raise NotResolved(str(exc)) from exc


def key_owner(key_id, refresh=False):
    """The account whose public key has this id: stored, or fetched (the key id's document is
    the actor itself, or a key object naming its owner)."""
    if not refresh:
        found = Actor.objects.filter(public_key_id=key_id).select_related("account").first()
        if found is not None:
            return found.account
    try:
        doc = fetch.get_json(key_id.split("#", 1)[0], signer=keys.instance_signer())
    except fetch.FetchError as exc:
        raise NotResolved(f"The signing key could not be fetched: {exc}") from exc
    if not parse.same_host(doc.get("id"), key_id):
        raise NotResolved("The key's document is on another server.")
    if not parse.types(doc) & parse.ACTOR_TYPES:
        owner = doc.get("owner")
        if not parse.same_host(owner, key_id):
            raise NotResolved("The key's owner is on another server.")
        return actor(owner, refresh=True)
    from .actions import store_actor

    try:
        return store_actor(doc)
    except parse.Invalid as exc:
        raise NotResolved(str(exc)) from exc


def webfinger(handle):
    """The actor id for ``user@domain``, asked of that domain's WebFinger."""
    match = HANDLE.match(handle.strip())
    if not match:
        raise NotResolved("Not a handle of the form user@example.org.")
    user, domain = match.group("user"), match.group("domain").lower()
    url = f"{_scheme()}://{domain}/.well-known/webfinger?resource=acct:{user}@{domain}"
    try:
        status, _, data = fetch.request("GET", url, headers={"Accept": "application/jrd+json, application/json"})
    except fetch.FetchError as exc:
        raise NotResolved(str(exc)) from exc
    if status != 200:
        raise NotResolved(f"{domain} does not know {user}.")
    import json

    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise NotResolved("The WebFinger answer is not JSON.") from exc
    for link in doc.get("links") or [] if isinstance(doc, dict) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and isinstance(link.get("href"), str)
            and (link.get("type") or "").split(";")[0].strip() in ("application/activity+json", "application/ld+json")
        ):
            return link["href"]
    raise NotResolved(f"{domain} gave no ActivityPub actor for {user}.")


def handle(value):
    """An account by handle: stored, or found through WebFinger and stored."""
    match = HANDLE.match(value.strip())
    if not match:
        raise NotResolved("Not a handle of the form user@example.org.")
    user, domain = match.group("user"), match.group("domain").lower()
    from django.conf import settings

    if domain == settings.ROSTRA_DOMAIN.lower():
        account = Account.objects.alias(u=Lower("username")).filter(u=user.lower(), domain__isnull=True).first()
        if account is None:
            raise NotResolved("No such account here.")
        return account
    stored = Account.objects.alias(u=Lower("username")).filter(u=user.lower(), domain=domain).first()
    if stored is not None:
        return stored
    key = f"fed:webfinger-miss:{user.lower()}@{domain}"
    if cache.get(key):
        raise NotResolved(f"{domain} does not know {user}.")
    try:
        return actor(webfinger(value))
    except NotResolved:
        cache.set(key, True, 300)
        raise


def post(uri):
    """A post by its ActivityPub id or URL: stored, or fetched (with its author) and stored."""
    local = uris.parse_local(uri)
    if local is not None:
        username, post_id = local
        return Post.objects.filter(pk=post_id or 0, author__domain__isnull=True).select_related("author").first()
    stored = Post.objects.filter(uri=uri).select_related("author").first()
    if stored is not None:
        return stored
    try:
        doc = fetch.get_json(uri, signer=keys.instance_signer())
    except fetch.FetchError as exc:
        raise NotResolved(str(exc)) from exc
    if "Note" not in parse.types(doc) and not parse.types(doc) & {"Article", "Question", "Page"}:
        raise NotResolved("That URL is not a post.")
    if not parse.same_host(doc.get("id"), uri) and Post.objects.filter(uri=doc.get("id")).exists():
        return Post.objects.filter(uri=doc.get("id")).select_related("author").first()
    if not parse.same_host(doc.get("id"), uri):
        raise NotResolved("The post's id is on another server than the URL it came from.")
    author = actor(parse.id_of(doc.get("attributedTo")))
    if not parse.same_host(author.uri, doc["id"]):
        raise NotResolved("The post's author is on another server.")
    from .inbox import store_note

    return store_note(author, doc)


def url(value):
    """Whatever a URL points at: an account or a post (for search with ``resolve``)."""
    found = known_account(value) or Post.objects.filter(uri=value).first()
    if found is not None:
        return found
    try:
        doc = fetch.get_json(value, signer=keys.instance_signer())
    except fetch.FetchError as exc:
        raise NotResolved(str(exc)) from exc
    if parse.types(doc) & parse.ACTOR_TYPES:
        return actor(doc.get("id") or value)
    return post(doc.get("id") or value)
