#!/usr/bin/env python
"""Regenerate docs/performance.md and docs/performance.png from bench/results/*.json.

    python bench/report.py

For each database and size the latest result is shown. ``bench/notes.md``, written by
hand, is included as the findings section, so regenerating never loses the analysis.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NOTES = ROOT / "bench" / "notes.md"
DOC = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "performance.png"
ENDPOINTS = ("home", "profile", "thread", "compose", "api_home")
LABELS = {
    "home": "home feed `GET /`",
    "api_home": "API home timeline `GET /api/v1/timelines/home?limit=40`",
    "profile": "profile `GET /@username`",
    "thread": "thread `GET /@username/<id>`",
    "compose": "posting `POST /compose`",
}
DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
TARGET_RPS = 1000
TARGET_P99_MS = 50


def load():
    latest = {}
    for path in sorted(RESULTS.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not data.get("endpoints"):
            continue
        key = (data["db"], data["posts"], data["users"])
        data["_file"] = path.name
        if key not in latest or data["timestamp"] >= latest[key]["timestamp"]:
            latest[key] = data
    return [latest[k] for k in sorted(latest, key=lambda k: (k[0] != "sqlite", k[1], k[2]))]


def load_federation():
    """The latest ``bench/federation.py`` result per database."""
    latest = {}
    for path in sorted(RESULTS.glob("*-federation-*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("kind") != "federation" or not data.get("layouts"):
            continue
        data["_file"] = path.name
        if data["db"] not in latest or data["timestamp"] >= latest[data["db"]]["timestamp"]:
            latest[data["db"]] = data
    return [latest[db] for db in ("sqlite", "postgres") if db in latest]


FEDERATION_TARGET = 200


def federation_lines(runs):
    """The "Federation" section: activities in, deliveries out (``bench/federation.py``)."""
    lines = [
        "## Federation",
        "",
        "What the real server does with ActivityPub traffic (`bench/federation.py`): signed `Create`s",
        "POSTed to the shared inbox `/inbox` by remote actors served from a fake server on loopback,",
        "each screened by the moderation model, stored and fanned out to its local followers' home",
        "feeds; and local posts (`POST /compose`) delivered to remote followers on fake servers that",
        "check every delivery's HTTP Signature. *Accepted* is 202s per second at the inbox; *stored* is",
        "every activity processed into a post; *processed* is that plus every fan-out and notification",
        "task done, from the first POST. Layouts: **embedded** is `rostra serve --workers 2` with its",
        "task-worker thread; **inboxN** is `rostra serve --no-worker --workers 2` with N `rostra worker",
        "--queues inbox` and one `rostra worker --queues default,media,delivery` (the fan-out of a",
        "received post and deliveries run on those queues, so `--queues inbox` alone never finishes the",
        "work). The machine was shared with other work: the load average before each phase and the",
        "CPU that other processes used are given, and *CPU ms* (Rostra's processes and, on",
        "PostgreSQL, its backends) is the figure that does not depend on it. The activities are signed",
        "before the clock starts; the bench's own process (8 client connections, the fake servers, the",
        "database polling) ran on the same cores, and its CPU is shown beside.",
        "",
    ]
    if not runs:
        return lines + ["No results yet: run `python bench/federation.py`.", ""]
    lines += [
        f"### Incoming Creates (target ≥ {FEDERATION_TARGET} processed per second)",
        "",
        "| database | layout | Creates | accepted/s | accept p50 / p99 | stored/s | processed/s | CPU ms per Create (web + workers + db) | Creates/s two free cores could process | load before | machine busy (others' CPU) | bench client's CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for name, layout in run["layouts"].items():
            i = layout["incoming"]
            cpu = i["cpu"]
            stored = round(i["activities"] / i["stored_seconds"], 1) if i.get("stored_seconds") else None
            ok = "✅" if (i.get("processed_per_s") or 0) >= FEDERATION_TARGET else "❌"
            lines.append(
                f"| {DB_NAMES[run['db']]} | {name} | {i['activities']:,} | {fmt(i['accepted_per_s'])} |"
                f" {fmt(i['accept_p50_ms'], 0)} / {fmt(i['accept_p99_ms'], 0)} ms | {fmt(stored)} |"
                f" {fmt(i.get('processed_per_s'))} {ok} |"
                f" **{fmt(i['cpu_ms_per_activity'])}** ({fmt(i['web_cpu_ms_per_activity'])} + {fmt(i['worker_cpu_ms_per_activity'])}"
                f" + {fmt(i['db_cpu_ms_per_activity'])}) | {fmt(i.get('capacity_per_s_two_free_cores'), 0)} |"
                f" {fmt(cpu['load_average_before'][0], 1)} | {fmt(cpu['machine_busy_pct'], 0)}% ({fmt(cpu['other_processes_cpu_s'])} s) |"
                f" {fmt(cpu['bench_process_cpu_s'])} s |"
            )
    lines += [
        "",
        "Checked after every run: each Create became exactly one post (no duplicates), every",
        "activity ended `done`, every post reached the home feed of each of its author's local",
        "followers, mentions and hashtags were stored, and no task failed:",
        "",
    ]
    for run in runs:
        for name, layout in run["layouts"].items():
            c = layout["incoming"]["check"]
            refused = {k: v for k, v in c["received_states"].items() if k != "done"}
            lines.append(
                f"- {DB_NAMES[run['db']]}, {name}: {'✅' if c['ok'] else '❌'} {c['posts']:,} posts from {c['activities']:,} Creates"
                f" ({c['distinct_post_uris']:,} distinct), {sum(v for k, v in c['posts_by_state'].items() if k == 'published'):,} published,"
                f" {c['feed_entries']:,} of {c['feed_entries_expected']:,} feed entries, {c['mentions']} mentions"
                f" ({c['posts_with_mentions_sent']} sent), {c['posts_with_hashtags']} tagged posts ({c['posts_with_hashtags_sent']} sent);"
                f" refused/ignored/failed: {refused or 'none'}; failed tasks: {c['failed_tasks'] or 'none'}."
            )
    lines += [
        "",
        "### Outgoing deliveries",
        "",
        "One delivery per destination server (its shared inbox), each checked by the receiving fake server",
        "(Signature over `(request-target) host date digest`, Digest of the body) and counted once.",
        "",
        "| database | layout | what | deliveries | seconds | deliveries/s | first after | POST /compose p50 / max | CPU ms per delivery | load before | check |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        for name, layout in run["layouts"].items():
            for o in layout["outgoing"]:
                lines.append(
                    f"| {DB_NAMES[run['db']]} | {name} | {o['name']} | {o['deliveries']:,} / {o['expected_deliveries']:,} |"
                    f" {fmt(o.get('seconds'))} | {fmt(o.get('deliveries_per_s'))} | {fmt(o.get('first_delivery_s'), 2)} s |"
                    f" {fmt(o['compose_p50_ms'], 0)} / {fmt(o['compose_max_ms'], 0)} ms | {fmt(o['cpu_ms_per_delivery'])} |"
                    f" {fmt(o['cpu']['load_average_before'][0], 1)} |"
                    f" {'✅' if o['ok'] else '❌'}{'' if o['ok'] else ' ' + str(o['bad_signatures']) + ' bad signatures, ' + str(o['duplicates']) + ' duplicates'} |"
                )
    lines += [""]
    for run in runs:
        st = run["settings"]
        seeding = run["seeding"]
        lines.append(
            f"{DB_NAMES[run['db']]}: {run['timestamp']} · {run['database']['version']} · code {run['code'].get('commit', '?')}"
            + (" (with uncommitted changes in " + ", ".join(run["code"].get("rostra_changed_files", [])) + ")" if run["code"].get("rostra_changed_since") else "")
            + f" · `{run['_file']}` · {st['users']:,} local people, {st['actors']} remote actors with"
            f" {st['followers_per_actor']} local followers each, {st['clients']} connections POSTing, texts of"
            f" {st['text_chars'][0]}-{st['text_chars'][1]} characters ({st['hashtag_share']:.0%} with a hashtag,"
            f" {st['mention_share']:.0%} mentioning someone here), seeded in {fmt(seeding.get('seconds_total'))} s,"
            f" whole run {fmt(run.get('seconds_total'))} s"
            + (" · profiled with py-spy (slower)" if st.get("profiled") else "")
            + (f" · {run['note']}" if run.get("note") else "")
            + "."
        )
        lines.append("")
    lines += [
        "Reproduce (each run seeds its own database, measures every layout and removes what it made):",
        "",
        "```sh",
        "python bench/federation.py --db sqlite",
        "python bench/federation.py --db postgres                 # BENCH_PG_URL or --pg for the server",
        "python bench/federation.py --db sqlite --layouts embedded --profile   # py-spy on the workers,",
        "python bench/pyspy_summary.py bench/.data/profiles/embedded-incoming-worker-*.txt   # then where the time went",
        "```",
        "",
        "`--creates`, `--actors`, `--followers-per-actor`, `--clients`, `--out-big SERVERS,FOLLOWERS` and",
        "`--out-small SERVERS,FOLLOWERS,POSTS` change the sizes; `--keep` keeps the database and logs.",
        "",
    ]
    return lines


def size_name(run):
    return f"{run['posts']:,} posts / {run['users']:,} people"


def short_size(run):
    posts = run["posts"]
    return f"{posts // 1_000_000}M" if posts >= 1_000_000 and posts % 1_000_000 == 0 else f"{posts // 1000}k"


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def chart(runs):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    palette = {
        ("sqlite", 0): "#9ecae1", ("sqlite", 1): "#2171b5",
        ("postgres", 0): "#fdae6b", ("postgres", 1): "#d94801",
    }
    sizes = sorted({r["posts"] for r in runs})
    width = 0.8 / max(1, len(runs))
    for n, run in enumerate(runs):
        shade = 0 if run["posts"] == sizes[0] and len(sizes) > 1 else 1
        color = palette.get((run["db"], shade), None)
        label = f"{DB_NAMES[run['db']]}, {short_size(run)} posts"
        xs = [i + (n - (len(runs) - 1) / 2) * width for i in range(len(ENDPOINTS))]
        rps = [run["endpoints"].get(e, {}).get("rps", 0) for e in ENDPOINTS]
        p99 = [run["endpoints"].get(e, {}).get("p99_ms", 0) for e in ENDPOINTS]
        cpu = [run["endpoints"].get(e, {}).get("cpu_ms_per_request") or 0 for e in ENDPOINTS]
        axes[0].bar(xs, rps, width, label=label, color=color)
        axes[1].bar(xs, p99, width, label=label, color=color)
        axes[2].bar(xs, cpu, width, label=label, color=color)
    axes[0].set_title("Throughput (requests/s, higher is better)")
    axes[1].set_title("p99 latency (ms, lower is better)")
    axes[2].set_title("Server CPU per request (ms, lower is better)")
    axes[0].axhline(TARGET_RPS, color="grey", linestyle="--", linewidth=1)
    axes[1].axhline(TARGET_P99_MS, color="grey", linestyle="--", linewidth=1)
    for ax in axes:
        ax.set_xticks(range(len(ENDPOINTS)))
        ax.set_xticklabels(["home feed", "profile", "thread", "post", "API home"])
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    machine = runs[-1]["machine"]
    settings = runs[-1]["settings"]
    fig.suptitle(
        f"Rostra, {settings['connections']} concurrent clients, {settings['web_workers']} web workers,"
        f" {machine.get('cores')} shared cores ({machine.get('cpu', '')}); all three move with"
        " this machine's speed, which varies (see the notes)",
        fontsize=9,
    )
    fig.tight_layout()
    CHART.parent.mkdir(exist_ok=True)
    fig.savefig(CHART, dpi=110)
    plt.close(fig)
    return True


def main():
    runs = load()
    lines = [
        "# Performance",
        "",
        "<!-- Generated by bench/report.py from bench/results/*.json; edit bench/notes.md instead. -->",
        "",
        "What one small machine sustains, measured against the real server (`rostra serve`: granian,",
        "WSGI, two web worker processes, no task worker) on demo data made by `rostra demo`, with",
        "`wrk` as the load generator on the same machine. Every request is signed in as one of 32 demo",
        "people (sessions picked at random per request); profiles and threads are picked at random",
        "from 100 and 200 candidates. Figures are the latest run for each database and size.",
        "",
    ]
    federation = federation_lines(load_federation())
    if not runs:
        lines += ["No results yet: run `python bench/run.py`.", ""] + federation
        DOC.write_text("\n".join(lines))
        return
    # Targets.
    biggest = {}
    for run in runs:
        if run["posts"] >= biggest.get(run["db"], {"posts": -1})["posts"]:
            biggest[run["db"]] = run
    lines += ["## Targets", ""]
    lines += [
        "| database, page | size | req/s (target ≥ 1,000) | p99 (target < 50 ms) | CPU ms per page | pages/s two free cores could serve |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for endpoint, what in (("home", "web home feed"), ("api_home", "API home timeline, 40 statuses")):
        for db, run in biggest.items():
            home = run["endpoints"].get(endpoint)
            if not home:
                continue
            ok_rps = "✅" if home["rps"] >= TARGET_RPS else "❌"
            ok_p99 = "✅" if home["p99_ms"] < TARGET_P99_MS else "❌"
            lines.append(
                f"| {DB_NAMES[db]}, {what} | {size_name(run)} | {fmt(home['rps'], 0)} {ok_rps} | {fmt(home['p99_ms'])} ms {ok_p99}"
                f" | {fmt(home.get('cpu_ms_per_request'), 2)} | {fmt(home.get('capacity_rps_all_cores'), 0)} |"
            )
    lines.append("")
    # Side by side per database.
    lines += ["## Small against large", "", "The same page should cost the same whatever the size of the instance.", ""]
    for db in ("sqlite", "postgres"):
        mine = [r for r in runs if r["db"] == db]
        if not mine:
            continue
        lines += [f"### {DB_NAMES[db]}", ""]
        header = "| endpoint |" + "".join(
            f" {short_size(r)} CPU ms/req | {short_size(r)} req/s | {short_size(r)} p50 | {short_size(r)} p99 |" for r in mine
        )
        lines += [header, "|---|" + "---:|---:|---:|---:|" * len(mine)]
        for e in ENDPOINTS:
            cells = []
            for r in mine:
                m = r["endpoints"].get(e)
                cells.append(
                    f" **{fmt(m.get('cpu_ms_per_request'), 2)}** | {fmt(m['rps'], 0)} | {fmt(m['p50_ms'])} ms | {fmt(m['p99_ms'])} ms |"
                    if m
                    else " – | – | – | – |"
                )
            lines.append(f"| {LABELS[e]} |" + "".join(cells))
        lines.append("")
    if chart(runs):
        lines += ["![Requests per second and p99 latency per endpoint](performance.png)", ""]
    # Every run in detail.
    lines += ["## Each run", ""]
    for run in runs:
        seeding = run["seeding"]
        db = run["database"]
        lines += [
            f"### {DB_NAMES[run['db']]}, {size_name(run)}",
            "",
            f"{run['timestamp']} · {db['version']} · database {db['bytes'] / 1e9:.2f} GB"
            f" · {run['settings']['connections']} connections, {run['settings']['duration_s']} s per endpoint after"
            f" {run['settings']['warmup_s']} s warm-up · driver {next(iter(run['endpoints'].values()))['driver']}"
            f" · code {run.get('code', {}).get('commit', '?')}"
            + (" (with uncommitted changes)" if run.get("code", {}).get("rostra_changed_since") else "")
            + f" · `{run['_file']}`",
            "",
            "| endpoint | req/s | p50 | p90 | p99 | max | errors | KiB/response | CPU ms/request | machine busy | load before |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for e in ENDPOINTS:
            m = run["endpoints"].get(e)
            if m:
                lines.append(
                    f"| {LABELS[e]} | {fmt(m['rps'], 0)} | {fmt(m['p50_ms'])} ms | {fmt(m['p90_ms'])} ms"
                    f" | {fmt(m['p99_ms'])} ms | {fmt(m['max_ms'])} ms | {m['errors']} | {fmt(m['kb_per_response'])}"
                    f" | {fmt(m.get('cpu_ms_per_request'), 2)} | {fmt(m.get('machine_busy_pct'), 0)}%"
                    f" | {fmt(m.get('load_average_before'), 1)} |"
                )
        lines += [
            "",
            "CPU ms/request is the CPU time of the server's processes"
            + (" and of the PostgreSQL backends serving them" if run["db"] == "postgres" else "")
            + " divided by the requests served; unlike requests/s it does not depend on what else the machine"
            " was running (the load average before each endpoint shows how busy it was).",
        ]
        queries = run.get("queries_per_page") or {}
        if queries:
            lines += ["", "Queries per page (Django test client, in-process, one request after a warm-up):", ""]
            lines += ["| page | SQL queries | time in SQL | whole page in-process |", "|---|---:|---:|---:|"]
            for name, q in queries.items():
                lines.append(f"| {name} | {q['queries']} | {q['sql_ms']} ms | {q['page_ms']} ms |")
        counts = seeding.get("counts") or {}
        if not seeding.get("reused") or seeding.get("seconds_seeder"):
            lines += [
                "",
                f"Seeded with `rostra demo --users {run['users']} --posts {run['posts']}` in"
                f" {fmt(seeding.get('seconds_seeder'))} s ({fmt(seeding.get('seconds_total'))} s with process start-up)"
                + (
                    f": {counts.get('follows', 0):,} follows, {counts.get('votes', 0):,} votes,"
                    f" {counts.get('feed_entries', 0):,} home-feed entries."
                    if counts
                    else "."
                )
                + (f" ({seeding['note']})" if seeding.get("note") else "")
                + (f" Seeding started at load average {seeding['load_average']}." if seeding.get("load_average") else ""),
            ]
        if run.get("note"):
            lines += ["", f"Note: {run['note']}"]
        lines.append("")
    lines += federation
    machine = runs[-1]["machine"]
    lines += [
        "## Machine",
        "",
        f"- CPU: {machine.get('cpu', '?')}, {machine.get('cores')} cores; memory {machine.get('memory_gb')} GB",
        f"- {machine.get('platform')}; Python {machine.get('python')}; Django {machine.get('django')};"
        f" granian {machine.get('granian')}; {machine.get('wrk', 'no wrk')}",
        "- The load generator runs on the same two cores as the server and the database.",
        "",
        "## Reproduce",
        "",
        "```sh",
        "apt-get install -y wrk                    # the load generator (Debian package)",
        'pip install -e ".[bench]"                 # matplotlib, for the chart',
        "python bench/run.py --users 1000 --posts 10000 --db sqlite",
        "python bench/run.py --users 10000 --posts 1000000 --db sqlite",
        "python bench/run.py --users 1000 --posts 10000 --db postgres      # BENCH_PG_URL or --pg for the server",
        "python bench/run.py --users 10000 --posts 1000000 --db postgres",
        "```",
        "",
        "`--reuse` keeps a bench database already seeded at that size (in `bench/.data/` for SQLite,",
        "`rostra_bench_<size>` on the PostgreSQL server); `--duration`, `--warmup`, `--connections` and",
        "`--endpoints home,profile` narrow a run. Results land in `bench/results/`, and this page is",
        "rebuilt from them (`python bench/report.py`).",
        "",
    ]
    if NOTES.exists():
        lines += ["## Findings", "", NOTES.read_text().strip(), ""]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines))
    print(f"wrote {DOC.relative_to(ROOT)}" + (f" and {CHART.relative_to(ROOT)}" if CHART.exists() else ""))


if __name__ == "__main__":
    main()
