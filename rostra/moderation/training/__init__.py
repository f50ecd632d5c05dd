"""Rebuilding the moderation model (needs the ``train`` extra: torch, onnx, onnxscript).

Only the argument list lives here, so ``rostra``'s parser can offer ``rostra moderation
train`` without importing numpy or torch; the work is in ``train.py``.
"""

from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent.parent / "model"


def add_arguments(p):
    p.add_argument("--data", default="../shared/data/moderation", help="folder of the public data sets")
    p.add_argument("--out", default=str(MODEL_DIR), help="where model.onnx, tokenizer.json, meta.json go")
    p.add_argument("--card", default=None, help="MODEL_CARD.md path (default: beside the package)")
    p.add_argument("--epochs", type=float, default=1.2)
    p.add_argument("--max-train-per-set", type=int, default=5000,
                   help="cap on training rows per public data set (rare positives kept first)")
    p.add_argument("--contrast-weight", type=float, default=4.0)
    p.add_argument("--unfreeze", type=int, default=3, help="top encoder layers to fine-tune (0: head only)")
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--head-lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=0, help="debug: cap every split of every set")
    p.add_argument("--no-card", action="store_true")
