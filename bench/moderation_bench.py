"""Moderation model benchmark: batched throughput and single-post latency on this machine.

    .venv/bin/python bench/moderation_bench.py [--posts 5000] [--threads 2] [--batch-size 64]

Screens N synthetic posts (made up here from word lists, mixed lengths, a few threats and
insults among them) through ``rostra.moderation.model.score``, the same call screening and
``rostra moderate`` use: normalisation, tokenising and the int8 ONNX graph are all timed.

- throughput: all N posts in batches, onnxruntime on ``--threads`` threads (target >= 400/s
  on this 2-core machine);
- latency: posts scored one at a time, as creating a post does, on one thread (a web worker's
  setting, ``ROSTRA_MODEL_THREADS=1``) and on ``--threads`` (target <= 10 ms median).

Writes ``bench/results/moderation-<timestamp>.json`` and rewrites the section between the
``bench:start`` / ``bench:end`` markers in docs/moderation-model.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "the a my our this that new old big small good great bad long short game match city park "
    "coffee dinner weekend morning night team school work office train bus weather rain sun "
    "council vote election policy news story book movie song album photo garden dog cat kids "
    "really very quite just still again today tomorrow tonight yesterday finally maybe "
    "love like hate enjoy watch read play build fix cook visit share think know want need "
    "killing crushed destroyed shot bombed slayed dying"
).split()
OPENERS = ["Just saw", "Can't believe", "Anyone else think", "Reminder:", "Hot take:", "So happy that",
           "Ugh,", "Breaking:", "Thread:", "Question for you all:", "PSA:", "Honestly"]
# Words per post: mostly short, as on microblogs, with a tail up to the 1,000-character limit
# (about 25 words, 150 characters, on average; 1 post in 25 is 90 words or more).
LENGTHS = [4, 8, 12, 20, 30, 45, 60, 90, 150]
LENGTH_WEIGHTS = [14, 20, 18, 15, 12, 8, 6, 4, 3]
SPICY = ["I will find you and hurt you", "you are a worthless idiot", "what the fuck is this",
         "someone should shoot them", "this commute is killing me"]


def synthetic_posts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    posts = []
    for i in range(n):
        length = rng.choices(LENGTHS, weights=LENGTH_WEIGHTS)[0]
        words = [rng.choice(WORDS) for _ in range(length)]
        text = f"{rng.choice(OPENERS)} {' '.join(words)}"
        if i % 25 == 0:
            text += ". " + rng.choice(SPICY)
        if i % 40 == 0:
            text += " #" + rng.choice(WORDS) + " @" + rng.choice(WORDS) + " https://example.org/" + str(i)
        posts.append(text[:1000])
    return posts


def _cpu_seconds() -> float:
    """CPU time this process has used, all threads (user + system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def latency(model, posts, threads, n):
    model.configure(threads=threads)
    model.score(posts[:8])  # load and warm up
    times = []
    for text in posts[:n]:
        t0 = time.perf_counter()
        model.score([text])
        times.append((time.perf_counter() - t0) * 1000)
    return {"threads": threads, "posts": n, "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(percentile(times, 0.90), 2), "p99_ms": round(percentile(times, 0.99), 2),
            "max_ms": round(max(times), 2)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--posts", type=int, default=5000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--latency-posts", type=int, default=500)
    p.add_argument("--no-docs", action="store_true", help="do not update docs/moderation-model.md")
    args = p.parse_args(argv)

    from rostra.moderation import model

    posts = synthetic_posts(args.posts)
    chars = [len(t) for t in posts]

    model.configure(threads=args.threads)
    model.score(posts[:64])  # load and warm up
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    model.score(posts, batch_size=args.batch_size)
    elapsed = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    throughput = {"threads": args.threads, "batch_size": args.batch_size, "posts": len(posts),
                  "seconds": round(elapsed, 2), "posts_per_s": round(len(posts) / elapsed, 1),
                  "cpu_seconds": round(cpu, 2), "posts_per_cpu_second": round(len(posts) / cpu, 1),
                  "cpu_share_used": round(cpu / elapsed / args.threads, 2)}
    print(f"throughput: {throughput['posts_per_s']} posts/s ({len(posts)} posts, batches of"
          f" {args.batch_size}, {args.threads} threads); {throughput['posts_per_cpu_second']} posts per"
          f" CPU-second, {throughput['cpu_share_used']:.0%} of {args.threads} cores obtained")

    lat = [latency(model, posts, 1, args.latency_posts)]
    if args.threads != 1:
        lat.append(latency(model, posts, args.threads, args.latency_posts))
    for r in lat:
        print(f"single post, {r['threads']} thread(s): median {r['median_ms']} ms, p99 {r['p99_ms']} ms")

    try:
        load = os.getloadavg()
    except OSError:
        load = None
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "kind": "moderation", "when": stamp, "model": model.MODEL_VERSION,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_at_end": load},
        "posts": {"n": len(posts), "mean_chars": round(statistics.mean(chars)), "max_chars": max(chars)},
        "throughput": throughput, "latency": lat,
        "targets": {"posts_per_s": 400, "single_median_ms": 10},
        "met": {"throughput": throughput["posts_per_s"] >= 400,
                "latency": lat[0]["median_ms"] <= 10},
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"moderation-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    if not args.no_docs:
        update_docs(result, out.relative_to(ROOT))
    return result


def update_docs(r, path):
    doc = ROOT / "docs" / "moderation-model.md"
    if not doc.exists():
        return
    t = r["throughput"]
    rows = "\n".join(
        f"| one post at a time, {x['threads']} thread(s) | median {x['median_ms']} ms, p90 {x['p90_ms']} ms,"
        f" p99 {x['p99_ms']} ms | <= 10 ms median |" for x in r["latency"])
    load = r["machine"]["load_avg_at_end"]
    section = (
        "<!-- bench:start -->\n"
        f"Last run: {r['when']}, model {r['model']}, {r['machine']['cpus']} cores"
        f" (load average {load[0]:.1f} at the end: other work shares these cores), `{path}`.\n\n"
        "| measure | result | target |\n|---|---|---|\n"
        f"| {t['posts']} posts in batches of {t['batch_size']}, {t['threads']} threads |"
        f" {t['posts_per_s']} posts/s | >= 400 posts/s |\n"
        f"| the same, per CPU-second used | {t['posts_per_cpu_second']} posts (the run got"
        f" {t['cpu_share_used']:.0%} of {t['threads']} cores) | |\n{rows}\n"
        f"\nPosts: synthetic, {r['posts']['mean_chars']} characters on average (at most {r['posts']['max_chars']}).\n"
        "<!-- bench:end -->"
    ) if load else ""
    text = doc.read_text()
    start, end = text.find("<!-- bench:start -->"), text.find("<!-- bench:end -->")
    if section and start != -1 and end != -1:
        doc.write_text(text[:start] + section + text[end + len("<!-- bench:end -->"):])


if __name__ == "__main__":
    main()
