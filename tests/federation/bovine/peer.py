"""Drive bovine-herd 0.5.19 as a loopback ActivityPub federation peer.

Standard library + httpx only, and no pytest dependency, so Rostra's tests can
import it from their own environment. bovine itself runs in a separate
virtual environment (default ``/work/main/.venv-bovine``) as a subprocess; the
two helper scripts next to this file (``serve.py``, ``bovine_cli.py``) run in
that environment. See README.md in this directory for the findings behind it.

Typical use::

    from tests.federation.bovine import peer

    peer.install()                                  # idempotent, ~35 s first time
    bov = peer.start(8123, "/tmp/bovine-8123")      # ~2 s
    try:
        alice = peer.create_actor(bov, "alice")     # ~2 s
        peer.follow(bov, alice, "http://127.0.0.1:8000/users/bob")
        peer.wait_until(lambda: "http://127.0.0.1:8000/users/bob"
                        in peer.following(bov, alice))
        peer.post_note(bov, alice, "hello", to=("public", "followers"))
        items = peer.inbox_items(bov, alice)
    finally:
        peer.stop(bov)

Acting as a bovine actor uses bovine's client-to-server auth, Moo-Auth-1: an
Ed25519 key that ``create_actor`` attaches to the actor. The signatures are
made by ``bovine_cli.py sign`` in the bovine venv (about 0.2 s per request),
because the standard library has no Ed25519.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
DEFAULT_VENV = REPO_ROOT / ".venv-bovine"
SERVE_SCRIPT = HERE / "serve.py"
CLI_SCRIPT = HERE / "bovine_cli.py"

BOVINE_VERSION = "0.5.19"
REQUIREMENTS = [
    f"bovine-herd=={BOVINE_VERSION}",
    f"bovine=={BOVINE_VERSION}",
    f"bovine-store=={BOVINE_VERSION}",
    f"bovine-process=={BOVINE_VERSION}",
]

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"

# bovine compacts every stored activity against contexts that reference these
# URLs. Unknown context URLs are fetched from the internet with `requests` and
# the result (or [] on failure) is cached in <cwd>/bovine_jsonld_cache.sqlite.
# We pre-fill that cache so no fetch is ever attempted. These are small subsets
# of the published contexts with the terms bovine and the fediverse use; the
# activitystreams context itself is built into bovine.
_SEC = "https://w3id.org/security#"
OFFLINE_CONTEXTS: dict[str, object] = {
    "https://w3id.org/security/v1": {
        "id": "@id",
        "type": "@type",
        "sec": _SEC,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "Key": "sec:Key",
        "CryptographicKey": "sec:Key",
        "publicKey": {"@id": "sec:publicKey", "@type": "@id"},
        "publicKeyPem": "sec:publicKeyPem",
        "owner": {"@id": "sec:owner", "@type": "@id"},
        "signature": "sec:signature",
        "signatureValue": "sec:signatureValue",
        "signatureAlgorithm": "sec:signingAlgorithm",
        "nonce": "sec:nonce",
        "creator": {"@id": "http://purl.org/dc/terms/creator", "@type": "@id"},
        "created": {"@id": "http://purl.org/dc/terms/created", "@type": "xsd:dateTime"},
        "expires": {"@id": "sec:expiration", "@type": "xsd:dateTime"},
    },
    "https://www.w3.org/ns/did/v1": {
        "id": "@id",
        "type": "@type",
        "alsoKnownAs": {
            "@id": "https://www.w3.org/ns/activitystreams#alsoKnownAs",
            "@type": "@id",
        },
        "assertionMethod": {"@id": f"{_SEC}assertionMethod", "@type": "@id", "@container": "@set"},
        "authentication": {"@id": f"{_SEC}authenticationMethod", "@type": "@id", "@container": "@set"},
        "controller": {"@id": f"{_SEC}controller", "@type": "@id"},
        "service": {"@id": "https://www.w3.org/ns/did#service", "@type": "@id"},
        "serviceEndpoint": {"@id": "https://www.w3.org/ns/did#serviceEndpoint", "@type": "@id"},
        "verificationMethod": {"@id": f"{_SEC}verificationMethod", "@type": "@id"},
    },
    "https://w3id.org/security/multikey/v1": {
        "id": "@id",
        "type": "@type",
        "Multikey": {"@id": f"{_SEC}Multikey"},
        "controller": {"@id": f"{_SEC}controller", "@type": "@id"},
        "publicKeyMultibase": {"@id": f"{_SEC}publicKeyMultibase"},
        "expires": {"@id": f"{_SEC}expiration"},
        "revoked": {"@id": f"{_SEC}revoked"},
    },
    "https://w3id.org/security/data-integrity/v1": {
        "id": "@id",
        "type": "@type",
        "proof": {"@id": f"{_SEC}proof", "@type": "@id", "@container": "@graph"},
        "DataIntegrityProof": {"@id": f"{_SEC}DataIntegrityProof"},
        "cryptosuite": {"@id": f"{_SEC}cryptosuite"},
        "proofValue": {"@id": f"{_SEC}proofValue"},
        "proofPurpose": {"@id": f"{_SEC}proofPurpose", "@type": "@vocab"},
        "verificationMethod": {"@id": f"{_SEC}verificationMethod", "@type": "@id"},
        "created": {"@id": "http://purl.org/dc/terms/created"},
    },
}


class PeerError(RuntimeError):
    pass


@dataclass
class Peer:
    """A running bovine-herd instance (returned by ``start``)."""

    process: subprocess.Popen
    host: str
    port: int
    data_dir: Path
    db_url: str
    python: Path
    log_path: Path
    wire_log_path: Path | None

    @property
    def domain(self) -> str:
        """host:port, as it appears in every actor and object id."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"


@dataclass
class Actor:
    """A bovine actor plus what is needed to act as it (``create_actor``)."""

    handle: str
    bovine_name: str
    actor_id: str
    inbox: str
    outbox: str
    followers: str
    following: str
    proxy_url: str
    key_id: str  # the RSA key bovine signs server-to-server requests with
    acct: str
    did_key: str  # Moo-Auth-1 identity, client-to-server
    secret: str  # multibase Ed25519 private key for Moo-Auth-1
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------
# install / start / stop
# --------------------------------------------------------------------------


def venv_python(venv_path: str | os.PathLike = DEFAULT_VENV) -> Path:
    return Path(venv_path) / "bin" / "python"


def _installed(python: Path) -> bool:
    if not python.exists():
        return False
    # metadata only: importing bovine_herd would cost ~2 s
    check = (
        "import importlib.metadata as m;"
        f"assert m.version('bovine-herd') == '{BOVINE_VERSION}';"
        "[m.version(p) for p in ('hypercorn', 'cryptography', 'aiosqlite')]"
    )
    result = subprocess.run([str(python), "-c", check], capture_output=True, check=False)
    return result.returncode == 0


def install(
    venv_path: str | os.PathLike = DEFAULT_VENV,
    python: str | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Create the bovine venv and pip-install bovine-herd 0.5.19 into it.

    Idempotent: returns at once (about 0.3 s) when the venv already has the
    right version. The first install takes about 35 s with a warm pip cache.
    ``python`` defaults to ``python3`` on PATH (3.11 works; bovine needs >=3.11).
    Returns the venv's python.
    """
    venv_path = Path(venv_path)
    py = venv_python(venv_path)
    if _installed(py):
        return py
    base_python = python or shutil.which("python3") or sys.executable
    if not py.exists():
        subprocess.run([base_python, "-m", "venv", str(venv_path)], check=True)
        # keep the venv out of git status; it lives inside the repository
        (venv_path / ".gitignore").write_text("*\n")
    cmd = [str(py), "-m", "pip", "install", "--quiet", *REQUIREMENTS]
    if log:
        log("running: " + " ".join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not _installed(py):
        raise PeerError(f"pip install failed:\n{result.stdout}\n{result.stderr}")
    return py


def seed_jsonld_cache(data_dir: str | os.PathLike, extra_contexts: dict | None = None) -> Path:
    """Pre-fill bovine's JSON-LD context cache in data_dir (see OFFLINE_CONTEXTS).

    ``extra_contexts`` maps further context URLs (e.g. one Rostra puts in its
    ``@context``) to the context value to use for them. Existing entries are
    replaced. bovine only reads this file at import time, so seed before start.
    """
    path = Path(data_dir) / "bovine_jsonld_cache.sqlite"
    contexts = {**OFFLINE_CONTEXTS, **(extra_contexts or {})}
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
        con.executemany(
            "INSERT OR REPLACE INTO jsonld VALUES (?, ?)",
            [(url, json.dumps(ctx)) for url, ctx in contexts.items()],
        )
        con.commit()
    finally:
        con.close()
    return path


def _client() -> httpx.Client:
    # trust_env=False: never route loopback traffic through a configured proxy
    return httpx.Client(timeout=30, trust_env=False)


def start(
    port: int,
    data_dir: str | os.PathLike,
    host: str = "127.0.0.1",
    venv_path: str | os.PathLike = DEFAULT_VENV,
    db_url: str | None = None,
    wire_log: bool = True,
    extra_contexts: dict | None = None,
    env: dict | None = None,
    timeout: float = 60,
) -> Peer:
    """Start bovine-herd on http://host:port and wait until it answers.

    data_dir holds the sqlite database (unless db_url is given, e.g.
    ``postgres://postgres@127.0.0.1:5432/bovine_test``; that database must
    exist), the JSON-LD cache, server.log and wire.jsonl (every request bovine
    received or sent, see serve.py). The process gets its own session
    (start_new_session=True), so ``stop`` can signal the whole group.
    ``env`` adds environment variables for the server, e.g.
    {"BUTCHER_ALLOW_HTTP": "1"} to let bovine's WebFinger lookups of
    acct: URIs fall back from https:// to http://.
    """
    py = venv_python(venv_path)
    if not py.exists():
        raise PeerError(f"no bovine venv at {venv_path}; call peer.install() first")
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    seed_jsonld_cache(data_dir, extra_contexts)
    if db_url is None:
        db_url = f"sqlite://{data_dir / 'bovine.sqlite3'}"
    log_path = data_dir / "server.log"
    wire_log_path = data_dir / "wire.jsonl" if wire_log else None
    cmd = [str(py), str(SERVE_SCRIPT), "--host", host, "--port", str(port), "--db", db_url]
    if wire_log_path:
        cmd += ["--wire-log", str(wire_log_path)]
    with open(log_path, "ab") as log_file:  # the child keeps its own copy of the fd
        process = subprocess.Popen(
            cmd,
            cwd=data_dir,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    peer = Peer(process, host, port, data_dir, db_url, py, log_path, wire_log_path)

    deadline = time.monotonic() + timeout
    with _client() as client:
        while True:
            if process.poll() is not None:
                raise PeerError(
                    f"bovine exited with {process.returncode}:\n{_tail(log_path)}"
                )
            try:
                if client.get(f"{peer.base_url}/_peer/health").status_code == 200:
                    time.sleep(0.2)
                    if process.poll() is not None:  # someone else owns the port
                        raise PeerError(f"bovine exited with {process.returncode}:\n{_tail(log_path)}")
                    return peer
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                stop(peer)
                raise PeerError(f"bovine did not answer within {timeout}s:\n{_tail(log_path)}")
            time.sleep(0.1)


def stop(peer: Peer, timeout: float = 10) -> int:
    """SIGTERM the server's process group (graceful, ~2-3 s), SIGKILL after timeout."""
    process = peer.process
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(5)
    return process.returncode


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# actors and client-to-server requests
# --------------------------------------------------------------------------


def _run_cli(peer: Peer, args: list[str], stdin: bytes | None = None) -> dict:
    result = subprocess.run(
        [str(peer.python), str(CLI_SCRIPT), *args],
        cwd=peer.data_dir,
        input=stdin,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise PeerError(f"bovine_cli {args[0]} failed:\n{result.stderr.decode(errors='replace')}")
    return json.loads(result.stdout)


def create_actor(peer: Peer, name: str) -> Actor:
    """Register a new actor ``name`` on the peer (~2 s, RSA key generation).

    Its id is ``http://<host>:<port>/endpoints/<random>``, its WebFinger
    handle ``acct:<name>@<host>:<port>``. The returned Actor carries the
    Moo-Auth-1 secret needed to act as it. Works while the server runs.
    """
    data = _run_cli(
        peer,
        ["register", "--db", peer.db_url, "--domain", peer.base_url, "--handle", name],
    )
    return Actor(**data)


def _moo_headers(peer: Peer, actor: Actor, method: str, url: str, body: bytes | None) -> dict:
    args = ["sign", "--secret", actor.secret, "--method", method, "--url", url]
    if body is not None:
        args += ["--body-file", "-"]
    return _run_cli(peer, args, stdin=body)


def signed_get(peer: Peer, actor: Actor, url: str, accept: str = ACTIVITY_JSON) -> httpx.Response:
    """GET a URL *on this peer* as ``actor`` (Moo-Auth-1)."""
    headers = _moo_headers(peer, actor, "GET", url, None)
    headers["accept"] = accept
    with _client() as client:
        return client.get(url, headers=headers)


def signed_post(
    peer: Peer, actor: Actor, url: str, body: bytes, content_type: str = ACTIVITY_JSON
) -> httpx.Response:
    """POST to a URL *on this peer* as ``actor`` (Moo-Auth-1)."""
    headers = _moo_headers(peer, actor, "POST", url, body)
    headers["content-type"] = content_type
    headers["accept"] = ACTIVITY_JSON
    with _client() as client:
        return client.post(url, content=body, headers=headers)


def _ok(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 400:
        raise PeerError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response


def send_to_outbox(peer: Peer, actor: Actor, activity: dict) -> str:
    """POST an activity to the actor's outbox (ActivityPub C2S).

    bovine assigns new ids (to the activity and, if new, its object), stores it
    and delivers it in the background. Returns the new activity id (the
    Location header). Delivery happens after the 201, so wait for effects.
    """
    activity = {"@context": AS_CONTEXT, "actor": actor.actor_id, **activity}
    body = json.dumps(activity).encode()
    response = _ok(signed_post(peer, actor, actor.outbox, body), "outbox POST")
    return response.headers["location"]


def _audience(actor: Actor, names: Iterable[str]) -> list[str]:
    mapping = {"public": AS_PUBLIC, "followers": actor.followers}
    return [mapping.get(name, name) for name in names]


def follow(peer: Peer, actor: Actor, remote_actor_url: str) -> str:
    """Send Follow(actor -> remote_actor_url). Returns the Follow's id.

    bovine fetches the remote actor (signed GET) to find its inbox and POSTs
    the Follow there. ``remote_actor_url`` is only added to
    ``following(...)`` once the remote side sends an Accept.
    """
    return send_to_outbox(
        peer,
        actor,
        {"type": "Follow", "object": remote_actor_url, "to": [remote_actor_url]},
    )


def unfollow(peer: Peer, actor: Actor, follow_id: str, remote_actor_url: str) -> str:
    """Send Undo(Follow); bovine removes remote_actor_url from following."""
    follow_activity = _plain_follow(fetch(peer, actor, follow_id))
    return send_to_outbox(
        peer, actor, {"type": "Undo", "object": follow_activity, "to": [remote_actor_url]}
    )


def post_note(
    peer: Peer,
    actor: Actor,
    text: str,
    to: Iterable[str] = ("public", "followers"),
    cc: Iterable[str] = (),
    **note_fields,
) -> dict:
    """Create a Note. ``to``/``cc`` take actor URLs or "public"/"followers".

    Returns {"create_id": ..., "note_id": ...}. bovine delivers one POST per
    recipient actor inbox (it expands its own followers collection; it does
    not use sharedInbox). bovine adds no ``published`` of its own; this
    helper sets it to now unless given (use send_to_outbox for full control).
    """
    to_list, cc_list = _audience(actor, to), _audience(actor, cc)
    published = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    note = {
        "type": "Note",
        "attributedTo": actor.actor_id,
        "published": published,
        "content": text,
        "to": to_list,
        **({"cc": cc_list} if cc_list else {}),
        **note_fields,
    }
    activity = {"type": "Create", "to": to_list, "object": note}
    if cc_list:
        activity["cc"] = cc_list
    create_id = send_to_outbox(peer, actor, activity)
    create = fetch(peer, actor, create_id)
    obj = create.get("object")
    note_id = obj.get("id") if isinstance(obj, dict) else obj
    return {"create_id": create_id, "note_id": note_id}


def accept_follow(peer: Peer, actor: Actor, follow_activity: dict | str) -> str:
    """Accept a Follow addressed to ``actor`` (bovine never does this itself).

    Sends Accept{object: Follow} to the follower; bovine adds the follower to
    ``followers(...)`` while processing its own outbox. Returns the Accept id.
    """
    if isinstance(follow_activity, str):
        follow_activity = fetch(peer, actor, follow_activity)
    follow_activity = _plain_follow(follow_activity)
    follower = follow_activity["actor"]
    return send_to_outbox(
        peer, actor, {"type": "Accept", "object": follow_activity, "to": [follower]}
    )


def accept_pending_follows(peer: Peer, actor: Actor) -> list[str]:
    """Accept every Follow of ``actor`` in its inbox whose sender is not yet a
    follower. Returns the follower actor ids that were accepted."""
    current = set(followers(peer, actor))
    accepted = []
    for item in inbox_items(peer, actor):
        if not isinstance(item, dict) or item.get("type") != "Follow":
            continue
        if _id(item.get("object")) != actor.actor_id:
            continue
        follower = _id(item.get("actor"))
        if follower in current or follower in accepted:
            continue
        accept_follow(peer, actor, item)
        accepted.append(follower)
    return accepted


# --------------------------------------------------------------------------
# reading state
# --------------------------------------------------------------------------


def fetch(peer: Peer, actor: Actor, object_id: str) -> dict:
    """Return an object as ``actor`` sees it, through the actor's proxyUrl.

    Local objects and remote objects bovine already stored come from its
    database; otherwise bovine fetches them with a GET signed by the actor's
    key (the same path bovine uses to read a Rostra object). The result is
    compacted to bovine's internal "about:bovine" context, with actor,
    object and attributedTo embedded when known.
    """
    body = urlencode({"id": object_id}).encode()
    response = signed_post(
        peer, actor, actor.proxy_url, body, content_type="application/x-www-form-urlencoded"
    )
    return _ok(response, f"proxyUrl fetch of {object_id}").json()


def collection_ids(peer: Peer, actor: Actor, collection_url: str) -> list[str]:
    """All item ids of a bovine OrderedCollection, newest first.

    Below 10 items bovine inlines them; from 10 on it pages with
    ?first=1 / ?min_id=N.
    """
    with _client() as client:
        data = _ok(client.get(collection_url, headers={"accept": ACTIVITY_JSON}), "collection GET").json()
        if "first" not in data:
            return [_id(x) for x in data.get("orderedItems", [])]
        ids: list[str] = []
        page_url = data["first"]
        while page_url:
            page = _ok(client.get(page_url, headers={"accept": ACTIVITY_JSON}), "page GET").json()
            items = page.get("orderedItems", [])
            if not items:
                break
            ids += [_id(x) for x in items]
            page_url = page.get("next")
        return ids


def inbox_items(peer: Peer, actor: Actor, resolve: bool = True) -> list:
    """Activities that arrived in the actor's inbox, newest first.

    With resolve=True each id is fetched through ``fetch`` (objects embedded);
    items that cannot be read come back as their id string.
    """
    ids = collection_ids(peer, actor, actor.inbox)
    if not resolve:
        return ids
    items = []
    for item_id in ids:
        try:
            items.append(fetch(peer, actor, item_id))
        except PeerError:
            items.append(item_id)
    return items


def outbox_ids(peer: Peer, actor: Actor) -> list[str]:
    return collection_ids(peer, actor, actor.outbox)


def followers(peer: Peer, actor: Actor) -> list[str]:
    """Actor ids in the actor's followers collection."""
    return collection_ids(peer, actor, actor.followers)


def following(peer: Peer, actor: Actor) -> list[str]:
    """Actor ids the actor follows (added when an Accept arrives)."""
    return collection_ids(peer, actor, actor.following)


def wire_log(peer: Peer, direction: str | None = None) -> list[dict]:
    """Requests bovine received ("in") or sent ("out"), from serve.py's log.

    Each record has method, url, headers (and body for incoming), status."""
    if not peer.wire_log_path or not peer.wire_log_path.exists():
        return []
    records = [json.loads(line) for line in peer.wire_log_path.read_text().splitlines() if line]
    if direction:
        records = [r for r in records if r.get("dir") == direction]
    return records


def wait_until(predicate: Callable[[], object], timeout: float = 20, interval: float = 0.3):
    """Poll predicate until it returns something truthy; return that value.

    bovine handles inbox and outbox side effects in background tasks, so
    almost every check after an action needs this."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


def _id(value) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


def _plain_follow(follow_activity: dict) -> dict:
    """The Follow as {id, type, actor, object} with ids only (fetch() embeds
    the actor objects, which should not be echoed back to the follower)."""
    return {
        "id": follow_activity["id"],
        "type": "Follow",
        "actor": _id(follow_activity.get("actor")),
        "object": _id(follow_activity.get("object")),
    }
