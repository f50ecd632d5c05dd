"""Rostra's moderation model at run time: onnxruntime + tokenizers + numpy, nothing else.

    from rostra.moderation.model import score
    score(["I will find you", "this commute is killing me"])
    -> [{"violence": 0.93, "hate": 0.01, ...}, {...}]

The model (``model/model.onnx``: a fine-tuned all-MiniLM-L6-v2 encoder, mean pooling and four
sigmoid heads in one int8 graph) and its tokenizer ship inside the package, so screening needs
no network. It is loaded lazily, once per process, on first use. ``model/meta.json`` holds the
version and the thresholds the training run chose on its validation split.

Each text is scored by its own ONNX call. The int8 graph quantises activations dynamically,
with one scale per call, so a text scored inside a padded batch would get a slightly different
score (up to ~0.1) depending on its neighbours; one text per call makes every score depend
on the text alone, equal to what a new post gets, and on CPU it costs no throughput here.

Threads: ``ROSTRA_MODEL_THREADS`` (default 1: a web server runs several processes and each
screens one post at a time) texts are scored in parallel, each call on one onnxruntime thread;
``configure(threads=N)`` changes it for bulk work such as ``rostra moderate`` or the benchmark.
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rostra.moderation.normalize import normalize

CATEGORIES = ("violence", "hate", "harassment", "toxicity")
MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_VERSION = "rostra-mod-2026.11-1"
MAX_LENGTH = 128  # tokens per window the model reads
WINDOW = 64  # tokens per window when one sentence is longer than MAX_LENGTH
MAX_WINDOWS = 12  # enough for a 2,000-character text (normalize() cuts there)
MAX_SENTENCES = 40  # parts of a long post read on their own
BATCH_SIZE = 64

_lock = threading.Lock()
_state: dict = {}
_threads = int(os.environ.get("ROSTRA_MODEL_THREADS", "1") or 1)


class ModelUnavailable(RuntimeError):
    """The shipped model files are missing or cannot be loaded."""


def configure(threads: int | None = None) -> None:
    """Set onnxruntime's intra-op thread count; the session is rebuilt on next use."""
    global _threads
    with _lock:
        if threads is not None and max(1, int(threads)) != _threads:
            _threads = max(1, int(threads))
            pool = _state.pop("pool", None)
            if pool is not None:
                pool.shutdown(wait=False)


def meta() -> dict:
    """``model/meta.json``: version, categories, thresholds chosen by training, max length."""
    try:
        with open(MODEL_DIR / "meta.json", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _load():
    if "session" in _state:
        return _state
    with _lock:
        if "session" in _state:
            return _state
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are core dependencies
            raise ModelUnavailable(f"moderation model needs onnxruntime and tokenizers: {exc}") from exc
        onnx_path, tok_path = MODEL_DIR / "model.onnx", MODEL_DIR / "tokenizer.json"
        if not onnx_path.exists() or not tok_path.exists():
            raise ModelUnavailable(f"moderation model files are missing under {MODEL_DIR}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # parallelism comes from scoring texts side by side
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(tok_path))
        tokenizer.no_truncation()  # long posts are read in windows, see _windows()
        tokenizer.no_padding()
        max_length = min(int(meta().get("max_length", MAX_LENGTH)), MAX_LENGTH)
        specials = (tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]"))
        _state.update(session=session, tokenizer=tokenizer, max_length=max_length, specials=specials)
        return _state


def _run_one(session, ids: list[int]) -> np.ndarray:
    arr = np.asarray([ids], dtype=np.int64)
    (probs,) = session.run(None, {"input_ids": arr, "attention_mask": np.ones_like(arr)})
    return probs[0]


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+|\s+-\s+")


def _windows(ids: list[int], max_length: int, specials) -> list[list[int]]:
    """Overlapping windows of ``WINDOW`` tokens covering ``ids`` (for one over-long sentence)."""
    if len(ids) <= max_length:
        return [ids]
    cls, sep = specials
    body = ids[1:-1]
    width = WINDOW - 2
    stride = width * 3 // 4
    starts = list(range(0, len(body) - width, stride))[: MAX_WINDOWS - 1] + [len(body) - width]
    return [[cls, *body[s : s + width], sep] for s in starts]


def _pieces(text: str, ids: list[int], tokenizer, max_length: int, specials) -> list[list[int]]:
    """What the model reads of one cleaned text: the text itself, or for a long one its parts.

    The model reads ``max_length`` tokens, and a 1,000-character post can be twice that. A
    threat in the middle or at the end of a long post must not go unread, and inside a window
    of unrelated text a short threat is diluted, so a long post is read as its first
    ``max_length`` tokens (the context) plus each of its sentences on its own (a sentence
    longer than the model reads is cut into overlapping windows); per category the post gets
    the highest score of its parts.
    """
    if len(ids) <= max_length:
        return [ids]
    cls, sep = specials
    parts = [ids[: max_length - 1] + [sep]]
    sentences = [t for t in _SENTENCE_END.split(text) if t.strip()]
    # Merge very short fragments into their neighbour, and bound the work.
    merged: list[str] = []
    for sentence in sentences:
        if merged and (len(merged[-1]) < 40 or len(sentence) < 15):
            merged[-1] = merged[-1] + " " + sentence
        else:
            merged.append(sentence)
    for enc in tokenizer.encode_batch(merged[:MAX_SENTENCES]):
        parts.extend(_windows(enc.ids, max_length, specials))
    return parts


def _score_parts(session, parts: list[list[int]]) -> np.ndarray:
    if len(parts) == 1:
        return _run_one(session, parts[0])
    return np.max([_run_one(session, p) for p in parts], axis=0)


def _pool(threads: int):
    pool = _state.get("pool")
    if pool is None:
        with _lock:
            pool = _state.get("pool")
            if pool is None:
                pool = _state["pool"] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rostra-model")
    return pool


def score_array(texts, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Probabilities as an array of shape (len(texts), 4), columns in ``CATEGORIES`` order.

    ``batch_size`` bounds how many texts are cleaned and tokenised at once.
    """
    texts = list(texts)
    out = np.zeros((len(texts), len(CATEGORIES)))
    if not texts:
        return out
    state = _load()
    tokenizer, session = state["tokenizer"], state["session"]
    max_length, specials = state["max_length"], state["specials"]
    threads = _threads
    step = max(1, batch_size)
    for start in range(0, len(texts), step):
        chunk = texts[start : start + step]
        cleaned = [normalize(t) for t in chunk]
        encodings = tokenizer.encode_batch(cleaned)
        ids = [_pieces(c, e.ids, tokenizer, max_length, specials) for c, e in zip(cleaned, encodings)]
        if threads <= 1 or len(ids) == 1:
            rows = [_score_parts(session, x) for x in ids]
        else:
            # Each worker takes every n-th text; onnxruntime releases the GIL while it runs.
            parts = [list(range(k, len(ids), threads)) for k in range(threads)]
            done = _pool(threads).map(
                lambda part: [(i, _score_parts(session, ids[i])) for i in part], parts)
            rows = [None] * len(ids)
            for part in done:
                for i, r in part:
                    rows[i] = r
        out[start : start + len(chunk)] = np.asarray(rows, dtype=np.float64)
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0)


def score(texts: list[str], batch_size: int = BATCH_SIZE) -> list[dict[str, float]]:
    """One ``{category: probability}`` per text, in order. Any string is accepted."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("score() takes a list of texts; use score_one() for a single text")
    arr = score_array(texts, batch_size)
    return [{c: round(float(row[j]), 6) for j, c in enumerate(CATEGORIES)} for row in arr]


def score_one(text: str) -> dict[str, float]:
    """Scores for a single post (the path a new post takes)."""
    return score([text])[0]
