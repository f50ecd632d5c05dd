"""The clean-up that runs before the model: obfuscation is undone, nothing crashes."""

import pytest

from rostra.moderation.normalize import MAX_CHARS, normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("I will k i l l you", "i will kill you"),  # letters spaced out
        ("I will k.i.l.l you", "i will kill you"),
        ("I will k-i-l-l you", "i will kill you"),
        ("i will k1ll you", "i will kill you"),  # leetspeak digits
        ("i will ki11 you", "i will kill you"),  # 1 read as l where that makes the word
        ("sh00t them", "shoot them"),
        ("h@te", "hate"),  # symbols
        ("$tab", "stab"),
        ("f*ck off", "fuck off"),
        ("kiiiiillll", "kill"),  # stretched letters
        ("sooooo", "so"),
        ("cooool", "cool"),
        ("ki\u200bll", "kill"),  # zero-width space
        ("k\u200dil\u2060l", "kill"),  # zero-width joiner, word joiner
        ("\u043aill", "kill"),  # Cyrillic ka
        ("sh\u03bf\u03bft", "shoot"),  # Greek omicrons
        ("\uff4b\uff49\uff4c\uff4c", "kill"),  # fullwidth
        ("\U0001d424\U0001d422\U0001d425\U0001d425", "kill"),  # mathematical bold
        ("\u029c\u1d00\u1d1b\u1d07", "hate"),  # small capitals
        ("k\u0336i\u0336l\u0336l\u0336", "kill"),  # combining strike-through
        ("i h8 u", "i hate you"),
        ("k i l l  t h e m", "kill them"),  # two spaces between words
        ("s h o o t / t h e / m a y o r", "shoot the mayor"),
    ],
)
def test_obfuscation_is_undone(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we won 4-0 on the 4th",
        "call me at 555 0123",
        "the mp3 is 128kbps",
        "I gave it 110% today",
        "привет мир",  # a word wholly in Cyrillic is left alone
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert normalize(text) == text.lower()


def test_mentions_links_and_entities():
    assert normalize("@SomeOne look https://example.com/x?y=1 &amp; more") == "@user look url & more"


def test_meaningful_emoji_become_words():
    assert "gun" in normalize("you're next \U0001f52b")


@pytest.mark.parametrize(
    "value",
    ["", None, 42, b"\xff\xfe broken", "\ud800 lone surrogate", "\x00\x01\x07 control\x1b[31m", "a" * 100_000,
     "k " * 50_000, "\u200b" * 10_000, "1" * 10_000, "@" * 5000, "🔫" * 3000, "{" * 10000],
)
def test_never_crashes_and_stays_bounded(value):
    out = normalize(value)
    assert isinstance(out, str)
    assert len(out) <= MAX_CHARS
    out.encode("utf-8")  # always valid UTF-8
