#!/usr/bin/env python
"""The moderation queue and dashboard with a backlog as large as Parler's, over real HTTP.

    python bench/moderation_queue.py --open 100000            # SQLite
    python bench/moderation_queue.py --open 100000 --db postgres

Issue 3 asks that the dashboard stay fast with 100,000 open items. Each run:
1. makes a fresh bench database (as ``bench/run.py`` does), seeds ``rostra demo`` with as many
   posts as open items, and opens one queue item per post (reports and model holds, every
   severity, created over the last 30 days, so some are past their target), plus a week of
   decisions for the median, then ANALYZE;
2. starts ``rostra serve --no-worker`` in its own process and signs in as its admin;
3. reads the dashboard, the queue's first page and a page 10,000 items in, one after another,
   ``--requests`` times each, and writes p50/p90/p99 to ``bench/results/moderation-queue-*.json``.
"""

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import DATA, PY, RESULTS, ROOT, Server, base_env, django_json, http, log, log_in, pg_admin, pg_url  # noqa: E402

SEED = """
import random
from datetime import timedelta
from django.utils import timezone
from rostra.moderation.models import Decision, QueueItem
from rostra.moderation.queue import priority_for
from rostra.posts.models import Post

rng = random.Random({seed})
now = timezone.now()
items = []
for post_id, author_id in Post.objects.order_by("id").values_list("id", "author_id")[:{open}]:
    severity = rng.choices([1, 2, 3, 4], weights=[60, 25, 12, 3])[0]
    reach = int(rng.paretovariate(1.2))
    created = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
    items.append(QueueItem(
        kind=rng.choice(["report", "hold"]), post_id=post_id, account_id=author_id, severity=severity,
        category=rng.choice(["violence", "hate", "harassment", "spam"]), top_score=rng.random(), reach=reach,
        priority=priority_for(severity, reach), reports_count=rng.randint(0, 5), created_at=created,
        due_at=created + timedelta(hours=1 if severity == 4 else 24),
    ))
QueueItem.objects.bulk_create(items, batch_size=5000)
Decision.objects.bulk_create([
    Decision(action="remove", category="spam", statement="bench", source="report",
             created_at=now - timedelta(seconds=rng.uniform(0, 7 * 86400)), seconds_to_decision=rng.uniform(60, 86400))
    for _ in range({decisions})
], batch_size=5000)
# Fresh statistics, as a live database has them (autovacuum, or `rostra demo`'s own ANALYZE).
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print("SEEDED " + str(QueueItem.objects.filter(status="open").count()))
"""


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open queue items (one per post)")
    parser.add_argument("--decisions", type=int, default=5_000, help="decisions in the last seven days")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import shutil
    import subprocess

    data_dir = DATA / f"moderation-queue-{args.db}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = dict(base_env(), ROSTRA_DATA_DIR=str(data_dir))
    if args.db == "postgres":
        dbname = "rostra_bench_moderation_queue"
        pg_admin(args.pg, [f"DROP DATABASE IF EXISTS {dbname}", f"CREATE DATABASE {dbname}"])
        env["DATABASE_URL"] = pg_url(args.pg, dbname)
    log(f"seeding {args.open:,} posts and as many open queue items on {args.db}")
    started = time.monotonic()
    for command in (["migrate", "--quiet"], ["demo", "--users", "1000", "--posts", str(args.open), "--seed", str(args.seed)]):
        subprocess.run([PY, "-m", "rostra.cli", *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    opened = django_json(env, SEED.format(seed=args.seed, open=args.open, decisions=args.decisions), "SEEDED")
    log(f"{opened:,} open items after {time.monotonic() - started:.0f} s")

    server = Server(env, data_dir, workers=2).start()
    try:
        session = log_in(server.port, "admin", "bench-admin-password-1")
        if session is None:
            raise SystemExit("could not sign in as the admin")
        cookie = {"Cookie": f"sessionid={session[0]}; csrftoken={session[1]}"}
        pages = {"dashboard": "/moderation/dashboard", "queue, first page": "/moderation", "queue, 10,000 items in": "/moderation?offset=10000"}
        results = {}
        for name, path in pages.items():
            status, _, body = http(server.port, "GET", path, cookie)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            times = []
            for _ in range(args.requests):
                t = time.perf_counter()
                http(server.port, "GET", path, cookie)
                times.append((time.perf_counter() - t) * 1000)
            results[name] = {"path": path, "p50_ms": round(pct(times, 50), 1), "p90_ms": round(pct(times, 90), 1),
                             "p99_ms": round(pct(times, 99), 1), "kib": round(len(body) / 1024, 1)}
            log(f"{name:18} p50 {results[name]['p50_ms']:6.1f} ms  p90 {results[name]['p90_ms']:6.1f} ms  p99 {results[name]['p99_ms']:6.1f} ms")
        shows_count = f'class="open-count">{opened}<'.encode() in http(server.port, "GET", "/moderation/dashboard", cookie)[2]
    finally:
        server.stop()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"moderation-queue-{stamp}-{args.db}.json"
    out.write_text(json.dumps({"db": args.db, "open_items": opened, "decisions_7d": args.decisions,
                               "requests_each": args.requests, "dashboard_shows_count": shows_count,
                               "pages": results, "at": stamp}, indent=1))
    log(f"results in {out.relative_to(ROOT)}; the dashboard shows {opened:,}: {shows_count}")
    shutil.rmtree(data_dir, ignore_errors=True)
    if args.db == "postgres":
        pg_admin(args.pg, [f"DROP DATABASE IF EXISTS {dbname}"])


if __name__ == "__main__":
    main()
