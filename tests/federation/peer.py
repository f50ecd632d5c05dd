"""A small hand-written ActivityPub peer for tests: it serves actor documents (with their
public keys) over real HTTP on loopback, keeps what is delivered to its inboxes, and sends
signed activities, correctly or with whatever a test wants broken.

It stands in for "some other server" where a test needs to control every byte: forged and
replayed signatures, changed bodies, documents shaped like Mastodon's.
"""

import json
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from rostra.federation import signatures


class PeerActor:
    def __init__(self, peer, name, **extra):
        self.peer = peer
        self.name = name
        self.uri = f"{peer.url}/users/{name}"
        self.key_id = f"{self.uri}#main-key"
        self.private_pem, self.public_pem = signatures.generate_key_pair()
        self.doc = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": name,
            "name": name.title(),
            "inbox": f"{self.uri}/inbox",
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "following": f"{self.uri}/following",
            "endpoints": {"sharedInbox": f"{peer.url}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem},
            **extra,
        }

    @property
    def signer(self):
        return self.key_id, self.private_pem

    def rotate_key(self):
        self.private_pem, self.public_pem = signatures.generate_key_pair()
        self.doc["publicKey"]["publicKeyPem"] = self.public_pem


class Peer:
    """``peer.url`` answers GETs of its actors' documents and of any document put in ``docs``."""

    def __init__(self, name="peer"):
        self.docs = {}
        self.actors = {}
        self.received = []
        self.fetches = []
        # What POSTs are answered: a status, or a callable given the number of POSTs so far.
        self.answer = 202
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                peer.fetches.append((self.path, dict(self.headers)))
                path = self.path.split("?", 1)[0]
                if path.startswith("/.well-known/webfinger"):
                    resource = self.path.split("resource=", 1)[-1]
                    name = resource.split(":", 1)[-1].split("@", 1)[0]
                    actor = peer.actors.get(name)
                    if actor is None:
                        return self._send(404, {"error": "not found"})
                    return self._send(200, {"subject": f"acct:{name}@{peer.domain}", "links": [
                        {"rel": "self", "type": "application/activity+json", "href": actor.uri}]})
                doc = peer.docs.get(f"{peer.url}{path}")
                if doc is None:
                    actor = next((a for a in peer.actors.values() if a.uri == f"{peer.url}{path}"), None)
                    doc = actor.doc if actor is not None else None
                if doc is None:
                    return self._send(404, {"error": "not found"})
                self._send(200, doc)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                peer.received.append((self.path, dict(self.headers), json.loads(body or b"{}")))
                status = peer.answer(len(peer.received)) if callable(peer.answer) else peer.answer
                self._send(status, {})

            def _send(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.domain = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.domain}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def actor(self, name, **extra):
        actor = PeerActor(self, name, **extra)
        self.actors[name] = actor
        return actor

    def note(self, actor, text, number, **extra):
        """A public Note by ``actor``, also served at its id."""
        uri = f"{actor.uri}/statuses/{number}"
        doc = {
            "id": uri,
            "type": "Note",
            "attributedTo": actor.uri,
            "content": f"<p>{text}</p>",
            "published": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [actor.doc["followers"]],
            **extra,
        }
        self.docs[uri] = doc
        return doc

    def create(self, actor, note):
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": actor.uri,
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }

    def deliver(self, inbox, activity, actor, *, signer=None, body=None, date=None, headers=None, drop=()):
        """POST ``activity`` to ``inbox`` signed as ``actor`` (or ``signer``: (key id, PEM)).

        ``body``: send these bytes instead of the signed ones. ``date``: sign with this Date.
        ``drop``: header names to leave out after signing.
        """
        signed_body = json.dumps(activity).encode()
        key_id, pem = signer or actor.signer
        sent = signatures.sign("POST", inbox, key_id, pem, body=signed_body, headers={"Content-Type": "application/activity+json"})
        if date is not None:
            sent["date"] = format_datetime(date, usegmt=True)
            sent = _resign(inbox, sent, key_id, pem)
        sent.update(headers or {})
        for name in drop:
            sent.pop(name, None)
        return httpx.post(inbox, content=body if body is not None else signed_body, headers=sent, timeout=20)


def _resign(url, headers, key_id, pem):
    """Sign again over the headers as they are now (a test changed the Date)."""
    import base64
    from urllib.parse import urlsplit

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    path = urlsplit(url).path
    names = ["(request-target)", "host", "date", "digest", "content-type"]
    lines = [f"(request-target): post {path}"] + [f"{n}: {headers[n]}" for n in names[1:]]
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    signature = base64.b64encode(key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["signature"] = f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{signature}"'
    return headers


def old(minutes):
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def wait_for(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()
