"""Every request to another server goes through ``fetch``: a URL from elsewhere must not reach
this machine's own services, a cloud metadata address or a private network, and a hostile server
must not hold a worker or fill its memory.

Addresses are checked in-process; redirects, sizes and times against small HTTP servers run
here on loopback (with the test-only setting that lets fetches reach 127.0.0.1, and checks that
everything else stays refused with it on). The last tests look things up with loopback *not*
allowed, the way production runs, and check that nothing was fetched and nothing stored.
"""

import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rostra.accounts.models import Account
from rostra.federation import fetch, resolve, signatures
from rostra.federation.models import ReceivedActivity
from rostra.posts.models import Post

from .peer import Peer

# Most of these tests touch no table: a plain (rolled back) test database is enough, and spares
# the flush a committing test costs. The inbox test below commits, so that its queue runs.
pytestmark = pytest.mark.django_db

PUBLIC_V4 = "93.184.216.34"  # a public address, written as a literal: no DNS is asked


@pytest.fixture
def no_loopback(settings):
    settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK = False
    return settings


@pytest.fixture
def loopback(settings):
    settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK = True
    return settings


def refused(url, match=None):
    with pytest.raises(fetch.FetchError, match=match):
        fetch.check_url(url)


# --- Addresses and schemes ---------------------------------------------------------------


PRIVATE = [
    "https://127.0.0.1/",
    "https://127.0.0.1:6379/",  # Redis
    "https://[::1]/",
    "https://localhost/",  # a name that resolves to loopback
    "https://LocalHost/",
    "https://2130706433/",  # 127.0.0.1 as one number
    "https://127.1/",
    "https://0x7f.0.0.1/",
    "https://10.0.0.1/",
    "https://10.255.255.254/",
    "https://172.16.0.1/",
    "https://172.31.255.254/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://0.0.0.0/",  # reaches this machine on Linux
    "https://[::]/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://[fc00::1]/",
    "https://[fd12:3456:789a::1]/",
    "https://[fe80::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6 loopback
    "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::127.0.0.1]/",  # IPv4-compatible IPv6 (deprecated, still parsed)
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "https://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "https://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_loopback_and_special_addresses_are_refused(no_loopback, url):
    refused(url, "private or special address")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://93.184.216.34/pub/",
        "gopher://93.184.216.34:70/_stats",
        "dict://93.184.216.34:11211/stats",
        "javascript:alert(1)",
        "data:application/json,{}",
        "//93.184.216.34/no-scheme",
        "https:///no-host",
        "http://93.184.216.34/",  # plain http, when loopback (the test setting) is not allowed
    ],
)
def test_only_https_urls_are_fetched(no_loopback, url):
    refused(url, "Only https URLs")


@pytest.mark.parametrize(
    "url", ["https://user:secret@93.184.216.34/", "https://user@93.184.216.34/", "https://:pw@93.184.216.34/"]
)
def test_urls_with_credentials_are_refused(no_loopback, url):
    refused(url, "credentials")


@pytest.mark.parametrize("url", ["https://[::1]:99999/", "https://exa mple.org/", "https://[::1/"])
def test_urls_that_do_not_parse_are_refused(no_loopback, url):
    refused(url)


@pytest.mark.parametrize(
    "url",
    [f"https://{PUBLIC_V4}/users/alice", "https://[2606:4700:4700::1111]/", "https://[64:ff9b::5db8:d822]/"],
)
def test_public_addresses_are_allowed(no_loopback, url):
    """The check refuses by address, not everything: public ones pass (the last is NAT64 of a
    public IPv4 address, as an IPv6-only host reaches IPv4 servers)."""
    fetch.check_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/@alice", "https://127.0.0.1/", "http://[::1]:8000/", "http://localhost:8000/",
            "http://[::ffff:127.0.0.1]:8000/"]
)
def test_loopback_only_with_the_test_setting(settings, url):
    settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK = False
    refused(url)
    settings.ROSTRA_FEDERATION_ALLOW_LOOPBACK = True
    fetch.check_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:8000/", "http://[::]:8000/",
     "http://192.168.0.10/", "http://[fd00::1]/", "http://user:pw@127.0.0.1/", "file:///etc/passwd",
     "gopher://127.0.0.1:6379/_INFO"],
)
def test_the_test_setting_opens_loopback_and_nothing_else(loopback, url):
    refused(url)


# --- A small origin server on loopback -----------------------------------------------------


class Origin:
    """An HTTP server on 127.0.0.1 whose answers a test writes: ``routes[path](handler)``."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self.sent = 0
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.command == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                origin.requests.append((self.path, dict(self.headers)))
                route = origin.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    return self.answer(404, b'{"error": "not found"}')
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET

            def answer(self, status, body=b"", content_type="application/activity+json", **headers):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def redirect(self, location, status=302):
                self.answer(status, b"", Location=location)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origin(loopback):
    server = Origin()
    yield server
    server.close()


def doc(handler, value=None):
    handler.answer(200, json.dumps(value if value is not None else {"id": "x", "type": "Note"}).encode())


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(origin):
    for target in ("http://10.0.0.1/users/x", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
                   "http://[fd00::1]/"):
        origin.routes["/start"] = lambda h, target=target: h.redirect(target)
        started = time.monotonic()
        with pytest.raises(fetch.FetchError, match="private or special address"):
            fetch.get_json(f"{origin.url}/start")
        # Refused before any connection: 10.0.0.1 would otherwise wait for the connect timeout.
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://127.0.0.1/"])
def test_a_redirect_to_another_scheme_is_refused(origin, target):
    origin.routes["/start"] = lambda h: h.redirect(target, 301)
    with pytest.raises(fetch.FetchError, match="Only http and https URLs"):
        fetch.get_json(f"{origin.url}/start")


def test_three_redirects_are_followed_and_a_fourth_is_not(origin):
    origin.routes["/1"] = lambda h: h.redirect("/2")  # relative, as servers often send
    origin.routes["/2"] = lambda h: h.redirect(f"{origin.url}/3", 301)
    origin.routes["/3"] = lambda h: h.redirect("/4", 308)
    origin.routes["/4"] = lambda h: doc(h, {"id": "found", "type": "Person"})
    assert fetch.get_json(f"{origin.url}/1") == {"id": "found", "type": "Person"}
    assert [path for path, _ in origin.requests] == ["/1", "/2", "/3", "/4"]

    origin.requests.clear()
    origin.routes["/0"] = lambda h: h.redirect("/1", 307)
    with pytest.raises(fetch.FetchError, match="Too many redirects"):
        fetch.get_json(f"{origin.url}/0")
    assert [path for path, _ in origin.requests] == ["/0", "/1", "/2", "/3"]


def test_a_redirect_loop_ends(origin):
    origin.routes["/loop"] = lambda h: h.redirect("/loop")
    with pytest.raises(fetch.FetchError, match="Too many redirects"):
        fetch.get_json(f"{origin.url}/loop")
    assert len(origin.requests) == 4


def test_a_signed_fetch_is_signed_anew_for_the_url_it_is_redirected_to(origin):
    private_pem, public_pem = signatures.generate_key_pair()
    origin.routes["/old"] = lambda h: h.redirect("/new?page=2")
    origin.routes["/new"] = lambda h: doc(h)
    fetch.get_json(f"{origin.url}/old", signer=("https://rostra.example/actor#main-key", private_pem))
    for path, headers in origin.requests:
        lower = {k.lower(): v for k, v in headers.items()}
        params = signatures.parse_signature_header(lower["signature"])
        signatures.verify(params, "GET", path, lower, public_pem, signatures.REQUIRED_FOR_GET)
    assert [path for path, _ in origin.requests] == ["/old", "/new?page=2"]


def test_a_delivery_is_not_redirected(origin):
    """A 3xx to a POST is the answer: the activity is not sent on to wherever it points."""
    origin.routes["/inbox"] = lambda h: h.redirect(f"{origin.url}/elsewhere", 307)
    origin.routes["/elsewhere"] = lambda h: h.answer(202)
    private_pem, _ = signatures.generate_key_pair()
    status = fetch.post_activity(f"{origin.url}/inbox", b"{}", ("https://rostra.example/actor#main-key", private_pem))
    assert status == 307
    assert [path for path, _ in origin.requests] == ["/inbox"]


def test_an_endless_answer_is_refused_without_reading_it_all(origin):
    def route(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nConnection: close\r\n\r\n{")
        try:
            while origin.sent < 100_000_000:  # "endless": were the limit missing, the test fails, not hangs
                handler.wfile.write(b" " * 65536)
                origin.sent += 65536
        except OSError:
            pass
        handler.close_connection = True

    origin.routes["/huge"] = route
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="larger than 1000000 bytes"):
        fetch.get_json(f"{origin.url}/huge")
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    # What the server got out before the reader hung up: the limit and the socket buffers, not more.
    assert origin.sent < 40_000_000


def test_a_compressed_answer_is_measured_as_it_unpacks(origin):
    """50 MB of spaces gzip to about 50 kB: a limit on the wire alone would let it all in."""
    bomb = gzip.compress(b"{" + b" " * 50_000_000 + b"}")
    assert len(bomb) < 100_000
    origin.routes["/bomb"] = lambda h: h.answer(200, bomb, Content_Encoding="gzip")
    with pytest.raises(fetch.FetchError, match="larger than"):
        fetch.get_json(f"{origin.url}/bomb")


def test_an_answer_at_the_limit_is_taken_and_one_byte_more_is_not(origin):
    def padded(size):
        head = b'{"id": "x", "pad": "'
        return head + b"a" * (size - len(head) - 2) + b'"}'

    origin.routes["/exact"] = lambda h: h.answer(200, padded(fetch.MAX_JSON_BYTES))
    origin.routes["/over"] = lambda h: h.answer(200, padded(fetch.MAX_JSON_BYTES + 1))
    assert fetch.get_json(f"{origin.url}/exact")["id"] == "x"
    with pytest.raises(fetch.FetchError, match="larger than"):
        fetch.get_json(f"{origin.url}/over")


@pytest.fixture
def silent_server():
    """Accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def run():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_is_given_up_on_in_time(loopback, silent_server):
    url, accepted = silent_server
    loopback.ROSTRA_FEDERATION_TIMEOUT = 10
    # A first request in this thread makes its connection pool; a later, shorter setting still counts.
    with pytest.raises(fetch.FetchError):
        fetch.get_json("http://127.0.0.1:1/")
    loopback.ROSTRA_FEDERATION_TIMEOUT = 1
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="did not answer"):
        fetch.get_json(f"{url}/users/x")
    assert 0.9 < time.monotonic() - started < 2.5
    assert len(accepted) == 1


def test_a_server_that_answers_a_byte_at_a_time_is_given_up_on_in_time(origin, loopback):
    """Each byte arrives well within the read timeout, so only a limit on the whole answer ends it."""
    stop = threading.Event()

    def drip(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nContent-Length: 100000\r\n\r\n")
        until = time.monotonic() + 8  # were the limit missing, the test fails then instead of hanging
        while not stop.is_set() and time.monotonic() < until:
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)

    origin.routes["/drip"] = drip
    loopback.ROSTRA_FEDERATION_TIMEOUT = 1
    started = time.monotonic()
    try:
        with pytest.raises(fetch.FetchError, match="too long"):
            fetch.get_json(f"{origin.url}/drip")
        assert time.monotonic() - started < 2.5
    finally:
        stop.set()


@pytest.mark.parametrize(
    "body, content_type, match",
    [
        (b"<html><body>Not a document</body></html>", "text/html", "not JSON"),
        (b"", "application/activity+json", "not JSON"),
        (b"\xff\xfe{}", "application/activity+json", "not JSON"),
        (b'["a", "list"]', "application/activity+json", "not a JSON object"),
        (b"null", "application/activity+json", "not a JSON object"),
        (b'"a string"', "application/activity+json", "not a JSON object"),
    ],
)
def test_get_json_takes_only_a_json_object(origin, body, content_type, match):
    origin.routes["/doc"] = lambda h: h.answer(200, body, content_type)
    with pytest.raises(fetch.FetchError, match=match):
        fetch.get_json(f"{origin.url}/doc")


@pytest.mark.parametrize("status", [404, 410, 401, 500, 503])
def test_an_error_status_raises_with_the_status(origin, status):
    origin.routes["/gone"] = lambda h: h.answer(status, b'{"error": "no"}')
    with pytest.raises(fetch.FetchError) as raised:
        fetch.get_json(f"{origin.url}/gone")
    assert raised.value.status == status
    if status == 410:
        assert str(raised.value) == "Gone."


def test_get_json_asks_for_activitystreams(origin):
    origin.routes["/doc"] = lambda h: doc(h)
    fetch.get_json(f"{origin.url}/doc")
    accept = origin.requests[0][1]["Accept"]
    assert "application/activity+json" in accept and 'profile="https://www.w3.org/ns/activitystreams"' in accept


# --- Look-ups never reach a private address -------------------------------------------------


@pytest.fixture
def canary():
    """A port on 127.0.0.1 that counts every connection made to it (TLS or not)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    connections = []
    stop = threading.Event()

    def run():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                connections.append(conn)
                conn.close()
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield listener.getsockname()[1], connections
    stop.set()
    thread.join()
    listener.close()


@pytest.fixture
def peer():
    peer = Peer()
    yield peer
    peer.close()


def stored_nothing(domain):
    return not Account.objects.filter(domain=domain).exists() and not Post.objects.filter(uri__contains=domain).exists()


def test_looking_up_an_actor_or_post_on_a_private_address_fetches_nothing_and_stores_nothing(no_loopback, canary, peer):
    port, connections = canary
    actor = peer.actor("hidden")
    note = peer.note(actor, "a post on a private address", 1)
    urls = [
        actor.uri,  # http://127.0.0.1:<peer>/users/hidden: a real actor document is there
        actor.uri.replace("http://", "https://"),
        f"https://127.0.0.1:{port}/users/x",
        f"https://localhost:{port}/users/x",
        f"https://[::ffff:127.0.0.1]:{port}/users/x",
        f"https://2130706433:{port}/users/x",
        "https://10.0.0.1/users/x",
        "https://169.254.169.254/latest/meta-data/",
    ]
    started = time.monotonic()
    for url in urls:
        with pytest.raises(resolve.NotResolved):
            resolve.actor(url)
        with pytest.raises(resolve.NotResolved):
            resolve.post(url)
        with pytest.raises(resolve.NotResolved):
            resolve.key_owner(url + "#main-key")
        with pytest.raises(resolve.NotResolved):
            resolve.url(url)
    with pytest.raises(resolve.NotResolved):
        resolve.post(note["id"])
    with pytest.raises(resolve.NotResolved):
        resolve.handle(f"hidden@{peer.domain}")
    with pytest.raises(resolve.NotResolved):
        resolve.handle(f"someone@127.0.0.1:{port}")
    assert time.monotonic() - started < 5  # nothing waited for a connection to 10.0.0.1
    assert peer.fetches == [] and connections == []
    assert stored_nothing(peer.domain) and stored_nothing(f"127.0.0.1:{port}")


def test_with_loopback_allowed_the_same_actor_is_fetched_and_stored(loopback, peer):
    """The control for the test above: what it refuses is there, and would be taken."""
    actor = peer.actor("hidden")
    account = resolve.actor(actor.uri)
    assert account.domain == peer.domain and account.username == "hidden"
    assert [path for path, _ in peer.fetches] == ["/users/hidden"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_an_inbox_post_from_an_actor_on_a_private_address_is_refused_without_a_fetch(no_loopback, peer, canary, client, scheme):
    """The inbox takes a first-time sender's activity and leaves the key to its queue (run at
    once in this process); the queue must not fetch the key from a private address: neither
    the peer's real document over http nor anything over https on loopback."""
    port, connections = canary
    actor = peer.actor("intruder")
    if scheme == "https":
        actor.uri = f"https://127.0.0.1:{port}/users/intruder"
        actor.key_id = f"{actor.uri}#main-key"
    activity = peer.create(actor, peer.note(actor, "words from a private address", 1))
    activity["id"] = f"{actor.uri}/statuses/1/activity"
    activity["object"] = dict(activity["object"], id=f"{actor.uri}/statuses/1", attributedTo=actor.uri)
    body = json.dumps(activity).encode()
    headers = signatures.sign("POST", "http://testserver/inbox", actor.key_id, actor.private_pem, body=body,
                              headers={"Content-Type": "application/activity+json"})
    headers.pop("content-type")
    response = client.post("/inbox", data=body, content_type="application/activity+json", headers=headers)
    assert response.status_code == 202, response.content
    received = ReceivedActivity.objects.get(activity_id=activity["id"])
    assert received.state == ReceivedActivity.State.REFUSED
    assert ("Only https URLs" if scheme == "http" else "private or special address") in received.error
    assert peer.fetches == [] and connections == []
    assert stored_nothing(peer.domain) and stored_nothing(f"127.0.0.1:{port}")
