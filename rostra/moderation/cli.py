"""``rostra moderate [FILE]``: screen texts without a server.

Input (FILE, or standard input when FILE is omitted or ``-``), one post per line, each line
either plain text or a JSON object ``{"id": ..., "text": ...}`` (decided line by line: a
line that starts with ``{`` and parses as an object with a ``text`` field is JSON, anything
else is plain text). Output: one JSON line per input line, in input order::

    {"id": ..., "scores": {"violence": p, "hate": p, "harassment": p, "toxicity": p},
     "flags": [...], "decision": "allow" | "label" | "hold" | "reject", "model": "<version>"}

``id`` is the given id, or the 1-based line number for plain text (and for JSON without one).

Bad input never stops the run:

- an empty or blank line (or a JSON object whose ``text`` is empty or missing) gives
  ``{"id": ..., "error": "empty", "model": ...}``: there is nothing to screen, and a score for
  nothing would only look like a verdict;
- bytes that are not valid UTF-8 are decoded with U+FFFD replacement characters;
- a long line is screened on its first ``MAX_CHARS`` characters (the model reads at most 128
  tokens anyway);
- if the model itself fails on a batch, each line of it gets ``"error": "model failed"`` and
  ``"decision": "hold"`` (screening never publishes unscreened text).

Lines are screened in batches (``--batch-size``, default 64) for speed; the output order is
the input order. A progress bar goes to standard error when it is a terminal.
"""

from __future__ import annotations

import json
import os
import sys

from rostra.moderation import policy
from rostra.moderation.normalize import MAX_CHARS

MAX_LINE_BYTES = MAX_CHARS * 4


def _parse_line(raw: bytes, lineno: int):
    """(id, text or None) for one input line."""
    if len(raw) > MAX_LINE_BYTES * 4:
        raw = raw[: MAX_LINE_BYTES * 4]  # a JSON line may escape a lot; cut huge ones early
    line = raw.decode("utf-8", "replace").rstrip("\r\n")
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and ("text" in obj or "id" in obj):
            ident = obj.get("id", lineno)
            text = obj.get("text")
            if text is None:
                return ident, None
            if not isinstance(text, str):
                text = json.dumps(text) if isinstance(text, (list, dict)) else str(text)
            return ident, (text[:MAX_CHARS] if text.strip() else None)
    if not stripped:
        return lineno, None
    return lineno, line[:MAX_CHARS]


def _rules_available(stderr) -> bool:
    """Set Django up to reach the instance's rules; False (with a note) if that cannot work."""
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rostra.settings")
        import django

        django.setup()
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise RuntimeError("the database is not migrated (run `rostra migrate`)")
        return True
    except Exception as exc:  # no database, not migrated, bad settings: screen with the model alone
        print(f"rostra moderate: instance rules unavailable ({exc}); screening with the model only",
              file=stderr)
        return False


def moderate(args, stdin=None, stdout=None, stderr=None) -> int:
    from rostra.moderation import model

    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    model.configure(threads=args.threads)
    thresholds = policy.default_thresholds()
    high = policy.default_high_thresholds()
    use_rules = not args.model_only and _rules_available(stderr)

    path = args.file
    try:
        stream = stdin if path in (None, "-") else open(path, "rb")
    except OSError as exc:
        print(f"rostra moderate: cannot read {path}: {exc.strerror or exc}", file=stderr)
        return 2
    bar = None
    if stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(file=stderr, unit="post", desc="screening", dynamic_ncols=True)
    batch_size = max(1, args.batch_size)
    pending: list[tuple[object, str | None]] = []

    def flush():
        texts = [t for _, t in pending if t is not None]
        try:
            scored = model.score(texts, batch_size=batch_size) if texts else []
            failed = None
        except Exception as exc:  # keep going; every line still gets an answer
            scored, failed = [], exc
            print(f"rostra moderate: model failed on a batch: {exc!r}", file=stderr)
        it = iter(scored)
        for ident, text in pending:
            if text is None:
                out = {"id": ident, "error": "empty", "model": model.MODEL_VERSION}
            elif failed is not None:
                out = {"id": ident, "error": "model failed", "flags": [], "decision": "hold",
                       "model": model.MODEL_VERSION}
            else:
                scores = next(it)
                decision = policy.decide(scores, thresholds, high=high)
                if use_rules:
                    decision = policy.apply_rules(decision, policy.rules_for_text(text))
                out = {"id": ident, "scores": scores, "flags": policy.flags(scores, thresholds),
                       "decision": decision, "model": model.MODEL_VERSION}
            stdout.write(json.dumps(out) + "\n")
        stdout.flush()
        if bar is not None:
            bar.update(len(pending))
        pending.clear()

    try:
        for lineno, raw in enumerate(stream, 1):
            pending.append(_parse_line(raw, lineno))
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
    except BrokenPipeError:  # `rostra moderate big.txt | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    finally:
        if bar is not None:
            bar.close()
        if stream is not stdin:
            stream.close()
    return 0


def add_arguments(p):
    p.add_argument("file", nargs="?", default="-", help="input file (default: standard input)")
    p.add_argument("--model-only", action="store_true", help="skip the instance's rules (no database needed)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=int(os.environ.get("ROSTRA_MODEL_THREADS", "2") or 2),
                   help="onnxruntime threads (default 2, or ROSTRA_MODEL_THREADS)")
