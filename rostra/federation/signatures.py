"""HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures, rsa-sha256).

Every request Rostra sends to another server is signed with the key of the account it acts
for (or the instance's key); every POST to an inbox must carry a valid signature over
``(request-target) host date digest`` whose Digest matches the body, dated within a few
minutes. Pure functions: no database, no network; ``rostra.federation.verify`` adds the key
lookup.
"""

import base64
import hashlib
import re
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Headers a signature must cover: without them it would not tie itself to this request.
REQUIRED_FOR_POST = ("(request-target)", "host", "date", "digest")
REQUIRED_FOR_GET = ("(request-target)", "host", "date")
SUPPORTED_ALGORITHMS = {"rsa-sha256", "hs2019"}
_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class SignatureError(Exception):
    """Why a request's signature was refused, in words fit for the 401 it becomes."""


def generate_key_pair():
    """A new RSA key pair as (private PEM, public PEM); 2048 bits, as Mastodon uses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


_key_cache = {}


def _private_key(pem):
    key = _key_cache.get(pem)
    if key is None:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if len(_key_cache) > 512:
            _key_cache.clear()
        _key_cache[pem] = key
    return key


def _public_key(pem):
    key = _key_cache.get(pem)
    if key is None:
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except (ValueError, TypeError) as exc:
            raise SignatureError("The sender's public key cannot be read.") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("Only RSA keys are accepted.")
        if len(_key_cache) > 512:
            _key_cache.clear()
        _key_cache[pem] = key
    return key


def digest(body):
    """The Digest header value for ``body`` (bytes)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(when=None):
    return format_datetime(when or datetime.now(timezone.utc), usegmt=True)


def _signing_string(names, method, path, headers):
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        else:
            value = headers.get(name)
            if value is None:
                raise SignatureError(f"The signed header {name!r} is missing from the request.")
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def sign(method, url, key_id, private_pem, body=None, headers=None):
    """Headers (lower-case names) that sign a request: Host, Date, Digest for a body, Signature."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    out = {k.lower(): v for k, v in (headers or {}).items()}
    out["host"] = parts.netloc
    out["date"] = http_date()
    names = ["(request-target)", "host", "date"]
    if body is not None:
        out["digest"] = digest(body)
        names.append("digest")
        if "content-type" in out:
            names.append("content-type")
    text = _signing_string(names, method, path, out)
    signature = _private_key(private_pem).sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    out["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return out


def parse_signature_header(value):
    """The parameters of a Signature header (or of ``Authorization: Signature ...``)."""
    if not value:
        raise SignatureError("The request is not signed.")
    if value[:10].lower() == "signature ":
        value = value[10:]
    params = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if not match:
            raise SignatureError("The Signature header cannot be read.")
        params[match.group(1).lower()] = match.group(2)
        pos = match.end()
    for name in ("keyid", "signature"):
        if not params.get(name):
            raise SignatureError(f"The Signature header has no {name}.")
    return params


def check_date(date_header, window_seconds, now=None):
    """Refuse a request dated outside ``window_seconds`` of now, either way (replays)."""
    if not date_header:
        raise SignatureError("The request has no Date header.")
    try:
        when = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError) as exc:
        raise SignatureError("The Date header cannot be read.") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    if abs((now - when).total_seconds()) > window_seconds:
        raise SignatureError("The request's Date is too far from now; it may be a replay.")


def check_digest(digest_header, body):
    """The body is the one that was signed: its SHA-256 matches the Digest header."""
    if not digest_header:
        raise SignatureError("The request has no Digest header.")
    expected = hashlib.sha256(body).digest()
    for part in digest_header.split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.strip().lower() == "sha-256":
            try:
                given = base64.b64decode(value.strip(), validate=True)
            except ValueError as exc:
                raise SignatureError("The Digest header cannot be read.") from exc
            if given != expected:
                raise SignatureError("The body does not match its Digest: it was changed.")
            return
    raise SignatureError("The Digest header has no SHA-256 value.")


def verify(params, method, path, headers, public_pem, required):
    """Check a parsed signature against the request; raises SignatureError when it fails.

    ``headers`` maps lower-case names to values; ``path`` includes the query string.
    """
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(f"The signature algorithm {algorithm!r} is not supported.")
    names = params.get("headers", "date").lower().split()
    missing = [name for name in required if name not in names]
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(missing)}.")
    text = _signing_string(names, method, path, headers)
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError as exc:
        raise SignatureError("The signature is not base64.") from exc
    try:
        _public_key(public_pem).verify(signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureError("The signature does not match the sender's key.") from exc
