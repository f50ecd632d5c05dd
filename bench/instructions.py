#!/usr/bin/env python
"""Instructions per request, counted by valgrind: a figure a busy machine cannot move.

    python bench/instructions.py --db sqlite --path / --path "/api/v1/timelines/home?limit=40"
    python bench/instructions.py --db postgres --path / --against db64215

On a shared two-core machine the speed of the same code varied by a factor of two within an
hour (bench/notes.md), so wall-clock and CPU-time comparisons of small changes drowned in
noise. Valgrind's callgrind counts the instructions a process executes, whatever else runs.
Each path is requested in-process through Rostra's real WSGI application (all middleware,
signed in as 32 demo people in turn, with bearer tokens for ``/api/``) after 64 warm-up
requests, in two runs of 8 and 72 requests; the difference over 64 is the cost of one request, start-up and
warm-up cancelled out. Python's hash seed is fixed. It counts this process only: not the
PostgreSQL server's work, not the kernel's, not granian's.

``--against REV`` counts the same paths for the code of a git revision (its ``rostra/``
unpacked into a temporary directory) side by side with the working tree.

Uses the bench database that ``bench/run.py --seed-only`` (or any run) left in
``bench/.data``; ``--users``/``--posts`` pick its size (default 10,000 / 1,000,000).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

WARMUP = 64
SHORT, LONG = 8, 72
# Signed-in people taking turns, as bench/run.py's 32 sessions do (caches see as many feeds).
VIEWERS = 32


def child(path, count):
    """Serve ``path`` ``WARMUP + count`` times in this process (run under valgrind)."""
    import io
    import time

    # The code under PYTHONPATH, not the editable install's (which would win otherwise).
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")
    import django

    django.setup()
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from rostra.accounts.models import Account
    from rostra.wsgi import application

    people = list(Account.objects.filter(domain__isnull=True, user__isnull=False).order_by("id")[5 : 5 + VIEWERS])
    headers = []
    for account in people:
        client = Client()
        client.force_login(account.user)
        cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items()) + f"; csrftoken={_get_new_csrf_string()}"
        headers.append({"HTTP_COOKIE": cookie})
    if path.startswith("/api/"):
        from datetime import timedelta

        from django.utils import timezone
        from oauth2_provider.models import AccessToken, Application

        app = Application.objects.filter(name="bench-instructions").order_by("id").first() or Application.objects.create(
            name="bench-instructions", client_type="confidential", authorization_grant_type="password", user=people[0].user
        )
        headers = []
        for account in people:
            token = AccessToken.objects.create(
                user=account.user, application=app, token=f"bench-instructions-{account.pk}-{time.time_ns()}",
                expires=timezone.now() + timedelta(hours=1), scope="read write follow",
            )
            headers.append({"HTTP_AUTHORIZATION": f"Bearer {token.token}"})
    route, _, query = path.partition("?")

    served = 0

    def one():
        nonlocal served
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": route, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "SERVER_PROTOCOL": "HTTP/1.1", **headers[served % len(headers)],
        }
        served += 1
        status = []
        b"".join(application(environ, lambda s, h, *a: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status[0]}")

    for _ in range(WARMUP + count):
        one()


def count_instructions(code_dir, env, path, count):
    run_env = dict(env, PYTHONPATH=str(code_dir), PYTHONHASHSEED="0")
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--child", path, str(count)],
        env=run_env, capture_output=True, text=True, cwd=ROOT,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SystemExit(f"valgrind run failed for {path} ({code_dir}):\n{result.stderr[-2000:]}")
    return int(found.group(1))


def per_request(code_dir, env, path):
    return (count_instructions(code_dir, env, path, LONG) - count_instructions(code_dir, env, path, SHORT)) / (LONG - SHORT)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--path", action="append", help="a page to count (repeatable); default the two home feeds")
    parser.add_argument("--against", help="a git revision to count side by side with the working tree")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")

    from run import base_env, bench_places, pg_url, size_slug

    slug = size_slug(args.users, args.posts)
    data_dir, dbname = bench_places(args.db, args.users, args.posts)
    if not (data_dir / "seeded.json").exists():
        raise SystemExit(f"No seeded bench database in {data_dir}: run bench/run.py --db {args.db} "
                         f"--users {args.users} --posts {args.posts} --seed-only first.")
    env = base_env()
    env["ROSTRA_DATA_DIR"] = str(data_dir)
    if args.db == "postgres":
        env["DATABASE_URL"] = pg_url(args.pg, dbname)
    paths = args.path or ["/", "/api/v1/timelines/home?limit=40"]
    sides = [("working tree", ROOT)]
    with tempfile.TemporaryDirectory(prefix="rostra-instructions-") as scratch:
        if args.against:
            archive = subprocess.run(["git", "archive", args.against, "rostra"], cwd=ROOT, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
            sides.insert(0, (args.against, Path(scratch)))
        print(f"{args.db}, {slug}: instructions per request (millions), {LONG - SHORT} requests counted")
        for path in paths:
            counts = [per_request(code_dir, env, path) for _, code_dir in sides]
            cells = "  ".join(f"{name}: {n / 1e6:6.2f}M" for (name, _), n in zip(sides, counts))
            change = f"  ({(counts[-1] / counts[0] - 1) * 100:+.1f}%)" if len(counts) == 2 else ""
            print(f"  {path:40s} {cells}{change}", flush=True)


if __name__ == "__main__":
    main()
