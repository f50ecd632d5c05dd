"""Who signed a request: the signature checked against the key of the account that owns it.

The key is looked up by its id among stored actors, fetched from its server when unknown, and
fetched again once when the signature does not match a stored key (the actor may have
rotated it). Anything wrong raises ``SignatureError``; nothing is stored for a request that
fails here.

An inbox must not wait on another server inside a request (a server fetching our actor at
that moment would wait on our busy worker, and the two would time out together), so the inbox
checks what it can at once (Date, Digest, and the signature when the key is already stored)
and leaves a first-time sender's key to the inbox queue: ``Deferred`` carries the signed
headers there, and ``signer_of_deferred`` finishes the check before anything is processed.
"""

from django.conf import settings
from django.core.cache import cache

from . import parse, resolve, signatures
from .actions import blocked_domain
from .models import Actor
from .signatures import SignatureError

# Seconds before a stored key that failed to verify a signature may be fetched again.
REFETCH_EVERY = 60
# Headers kept for a check finished later by the inbox queue.
KEPT_HEADERS = ("host", "date", "digest", "content-type", "content-length", "signature", "authorization", "accept", "user-agent")


class Deferred(Exception):
    """The signer's key is not stored here yet: check the signature in the inbox queue."""

    def __init__(self, saved):
        super().__init__("key not known yet")
        self.saved = saved


def _key_of(account, key_id):
    actor = Actor.objects.filter(account_id=account.pk).values_list("public_key_id", "public_key_pem").first()
    if actor is None or not actor[1]:
        raise SignatureError("The signer has no public key.")
    if actor[0] and actor[0] != key_id:
        raise SignatureError("The key id is not the signer's key.")
    return actor[1]


def _parts(request, body):
    """Checks that need no key: a readable header, a fresh Date, a Digest that matches."""
    header = request.headers.get("Signature") or request.headers.get("Authorization")
    params = signatures.parse_signature_header(header)
    signatures.check_date(request.headers.get("Date"), settings.ROSTRA_SIGNATURE_WINDOW)
    if request.method == "POST":
        signatures.check_digest(request.headers.get("Digest"), body)
    key_id = params["keyid"]
    if not parse.host(key_id):
        raise SignatureError("The key id is not a URL.")
    if blocked_domain(parse.host(key_id)):
        raise SignatureError("Requests from that server are refused here.")
    headers = {name.lower(): value for name, value in request.headers.items()}
    return params, headers


def _check(params, method, path, headers, fetch=True):
    """The signer, when the signature verifies; None when ``fetch`` is off and the key is not
    stored here (the caller defers the check)."""
    key_id = params["keyid"]
    required = signatures.REQUIRED_FOR_POST if method == "POST" else signatures.REQUIRED_FOR_GET
    stored = Actor.objects.filter(public_key_id=key_id).select_related("account").first()
    if stored is None and not fetch:
        return None
    try:
        account = stored.account if stored is not None else resolve.key_owner(key_id)
    except resolve.NotResolved as exc:
        raise SignatureError(str(exc)) from exc
    if account.is_local:
        raise SignatureError("A key of this server signed a request from elsewhere.")
    try:
        # A stored actor was found by this very key id: its row already holds the key (no
        # second read of it, as _key_of would make).
        if stored is not None and not stored.public_key_pem:
            raise SignatureError("The signer has no public key.")
        public_pem = stored.public_key_pem if stored is not None else _key_of(account, key_id)
        signatures.verify(params, method, path, headers, public_pem, required)
    except SignatureError:
        if stored is None:
            raise
        # Perhaps the key was rotated: fetch it once more (at most once a minute per key, so
        # forged requests cannot make this server fetch keys for them) and try again.
        if not cache.add(f"fed:key-refetched:{key_id}", 1, REFETCH_EVERY):
            raise
        try:
            account = resolve.key_owner(key_id, refresh=True)
        except resolve.NotResolved as exc:
            raise SignatureError(str(exc)) from exc
        signatures.verify(params, method, path, headers, _key_of(account, key_id), required)
    return account


def signer_of(request, body=b""):
    """The (remote) Account whose key signed ``request``; raises SignatureError."""
    params, headers = _parts(request, body)
    return _check(params, request.method, request.get_full_path(), headers)


def signer_of_inbox_post(request, body):
    """For an inbox: the signer when its stored key verifies the request; raises SignatureError
    for what is wrong on its face, and ``Deferred`` when the key must first be fetched."""
    params, headers = _parts(request, body)
    path = request.get_full_path()
    account = _check(params, "POST", path, headers, fetch=False)
    if account is None:
        raise Deferred({"path": path, "headers": {k: v for k, v in headers.items() if k in KEPT_HEADERS}})
    return account


def signer_of_deferred(saved):
    """Finish a check the inbox left to the queue (the Date and Digest were checked then)."""
    headers = saved.get("headers") or {}
    params = signatures.parse_signature_header(headers.get("signature") or headers.get("authorization"))
    return _check(params, "POST", saved.get("path") or "/", headers)
