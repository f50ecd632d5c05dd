"""Wire probe: what bovine-herd sends to, and accepts from, another server.

A minimal stand-in for Rostra ("rosa" on http://127.0.0.1:8200, stdlib HTTP
server + RSA key) federates with bovine-herd on http://127.0.0.1:8123:

1. bovine's alice follows rosa: prints the signed GET and POST bovine sends,
   and verifies bovine's signature the way Rostra would have to (fetching
   bovine's key with a signed GET, since bovine requires one).
2. rosa accepts; alice's ``following`` must list rosa.
3. rosa POSTs Create(Note) variants to alice's inbox (signature algorithm,
   digest style, signed headers, date skew, content types, id domains...)
   and the probe prints which ones bovine rejects (HTTP status) or drops
   silently (202 but never in the inbox).
4. rosa follows alice: no automatic Accept; peer.accept_pending_follows()
   sends one; alice's notes (public, followers-only) are then delivered to
   rosa, and rosa fetches them back with signed GETs.

Run from the repository root with Rostra's environment (httpx and
cryptography, the latter present through jwcrypto); about 30 s:

    .venv/bin/python -m tests.federation.bovine.wire_probe
"""

import base64
import hashlib
import json
import shutil
import sys
import tempfile
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.federation.bovine import peer

PORT = 8200
BASE = f"http://127.0.0.1:{PORT}"
ROSA = f"{BASE}/users/rosa"
KEY_ID = f"{ROSA}#main-key"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
).decode()
RECEIVED: list[dict] = []
OBJECTS: dict[str, dict] = {}


def actor_document() -> dict:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": ROSA,
        "type": "Person",
        "preferredUsername": "rosa",
        "inbox": f"{ROSA}/inbox",
        "outbox": f"{ROSA}/outbox",
        "followers": f"{ROSA}/followers",
        "publicKey": {"id": KEY_ID, "owner": ROSA, "publicKeyPem": PEM},
    }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, code, payload, content_type="application/activity+json"):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        RECEIVED.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
        path = urlparse(self.path).path
        if path == "/users/rosa":
            return self._reply(200, actor_document())
        if path == "/ns/rostra":
            return self._reply(200, {"@context": {"rostraFlag": f"{BASE}/ns#flag"}}, "application/ld+json")
        if path in OBJECTS:
            return self._reply(200, OBJECTS[path])
        return self._reply(404, {"error": "not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        RECEIVED.append(
            {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
        )
        return self._reply(202, {})


def sign(method, url, body=None, fields=("(request-target)", "host", "date", "digest", "content-type"),
         algorithm="rsa-sha256", key_id=KEY_ID, date=None, digest="Digest",
         content_type="application/activity+json"):
    """draft-cavage HTTP signature, as Mastodon and bovine use it."""
    target = urlparse(url)
    headers = {"host": target.netloc, "date": date or formatdate(usegmt=True)}
    if body is None:
        headers["accept"] = "application/activity+json"
    else:
        headers["content-type"] = content_type
        b64 = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if digest == "Digest":
            headers["digest"] = f"SHA-256={b64}"
        elif digest == "Content-Digest":
            headers["content-digest"] = f"sha-256=:{b64}:"
    lines, used = [], []
    for name in fields:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target.path}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            continue
        used.append(name)
    signature = base64.b64encode(
        KEY.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(used)}",signature="{signature}"'
    )
    return headers


def http() -> httpx.Client:
    return httpx.Client(timeout=30, trust_env=False)


def post(url, activity, signed=True, **options):
    body = json.dumps(activity).encode()
    headers = sign("POST", url, body, **options) if signed else {"content-type": "application/activity+json"}
    with http() as client:
        return client.post(url, content=body, headers=headers)


def signed_get(url):
    with http() as client:
        return client.get(url, headers=sign("GET", url, fields=("(request-target)", "host", "date", "accept")))


def verify_bovine_request(record: dict) -> str:
    """Verify a request bovine sent us, as Rostra's inbox would."""
    headers = {k.lower(): v for k, v in record["headers"].items()}
    params = dict(
        part.split("=", 1) for part in headers["signature"].replace('"', "").split(",", 3)
    )
    if record["method"] == "POST":
        expected = "sha-256=" + base64.b64encode(hashlib.sha256(record["body"]).digest()).decode()
        assert headers["digest"].lower() == expected.lower(), "digest mismatch"
    lines = []
    for name in params["headers"].split():
        if name == "(request-target)":
            lines.append(f"(request-target): {record['method'].lower()} {record['path']}")
        else:
            lines.append(f"{name}: {headers[name]}")
    key_doc = signed_get(params["keyId"].split("#")[0])  # unsigned would get 401
    key_doc.raise_for_status()
    public_key = key_doc.json()["publicKey"]
    assert public_key["id"] == params["keyId"], "keyId must equal publicKey.id"
    serialization.load_pem_public_key(public_key["publicKeyPem"].encode()).verify(
        base64.b64decode(params["signature"]), "\n".join(lines).encode(),
        padding.PKCS1v15(), hashes.SHA256(),
    )
    return f"valid {params['algorithm']} signature by {public_key['owner']}"


def new_id(base=BASE):
    return f"{base}/objects/{uuid.uuid4()}"


def create(text, to, note_id=None, activity_id=None, by_reference=False, actor=ROSA, context=None):
    note_id = note_id or new_id()
    note = {"id": note_id, "type": "Note", "attributedTo": actor, "content": text, "to": to,
            "published": "2026-01-01T12:00:00Z"}
    OBJECTS[urlparse(note_id).path] = {"@context": "https://www.w3.org/ns/activitystreams", **note}
    return {"@context": context or "https://www.w3.org/ns/activitystreams",
            "id": activity_id or new_id(), "type": "Create", "actor": actor, "to": to,
            "object": note_id if by_reference else note}


def show(record):
    shown = {k: v for k, v in record.items() if k != "body"}
    if record.get("body"):
        shown["body"] = json.loads(record["body"])
    print(json.dumps(shown, indent=1))


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data_dir = Path(tempfile.mkdtemp(prefix="bovine-probe-"))
    bov = peer.start(8123, data_dir)
    try:
        alice = peer.create_actor(bov, "alice")
        print("alice:", alice.actor_id)

        print("\n== 1. alice follows rosa: what bovine sends")
        peer.follow(bov, alice, ROSA)
        peer.wait_until(lambda: any(r["method"] == "POST" for r in RECEIVED))
        for record in RECEIVED[:]:  # copy: the server thread appends
            show(record)
            print("  ->", verify_bovine_request(record))
        with http() as client:
            status = client.get(alice.actor_id, headers={"accept": "application/activity+json"}).status_code
        print("unsigned GET of alice's actor:", status, "| signed GET:", signed_get(alice.actor_id).status_code)

        print("\n== 2. rosa accepts")
        follow = json.loads(next(r for r in RECEIVED if r["method"] == "POST")["body"])
        accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": new_id(),
                  "type": "Accept", "actor": ROSA, "object": follow}
        print("POST Accept:", post(alice.inbox, accept).status_code)
        print("following(alice):", peer.wait_until(lambda: peer.following(bov, alice), timeout=15))

        print("\n== 3. Create(Note) variants POSTed by rosa to alice's inbox")
        results = {}

        def variant(name, activity, **options):
            results[name] = (activity["id"], post(alice.inbox, activity, **options).status_code)

        variant("baseline: rsa-sha256, Digest SHA-256=, 5 headers", create("baseline", [PUBLIC]))
        variant("Content-Digest (RFC 9530) instead of Digest", create("cdigest", [PUBLIC]), digest="Content-Digest",
                fields=("(request-target)", "host", "date", "content-digest"))
        variant("algorithm=hs2019", create("hs2019", [PUBLIC]), algorithm="hs2019")
        variant("host not signed", create("nohost", [PUBLIC]), fields=("(request-target)", "date", "digest"))
        variant("content-type application/ld+json; profile=...", create("ld", [PUBLIC]),
                content_type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
        variant("content-type application/json", create("json", [PUBLIC]), content_type="application/json")
        variant("object by reference (bovine fetches it)", create("byref", [PUBLIC], by_reference=True))
        variant("to: as:Public", create("aspublic", ["as:Public"]))
        variant("to: rosa's followers only", create("followers", [f"{ROSA}/followers"]))
        variant("to: alice only", create("direct", [alice.actor_id]))
        variant("@context with an extra loopback URL", create("ctx", [PUBLIC], context=[
            "https://www.w3.org/ns/activitystreams", f"{BASE}/ns/rostra"]))
        variant("no Digest header", create("nodigest", [PUBLIC]), digest=None,
                fields=("(request-target)", "host", "date", "content-type"))
        variant("Digest sent but not signed", create("digest-unsigned", [PUBLIC]),
                fields=("(request-target)", "host", "date"))
        variant("date not signed", create("nodate", [PUBLIC]), fields=("(request-target)", "host", "digest"))
        variant("Date 10 minutes old", create("old", [PUBLIC]), date=formatdate(time.time() - 600, usegmt=True))
        variant("keyId = actor id (no #main-key)", create("keyid", [PUBLIC]), key_id=ROSA)
        variant("unsigned", create("unsigned", [PUBLIC]), signed=False)
        variant("Create id on another host (localhost:8200)",
                create("other-host", [PUBLIC], activity_id=new_id(f"http://localhost:{PORT}")))
        variant("Note id on another host", create("note-other-host", [PUBLIC],
                                                  note_id=new_id(f"http://localhost:{PORT}")))
        variant("actor is not the signer (alice on bovine)", create("spoof", [PUBLIC], actor=alice.actor_id))
        variant("actor is not the signer (other actor, same host)",
                create("spoof-same-host", [PUBLIC], actor=f"{BASE}/users/mallory"))
        time.sleep(4)  # inbox processing runs in the background
        inbox = peer.inbox_items(bov, alice, resolve=False)
        print(f"{'variant':50s} HTTP  in inbox")
        for name, (activity_id, status) in results.items():
            print(f"{name:50s} {status}   {activity_id in inbox}")
        gets = [r["path"] for r in RECEIVED if r["method"] == "GET" and not r["path"].startswith("/users/")]
        print("GETs bovine made to rosa for objects/contexts:", gets)

        print("\n== 4. rosa follows alice")
        mark = len(RECEIVED)
        rosa_follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": new_id(),
                       "type": "Follow", "actor": ROSA, "object": alice.actor_id}
        print("POST Follow:", post(alice.inbox, rosa_follow).status_code)
        time.sleep(3)
        print("requests bovine sent within 3 s (auto-Accept?):", [r["path"] for r in RECEIVED[mark:]])
        print("accept_pending_follows():", peer.accept_pending_follows(bov, alice))
        peer.wait_until(lambda: any(r["method"] == "POST" for r in RECEIVED[mark:]))
        print("followers(alice):", peer.wait_until(lambda: peer.followers(bov, alice)))
        public = peer.post_note(bov, alice, "public from alice", to=("public", "followers"))
        quiet = peer.post_note(bov, alice, "followers-only from alice", to=("followers",))
        peer.wait_until(lambda: sum(r["method"] == "POST" for r in RECEIVED[mark:]) >= 3)
        for record in [r for r in RECEIVED[mark:] if r["method"] == "POST"]:
            body = json.loads(record["body"])
            obj = body.get("object")
            print(f"rosa got {body['type']} to={body.get('to')!r} object.to="
                  f"{obj.get('to') if isinstance(obj, dict) else None!r}: {verify_bovine_request(record)}")
        print("rosa signed GET of public note:", signed_get(public["note_id"]).status_code,
              "| of followers-only note:", signed_get(quiet["note_id"]).status_code)
        with http() as client:
            print("unsigned GET of public note:",
                  client.get(public["note_id"], headers={"accept": "application/activity+json"}).status_code)
    finally:
        peer.stop(bov)
        server.shutdown()
        problems = [line.strip()[:200] for line in bov.log_path.read_text().splitlines()
                    if (" WARNING " in line or " ERROR " in line) and "deprecated" not in line]
        print("\nbovine log warnings/errors:")
        print("\n".join(f"  {line}" for line in problems))
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
