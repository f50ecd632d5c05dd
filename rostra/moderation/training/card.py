"""Writes MODEL_CARD.md from a training run's metrics (tables) and ``card_notes.md`` (prose)."""

from __future__ import annotations

import datetime
from pathlib import Path

from rostra.moderation.model import CATEGORIES
from rostra.moderation.training import data as data_mod

NOTES = Path(__file__).resolve().parent / "card_notes.md"


def _f(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def _metric_table(per_cat: dict) -> list[str]:
    lines = ["| category | rows | positives | flagged | precision | recall | F1 | ROC AUC |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in CATEGORIES:
        m = per_cat.get(c)
        if not m:
            continue
        lines.append(f"| {c} | {m['n']} | {m['positives']} | {m['flagged']} | {_f(m['precision'])} |"
                     f" {_f(m['recall'])} | {_f(m['f1'])} | {_f(m['auc'], 3)} |")
    return lines


def write_card(path: Path, metrics: dict) -> None:
    res = metrics["results"]
    args = metrics["args"]
    lines = [
        "# Rostra moderation model: model card",
        "",
        f"Version **{metrics['version']}**, written by `rostra moderation train` on"
        f" {datetime.date.today().isoformat()} (torch {metrics['torch']}, seed {args['seed']}).",
        "Every number below comes from that run; rerun the command to reproduce it.",
        "",
        "## What it is",
        "",
        "all-MiniLM-L6-v2 (a 6-layer, 384-wide sentence encoder) with its top"
        f" {args['unfreeze']} transformer layers fine-tuned and a mean-pooled four-way sigmoid head,"
        " exported as one ONNX graph with `torch.onnx.export(dynamo=True)` and quantised to int8"
        " (onnxruntime dynamic quantisation, per-channel). Input is the post after"
        " `rostra.moderation.normalize.normalize` (zero-width and control characters removed,"
        " NFKC, homoglyphs folded, spaced-out letters joined, leetspeak and stretched letters"
        f" undone), at most {args['max_length']} WordPiece tokens. Outputs, each in [0, 1]:",
        "",
        "- `violence`: threats, incitement, wishing death or injury, glorifying attacks, against anyone;",
        "- `hate`: attacks on people for a protected characteristic, slurs, dehumanisation;",
        "- `harassment`: insults and abuse aimed at a person;",
        "- `toxicity`: profanity and vulgarity (lowest severity).",
        "",
        "It is a screening aid: its scores feed `rostra.moderation.policy.decide`, which labels or"
        " holds posts for a human moderator. It should not remove anything on its own.",
        "",
        "## Data",
        "",
        "Public research sets from `../shared/data/moderation` (never copied into the repository)"
        " and Rostra's own contrast sentences (`training/contrast/`, written for Rostra)."
        f" Each public set was de-duplicated after normalisation and split 75 / 10 / 15 (train /"
        f" validation / test, seed {args['seed']}); training rows were capped at"
        f" {args['max_train_per_set']} per set, rare positives (violence, hate, harassment) kept"
        " first. The contrast set is split 60 / 15 / 25 by template group, so a held-out"
        f" template is never seen in training; contrast rows weigh {args['contrast_weight']}x in the loss."
        " The test splits were used only for this card; thresholds come from the validation splits."
        " HateCheck, Multilingual HateCheck and HateModerate were not used in any way.",
        "",
        "| data set | train (of available) | val | test | train positives: violence / hate / harassment / toxicity |",
        "|---|---:|---:|---:|---|",
    ]
    for name, c in metrics["counts"].items():
        pos = metrics["train_positives"][name]
        lines.append(f"| {name} | {c['train']} ({c['train_all']}) | {c['val']} | {c['test']} |"
                     f" {' / '.join(str(pos[k]) for k in CATEGORIES)} |")
    lines += ["", "### Label mapping", "", "```"]
    doc = data_mod.__doc__
    start = doc.index("=====")
    lines += [doc[start:].strip(), "```", "",
              "A category a data set does not judge is left unknown for its rows and masked out of"
              " the loss and of the metrics (for example OLID says nothing about hate)."]
    lines += ["", "## Thresholds", "",
              "Chosen on the pooled validation splits (public sets and held-out contrast templates)"
              " with the shipped int8 graph, for a real instance's mix rather than these files'"
              " mix: precision is recomputed as if positives were the prevalence below, and the"
              " threshold maximises F-beta (beta < 1 favours precision), with a recall floor."
              " The high threshold is the lowest with precision >= 0.9 at that prevalence"
              " (the policy uses it to hold harassment and, if an instance enables it, to reject).",
              "",
              "| category | threshold | high | assumed prevalence | beta | val recall | val FPR | val precision at prevalence | val AUC |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in CATEGORIES:
        t = metrics["thresholds"][c]
        lines.append(f"| {c} | {t['threshold']:.2f} | {t['high_threshold']:.3f} | {t['prevalence']:.0%} |"
                     f" {t['beta']} | {t['recall']:.2f} | {t['fpr']:.3f} | {t['precision_at_prevalence']:.2f} |"
                     f" {_f(t['val_auc'], 3)} |")
    lines += ["", "## Results on held-out test splits", "",
              "Precision, recall and F1 at the chosen thresholds, on each set's own mix (so"
              " precision here is higher than on a real instance, where abuse is rare); ROC AUC"
              " does not depend on the threshold. Only rows whose set labels the category count.",
              "", "### Pooled public test splits", ""]
    lines += _metric_table(res["pooled_public"])
    for name, per_cat in res["per_set"].items():
        if name == "contrast":
            continue
        lines += ["", f"### {name}", ""] + _metric_table(per_cat)
    lines += ["", "### Held-out contrast sentences (Rostra's own, unseen templates)", ""]
    lines += _metric_table(res["per_set"].get("contrast", {}))
    kinds = res.get("contrast_kinds") or {}
    if kinds:
        lines += ["", "Per kind of sentence: how many were flagged for each category (flagged / expected).", "",
                  "| kind | n | violence | hate | harassment | toxicity |", "|---|---:|---:|---:|---:|---:|"]
        for kind, k in sorted(kinds.items()):
            cells = " | ".join(f"{k['flagged'][c]} / {k['expected'][c]}" for c in CATEGORIES)
            lines.append(f"| {kind} | {k['n']} | {cells} |")
    chk = metrics["export_check"]
    sp = metrics["speed"]
    total_mb = sum(metrics["sizes"].values()) / 1e6
    lines += [
        "", "## Export check", "",
        f"On {chk['sentences']} sentences: max |torch - ONNX fp32| = {chk['max_abs_diff_torch_vs_onnx_fp32']:.2g},"
        f" max |torch - ONNX int8| = {chk['max_abs_diff_torch_vs_onnx_int8']:.2g}"
        f" (mean {chk['mean_abs_diff_torch_vs_onnx_int8']:.2g}). Thresholds were set on the int8 outputs.",
        "", "## Size and speed", "",
        "| file | bytes |", "|---|---:|",
    ]
    lines += [f"| model/{n} | {b:,} |" for n, b in metrics["sizes"].items()]
    lines += [
        f"| total | {int(total_mb * 1e6):,} ({total_mb:.1f} MB) |", "",
        f"Measured at the end of training on this machine (2 shared cores, other work running):"
        f" {sp['posts_per_s_1_threads']} posts/s one after another with 1 onnxruntime thread,"
        f" {sp['posts_per_s_2_threads']} with 2; one short post in"
        f" {sp['single_ms_median_1_threads']} ms (median, 1 thread). `bench/moderation_bench.py`"
        " is the benchmark of record (see docs/moderation-model.md).",
        f"Training took {metrics['train_seconds']} s, the whole run {metrics['total_seconds']} s, on one thread.",
        "", "## How to reproduce", "",
        "```",
        "pip install -e '.[train]'",
        f"rostra moderation train --data ../shared/data/moderation --epochs {args['epochs']}"
        f" --unfreeze {args['unfreeze']} --max-train-per-set {args['max_train_per_set']} --seed {args['seed']}",
        "```",
        "",
    ]
    if NOTES.exists():
        lines += [NOTES.read_text(encoding="utf-8").strip(), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
