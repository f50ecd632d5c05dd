"""Every request Rostra makes to another server goes through here.

A URL from another server is untrusted input: it could point at this machine's own services
(Redis, the database, a cloud metadata address) or at a file that never ends. So every fetch
refuses loopback, private, link-local and other special addresses (re-checked after each
redirect, at most three), sends only http(s), reads at most a set number of bytes and gives up
after ``ROSTRA_FEDERATION_TIMEOUT`` seconds for the whole answer, however slowly it comes.
``ROSTRA_FEDERATION_ALLOW_LOOPBACK`` lets tests on one machine reach servers on 127.0.0.1
(and use plain http); it is never for production.

Known limit: the address is checked, then httpx resolves the name again to connect, so a
DNS server that answers differently the second time (rebinding) could slip past the check.
"""

import ipaddress
import json
import socket
import threading
import time
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from . import signatures

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT_AP = f"{ACTIVITY_JSON}, {LD_JSON}"
MAX_JSON_BYTES = 1_000_000
MAX_REDIRECTS = 3
USER_AGENT = "Rostra/0.1 (ActivityPub; +https://github.com/rostra)"


class FetchError(Exception):
    """A remote request that was refused, failed or answered with an error."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def _timeout(seconds=None):
    seconds = settings.ROSTRA_FEDERATION_TIMEOUT if seconds is None else seconds
    return httpx.Timeout(seconds, connect=min(5.0, seconds))


_local = threading.local()


def _client():
    """One connection pool per thread (granian and the worker run several)."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = httpx.Client(
            follow_redirects=False,
            timeout=_timeout(),
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
    return client


# IPv6 addresses that carry an IPv4 one: NAT64 (RFC 6052) and the deprecated IPv4-compatible
# form; 6to4 and IPv4-mapped ones have properties of their own. 64:ff9b:1::/48 is NAT64 for
# local use (RFC 8215), with the IPv4 address at a place the network chooses.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip):
    """The IPv4 address an IPv6 one reaches through a translator or tunnel, or None."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(ip):
    """Whether a fetch may connect to ``ip``. An IPv6 address standing for an IPv4 one is judged
    by that one: on a NAT64 network ``64:ff9b::a9fe:a9fe`` is the cloud metadata address."""
    ip = ipaddress.ip_address(ip)
    if isinstance(ip, ipaddress.IPv6Address) and not (ip.is_loopback or ip.is_unspecified):
        if ip in _LOCAL_NAT64:
            return False
        ip = _embedded_ipv4(ip) or ip
    if ip.is_loopback:
        return settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK
    return ip.is_global and not ip.is_multicast


def check_url(url):
    """Raise FetchError unless ``url`` is http(s) to a host whose every address is public."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"Not a URL: {url[:200]!r}") from exc
    allowed = {"https", "http"} if settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK else {"https"}
    if parts.scheme not in allowed or not parts.hostname:
        raise FetchError(f"Only {' and '.join(sorted(allowed))} URLs are fetched: {url[:200]!r}")
    if parts.username or parts.password:
        raise FetchError("URLs with credentials are not fetched.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{parts.hostname} cannot be resolved.") from exc
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise FetchError(f"{parts.hostname} points at a private or special address; not fetched.")


def _too_slow(host):
    return FetchError(f"{host} took too long to answer (more than {settings.ROSTRA_FEDERATION_TIMEOUT:g} s).")


def _read(response, limit, deadline):
    """The body, bounded in size (as unpacked) and in time: each read has its own timeout, so a
    server sending a byte now and then would otherwise hold a worker for days."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise FetchError(f"The answer from {response.url.host} is larger than {limit} bytes.")
        if time.monotonic() > deadline:
            raise _too_slow(response.url.host)
        chunks.append(chunk)
    return b"".join(chunks)


def request(method, url, *, body=None, headers=None, signer=None, limit=MAX_JSON_BYTES):
    """Send one request (following up to three checked redirects for GET).

    ``signer`` is (key_id, private PEM): the request is signed as that key's owner, and each
    redirect is signed anew for its own URL. Returns (status, headers, body bytes). The whole
    of it, redirects included, takes at most about ``ROSTRA_FEDERATION_TIMEOUT`` seconds (read
    here, not when the thread's client was made, so a changed setting counts at once).
    """
    deadline = time.monotonic() + settings.ROSTRA_FEDERATION_TIMEOUT
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        left = deadline - time.monotonic()
        if left <= 0:
            raise _too_slow(urlsplit(url).hostname)
        sent = dict(headers or {})
        if signer is not None:
            sent = signatures.sign(method, url, signer[0], signer[1], body=body, headers=sent)
        try:
            with _client().stream(method, url, content=body, headers=sent, timeout=_timeout(left)) as response:
                if response.is_redirect and method == "GET":
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("A redirect without a Location.", response.status_code)
                    url = urljoin(url, location)
                    continue
                return response.status_code, response.headers, _read(response, limit, deadline)
        except httpx.HTTPError as exc:
            raise FetchError(f"{urlsplit(url).hostname} did not answer: {type(exc).__name__}") from exc
    raise FetchError("Too many redirects.")


def get_json(url, signer=None):
    """Fetch an ActivityPub document; raises FetchError unless a JSON object comes back."""
    status, _, data = request("GET", url, headers={"Accept": ACCEPT_AP}, signer=signer)
    if status == 410:
        raise FetchError("Gone.", status)
    if status != 200:
        raise FetchError(f"{urlsplit(url).hostname} answered {status}.", status)
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError("The answer is not JSON.") from exc
    if not isinstance(value, dict):
        raise FetchError("The answer is not a JSON object.")
    return value


def post_activity(url, body, signer):
    """Deliver ``body`` (bytes of JSON) to an inbox; returns the status code."""
    status, _, _ = request(
        "POST", url, body=body, headers={"Content-Type": ACTIVITY_JSON, "Accept": ACCEPT_AP}, signer=signer, limit=100_000
    )
    return status
