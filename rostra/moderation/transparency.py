"""The public transparency report: what was decided, by whom or by what, how fast, per month.

Counted from Decision rows (each is a snapshot that outlives its subject), so the figures
do not change when posts or accounts are deleted later.
"""

from collections import defaultdict
from statistics import median

from .models import Decision

APPEAL_OUTCOMES = ("restore", "uphold")


def report(months=12):
    """``{"months": [{month, total, by_category, by_source, by_action, appeals, median_hours}]}``, newest first."""
    rows = Decision.objects.order_by("-created_at").values_list(
        "created_at", "category", "source", "action", "seconds_to_decision", "automated_decision"
    )[:200000]
    buckets = defaultdict(
        lambda: {"by_category": defaultdict(int), "by_source": defaultdict(int), "by_action": defaultdict(int),
                 "appeals": defaultdict(int), "times": []}
    )
    for created_at, category, source, action, seconds, automated in rows:
        b = buckets[created_at.strftime("%Y-%m")]
        if action in APPEAL_OUTCOMES:
            b["appeals"]["restored" if action == "restore" else "upheld"] += 1
            continue
        b["by_category"][category or "other"] += 1
        b["by_source"]["automated" if source == "automated" else "user report"] += 1
        b["by_action"][action] += 1
        if seconds is not None and not automated:
            b["times"].append(seconds)
    out = []
    for month in sorted(buckets, reverse=True)[:months]:
        b = buckets[month]
        out.append(
            {
                "month": month,
                "total": sum(b["by_action"].values()),
                "by_category": dict(sorted(b["by_category"].items())),
                "by_source": dict(sorted(b["by_source"].items())),
                "by_action": dict(sorted(b["by_action"].items())),
                "appeals": {"restored": b["appeals"]["restored"], "upheld": b["appeals"]["upheld"]},
                "median_hours_to_decision": round(median(b["times"]) / 3600, 2) if b["times"] else None,
            }
        )
    return {"months": out}


CSV_COLUMNS = ("month", "measure", "key", "value")


def csv_rows(data):
    """Long format: one row per month, measure and key, easy to load anywhere."""
    for m in data["months"]:
        yield (m["month"], "total", "", m["total"])
        for measure in ("by_category", "by_source", "by_action", "appeals"):
            for key, value in m[measure].items():
                yield (m["month"], measure, key, value)
        if m["median_hours_to_decision"] is not None:
            yield (m["month"], "median_hours_to_decision", "", m["median_hours_to_decision"])


def bar_chart(data, width=640, bar_height=22):
    """An inline SVG of decisions per month, split automated / user report (drawn here: no script)."""
    months = list(reversed(data["months"]))
    top = max([m["total"] for m in months] + [1])
    label_w, gap = 70, 6
    height = max(1, len(months)) * (bar_height + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Decisions per month" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">'
    ]
    scale = (width - label_w - 60) / top
    for i, m in enumerate(months):
        y = i * (bar_height + gap) + 4
        auto = m["by_source"].get("automated", 0)
        rep = m["by_source"].get("user report", 0)
        parts.append(f'<text x="0" y="{y + bar_height - 6}" font-size="13">{m["month"]}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{auto * scale:.1f}" height="{bar_height}" fill="#4a6fa5">'
            f"<title>{m['month']}: {auto} automated</title></rect>"
        )
        parts.append(
            f'<rect x="{label_w + auto * scale:.1f}" y="{y}" width="{rep * scale:.1f}" height="{bar_height}" '
            f'fill="#e07b39"><title>{m["month"]}: {rep} from user reports</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + (auto + rep) * scale + 6:.1f}" y="{y + bar_height - 6}" font-size="13">{m["total"]}</text>'
        )
    legend_y = height - 8
    parts.append(f'<rect x="{label_w}" y="{legend_y - 10}" width="12" height="12" fill="#4a6fa5"/>')
    parts.append(f'<text x="{label_w + 16}" y="{legend_y}" font-size="12">automated</text>')
    parts.append(f'<rect x="{label_w + 110}" y="{legend_y - 10}" width="12" height="12" fill="#e07b39"/>')
    parts.append(f'<text x="{label_w + 126}" y="{legend_y}" font-size="12">user reports</text>')
    parts.append("</svg>")
    return "".join(parts)
