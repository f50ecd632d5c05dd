#!/usr/bin/env python
"""Load-test the real Rostra server on seeded data and record what it sustains.

    python bench/run.py --users 1000 --posts 10000 --db sqlite
    python bench/run.py --users 10000 --posts 1000000 --db postgres --reuse

Each run:
1. makes a fresh bench database (a data directory for SQLite, ``rostra_bench_<size>`` on the
   PostgreSQL server for ``--db postgres``), runs ``rostra migrate`` and ``rostra demo`` at the
   chosen size, timing the seeding; ``--reuse`` keeps one already seeded at that size;
2. starts ``rostra serve --no-worker --workers 2`` in a separate process against it, with the
   rate limits raised;
3. signs in as demo people over HTTP (``POST /login``) to get session cookies;
4. drives each endpoint with ``wrk`` (16 connections, a warm-up, then ``--duration`` seconds):
   the home feed, a profile, a thread, and posting through ``/compose``; falls back to an
   asyncio driver when wrk is not installed;
5. writes ``bench/results/<timestamp>-<db>-<size>.json`` and regenerates
   ``docs/performance.md`` and its chart (``bench/report.py``).

Everything talks to 127.0.0.1 only. The server is stopped however the run ends.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime, timezone
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk.lua"
PY = sys.executable
PASSWORD = "demo-password-1"
HIGH_LIMIT = "100000000/60"
ENDPOINTS = ("home", "profile", "thread", "compose", "api_home")
# The Mastodon API's home timeline, 40 statuses a page, with a bearer token (issue 4).
API_HOME = "/api/v1/timelines/home?limit=40"
SESSIONS = 32


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def human(n):
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % (size // 10 or 1) == 0:
            value = n / size
            return f"{value:g}{unit}"
    return str(n)


def size_slug(users, posts):
    return f"{human(users)}u-{human(posts)}p"


def bench_places(db, users, posts):
    """Where a seeded bench database of this size lives: (data directory, PostgreSQL name)."""
    slug = size_slug(users, posts)
    return DATA / f"{db}-{slug}", f"rostra_bench_{slug.replace('-', '_')}".lower()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- The bench database ---------------------------------------------------------------------


def base_env():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ROSTRA_DATA_DIR", "REDIS_URL")}
    env.update(
        ROSTRA_RATE_POST=HIGH_LIMIT,
        ROSTRA_RATE_LOGIN=HIGH_LIMIT,
        ROSTRA_RATE_SIGNUP=HIGH_LIMIT,
        ROSTRA_RATE_API=HIGH_LIMIT,
        ROSTRA_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def pg_url(base, dbname):
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def pg_admin(base, sql_statements):
    import psycopg

    with psycopg.connect(pg_url(base, "postgres"), autocommit=True) as conn:
        for sql in sql_statements:
            conn.execute(sql)


def pg_exists(base, dbname):
    import psycopg

    with psycopg.connect(pg_url(base, "postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None


def prepare_database(args):
    """Environment for every rostra process of this run, and how the data got there."""
    env = base_env()
    if args.redis:
        env["REDIS_URL"] = args.redis
    data_dir, dbname = bench_places(args.db, args.users, args.posts)
    env["ROSTRA_DATA_DIR"] = str(data_dir)
    marker = data_dir / "seeded.json"
    if args.db == "postgres":
        env["DATABASE_URL"] = pg_url(args.pg, dbname)
    if args.reuse and marker.exists() and (args.db == "sqlite" or pg_exists(args.pg, dbname)):
        seeded = json.loads(marker.read_text())
        if (seeded.get("users"), seeded.get("posts")) == (args.users, args.posts):
            log(f"reusing the seeded {args.db} database in {data_dir}")
            # Models may have changed since it was seeded.
            subprocess.run([PY, "-m", "rostra.cli", "migrate", "--quiet"], env=env, cwd=ROOT, check=True)
            seeded["reused"] = True
            return env, seeded, data_dir
    log(f"making a fresh {args.db} database for {args.users:,} people and {args.posts:,} posts")
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if args.db == "postgres":
        pg_admin(args.pg, [f'DROP DATABASE IF EXISTS "{dbname}"', f'CREATE DATABASE "{dbname}"'])
    subprocess.run([PY, "-m", "rostra.cli", "migrate", "--quiet"], env=env, cwd=ROOT, check=True)
    started = time.monotonic()
    load_average = round(os.getloadavg()[0], 1)
    result = subprocess.run(
        [PY, "-m", "rostra.cli", "demo", "--users", str(args.users), "--posts", str(args.posts), "--seed", str(args.seed)],
        env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    )
    seconds = time.monotonic() - started
    print(result.stdout, end="", flush=True)
    match = re.search(r"^\s+in ([\d,.]+) s", result.stdout, re.M)
    counts = {}
    for key, value in re.findall(r"^  ([a-z ]+?)\s+([\d,]+)$", result.stdout, re.M):
        counts[key.strip().replace(" ", "_")] = int(value.replace(",", ""))
    seeded = {
        "users": args.users,
        "posts": args.posts,
        "seed": args.seed,
        "db": args.db,
        "seconds_total": round(seconds, 1),
        "seconds_seeder": float(match.group(1).replace(",", "")) if match else None,
        "counts": counts,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average": load_average,
        "reused": False,
    }
    marker.write_text(json.dumps(seeded, indent=2))
    return env, seeded, data_dir


# --- Facts from the database (run in a Django process on the bench database) -----------------

DISCOVER = r"""
import json, random, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rostra.accounts.models import Account
from rostra.posts.models import Post

rng = random.Random(5)
people = list(Account.objects.filter(user__isnull=False, domain__isnull=True, following_count__gte=20)
              .exclude(username="admin").order_by("id").values_list("username", flat=True)[:5000])
bench = ["demo"] if Account.objects.filter(username="demo").exists() else []
others = [p for p in people if p != "demo"]
bench += rng.sample(others, min(len(others), SESSIONS - len(bench)))
top = list(Account.objects.filter(domain__isnull=True).exclude(username="admin")
           .order_by("-followers_count").values_list("username", flat=True)[:20])
some = list(Account.objects.filter(domain__isnull=True, posts_count__gt=0).exclude(username="admin")
            .order_by("id").values_list("username", flat=True)[:5000])
profiles = top + rng.sample(some, min(len(some), 80))
threads = list(Post.objects.filter(in_reply_to__isnull=True, echo_of__isnull=True, replies_count__gte=3,
                                   visibility="public", state="published")
               .order_by("-id").values_list("author__username", "id")[:2000])
threads = rng.sample(threads, min(len(threads), 200))
out = {
    "session_users": bench,
    "profiles": ["/@" + u for u in profiles],
    "threads": ["/@%s/%d" % t for t in threads],
    "vendor": connection.vendor,
}
if connection.vendor == "sqlite":
    import sqlite3
    out["db_version"] = "SQLite " + sqlite3.sqlite_version
    out["db_bytes"] = sum(p.stat().st_size for p in __import__("pathlib").Path(str(connection.settings_dict["NAME"])).parent.glob("rostra.sqlite3*"))
else:
    with connection.cursor() as c:
        c.execute("SHOW server_version"); out["db_version"] = "PostgreSQL " + c.fetchone()[0]
        c.execute("SELECT pg_database_size(current_database())"); out["db_bytes"] = c.fetchone()[0]
out["rows"] = {"posts": Post.objects.count(), "people": Account.objects.count()}

# Queries per page, measured in-process with Django's test client (signed in as the first user).
client = Client(HTTP_HOST="127.0.0.1")
from rostra.accounts.models import User
client.force_login(User.objects.get(username=bench[0]))
pages = {"home": "/", "profile": out["profiles"][0], "thread": out["threads"][0] if out["threads"] else None}
out["queries"] = {}
for name, path in pages.items():
    if not path:
        continue
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    out["queries"][name] = {
        "path": path, "status": response.status_code, "queries": len(ctx.captured_queries),
        "sql_ms": round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 2),
        "page_ms": round(elapsed * 1000, 2), "bytes": len(response.content),
    }
print("DISCOVERJSON " + json.dumps(out))
"""

SESSION_FALLBACK = r"""
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from rostra.accounts.models import User
out = []
for name in NAMES:
    user = User.objects.get(username=name)
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    out.append([s.session_key, _get_new_csrf_string()])
print("SESSIONSJSON " + json.dumps(out))
"""


API_TOKENS = r"""
import json, secrets
from oauth2_provider.models import AccessToken, Application
from django.utils import timezone
from datetime import timedelta
from rostra.accounts.models import User
from rostra.api.models import ClientApp
app = Application.objects.filter(name="rostra-bench").first()
if app is None:
    app = Application.objects.create(name="rostra-bench", client_type="confidential", authorization_grant_type="password",
                                     redirect_uris="urn:ietf:wg:oauth:2.0:oob", client_secret=secrets.token_urlsafe(24))
    ClientApp.objects.create(application=app, scopes="read write follow")
out = []
for name in NAMES:
    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(user=User.objects.get(username=name), application=app, token=token,
                               scope="read write follow", expires=timezone.now() + timedelta(days=1))
    out.append([token, ""])
print("TOKENSJSON " + json.dumps(out))
"""


def django_json(env, code, tag):
    script = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'rostra.settings')\ndjango.setup()\n" + code
    result = subprocess.run([PY, "-c", script], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"looking into the bench database failed:\n{result.stderr[-3000:]}")
    line = next(l for l in result.stdout.splitlines() if l.startswith(tag + " "))
    return json.loads(line[len(tag) + 1 :])


# --- The server -----------------------------------------------------------------------------


class Server:
    def __init__(self, env, data_dir, workers):
        self.port = free_port()
        self.env = dict(env, ROSTRA_DOMAIN=f"127.0.0.1:{self.port}", ROSTRA_ADMIN_PASSWORD="bench-admin-password-1")
        self.log_path = data_dir / "server.log"
        self.workers = workers
        self.process = None

    def start(self):
        log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [PY, "-m", "rostra.cli", "serve", "--no-worker", "--workers", str(self.workers),
             "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"rostra serve exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                if http(self.port, "GET", "/manifest.webmanifest")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"rostra serve did not answer:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def http(port, method, path, headers=None, body=None):
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
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
    """Sign in through the real form; returns (sessionid, csrftoken) or None if that is not possible."""
    status, headers, body = http(port, "GET", "/login")
    if status != 200:
        return None
    csrf = cookies_from(headers).get("csrftoken")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not csrf or not match:
        return None
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode(), "next": "/"}
    )
    status, headers, _ = http(
        port, "POST", "/login",
        {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"}, form,
    )
    got = cookies_from(headers)
    if status not in (302, 303) or "sessionid" not in got:
        return None
    return got["sessionid"], got.get("csrftoken", csrf)


# --- Load ------------------------------------------------------------------------------------


def write_spec(path, method, paths, sessions, bearer=False):
    kind = "bearer" if bearer else "session"
    lines = [f"method {method}"] + [f"path {p}" for p in paths] + [f"{kind} {s} {c}".rstrip() for s, c in sessions]
    path.write_text("\n".join(lines) + "\n")


def run_wrk(port, spec, seconds, connections, threads):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
         f"http://127.0.0.1:{port}", "--", str(spec)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((l for l in result.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{result.stdout}")
    data = json.loads(line[len("WRKJSON ") :])
    data["driver_cpu_s"] = round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2)
    return data


async def _python_load(port, method, paths, sessions, seconds, connections):
    """A closed-loop HTTP/1.1 keep-alive driver: the fallback when wrk is missing."""
    import random

    rng = random.Random(1)
    latencies = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    total_bytes = 0
    deadline = time.monotonic() + seconds

    async def one_connection(n):
        nonlocal total_bytes
        reader = writer = None
        sent = 0
        while time.monotonic() < deadline:
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    errors["connect"] += 1
                    await asyncio.sleep(0.05)
                    continue
            path = rng.choice(paths)
            session, csrf = rng.choice(sessions) if sessions else (None, None)
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
            if session:
                head.append(f"Cookie: sessionid={session}; csrftoken={csrf}")
            body = b""
            if method == "POST":
                sent += 1
                body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "text": f"Benchmark post {n}-{sent}"}).encode()
                head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
            started = time.perf_counter()
            try:
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await writer.drain()
                status_line = await asyncio.wait_for(reader.readline(), 10)
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                data = await reader.readexactly(length) if length else b""
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                errors["read"] += 1
                writer = None
                continue
            latencies.append(time.perf_counter() - started)
            total_bytes += len(data)
            if int(status_line.split()[1]) > 399:
                errors["status"] += 1
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one_connection(i) for i in range(connections)))
    duration = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6) if latencies else 0

    return {
        "requests": len(latencies), "duration_us": int(duration * 1e6), "bytes": total_bytes, "errors": errors,
        "latency_us": {
            "min": pct(0), "mean": sum(latencies) / max(1, len(latencies)) * 1e6, "stdev": 0, "max": pct(100),
            "p50": pct(50), "p75": pct(75), "p90": pct(90), "p99": pct(99), "p999": pct(99.9),
        },
    }


# --- Where the CPU went ------------------------------------------------------------------------
# The machine is shared, so requests/s alone depends on what else runs. CPU seconds spent by the
# server's processes (and PostgreSQL's backends for the bench database) per request do not.

TICK = os.sysconf("SC_CLK_TCK")


def _proc_stats():
    """{pid: (parent pid, cpu seconds)} for every process."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return stats


def descendants(root, parents):
    """``root`` and every process below it, from {pid: parent pid}.

    By ancestry, not process group: `rostra serve` starts each granian in a group of its own.
    """
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def _machine_busy():
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


class CpuMeter:
    def __init__(self, server_pid, db_pids=()):
        self.server_pid = server_pid
        self.db_pids = set(db_pids)

    def snapshot(self):
        stats = _proc_stats()
        mine = descendants(self.server_pid, {pid: parent for pid, (parent, _) in stats.items()})
        server = sum(stats[pid][1] for pid in mine)
        db = sum(stats[pid][1] for pid in self.db_pids if pid in stats)
        busy, total = _machine_busy()
        return {"server": server, "db": db, "busy": busy, "total": total, "at": time.monotonic()}

    @staticmethod
    def delta(a, b, driver_cpu, requests):
        wall = b["at"] - a["at"]
        server = b["server"] - a["server"]
        db = b["db"] - a["db"]
        busy = b["busy"] - a["busy"]
        cores = os.cpu_count() or 1
        others = max(0.0, busy - server - db - (driver_cpu or 0))
        per_request = (server + db) / max(1, requests) * 1000
        return {
            "server_cpu_s": round(server, 2),
            "db_cpu_s": round(db, 2),
            "machine_busy_pct": round(100 * busy / max(1e-9, wall * cores), 1),
            "other_processes_cpu_s": round(others, 2),
            "cpu_ms_per_request": round(per_request, 3),
            # What the server alone could do with every core to itself.
            "capacity_rps_all_cores": round(cores * 1000 / per_request, 0) if per_request else None,
        }


def pg_backend_pids(env):
    url = env.get("DATABASE_URL")
    if not url:
        return []
    import psycopg

    dbname = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [dbname]
        ).fetchall()
    return [r[0] for r in rows]


def drive(args, port, name, method, paths, sessions, spec_dir, server=None, bearer=False):
    spec = spec_dir / f"{name}.spec"
    write_spec(spec, method, paths, sessions, bearer)
    use_wrk = shutil.which("wrk") and not args.python_driver
    threads = min(2, args.connections)
    if args.warmup:
        if use_wrk:
            run_wrk(port, spec, args.warmup, args.connections, threads)
        else:
            asyncio.run(_python_load(port, method, paths, sessions, args.warmup, args.connections))
    meter = CpuMeter(server.process.pid, pg_backend_pids(server.env)) if server else None
    load_before = os.getloadavg()[0]
    before = meter.snapshot() if meter else None
    if use_wrk:
        raw = run_wrk(port, spec, args.duration, args.connections, threads)
    else:
        raw = asyncio.run(_python_load(port, method, paths, sessions, args.duration, args.connections))
    cpu = CpuMeter.delta(before, meter.snapshot(), raw.get("driver_cpu_s"), raw["requests"]) if meter else {}
    lat = raw["latency_us"]
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    summary = {
        "method": method,
        "paths": len(paths),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "p999_ms": round(lat["p999"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "mean_ms": round(lat["mean"] / 1000, 2),
        "errors": errors,
        "error_detail": raw["errors"],
        "kb_per_response": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 1),
        "driver": "wrk" if use_wrk else "python",
        "driver_cpu_s": raw.get("driver_cpu_s"),
        "load_average_before": round(load_before, 2),
        **cpu,
    }
    log(
        f"{name:<8} {summary['rps']:>8.0f} req/s  p50 {summary['p50_ms']:6.1f} ms  p90 {summary['p90_ms']:6.1f} ms"
        f"  p99 {summary['p99_ms']:6.1f} ms  errors {errors}  cpu {cpu.get('cpu_ms_per_request')} ms/req"
        f"  machine busy {cpu.get('machine_busy_pct')}% (others {cpu.get('other_processes_cpu_s')} s)"
    )
    return summary


def check_pages(port, targets, sessions, username):
    """Before loading anything: every endpoint answers as a signed-in person would see it."""
    session, csrf = sessions[0]
    cookie = {"Cookie": f"sessionid={session}; csrftoken={csrf}"}
    status, _, body = http(port, "GET", "/", cookie)
    if status != 200 or b"Log out" not in body:
        raise SystemExit(f"GET / did not show a signed-in home feed (status {status})")
    if body.count(b"<article") < 5 and body.count(b'class="post') < 5:
        log("warning: the home page shows fewer than five posts")
    for name in ("profile", "thread"):
        status, _, _ = http(port, "GET", targets[name][0], cookie)
        if status != 200:
            raise SystemExit(f"GET {targets[name][0]} answered {status}")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "text": "Warming up the bench #bench"})
    status, headers, _ = http(
        port, "POST", "/compose", dict(cookie, **{"Content-Type": "application/x-www-form-urlencoded"}), form
    )
    if status not in (302, 303):
        raise SystemExit(f"POST /compose answered {status}")


def check_api(port, tokens):
    """The API's home timeline answers a bearer token with a full page of statuses."""
    status, headers, body = http(port, "GET", API_HOME, {"Authorization": f"Bearer {tokens[0][0]}"})
    if status != 200:
        raise SystemExit(f"GET {API_HOME} answered {status}: {body[:300]!r}")
    statuses = json.loads(body)
    if len(statuses) < 20:
        log(f"warning: the API home timeline returned only {len(statuses)} statuses")
    return len(statuses)


def code_version():
    """The commit measured, and whether the working tree differed from it."""
    def git(*argv):
        result = subprocess.run(["git", *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return result.stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "rostra")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "rostra_changed_since": bool(dirty),
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", "rostra.settings"),
    }


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()
        mem = Path("/proc/meminfo").read_text()
        info["memory_gb"] = round(int(re.search(r"MemTotal:\s+(\d+)", mem).group(1)) / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    try:
        from importlib.metadata import version

        info["django"] = version("django")
        info["granian"] = version("granian")
    except Exception:  # noqa: BLE001
        pass
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
        info["wrk"] = out.split("\n")[0].strip()
    return info


def _interrupt(*_):
    """SIGTERM unwinds as Ctrl-C does, so the server started for the run is stopped too."""
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="PostgreSQL server to make the bench database on")
    parser.add_argument("--redis", default=None, help="REDIS_URL for the server (cache and sessions); default none")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded bench database of this size")
    parser.add_argument("--seed-only", action="store_true", help="seed (or reuse) the database, run no load")
    parser.add_argument("--duration", type=int, default=15, help="seconds of measured load per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load before each endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--python-driver", action="store_true", help="use the asyncio driver even if wrk exists")
    parser.add_argument("--no-report", action="store_true", help="do not regenerate docs/performance.md")
    parser.add_argument("--note", default="", help="a remark stored with the results")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    if not shutil.which("wrk") and not args.python_driver:
        log("wrk not found (apt-get install wrk); using the asyncio driver, which competes with the server for CPU")

    env, seeded, data_dir = prepare_database(args)
    if args.seed_only:
        return
    facts = django_json(env, f"SESSIONS = {SESSIONS}\n" + DISCOVER, "DISCOVERJSON")
    for name, q in facts["queries"].items():
        log(f"{name:<8} {q['queries']} queries, {q['sql_ms']} ms in SQL, {q['page_ms']} ms in-process ({q['path']})")
    server = Server(env, data_dir, args.workers)
    results = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "db": args.db,
        "users": args.users,
        "posts": args.posts,
        "size": size_slug(args.users, args.posts),
        "seeding": seeded,
        "database": {"version": facts["db_version"], "bytes": facts["db_bytes"], "rows": facts["rows"]},
        "queries_per_page": facts["queries"],
        "settings": {
            "connections": args.connections, "duration_s": args.duration, "warmup_s": args.warmup,
            "web_workers": args.workers, "redis": bool(args.redis), "sessions": len(facts["session_users"]),
        },
        "machine": machine(),
        "code": code_version(),
        "note": args.note,
        "endpoints": {},
    }
    spec_dir = data_dir / "specs"
    spec_dir.mkdir(exist_ok=True)
    try:
        server.start()
        log(f"server up on port {server.port} ({args.workers} workers, no task worker)")
        sessions = []
        for username in facts["session_users"]:
            got = log_in(server.port, username, PASSWORD)
            if got is None:
                break
            sessions.append(got)
        if len(sessions) < len(facts["session_users"]):
            log("signing in over HTTP failed; making sessions directly in the database")
            sessions = django_json(env, f"NAMES = {facts['session_users']!r}\n" + SESSION_FALLBACK, "SESSIONSJSON")
            results["settings"]["sessions_made_in_db"] = True
        targets = {
            "home": ["/"],
            "profile": facts["profiles"],
            "thread": facts["threads"],
            "compose": ["/compose"],
        }
        check_pages(server.port, targets, sessions, facts["session_users"][0])
        wanted = [e.strip() for e in args.endpoints.split(",") if e.strip()]
        tokens = []
        if "api_home" in wanted:
            tokens = django_json(env, f"NAMES = {facts['session_users']!r}\n" + API_TOKENS, "TOKENSJSON")
            targets["api_home"] = [API_HOME]
            results["settings"]["api_statuses_per_page"] = check_api(server.port, tokens)
        for name in [e.strip() for e in args.endpoints.split(",") if e.strip()]:
            if not targets.get(name):
                log(f"{name}: nothing to request, skipped")
                continue
            method = "POST" if name == "compose" else "GET"
            if name == "api_home":
                results["endpoints"][name] = drive(args, server.port, name, method, targets[name], tokens, spec_dir, server, bearer=True)
            else:
                results["endpoints"][name] = drive(args, server.port, name, method, targets[name], sessions, spec_dir, server)
            results["endpoints"][name]["example"] = targets[name][0]
            time.sleep(1)
    finally:
        server.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-{args.db}-{results['size']}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    log(f"results in {path.relative_to(ROOT)}")
    if not args.no_report:
        sys.path.insert(0, str(BENCH))
        import report

        report.main()


if __name__ == "__main__":
    main()
