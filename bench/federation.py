#!/usr/bin/env python
"""Federation throughput of the real server: activities in, deliveries out.

    python bench/federation.py --db sqlite
    python bench/federation.py --db postgres --creates 3000 --layouts embedded,inbox1,inbox2

What one run does:

1. Starts, inside this process, two kinds of fake remote servers on 127.0.0.1 (asyncio, HTTP/1.1
   keep-alive, nothing shared with Rostra's code): a *peer* serving ``--actors`` Person documents
   with their own RSA keys, and ``--out-servers`` *sink* servers hosting the remote followers of
   two local accounts, which answer 202 to every POST and check its HTTP Signature and Digest.
2. Seeds a fresh database (``bench/.data/federation-<db>/`` for SQLite, ``rostra_bench_fed`` on
   the PostgreSQL server): ``rostra migrate``, ``rostra demo --users N --posts 0``, then a seeding
   process of its own (this file with ``--seed-child``) that calls Rostra's real functions:
   ``federation.resolve.actor`` fetches each peer actor from the peer (storing its key),
   ``accounts.actions.follow`` + ``follow_accepted`` make a local person follow each (what an
   Accept from the peer does), ``accounts.actions.sign_up`` makes the posting accounts,
   ``federation.actions.store_actor`` stores a remote follower of each and
   ``accounts.actions.follow`` makes it follow. The rest (``--followers-per-actor`` local people
   per peer actor, 2,100 remote followers) are written in bulk as the same rows and counters,
   since the actions take 15-20 ms each here. The background tasks the seeding queues go to an
   in-memory backend and never run. The seeded database is kept as a snapshot and restored
   before each layout.
3. For each layout (``embedded``: ``rostra serve --workers 2`` with its task-worker thread;
   ``inboxN``: ``rostra serve --no-worker`` plus N ``rostra worker --queues inbox`` and one
   ``rostra worker --queues default,media,delivery``):
   - incoming: pre-signs ``--creates`` distinct Create activities (100-500 characters, some with
     hashtags and mentions of local people) before the clock starts, then POSTs them to the shared
     inbox ``/inbox`` from ``--clients`` keep-alive connections; measures 202s per second and
     their latency, and polls the database until every activity is processed and every fan-out
     and notification task has run (= signature check, screening, storage, fan-out to home feeds);
     then checks that each Create became exactly one post, with its feed entries, mentions, tags;
   - outgoing: signs in the posting accounts and posts through ``POST /compose``: one post to
     2,000 followers on 100 servers, then 50 posts to 100 followers on 20 servers; measures
     deliveries per second until the sinks hold every one (one per shared inbox), and how long
     each POST took.
   CPU seconds of the web processes, the task workers, the PostgreSQL backends and this process
   are sampled from /proc during every phase, with the load average and how busy the machine was.
4. Writes ``bench/results/<timestamp>-federation-<db>.json`` and regenerates docs/performance.md
   (``bench/report.py``).

Every process it starts is stopped, and the bench data removed (``--keep`` keeps it), however
the run ends.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
PY = sys.executable
HIGH_LIMIT = "100000000/60"
PG_DBNAME = "rostra_bench_fed"
PG_SNAPSHOT = "rostra_bench_fed_seeded"
POSTER_PASSWORD = "bench-poster-password-1"
# The two local accounts whose posts go out, and one that only warms the web workers up.
POSTERS = ("fedout_big", "fedout_small", "fedout_warm")
LAYOUTS = {
    "embedded": "rostra serve --workers 2 (its task-worker thread takes every queue)",
    "inbox1": "rostra serve --no-worker --workers 2, 1 x rostra worker --queues inbox, 1 x rostra worker --queues default,media,delivery",
    "inbox2": "rostra serve --no-worker --workers 2, 2 x rostra worker --queues inbox, 1 x rostra worker --queues default,media,delivery",
}
TICK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"[fed {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def ms(seconds):
    return None if seconds is None else round(seconds * 1000, 2)


def tqdm(*args, **kwargs):
    from tqdm import tqdm as bar

    kwargs.setdefault("mininterval", 0.5)
    kwargs.setdefault("dynamic_ncols", True)
    return bar(*args, **kwargs)


# --- HTTP Signatures, written here rather than taken from Rostra (a peer is another program) ---


def b64(data):
    return base64.b64encode(data).decode()


class Key:
    """An RSA key pair of a remote actor."""

    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, data):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def signed_post(url, key_id, key, body):
    """Headers for POSTing ``body`` to ``url``, signed over (request-target) host date digest content-type."""
    parts = urllib.parse.urlsplit(url)
    headers = {
        "host": parts.netloc,
        "date": format_datetime(datetime.now(UTC), usegmt=True),
        "digest": "SHA-256=" + b64(hashlib.sha256(body).digest()),
        "content-type": "application/activity+json",
    }
    names = ["(request-target)", "host", "date", "digest", "content-type"]
    text = "\n".join([f"(request-target): post {parts.path}"] + [f"{n}: {headers[n]}" for n in names[1:]])
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{b64(key.sign(text.encode()))}"'
    )
    return {k.title() if k != "digest" else "Digest": v for k, v in headers.items()}


_SIG_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


def check_signature(method, path, headers, body, public_keys):
    """'' when the request's Signature verifies with a known key and its Digest matches, else why not."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    value = headers.get("signature")
    if not value:
        return "no Signature header"
    params = {m.group(1).lower(): m.group(2) for m in _SIG_PARAM.finditer(value)}
    key = public_keys.get(params.get("keyid", ""))
    if key is None:
        return f"unknown key {params.get('keyid')!r}"
    names = params.get("headers", "date").split()
    if method == "POST" and not {"(request-target)", "host", "date", "digest"} <= set(names):
        return f"signature covers only {names}"
    if headers.get("digest") != "SHA-256=" + b64(hashlib.sha256(body).digest()):
        return "Digest does not match the body"
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            return f"signed header {name} missing"
    try:
        key.verify(base64.b64decode(params.get("signature", "")), "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return "signature does not verify"
    return ""


# --- Fake remote servers ---------------------------------------------------------------------


class FakeServers:
    """``count`` HTTP/1.1 servers on 127.0.0.1, one port each, on one asyncio loop in a thread.

    GET serves the documents put in ``docs`` (by full URL); POST answers 202 and records the
    delivery: when, which server and path, the activity's type and object, and whether its
    signature verified against ``public_keys`` (key id -> public key).
    """

    def __init__(self, count, name):
        self.name = name
        self.docs = {}
        self.public_keys = {}
        self.deliveries = []
        self.fetches = 0
        self.loop = asyncio.new_event_loop()
        self.ports = []
        self._servers = []
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(count, ready), name=f"fake-{name}", daemon=True)
        self.thread.start()
        ready.wait(30)
        if len(self.ports) != count:
            raise SystemExit(f"the fake {name} servers did not start")

    def _run(self, count, ready):
        asyncio.set_event_loop(self.loop)

        async def start():
            for index in range(count):
                server = await asyncio.start_server(
                    lambda r, w, i=index: self._connection(r, w, i), "127.0.0.1", 0, backlog=512
                )
                self._servers.append(server)
                self.ports.append(server.sockets[0].getsockname()[1])

        self.loop.run_until_complete(start())
        ready.set()
        self.loop.run_forever()

    def url(self, index):
        return f"http://127.0.0.1:{self.ports[index]}"

    async def _connection(self, reader, writer, index):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                path = target.split("?", 1)[0]
                if method == "POST":
                    status, doc = 202, {}
                    self._record(index, path, headers, body)
                else:
                    self.fetches += 1
                    doc = self.docs.get(f"{self.url(index)}{path}")
                    status = 200 if doc is not None else 404
                    doc = doc if doc is not None else {"error": "not found"}
                data = json.dumps(doc).encode()
                writer.write(
                    f"HTTP/1.1 {status} {'Accepted' if status == 202 else 'OK' if status == 200 else 'Not Found'}\r\n"
                    f"Content-Type: application/activity+json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def _record(self, index, path, headers, body):
        problem = check_signature("POST", path, headers, body, self.public_keys)
        try:
            activity = json.loads(body)
            obj = activity.get("object")
            object_id = obj.get("id") if isinstance(obj, dict) else obj
            kind = activity.get("type")
        except (ValueError, AttributeError):
            kind, object_id = None, None
        self.deliveries.append((time.monotonic(), index, path, kind, object_id, problem))

    def close(self):
        def stop():
            for server in self._servers:
                server.close()
            self.loop.stop()

        if self.loop.is_running():
            self.loop.call_soon_threadsafe(stop)
            self.thread.join(10)


def actor_doc(base, name, key=None, shared_inbox=True):
    uri = f"{base}/users/{name}"
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": name,
        "name": name.replace("_", " ").title(),
        "summary": "<p>A remote account made by the federation bench.</p>",
        "url": f"{base}/@{name}",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "following": f"{uri}/following",
        "published": "2024-01-01T00:00:00Z",
    }
    if shared_inbox:
        doc["endpoints"] = {"sharedInbox": f"{base}/inbox"}
    if key is not None:
        doc["publicKey"] = {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": key.public_pem}
    return doc


# --- Texts of the incoming posts --------------------------------------------------------------

WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list literal
    "garden tomatoes basil morning coffee bread oven river bridge train station bicycle library novel chapter "
    "poem rain umbrella window sunlight kitchen soup recipe market neighbour weekend hike trail forest mushrooms "
    "lake boat harbour lighthouse museum painting concert violin choir rehearsal notebook pencil sketch map city "
    "street lantern autumn leaves winter snow spring blossom summer evening sky stars telescope moon tea kettle "
    "honey bees orchard apples cherries picnic blanket meadow path hill village bakery pastry cheese farm goats "
    "school lesson teacher students homework puzzle chess game friends family grandmother story letter postcard "
    "stamp collection photo camera lens film darkroom radio podcast episode interview workshop wood chair table "
    "shelf paint brush colour yellow blue green quiet calm gentle bright early late slowly carefully together"
).split()
TAGS = ("gardening", "baking", "trains", "books", "photography", "birds", "cycling", "music", "weather", "chess")
OPENERS = ("Today", "This morning", "Last night", "On the way home", "At the market", "Finally", "Quick note:", "Small win:")


def make_text(rng, low, high):
    target = rng.randint(low, high)
    sentences = []
    length = 0
    while length < target - 20:
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 12))]
        sentence = f"{rng.choice(OPENERS)} {' '.join(words)}."
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)[: max(low, target)].rstrip(" ,") or "Hello."


class Incoming:
    """The pre-signed Create activities of one run (``tag`` keeps runs' ids apart)."""

    def __init__(self, peer, actors, keys, locals_, server_base, args, tag, count):
        rng = random.Random(f"{args.seed}-{tag}")
        self.items = []
        self.with_mentions = 0
        self.with_tags = 0
        self.tag = tag
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        inbox = f"{server_base}/inbox"
        bar = tqdm(total=count, desc=f"signing {tag} Creates", unit="act", leave=False) if count > 50 else None
        for i in range(count):
            a = i % len(actors)
            actor_uri, key = actors[a], keys[a]
            note_id = f"{actor_uri}/statuses/{tag}-{i}"
            text = make_text(rng, args.text_min, args.text_max)
            html = f"<p>{escape(text)}"
            tag_list = []
            if rng.random() < args.hashtag_share:
                name = rng.choice(TAGS)
                html += f' <a href="{peer.url(0)}/tags/{name}" class="mention hashtag" rel="tag">#<span>{name}</span></a>'
                tag_list.append({"type": "Hashtag", "href": f"{peer.url(0)}/tags/{name}", "name": f"#{name}"})
                self.with_tags += 1
            if rng.random() < args.mention_share:
                username = rng.choice(locals_)
                href = f"{server_base}/@{username}"
                html += (
                    f' <span class="h-card"><a href="{href}" class="u-url mention">@<span>{username}</span></a></span>'
                )
                tag_list.append({"type": "Mention", "href": href, "name": f"@{username}@{server_base.split('//')[1]}"})
                self.with_mentions += 1
            html += "</p>"
            note = {
                "id": note_id,
                "type": "Note",
                "attributedTo": actor_uri,
                "content": html,
                "published": now,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [f"{actor_uri}/followers"],
                "tag": tag_list,
                "sensitive": False,
            }
            activity = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{note_id}/activity",
                "type": "Create",
                "actor": actor_uri,
                "published": now,
                "to": note["to"],
                "cc": note["cc"],
                "object": note,
            }
            body = json.dumps(activity).encode()
            self.items.append((body, signed_post(inbox, f"{actor_uri}#main-key", key, body)))
            if bar:
                bar.update()
        if bar:
            bar.close()


# --- The bench database -----------------------------------------------------------------------


def base_env(args):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "ROSTRA_DATA_DIR", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "ROSTRA_MEDIA_ROOT")
        and (not k.startswith("ROSTRA_") or k == "ROSTRA_WORKER_INTERVAL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="rostra.settings",
        ROSTRA_FEDERATION_ALLOW_LOOPBACK="1",
        ROSTRA_SCREENING="model",
        ROSTRA_LOG_LEVEL="WARNING",
        ROSTRA_ADMIN_PASSWORD="bench-admin-password-1",
        PYTHONUNBUFFERED="1",
    )
    for scope in ("SIGNUP", "LOGIN", "POST", "REPORT", "API", "APPS"):
        env[f"ROSTRA_RATE_{scope}"] = HIGH_LIMIT
    if args.redis:
        env["REDIS_URL"] = args.redis
    return env


def pg_url(base, dbname):
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def pg_admin(base, *statements):
    import psycopg

    with psycopg.connect(pg_url(base, "postgres"), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


class Database:
    """The bench database: a data directory (and its SQLite file) or a PostgreSQL database,
    with a snapshot of the seeded state restored before each layout."""

    def __init__(self, args, env):
        self.kind = args.db
        self.args = args
        self.dir = DATA / f"federation-{args.db}"
        self.env = dict(env, ROSTRA_DATA_DIR=str(self.dir))
        if self.kind == "postgres":
            self.env["DATABASE_URL"] = pg_url(args.pg, PG_DBNAME)
        self.file = self.dir / "rostra.sqlite3"
        self.snapshot_file = self.dir / "seeded.sqlite3"

    def fresh(self):
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        if self.kind == "postgres":
            pg_admin(
                self.args.pg,
                f'DROP DATABASE IF EXISTS "{PG_DBNAME}" WITH (FORCE)',
                f'DROP DATABASE IF EXISTS "{PG_SNAPSHOT}" WITH (FORCE)',
                f'CREATE DATABASE "{PG_DBNAME}"',
            )

    def snapshot(self):
        if self.kind == "postgres":
            pg_admin(self.args.pg, f'CREATE DATABASE "{PG_SNAPSHOT}" TEMPLATE "{PG_DBNAME}"')
        else:
            shutil.copyfile(self.file, self.snapshot_file)

    def restore(self):
        if self.kind == "postgres":
            pg_admin(
                self.args.pg,
                f'DROP DATABASE IF EXISTS "{PG_DBNAME}" WITH (FORCE)',
                f'CREATE DATABASE "{PG_DBNAME}" TEMPLATE "{PG_SNAPSHOT}"',
            )
        else:
            for suffix in ("-wal", "-shm"):
                Path(str(self.file) + suffix).unlink(missing_ok=True)
            shutil.copyfile(self.snapshot_file, self.file)

    def drop(self):
        if self.kind == "postgres":
            try:
                pg_admin(
                    self.args.pg,
                    f'DROP DATABASE IF EXISTS "{PG_DBNAME}" WITH (FORCE)',
                    f'DROP DATABASE IF EXISTS "{PG_SNAPSHOT}" WITH (FORCE)',
                )
            except Exception as exc:  # noqa: BLE001 - cleanup must go on
                log(f"could not drop the PostgreSQL bench databases: {exc}")
        shutil.rmtree(self.dir, ignore_errors=True)

    def reader(self):
        return Reader(self)

    def version(self):
        if self.kind == "sqlite":
            return "SQLite " + sqlite3.sqlite_version
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]


class Reader:
    """Read-only SQL on the bench database from this process (one per thread)."""

    def __init__(self, db):
        self.kind = db.kind
        if db.kind == "sqlite":
            self.conn = sqlite3.connect(f"file:{db.file}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        else:
            import psycopg

            self.conn = psycopg.connect(db.env["DATABASE_URL"], autocommit=True)

    def rows(self, sql, params=()):
        if self.kind == "sqlite":
            sql = sql.replace("%s", "?")
            for _ in range(50):
                try:
                    return self.conn.execute(sql, params).fetchall()
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.05)
            raise RuntimeError("the bench database stayed locked")
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql, params=()):
        return self.rows(sql, params)[0][0]

    def close(self):
        self.conn.close()


def run_rostra(env, *argv, capture=False):
    result = subprocess.run(
        [PY, "-m", "rostra.cli", *argv], env=env, cwd=ROOT, check=False,
        stdout=subprocess.PIPE if capture else None, text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"rostra {' '.join(argv)} failed with status {result.returncode}")
    return result.stdout


def seed(db, args, server_base, peer, plan):
    """Migrate, add demo people, then the bench's own follows and posting accounts."""
    started = time.monotonic()
    load = round(os.getloadavg()[0], 2)
    db.fresh()
    env = dict(db.env, ROSTRA_DOMAIN=server_base.split("//")[1])
    log(f"migrating a fresh {db.kind} database")
    run_rostra(env, "migrate", "--quiet")
    migrated = time.monotonic()
    log(f"rostra demo --users {args.users} --posts 0")
    run_rostra(env, "demo", "--users", str(args.users), "--posts", "0", "--seed", str(args.seed), capture=True)
    demo_done = time.monotonic()
    config = db.dir / "seed-config.json"
    config.write_text(json.dumps(plan))
    # The background work the seeding's actions ask for (feed backfills, follow notifications)
    # goes to django-tasks' in-memory dummy backend and is never run: it is not what is measured.
    child_env = dict(env, ROSTRA_TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend")
    result = subprocess.run(
        [PY, str(Path(__file__).resolve()), "--seed-child", str(config)], env=child_env, cwd=ROOT,
        stdout=subprocess.PIPE, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"seeding failed (status {result.returncode}):\n{result.stdout[-3000:]}")
    line = next(l for l in result.stdout.splitlines() if l.startswith("SEEDJSON "))
    out = json.loads(line[len("SEEDJSON ") :])
    config.unlink()
    db.snapshot()
    out.update(
        seconds_total=round(time.monotonic() - started, 1),
        seconds_migrate=round(migrated - started, 1),
        seconds_demo=round(demo_done - migrated, 1),
        load_average_before=load,
        peer_fetches=peer.fetches,
    )
    return out


def seed_child(config_path):
    """Runs in its own process with the bench's environment: Rostra's real actions, in Django."""
    plan = json.loads(Path(config_path).read_text())
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")
    django.setup()
    from django.db import connection, transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from rostra.accounts import actions as accounts
    from rostra.accounts.models import Account, Follow
    from rostra.federation import keys, parse, resolve, uris
    from rostra.federation.actions import store_actor
    from rostra.federation.models import Actor, Instance

    ACTOR_FIELDS = (
        "kind", "inbox", "shared_inbox", "outbox", "followers", "following", "featured", "url",
        "public_key_id", "public_key_pem", "also_known_as", "moved_to_uri",
    )

    from django.db.models import F
    from django.db.models.functions import Greatest

    def bulk_follows(followers, target, uri_of):
        """The Follow rows and counters accounts.actions leaves, written at once."""
        Follow.objects.bulk_create(
            [Follow(follower=f, target=target, uri=uri_of(f), remote=not f.is_local) for f in followers], batch_size=500
        )
        Account.objects.filter(pk__in=[f.pk for f in followers]).update(following_count=Greatest(F("following_count") + 1, 0))
        Account.objects.filter(pk=target.pk).update(followers_count=Greatest(F("followers_count") + len(followers), 0))
        return len(followers)

    out = {"steps": {}}
    t = time.monotonic()
    people = list(
        Account.objects.filter(domain__isnull=True, user__isnull=False).exclude(username="admin").order_by("id")
    )
    if len(people) < plan["followers_per_actor"]:
        raise SystemExit("fewer local people than followers per actor")
    # 1. The peer's actors, fetched from the peer as the first activity of each would have them.
    remotes = [resolve.actor(uri) for uri in tqdm(plan["peer_actors"], desc="fetching peer actors", unit="actor")]
    out["steps"]["fetch_peer_actors_s"] = round(time.monotonic() - t, 2)
    # 2. Local people follow them. The first follower of each goes through the real path:
    # accounts.actions.follow() asks (federation off meanwhile, so the Follow is not sent: the
    # peer would accept it anyway) and follow_accepted() is what the peer's Accept does. Going
    # that way for all of them takes 15 ms a follow on this machine; the rest are written in
    # bulk as the same rows (Follow, counters) those two calls leave. Each person follows the
    # same number of actors (round robin), so no home feed outgrows its size and is trimmed.
    t = time.monotonic()
    per_actor = plan["followers_per_actor"]
    made = 0
    bar = tqdm(total=len(remotes) * per_actor, desc="local people follow peer actors", unit="follow")
    with override_settings(ROSTRA_FEDERATION=False):
        for a, remote in enumerate(remotes):
            chosen = [people[(a * per_actor + j) % len(people)] for j in range(per_actor)]
            with transaction.atomic():
                accounts.follow(chosen[0], remote)
                accounts.follow_accepted(chosen[0], remote)
                made += bulk_follows(chosen[1:], remote, lambda f, r=remote: uris.activity(f, "follows", r.pk))
            bar.update(per_actor)
    bar.close()
    out["steps"]["local_follows_s"] = round(time.monotonic() - t, 2)
    # 3. The posting accounts, with their keys made now (the first delivery would make them).
    t = time.monotonic()
    out["posters"] = {}
    for name in plan["posters"]:
        accounts.sign_up(name, plan["password"], operator=True, check_open=False)
        account = Account.objects.get(username=name, domain__isnull=True)
        actor = keys.local_actor(account)
        out["posters"][name] = {"key_id": uris.key_id(account), "public_key_pem": actor.public_key_pem}
    # 4. Their remote followers. The first of each poster is stored by store_actor() (what
    # fetching its document does) and follows through accounts.actions.follow() (what an
    # incoming Follow does); the rest are written in bulk as the same rows: the Account and
    # Actor that store_actor makes from parse.actor_fields(), one Instance per server, the
    # Follow and its counters (store_actor one by one takes 20 ms an actor on PostgreSQL here).
    groups = plan["sink_followers"]
    bar = tqdm(total=sum(len(g["docs"]) for g in groups), desc="remote followers of the posters", unit="actor")
    for group in groups:
        poster = Account.objects.get(username=group["poster"], domain__isnull=True)
        docs = group["docs"]
        with transaction.atomic():
            first = store_actor(docs[0])
            accounts.follow(first, poster, uri=f"{first.uri}#follows/bench")
            now = timezone.now()
            parsed = [parse.actor_fields(doc) for doc in docs[1:]]
            made_accounts = Account.objects.bulk_create(
                [
                    Account(
                        username=f["username"], domain=f["domain"], created_at=f["published"] or now, display_name=f["display_name"],
                        bio=f["bio"], bio_html=f["bio_html"], links=f["links"], locked=f["locked"], uri=f["uri"],
                    )
                    for f in parsed
                ],
                batch_size=500,
            )
            Actor.objects.bulk_create(
                [
                    Actor(account_id=acc.pk, fetched_at=now, **{k: f[k] for k in ACTOR_FIELDS})
                    for acc, f in zip(made_accounts, parsed)
                ],
                batch_size=500,
            )
            for domain in sorted({f["domain"] for f in parsed}):
                Instance.objects.get_or_create(domain=domain)
            made += bulk_follows(made_accounts, poster, lambda f: f"{f.uri}#follows/bench")
        bar.update(len(docs))
    bar.close()
    out["steps"]["posters_and_remote_followers_s"] = round(time.monotonic() - t, 2)
    out["bulk_follows"] = made
    from django_tasks import default_task_backend

    out["seeding_tasks_not_run"] = len(getattr(default_task_backend, "results", []))
    out["counts"] = {
        "local_people": len(people),
        "remote_accounts": Account.objects.filter(domain__isnull=False).count(),
        "follows_of_peer_actors": Follow.objects.filter(target__in=remotes).count(),
        "remote_followers_of_posters": Follow.objects.filter(target__username__in=plan["posters"], remote=True).count(),
        "all_follows": Follow.objects.count(),
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print("SEEDJSON " + json.dumps(out), flush=True)


# --- Processes and their CPU ------------------------------------------------------------------


def _proc_cpu(pid):
    """(parent pid, cpu seconds) of a process, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _machine_busy():
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK


class Layout:
    """The server and task workers of one layout, each in its own process group."""

    def __init__(self, name, db, env, port, args):
        self.name = name
        self.db = db
        self.port = port
        self.env = dict(env, ROSTRA_DOMAIN=f"127.0.0.1:{port}")
        self.args = args
        self.procs = {}  # role -> Popen
        self.logs = []

    def commands(self):
        serve = [PY, "-m", "rostra.cli", "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.args.web_workers)]
        if self.name == "embedded":
            return {"serve": serve}
        inbox_workers = int(self.name.removeprefix("inbox"))
        found = {"serve": serve + ["--no-worker"]}
        for n in range(inbox_workers):
            found[f"worker-inbox-{n + 1}"] = [PY, "-m", "rostra.cli", "worker", "--queues", "inbox"]
        found["worker-default"] = [PY, "-m", "rostra.cli", "worker", "--queues", "default,media,delivery"]
        return found

    def start(self):
        for role, argv in self.commands().items():
            log_path = self.db.dir / f"{self.name}-{role}.log"
            self.logs.append(log_path)
            with open(log_path, "ab") as out:
                self.procs[role] = subprocess.Popen(
                    argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            for role, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"{role} exited:\n{self.tail()}")
            try:
                if http(self.port, "GET", "/manifest.webmanifest")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"rostra serve did not answer:\n{self.tail()}")

    def tail(self):
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in self.logs if p.exists())

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            # Whatever is left of the group (granian's workers included) goes for good.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if proc.poll() is None:
                proc.wait()

    def processes(self):
        """pid -> (kind, name): kind 'web' (granian's processes) or 'worker' (task workers; in the
        embedded layout the ``rostra serve`` process itself, whose thread runs the tasks)."""
        roots = {proc.pid: role for role, proc in self.procs.items()}
        parents = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                got = _proc_cpu(entry.name)
                if got is not None:
                    parents[int(entry.name)] = got[0]
        found = {}
        for pid in parents:
            # By ancestry, not process group: `rostra serve` starts granian in a group of its own.
            root, hops = pid, 0
            while root not in roots and root in parents and hops < 16:
                root, hops = parents[root], hops + 1
            if root not in roots:
                continue
            role = roots[root]
            if role == "serve":
                found[pid] = ("worker", "rostra serve") if pid == self.procs["serve"].pid else ("web", "granian")
            else:
                found[pid] = ("worker", role)
        return found

    def roles_of_pids(self):
        return {pid: kind for pid, (kind, _) in self.processes().items()}


def pg_backend_pids(dbname):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmd.startswith("postgres:") and f" {dbname} " in cmd:
                found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds of the layout's processes (web, worker) and the database's backends over a
    phase, sampled twice a second so processes that come and go are counted; plus this
    process, the machine as a whole and the load average."""

    def __init__(self, layout, db_kind):
        self.layout = layout
        self.db_kind = db_kind
        self.base = {}
        self.last = {}
        self.role = {}
        self._stop = threading.Event()
        self._thread = None

    def _sample(self, first=False):
        roles = self.layout.processes()
        if self.db_kind == "postgres":
            roles.update({pid: ("db", "postgres") for pid in pg_backend_pids(PG_DBNAME)})
        for pid, role in roles.items():
            got = _proc_cpu(pid)
            if got is None:
                continue
            self.role[pid] = role
            if first:
                self.base[pid] = got[1]
            elif pid not in self.base:
                self.base[pid] = 0.0  # born during the phase
            self.last[pid] = got[1]

    def start(self):
        self.base, self.last, self.role = {}, {}, {}
        self._sample(first=True)
        self.t0 = time.monotonic()
        self.busy0 = _machine_busy()
        self.self0 = resource.getrusage(resource.RUSAGE_SELF)
        self.load0 = os.getloadavg()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(0.5):
            self._sample()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._sample()
        wall = time.monotonic() - self.t0
        busy = _machine_busy() - self.busy0
        me = resource.getrusage(resource.RUSAGE_SELF)
        bench = (me.ru_utime + me.ru_stime) - (self.self0.ru_utime + self.self0.ru_stime)
        by_role = {"web": 0.0, "worker": 0.0, "db": 0.0}
        by_name = {}
        for pid, last in self.last.items():
            kind, name = self.role[pid]
            used = max(0.0, last - self.base.get(pid, 0.0))
            by_role[kind] += used
            by_name[name] = round(by_name.get(name, 0.0) + used, 2)
        cores = os.cpu_count() or 1
        server = sum(by_role.values())
        return {
            "wall_s": round(wall, 2),
            "web_cpu_s": round(by_role["web"], 2),
            "worker_cpu_s": round(by_role["worker"], 2),
            "db_cpu_s": round(by_role["db"], 2),
            "rostra_cpu_s": round(server, 2),
            "cpu_s_by_process": by_name,
            "bench_process_cpu_s": round(bench, 2),
            "machine_busy_pct": round(100 * busy / max(1e-9, wall * cores), 1),
            "other_processes_cpu_s": round(max(0.0, busy - server - bench), 2),
            "load_average_before": [round(x, 2) for x in self.load0],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }


class Profiler:
    """py-spy (``--profile``) on every task-worker process and granian worker for one phase:
    raw collapsed stacks in ``bench/.data/profiles/<layout>-<phase>-<role>-<pid>.txt``."""

    def __init__(self, layout, phase):
        self.procs = []
        spy = shutil.which("py-spy") or str(Path(PY).parent / "py-spy")
        out = DATA / "profiles"
        out.mkdir(parents=True, exist_ok=True)
        for pid, role in sorted(layout.roles_of_pids().items()):
            if role == "web" and pid == min(p for p, r in layout.roles_of_pids().items() if r == "web"):
                continue  # granian's supervisor: no Python work
            path = out / f"{layout.name}-{phase}-{role}-{pid}.txt"
            self.procs.append(subprocess.Popen(
                [spy, "record", "-r", "50", "-f", "raw", "-o", str(path), "-p", str(pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            ))

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- HTTP to the server -----------------------------------------------------------------------


def http(port, method, path, headers=None, body=None, timeout=30):
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def cookies_from(headers):
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key.strip()] = rest.split(";", 1)[0]
    return found


def log_in(port, username, password):
    """Sign in through the real form; (sessionid, csrftoken)."""
    status, headers, body = http(port, "GET", "/login")
    csrf = cookies_from(headers).get("csrftoken")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not csrf or not match:
        raise SystemExit(f"GET /login answered {status} without a CSRF token")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()})
    status, headers, _ = http(
        port, "POST", "/login", {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"}, form
    )
    got = cookies_from(headers)
    if status not in (302, 303) or "sessionid" not in got:
        raise SystemExit(f"signing in as {username} failed ({status})")
    return got["sessionid"], got.get("csrftoken", csrf)


class Poster:
    def __init__(self, port, username):
        self.port = port
        self.username = username
        self.session, self.csrf = log_in(port, username, POSTER_PASSWORD)
        self.conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, text, fresh=False):
        """POST /compose; (status, seconds). ``fresh``: on a new connection (granian hands
        connections to its workers, so this is how each worker gets some)."""
        if fresh:
            self.conn.close()
            self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, "text": text, "visibility": "public"})
        headers = {"Cookie": f"sessionid={self.session}; csrftoken={self.csrf}", "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request("POST", "/compose", body=form, headers=headers)
                response = self.conn.getresponse()
                response.read()
                return response.status, time.perf_counter() - started
            except (OSError, ConnectionError):
                self.conn.close()
                self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError


class Probe:
    """A browser's view while federation work runs: GET a profile page once a second (its CPU,
    a few ms a second, is counted with the web processes')."""

    def __init__(self, port, path):
        self.port = port
        self.path = path
        self.samples = []  # (monotonic, seconds or None, status)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        conn = HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.wait(1.0):
            started = time.perf_counter()
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
                self.samples.append((time.monotonic(), time.perf_counter() - started, response.status))
            except (OSError, ConnectionError):
                conn.close()
                conn = HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.samples.append((time.monotonic(), None, 0))
        conn.close()

    def between(self, start, end):
        picked = [s for s in self.samples if start <= s[0] <= end]
        took = [s[1] for s in picked if s[1] is not None]
        return {
            "requests": len(picked),
            "errors": sum(1 for s in picked if s[1] is None or s[2] != 200),
            "p50_ms": ms(pct(took, 50)),
            "p99_ms": ms(pct(took, 99)),
            "max_ms": ms(max(took) if took else None),
        }

    def stop(self):
        self._stop.set()
        self._thread.join(5)


# --- Incoming ---------------------------------------------------------------------------------


def blast(port, items, clients):
    """POST every pre-signed activity to /inbox over ``clients`` keep-alive connections."""
    results = [None] * len(items)
    lock = threading.Lock()
    position = [0]

    def client():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = position[0]
                position[0] += 1
            if i >= len(items):
                break
            body, headers = items[i]
            started = time.perf_counter()
            try:
                conn.request("POST", "/inbox", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                results[i] = (response.status, time.perf_counter() - started, time.monotonic())
            except (OSError, ConnectionError) as exc:
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=60)
                results[i] = (f"{type(exc).__name__}", time.perf_counter() - started, time.monotonic())
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    return threads, results


TERMINAL = ("done", "ignored", "refused", "failed")


def received_states(reader, tag):
    rows = reader.rows(
        "SELECT state, COUNT(*) FROM federation_receivedactivity WHERE activity_id LIKE %s GROUP BY state",
        (f"%/statuses/{tag}-%",),
    )
    return dict(rows)


def queued_tasks(reader, queues=("inbox", "default", "delivery", "media")):
    marks = ",".join(["%s"] * len(queues))
    rows = reader.rows(
        f"SELECT queue_name, COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
        f" AND queue_name IN ({marks}) GROUP BY queue_name",
        tuple(queues),
    )
    return dict(rows)


def wait_processed(db, tag, expected, timeout, bar=None, since=None):
    """Poll until ``expected`` activities of ``tag`` are in a final state and no inbox or default
    task is waiting; (seconds until stored, seconds until drained, timeline)."""
    reader = db.reader()
    since = since or time.monotonic()
    stored_at = drained_at = None
    timeline = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            states = received_states(reader, tag)
            final = sum(states.get(s, 0) for s in TERMINAL)
            now = time.monotonic()
            if bar is not None and bar.n != final:
                bar.n = final
                bar.refresh()
            if final >= expected and stored_at is None:
                stored_at = now - since
            queued = queued_tasks(reader, ("inbox", "default")) if final >= expected else {"?": 1}
            timeline.append((round(now - since, 2), final, sum(queued.values())))
            if final >= expected and not queued:
                drained_at = now - since
                break
            time.sleep(0.2)
    finally:
        reader.close()
    return stored_at, drained_at, timeline


def check_incoming(db, peer_base, tag, incoming, followers_per_actor):
    reader = db.reader()
    try:
        like = f"{peer_base}/users/%/statuses/{tag}-%"
        posts = dict(reader.rows("SELECT state, COUNT(*) FROM posts_post WHERE uri LIKE %s GROUP BY state", (like,)))
        distinct = reader.one("SELECT COUNT(DISTINCT uri) FROM posts_post WHERE uri LIKE %s", (like,))
        total = sum(posts.values())
        published = posts.get("published", 0)
        feed = reader.one(
            "SELECT COUNT(*) FROM timelines_feedentry WHERE post_id IN (SELECT id FROM posts_post WHERE uri LIKE %s)", (like,)
        )
        mentions = reader.one(
            "SELECT COUNT(*) FROM posts_mention WHERE post_id IN (SELECT id FROM posts_post WHERE uri LIKE %s)", (like,)
        )
        tagged = reader.one(
            "SELECT COUNT(DISTINCT post_id) FROM posts_posthashtag WHERE post_id IN (SELECT id FROM posts_post WHERE uri LIKE %s)",
            (like,),
        )
        states = received_states(reader, tag)
        errors = reader.rows(
            "SELECT state, error, COUNT(*) FROM federation_receivedactivity WHERE activity_id LIKE %s AND state <> 'done'"
            " GROUP BY state, error ORDER BY 3 DESC",
            (f"%/statuses/{tag}-%",),
        )
        failed_tasks = reader.rows(
            "SELECT task_path, COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED' GROUP BY task_path"
        )
    finally:
        reader.close()
    expected_feed = published * followers_per_actor
    found = {
        "activities": len(incoming.items),
        "received_states": states,
        "not_done": [[s, e[:200], n] for s, e, n in errors][:10],
        "posts": total,
        "distinct_post_uris": distinct,
        "posts_by_state": posts,
        "feed_entries": feed,
        "feed_entries_expected": expected_feed,
        "mentions": mentions,
        "posts_with_mentions_sent": incoming.with_mentions,
        "posts_with_hashtags": tagged,
        "posts_with_hashtags_sent": incoming.with_tags,
        "failed_tasks": {path: n for path, n in failed_tasks},
    }
    found["ok"] = (
        total == len(incoming.items)
        and distinct == total
        and states.get("done", 0) == len(incoming.items)
        and feed == expected_feed
        and not failed_tasks
    )
    return found


def run_incoming(layout, db, peer, peer_actors, peer_keys, locals_, args, probe):
    server_base = f"http://127.0.0.1:{layout.port}"
    # Warm-up: every worker loads the moderation model and opens its connections.
    warm = Incoming(peer, peer_actors, peer_keys, locals_, server_base, args, f"warm{layout.name}", args.warmup)
    threads, _ = blast(layout.port, warm.items, min(4, args.clients))
    for t in threads:
        t.join()
    wait_processed(db, warm.tag, len(warm.items), 120)
    incoming = Incoming(peer, peer_actors, peer_keys, locals_, server_base, args, f"main{layout.name}", args.creates)
    log(f"[{layout.name}] posting {len(incoming.items):,} signed Creates to /inbox from {args.clients} connections")
    profiler = Profiler(layout, "incoming") if args.profile else None
    meter = CpuMeter(layout, db.kind).start()
    started = time.monotonic()
    threads, results = blast(layout.port, incoming.items, args.clients)
    processed_bar = tqdm(total=len(incoming.items), desc=f"[{layout.name}] processed", unit="act")
    box = {}
    waiter = threading.Thread(
        target=lambda: box.update(
            zip(("stored", "drained", "timeline"), wait_processed(db, incoming.tag, len(incoming.items), args.timeout, processed_bar, started))
        ),
        daemon=True,
    )
    waiter.start()
    accepted_bar = tqdm(total=len(incoming.items), desc=f"[{layout.name}] accepted ", unit="act")
    while any(t.is_alive() for t in threads):
        accepted_bar.n = sum(1 for r in results if r is not None)
        accepted_bar.refresh()
        time.sleep(0.2)
    accepted_bar.n = len(results)
    accepted_bar.close()
    accept_end = max((r[2] for r in results if r is not None), default=time.monotonic())
    waiter.join()
    processed_bar.close()
    cpu = meter.stop()
    if profiler is not None:
        profiler.stop()
    ended = time.monotonic()
    statuses = {}
    for r in results:
        key = str(r[0]) if r is not None else "not sent"
        statuses[key] = statuses.get(key, 0) + 1
    took = [r[1] for r in results if r is not None and r[0] == 202]
    accept_s = accept_end - started
    drained = box.get("drained")
    n = len(incoming.items)
    check = check_incoming(db, peer.url(0), incoming.tag, incoming, args.followers_per_actor)
    summary = {
        "activities": n,
        "clients": args.clients,
        "status_counts": statuses,
        "accept_seconds": round(accept_s, 2),
        "accepted_per_s": round(statuses.get("202", 0) / accept_s, 1),
        "accept_p50_ms": ms(pct(took, 50)),
        "accept_p90_ms": ms(pct(took, 90)),
        "accept_p99_ms": ms(pct(took, 99)),
        "accept_max_ms": ms(max(took) if took else None),
        "stored_seconds": None if box.get("stored") is None else round(box["stored"], 2),
        "processed_seconds": None if drained is None else round(drained, 2),
        "processed_per_s": None if drained is None else round(n / drained, 1),
        "timed_out": drained is None,
        "cpu": cpu,
        "cpu_ms_per_activity": round(cpu["rostra_cpu_s"] * 1000 / n, 2),
        "web_cpu_ms_per_activity": round(cpu["web_cpu_s"] * 1000 / n, 2),
        "worker_cpu_ms_per_activity": round(cpu["worker_cpu_s"] * 1000 / n, 2),
        "db_cpu_ms_per_activity": round(cpu["db_cpu_s"] * 1000 / n, 2),
        "capacity_per_s_two_free_cores": round((os.cpu_count() or 1) * n / cpu["rostra_cpu_s"], 0) if cpu["rostra_cpu_s"] else None,
        "probe": probe.between(started, ended),
        "check": check,
        "timeline": box.get("timeline", [])[:: max(1, len(box.get("timeline", [])) // 60)],
    }
    log(
        f"[{layout.name}] accepted {summary['accepted_per_s']}/s (p50 {summary['accept_p50_ms']} ms, p99 {summary['accept_p99_ms']} ms),"
        f" processed {summary['processed_per_s']}/s end to end ({summary['processed_seconds']} s);"
        f" CPU {summary['cpu_ms_per_activity']} ms/activity (web {summary['web_cpu_ms_per_activity']},"
        f" workers {summary['worker_cpu_ms_per_activity']}, db {summary['db_cpu_ms_per_activity']});"
        f" machine busy {cpu['machine_busy_pct']}%, others {cpu['other_processes_cpu_s']} s, load {cpu['load_average_before'][0]}"
        f"; check {'ok' if check['ok'] else 'FAILED'}"
    )
    if not check["ok"]:
        log(f"[{layout.name}] check: {json.dumps({k: v for k, v in check.items() if k != 'ok'})}")
    return summary


# --- Outgoing ---------------------------------------------------------------------------------


def run_outgoing(layout, db, sink, scenario, args, probe):
    poster = Poster(layout.port, scenario["poster"])
    servers = scenario["servers"]
    expected = scenario["posts"] * servers
    rng = random.Random(f"{args.seed}-{layout.name}-{scenario['name']}")
    texts = [f"{make_text(rng, 100, 300)} (outgoing {layout.name} {scenario['name']} {i})" for i in range(scenario["posts"])]
    first = len(sink.deliveries)
    bar = tqdm(total=expected, desc=f"[{layout.name}] {scenario['name']} delivered", unit="dlv")
    profiler = Profiler(layout, "outgoing" + str(scenario["posts"])) if args.profile else None
    meter = CpuMeter(layout, db.kind).start()
    started = time.monotonic()
    post_times, statuses = [], {}
    for text in texts:
        status, took = poster.post(text)
        post_times.append(took)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        bar.n = len(sink.deliveries) - first
        bar.refresh()
    posted = time.monotonic()
    deadline = time.monotonic() + args.timeout
    reader = db.reader()
    try:
        while time.monotonic() < deadline:
            got = len(sink.deliveries) - first
            bar.n = got
            bar.refresh()
            if got >= expected and not queued_tasks(reader, ("delivery",)):
                break
            time.sleep(0.1)
        time.sleep(0.5)  # anything extra that was still on its way
        queued_after = queued_tasks(reader, ("delivery",))
    finally:
        reader.close()
    bar.close()
    cpu = meter.stop()
    if profiler is not None:
        profiler.stop()
    ended = time.monotonic()
    mine = sink.deliveries[first:]
    creates = [d for d in mine if d[3] == "Create"]
    last = max((d[0] for d in mine), default=None)
    per_target = {}
    for d in creates:
        per_target[(d[1], d[2], d[4])] = per_target.get((d[1], d[2], d[4]), 0) + 1
    seconds = (last - started) if last and len(mine) >= expected else None
    summary = {
        "name": scenario["name"],
        "poster": scenario["poster"],
        "posts": scenario["posts"],
        "followers": scenario["followers"],
        "servers": servers,
        "expected_deliveries": expected,
        "deliveries": len(mine),
        "create_deliveries": len(creates),
        "distinct_post_server_pairs": len(per_target),
        "duplicates": sum(n - 1 for n in per_target.values()),
        "to_shared_inbox": sum(1 for d in mine if d[2] == "/inbox"),
        "bad_signatures": sum(1 for d in mine if d[5]),
        "signature_problems": sorted({d[5] for d in mine if d[5]})[:5],
        "compose_status_counts": statuses,
        "compose_p50_ms": ms(pct(post_times, 50)),
        "compose_max_ms": ms(max(post_times)),
        "compose_seconds_total": round(posted - started, 2),
        "first_delivery_s": round(min(d[0] for d in mine) - started, 3) if mine else None,
        "seconds": None if seconds is None else round(seconds, 2),
        "deliveries_per_s": None if seconds is None else round(expected / seconds, 1),
        "delivery_tasks_still_queued": queued_after,
        "cpu": cpu,
        "cpu_ms_per_delivery": round(cpu["rostra_cpu_s"] * 1000 / max(1, len(mine)), 2),
        "probe": probe.between(started, ended),
    }
    summary["ok"] = (
        len(mine) == expected and not summary["duplicates"] and not summary["bad_signatures"]
        and summary["to_shared_inbox"] == expected and statuses.get("302", 0) == scenario["posts"]
    )
    log(
        f"[{layout.name}] {scenario['name']}: {summary['deliveries']}/{expected} deliveries in {summary['seconds']} s"
        f" = {summary['deliveries_per_s']}/s (first after {summary['first_delivery_s']} s); POST /compose p50"
        f" {summary['compose_p50_ms']} ms, max {summary['compose_max_ms']} ms; CPU {summary['cpu_ms_per_delivery']} ms/delivery;"
        f" bad signatures {summary['bad_signatures']}, duplicates {summary['duplicates']}; check {'ok' if summary['ok'] else 'FAILED'}"
    )
    return summary


# --- The run ----------------------------------------------------------------------------------


def code_version():
    def git(*argv):
        result = subprocess.run(
            ["git", *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False
        )
        return result.stdout

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no", "--", "rostra").splitlines() if line]
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "rostra_changed_since": bool(changed),
        "rostra_changed_files": changed,
    }


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        info["cpu"] = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1).strip()
        mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
        from importlib.metadata import version

        info["django"] = version("django")
        info["granian"] = version("granian")
    except Exception as exc:  # noqa: BLE001 - the figures are what matters; this is context
        info["unknown"] = str(exc)
    return info


def scenarios(args):
    big_servers, big_followers = args.out_big
    small_servers, small_followers, small_posts = args.out_small
    return [
        {"name": f"1 post to {big_followers:,} followers on {big_servers} servers", "poster": POSTERS[0],
         "posts": 1, "followers": big_followers, "servers": big_servers},
        {"name": f"{small_posts} posts to {small_followers:,} followers on {small_servers} servers", "poster": POSTERS[1],
         "posts": small_posts, "followers": small_followers, "servers": small_servers},
    ]


def pair(text, count):
    values = [int(v) for v in text.replace("x", ",").split(",")]
    if len(values) != count:
        raise argparse.ArgumentTypeError(f"expected {count} numbers")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="PostgreSQL server on which rostra_bench_fed is made")
    parser.add_argument("--redis", default=None, help="REDIS_URL for the server; default none (per-process cache)")
    parser.add_argument("--users", type=int, default=1000, help="local people (rostra demo --posts 0)")
    parser.add_argument("--actors", type=int, default=50, help="remote actors sending Creates")
    parser.add_argument("--followers-per-actor", type=int, default=200, help="local followers of each remote actor")
    parser.add_argument("--creates", type=int, default=400, help="Create activities per layout")
    parser.add_argument("--warmup", type=int, default=20, help="Creates sent (and waited for) before measuring")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections POSTing to /inbox")
    parser.add_argument("--text-min", type=int, default=100)
    parser.add_argument("--text-max", type=int, default=500)
    parser.add_argument("--hashtag-share", type=float, default=0.1)
    parser.add_argument("--mention-share", type=float, default=0.05)
    parser.add_argument("--out-big", type=lambda t: pair(t, 2), default=[100, 2000], metavar="SERVERS,FOLLOWERS",
                        help="one post to FOLLOWERS remote followers on SERVERS servers (default 100,2000)")
    parser.add_argument("--out-small", type=lambda t: pair(t, 3), default=[20, 100, 50], metavar="SERVERS,FOLLOWERS,POSTS",
                        help="POSTS posts to FOLLOWERS remote followers on SERVERS servers (default 20,100,50)")
    parser.add_argument("--layouts", default="embedded,inbox1,inbox2", help=f"comma-separated, of {', '.join(LAYOUTS)}")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for processing or deliveries")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the workers and web processes while Creates are processed (bench/.data/profiles/)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database and logs afterwards")
    parser.add_argument("--no-report", action="store_true", help="do not regenerate docs/performance.md")
    parser.add_argument("--note", default="", help="a remark stored with the results")
    parser.add_argument("--seed-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed_child:
        return seed_child(args.seed_child)
    layouts = [l.strip() for l in args.layouts.split(",") if l.strip()]
    unknown = [l for l in layouts if l not in LAYOUTS]
    if unknown:
        parser.error(f"unknown layouts {unknown}")
    if args.followers_per_actor > args.users:
        parser.error("--followers-per-actor cannot exceed --users")

    # A stop signal ends the run through the same clean-up as an error.
    def stop_signal(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop_signal)
    signal.signal(signal.SIGHUP, stop_signal)

    started = time.monotonic()
    env = base_env(args)
    db = Database(args, env)
    plan_scenarios = scenarios(args)
    port = free_port()
    server_base = f"http://127.0.0.1:{port}"
    peer = sink = None
    layout = None
    probe = None
    results = None
    try:
        # The fake remote servers come first: the seeding fetches from the peer, and the sinks'
        # ports are in their actors' ids.
        peer = FakeServers(1, "peer")
        peer_keys = [Key() for _ in tqdm(range(args.actors), desc="peer actor keys", unit="key")]
        peer_actors = []
        for i, key in enumerate(peer_keys):
            doc = actor_doc(peer.url(0), f"peer_{i:03d}", key)
            peer.docs[doc["id"]] = doc
            peer_actors.append(doc["id"])
        sink = FakeServers(max(s["servers"] for s in plan_scenarios), "sink")
        sink_followers = []
        for s in plan_scenarios:
            docs = []
            for f in range(s["followers"]):
                server = f % s["servers"]
                doc = actor_doc(sink.url(server), f"{s['poster']}_f{f:05d}")
                sink.docs[doc["id"]] = doc
                docs.append(doc)
            sink_followers.append({"poster": s["poster"], "docs": docs})
        plan = {
            "peer_actors": peer_actors,
            "followers_per_actor": args.followers_per_actor,
            "posters": list(POSTERS),
            "password": POSTER_PASSWORD,
            "sink_followers": sink_followers,
        }
        seeded = seed(db, args, server_base, peer, plan)
        for info in seeded["posters"].values():
            from cryptography.hazmat.primitives import serialization

            sink.public_keys[info["key_id"]] = serialization.load_pem_public_key(info["public_key_pem"].encode())
        log(f"seeded in {seeded['seconds_total']} s: {json.dumps(seeded['counts'])}")
        reader = db.reader()
        locals_ = [
            r[0]
            for r in reader.rows(
                "SELECT username FROM accounts_account WHERE domain IS NULL AND username NOT IN ('admin', %s, %s, %s) ORDER BY id LIMIT 500",
                POSTERS,
            )
        ]
        reader.close()
        results = {
            "kind": "federation",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "db": args.db,
            "database": {"version": db.version()},
            "settings": {
                "users": args.users, "actors": args.actors, "followers_per_actor": args.followers_per_actor,
                "creates": args.creates, "warmup": args.warmup, "clients": args.clients,
                "text_chars": [args.text_min, args.text_max], "hashtag_share": args.hashtag_share,
                "mention_share": args.mention_share, "screening": "model", "web_workers": args.web_workers,
                "redis": bool(args.redis), "scenarios": plan_scenarios,
                "worker_interval_s": float(os.environ.get("ROSTRA_WORKER_INTERVAL", "0.5")),
                "profiled": args.profile,
            },
            "seeding": seeded,
            "machine": machine(),
            "code": code_version(),
            "note": args.note,
            "command": "python bench/federation.py " + shlex.join(sys.argv[1:] if argv is None else argv),
            "layouts": {},
        }
        for name in layouts:
            log(f"layout {name}: {LAYOUTS[name]}")
            db.restore()
            layout = Layout(name, db, db.env, port, args).start()
            probe = Probe(port, f"/@{POSTERS[0]}")
            # The web workers load the moderation model on their first post.
            warm = [Poster(port, POSTERS[2]) for _ in range(2)]
            for i in range(4):
                pair_ = [threading.Thread(target=w.post, args=(f"Warming up the web workers, post {i}.", True)) for w in warm]
                for t in pair_:
                    t.start()
                for t in pair_:
                    t.join()
            entry = {"description": LAYOUTS[name], "commands": {r: " ".join(c[1:]).replace(str(ROOT) + "/", "") for r, c in layout.commands().items()}}
            entry["incoming"] = run_incoming(layout, db, peer, peer_actors, peer_keys, locals_, args, probe)
            entry["outgoing"] = [run_outgoing(layout, db, sink, s, args, probe) for s in plan_scenarios]
            results["layouts"][name] = entry
            probe.stop()
            probe = None
            layout.stop()
            layout = None
        results["seconds_total"] = round(time.monotonic() - started, 1)
    finally:
        if probe is not None:
            probe.stop()
        if layout is not None:
            if results is not None and not results["layouts"]:
                print(layout.tail()[-3000:], flush=True)
            layout.stop()
        for fake in (peer, sink):
            if fake is not None:
                fake.close()
        if not args.keep:
            db.drop()
    if results is None or not results["layouts"]:
        return 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-federation-{args.db}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    log(f"results in {path.relative_to(ROOT)} after {results['seconds_total']} s")
    if not args.no_report:
        sys.path.insert(0, str(BENCH))
        import report

        report.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
