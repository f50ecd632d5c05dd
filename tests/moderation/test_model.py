"""The shipped model, through its public functions. Sentences are written for these tests."""

import json
import subprocess
import sys

import pytest

from rostra.moderation import model
from rostra.moderation.model import CATEGORIES, MODEL_DIR, MODEL_VERSION, score
from rostra.moderation.policy import decide, default_high_thresholds, default_thresholds

T = default_thresholds()
HIGH = default_high_thresholds()

THREATS = [
    "I am going to shoot you in the face tomorrow",
    "Someone should hang the city council members from the bridge",
    "I will murder you and your whole family",
    "I'm going to find where you live and stab you",
    "we should go kill the governor and his staff",
]

NOT_THREATS = [
    "This homework is killing me",
    "We crushed them 3-1 on Sunday, what a match",
    "Police said two people were injured in a shooting downtown last night",
    "Nobody should ever threaten a nurse",
    "I would kill for a nap right now",
    "The knight slays the dragon at the end of the book",
    "Looking forward to the farmers market this weekend",
]


def decision(text):
    return decide(score([text])[0], T, high=HIGH)


def test_version_and_thresholds_come_with_the_model():
    assert MODEL_VERSION.startswith("rostra-mod-")
    assert model.meta()["version"] == MODEL_VERSION
    assert set(T) == set(CATEGORIES) and all(0 < t < 1 for t in T.values())


def test_scores_have_four_probabilities_per_text_in_order():
    texts = ["hello there", "", "I will hurt you", "nice weather today"]
    out = score(texts)
    assert len(out) == len(texts)
    for s in out:
        assert list(s) == list(CATEGORIES)
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in s.values())
    # order is kept: batching sorts by length internally
    assert score([texts[2]])[0] == pytest.approx(out[2], abs=1e-4)
    assert score([]) == []


@pytest.mark.parametrize("text", THREATS)
def test_obvious_threats_score_high_and_are_held(text):
    s = score([text])[0]
    assert s["violence"] >= T["violence"], s
    assert decide(s, T, high=HIGH) == "hold"


@pytest.mark.parametrize("text", NOT_THREATS)
def test_idioms_news_negation_and_sports_are_allowed(text):
    s = score([text])[0]
    assert s["violence"] < T["violence"], s
    assert decide(s, T, high=HIGH) == "allow", s


def test_hate_and_its_contrast():
    hateful, fine = score([
        "Immigrants are filthy rats and should be driven out of this country",
        "Immigrants are hardworking people who make this town better",
    ])
    assert hateful["hate"] >= T["hate"], hateful
    assert fine["hate"] < T["hate"], fine
    assert decide(hateful, T, high=HIGH) == "hold"
    assert decide(fine, T, high=HIGH) == "allow"


@pytest.mark.parametrize("text", ["I will k1ll you", "I will k i l l you tomorrow", "i will kiiiilll you", "I will \u043aill you"])
def test_obfuscated_threats_are_still_caught(text):
    assert score([text])[0]["violence"] >= T["violence"]
    assert decision(text) == "hold"


def test_a_threat_at_the_end_of_a_long_post_is_not_cut_off():
    calm = "We spent the afternoon at the lake with the kids and a picnic basket. " * 12
    benign, threat = score([calm, calm + "I will find you and kill you tomorrow."])
    assert len(calm) > 800
    assert benign["violence"] < T["violence"]
    assert threat["violence"] >= T["violence"]


def test_profanity_alone_is_only_labelled():
    s = score(["holy shit this fucking pizza is amazing"])[0]
    assert s["violence"] < T["violence"] and s["hate"] < T["hate"]
    assert decide(s, T, high=HIGH) in ("allow", "label")


def test_never_crashes_on_strange_input():
    texts = ["", " ", "a" * 100_000, "\ud800\udfff\ud800", "\x00\x01\x02\x1b[0m", "\u200b" * 5000,
             "🔫" * 2000, "{\"id\": 1}", "ﷺ" * 300, "\n\n\n"]
    out = score(texts)
    assert len(out) == len(texts)
    assert all(0.0 <= v <= 1.0 for s in out for v in s.values())


def test_shipped_files_fit_in_40_mb():
    files = [p for p in MODEL_DIR.iterdir() if p.is_file()]
    names = {p.name for p in files}
    assert {"model.onnx", "tokenizer.json", "meta.json"} <= names
    assert sum(p.stat().st_size for p in files) <= 40 * 1024 * 1024


def test_runtime_does_not_import_torch():
    code = (
        "import sys, json; from rostra.moderation.model import score; score(['hi']);"
        "print(json.dumps([m for m in ('torch', 'transformers', 'onnx') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
