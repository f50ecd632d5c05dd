"""``rostra moderate`` end to end, as a separate process, on text written for these tests."""

import json
import os
import subprocess
import sys

from rostra.moderation.model import MODEL_VERSION

CATS = {"violence", "hate", "harassment", "toxicity"}


def moderate(data: bytes, *args, cwd=None, env=None):
    run_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "rostra.cli", "moderate", *args], input=data, capture_output=True,
        timeout=180, cwd=cwd, env=run_env,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    lines = proc.stdout.decode().splitlines()
    return [json.loads(line) for line in lines], proc.stderr.decode(errors="replace")


def check_result(r):
    assert set(r) == {"id", "scores", "flags", "decision", "model"}, r
    assert set(r["scores"]) == CATS and all(0 <= v <= 1 for v in r["scores"].values())
    assert r["decision"] in ("allow", "label", "hold", "reject")
    assert set(r["flags"]) <= CATS
    assert r["model"] == MODEL_VERSION


def test_plain_text_in_order_with_line_numbers():
    posts = ["good morning everyone", "I am going to stab you tonight", "the game was great",
             "I will k i l l you"] * 40  # 160 lines: several internal batches
    out, _ = moderate(("\n".join(posts) + "\n").encode(), "--model-only", "--batch-size", "16")
    assert [r["id"] for r in out] == list(range(1, len(posts) + 1))
    for r in out:
        check_result(r)
    assert out[0]["decision"] == "allow"
    assert out[1]["decision"] == "hold" and "violence" in out[1]["flags"]
    assert out[3]["decision"] == "hold"
    # same text, same answer, wherever it sits among the batches
    assert all(out[i]["scores"] == out[i % 4]["scores"] for i in range(len(out)))


def test_json_lines_keep_their_ids_and_mix_with_plain_lines():
    lines = [
        json.dumps({"id": "a1", "text": "lovely sunset tonight"}),
        json.dumps({"id": 42, "text": "I'll shoot you if you come back here"}),
        "plain text line here",
        json.dumps({"text": "no id given"}),
        "{not json at all",
    ]
    out, _ = moderate(("\n".join(lines) + "\n").encode(), "--model-only")
    assert [r["id"] for r in out] == ["a1", 42, 3, 4, 5]
    for r in out:
        check_result(r)
    assert out[1]["decision"] == "hold"


def test_bad_input_never_crashes():
    long_line = ("all good here " * 8000)[:100_000]
    data = b"\n".join([
        b"first",
        b"",  # empty line
        b"   ",  # blank line
        "caf\u00e9 ".encode() + b"\xff\xfe\xc3 broken utf-8",
        long_line.encode(),
        json.dumps({"id": "e", "text": ""}).encode(),
        json.dumps({"id": "s", "text": "\ud800 lone surrogate"}).encode(),
        b"\x00\x01\x1b[31m control characters",
        b"last",
    ])  # no trailing newline
    out, _ = moderate(data, "--model-only")
    assert [r["id"] for r in out] == [1, 2, 3, 4, 5, "e", "s", 8, 9]
    assert out[1] == {"id": 2, "error": "empty", "model": MODEL_VERSION}
    assert out[2]["error"] == "empty" and out[5]["error"] == "empty"
    for i in (0, 3, 4, 6, 7, 8):
        check_result(out[i])


def test_file_argument_and_missing_file(tmp_path):
    f = tmp_path / "posts.txt"
    f.write_text("hello\nsee you at practice\n")
    out, _ = moderate(b"", str(f), "--model-only")
    assert [r["id"] for r in out] == [1, 2]
    proc = subprocess.run([sys.executable, "-m", "rostra.cli", "moderate", str(tmp_path / "nope.txt")],
                          capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"cannot read" in proc.stderr


def test_without_model_only_falls_back_when_there_is_no_database(tmp_path):
    env = {"ROSTRA_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "DJANGO_SETTINGS_MODULE": "rostra.settings"}
    out, err = moderate(b"have a nice day\n-\n", cwd=tmp_path, env=env)
    assert len(out) == 2
    check_result(out[0])
    assert "model only" in err
