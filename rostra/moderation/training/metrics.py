"""Numpy-only metrics: precision, recall, F1, ROC AUC, and threshold choice."""

from __future__ import annotations

import numpy as np


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties averaged); None if one class is absent."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=np.float64)
    sorted_p = np.asarray(p)[order]
    i = 0
    while i < len(p):
        j = i
        while j + 1 < len(p) and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def prf(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    y = np.asarray(y).astype(bool)
    pred = np.asarray(p) >= threshold
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)) if precision and recall else (0.0 if recall is not None and precision is not None else None)
    return {"n": int(len(y)), "positives": int(y.sum()), "flagged": int(pred.sum()),
            "precision": precision, "recall": recall, "f1": f1, "fpr": fp / max(1, int((~y).sum()))}


def choose_threshold(y, p, prevalence: float, beta: float, min_recall: float = 0.0) -> dict:
    """The threshold that maximises F-beta at a real instance's prevalence.

    Validation sets are far richer in abuse than a real instance (a few percent of posts),
    so precision is re-computed as if positives made up ``prevalence`` of the posts:
    P = TPR*pi / (TPR*pi + FPR*(1-pi)). ``beta`` < 1 favours precision. ``min_recall`` keeps the
    threshold from climbing so high that almost nothing is caught.
    """
    y = np.asarray(y).astype(bool)
    p = np.asarray(p)
    n_pos, n_neg = max(1, int(y.sum())), max(1, int((~y).sum()))
    best = None
    for t in np.round(np.arange(0.05, 0.991, 0.01), 2):
        pred = p >= t
        tpr = (pred & y).sum() / n_pos
        fpr = (pred & ~y).sum() / n_neg
        if tpr < min_recall and best is not None:
            continue
        denom = tpr * prevalence + fpr * (1 - prevalence)
        precision = tpr * prevalence / denom if denom else 0.0
        b2 = beta * beta
        f = (1 + b2) * precision * tpr / (b2 * precision + tpr) if precision + tpr else 0.0
        if tpr < min_recall:
            f = -1.0 + tpr  # only used until some threshold meets the recall floor
        if best is None or f > best["f"]:
            best = {"threshold": float(t), "f": float(f), "recall": float(tpr), "fpr": float(fpr),
                    "precision_at_prevalence": float(precision)}
    return best


def threshold_for_precision(y, p, prevalence: float, target: float, floor: float) -> float:
    """Lowest threshold whose precision at ``prevalence`` reaches ``target`` (at least ``floor``)."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p)
    n_pos, n_neg = max(1, int(y.sum())), max(1, int((~y).sum()))
    for t in np.round(np.arange(floor, 0.996, 0.005), 3):
        pred = p >= t
        tpr = (pred & y).sum() / n_pos
        fpr = (pred & ~y).sum() / n_neg
        denom = tpr * prevalence + fpr * (1 - prevalence)
        if denom and tpr * prevalence / denom >= target and tpr > 0:
            return float(t)
    return 0.995
