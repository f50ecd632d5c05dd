"""Loading the public data sets and mapping their labels to Rostra's four categories.

Every row becomes ``Example(text, labels, source)`` where ``labels`` has one entry per
category in ``CATEGORIES`` order: 1 (is), 0 (is not) or -1 (the data set does not say; the
loss ignores it). A data set is only asked about what its annotators actually judged: OLID's
offensive tweets say nothing about hate, Stormfront's sentences nothing about profanity.

The mapping (also written to MODEL_CARD.md by the training run):

==================  ==========================================================================
data set            mapping
==================  ==========================================================================
davidson2017        class 0 hate speech -> hate 1, toxicity 1; class 1 offensive -> hate 0,
                    toxicity 1; class 2 neither -> all four 0. Violence and harassment are
                    unknown for classes 0 and 1.
ethos               binary ``isHate`` >= 0.5 -> hate 1, else hate 0. Multi-label ``violence``
                    (share of annotators) >= 0.5 -> violence 1, else 0 (only for the hateful
                    comments that file covers; joined on the comment text).
gab_hate_corpus     ``hd`` (assault on human dignity) -> hate, ``cv`` (call for violence) ->
                    violence, ``vo`` (vulgarity) -> toxicity; harassment unknown.
implicit_hate       stage 1 ``explicit_hate`` or ``implicit_hate`` -> hate 1, ``not_hate`` ->
                    hate 0. Stage 2's ``threatening`` and ``incitement`` are NOT mapped to
                    violence: in that taxonomy they include demands such as deportation or
                    loss of rights and in-group boasting, which are not violence.
olid                ``NOT`` -> all four 0. ``OFF`` -> toxicity 1; ``OFF/UNT`` (untargeted) ->
                    harassment 0; ``OFF/TIN/IND`` (targeted at a person) -> harassment 1;
                    ``TIN`` at a group or other -> harassment unknown. Hate and violence
                    unknown for ``OFF``.
stormfront          ``hate`` -> hate 1, ``noHate`` -> hate 0; ``relation`` (hate only with
                    context) and ``idk/skip`` dropped.
threatgram101       ``Label`` 2 (violent threat or wish of death) -> violence 1; 0 (no threat)
                    and 1 (punitive demand without violence: jail, impeachment) -> violence 0.
contrast (ours)     written for Rostra, all four labels given (see contrast/README.md).
==================  ==========================================================================
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from rostra.moderation.model import CATEGORIES

csv.field_size_limit(10**8)

CONTRAST_DIR = Path(__file__).resolve().parent / "contrast"
U = -1  # unknown


@dataclass
class Example:
    text: str
    labels: tuple[int, int, int, int]  # violence, hate, harassment, toxicity
    source: str
    group: str = ""
    kind: str = ""
    weight: float = 1.0
    extra: dict = field(default_factory=dict)


def _rows(path: Path, delimiter: str):
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        yield from csv.DictReader(f, delimiter=delimiter)


def load_davidson(root: Path):
    for r in _rows(root / "davidson2017" / "labeled_data.csv", ","):
        c = r["class"].strip()
        if c == "0":
            labels = (U, 1, U, 1)
        elif c == "1":
            labels = (U, 0, U, 1)
        elif c == "2":
            labels = (0, 0, 0, 0)
        else:
            continue
        yield Example(r["tweet"], labels, "davidson2017")


def load_ethos(root: Path):
    violence = {}
    for r in _rows(root / "ethos" / "Ethos_Dataset_Multi_Label.csv", ";"):
        try:
            violence[r["comment"].strip()] = float(r["violence"])
        except (KeyError, ValueError):
            continue
    seen = set()
    for r in _rows(root / "ethos" / "Ethos_Dataset_Binary.csv", ";"):
        text = r["comment"].strip()
        try:
            is_hate = float(r["isHate"])
        except (KeyError, ValueError):
            continue
        seen.add(text)
        v = violence.get(text)
        v_label = U if v is None else int(v >= 0.5)
        yield Example(text, (v_label, int(is_hate >= 0.5), U, U), "ethos")
    for text, v in violence.items():  # hateful comments only in the multi-label file
        if text not in seen:
            yield Example(text, (int(v >= 0.5), 1, U, U), "ethos")


def load_gab(root: Path):
    for r in _rows(root / "gab_hate_corpus" / "ghc_train.tsv", "\t"):
        try:
            hd, cv, vo = int(r["hd"]), int(r["cv"]), int(r["vo"])
        except (KeyError, ValueError):
            continue
        yield Example(r["text"], (cv, hd, U, vo), "gab_hate_corpus")


def load_implicit_hate(root: Path):
    for r in _rows(root / "implicit_hate_elsherief2021" / "implicit_hate_v1_stg1_posts.tsv", "\t"):
        c = r["class"].strip()
        if c in ("explicit_hate", "implicit_hate"):
            yield Example(r["post"], (U, 1, U, U), "implicit_hate", kind=c)
        elif c == "not_hate":
            yield Example(r["post"], (U, 0, U, U), "implicit_hate", kind=c)


def load_olid(root: Path):
    for r in _rows(root / "olid" / "olid-training-v1.0.tsv", "\t"):
        a, b, c = r["subtask_a"].strip(), r["subtask_b"].strip(), r["subtask_c"].strip()
        if a == "NOT":
            labels = (0, 0, 0, 0)
        elif a == "OFF":
            if b == "UNT":
                harassment = 0
            elif b == "TIN" and c == "IND":
                harassment = 1
            else:
                harassment = U
            labels = (U, U, harassment, 1)
        else:
            continue
        yield Example(r["tweet"], labels, "olid")


def load_stormfront(root: Path):
    for r in _rows(root / "stormfront_degibert2018" / "stormfront_sentences.csv", ","):
        label = r["label"].strip()
        if label == "hate":
            yield Example(r["text"], (U, 1, U, U), "stormfront")
        elif label == "noHate":
            yield Example(r["text"], (U, 0, U, U), "stormfront")


def load_threatgram(root: Path):
    with open(root / "threatgram101_telegram" / "Labeled_15076.json", encoding="utf-8") as f:
        rows = json.load(f)
    for r in rows:
        label = r.get("Label")
        text = r.get("reply")
        if not isinstance(text, str) or label not in (0, 1, 2):
            continue
        yield Example(text, (int(label == 2), U, U, U), "threatgram101", kind=str(label))


LOADERS = {
    "davidson2017": load_davidson,
    "ethos": load_ethos,
    "gab_hate_corpus": load_gab,
    "implicit_hate": load_implicit_hate,
    "olid": load_olid,
    "stormfront": load_stormfront,
    "threatgram101": load_threatgram,
}


def load_contrast(directory: Path = CONTRAST_DIR):
    """Rostra's own contrast sentences: every line has text, the four labels, kind and group."""
    for path in sorted(directory.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                labels = tuple(int(r[c]) for c in CATEGORIES)
                yield Example(
                    r["text"], labels, "contrast", group=f"{path.stem}:{r.get('group', n)}",
                    kind=r.get("kind", ""),
                )


def split_examples(examples, seed: int, test: float, val: float, key=lambda e: e.text):
    """Deterministic train / val / test split; items sharing ``key`` stay together."""
    keys = sorted({key(e) for e in examples})
    rng = random.Random(seed)
    rng.shuffle(keys)
    n_test, n_val = round(len(keys) * test), round(len(keys) * val)
    test_keys = set(keys[:n_test])
    val_keys = set(keys[n_test:n_test + n_val])
    parts = {"train": [], "val": [], "test": []}
    for e in examples:
        k = key(e)
        parts["test" if k in test_keys else "val" if k in val_keys else "train"].append(e)
    return parts


def cap_train(examples, cap: int, seed: int):
    """At most ``cap`` training rows, keeping rare positives (violence, hate, harassment) first."""
    if cap <= 0 or len(examples) <= cap:
        return list(examples)
    rng = random.Random(seed)
    rare = [e for e in examples if 1 in e.labels[:3]]
    rest = [e for e in examples if 1 not in e.labels[:3]]
    rng.shuffle(rare)
    rng.shuffle(rest)
    keep_rare = rare[: cap // 2]
    return keep_rare + rest[: cap - len(keep_rare)]
