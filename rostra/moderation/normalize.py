"""Text clean-up and de-obfuscation applied before the moderation model tokenises a post.

People who want a threat or a slur past a filter write ``k i l l``, ``k1ll``, ``kiiiill``,
``ｋｉｌｌ``, ``кill`` (a Cyrillic letter) or hide zero-width characters inside a word. The model
was trained on text that went through this same function, so undoing those tricks here is
what lets it see the word it knows. The function is pure Python, never raises, and bounds its
work: input is cut to ``MAX_CHARS`` before anything else happens.

Choices that need a dictionary (is ``1`` an ``i`` or an ``l``?  is ``cooool`` ``cool`` or
``col``?) are settled with the model's own WordPiece vocabulary: a candidate that is a whole
word there wins, otherwise a fixed default is used.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

MAX_CHARS = 2000  # posts are at most 1,000 characters; the model reads at most 128 tokens

_TOKENIZER_JSON = Path(__file__).resolve().parent / "model" / "tokenizer.json"

# Letters from other scripts that look like Latin ones. Applied only inside a word that also
# has an ASCII letter, so a word written wholly in Cyrillic or Greek is left alone.
HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ɡ": "g", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b", "г": "r", "п": "n",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "μ": "u",
    # Latin look-alikes and IPA letters
    "ı": "i", "ł": "l", "ø": "o", "ß": "ss", "ƅ": "b", "ɑ": "a", "ɩ": "i", "ʟ": "l", "ɴ": "n",
    "ʀ": "r", "ᴋ": "k", "ᴏ": "o", "ᴜ": "u", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ᴛ": "t", "ꜱ": "s",
    "ᴀ": "a", "ʙ": "b", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴍ": "m", "ᴘ": "p",
    "ǫ": "q", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}

# Number-for-syllable shorthand that the letter-by-letter decoding would get wrong.
SHORTHAND = {
    "b4": "before", "h8": "hate", "h8r": "hater", "h8rs": "haters", "gr8": "great", "l8r": "later",
    "w8": "wait", "m8": "mate", "2day": "today", "2nite": "tonight", "2morrow": "tomorrow",
    "str8": "straight", "sk8": "skate", "d8": "date", "m8s": "mates", "ur": "your", "u": "you",
}

# Characters used in place of letters inside a word, with the letters they may stand for,
# most likely first. Only used inside a token that also has a real letter in it.
LEET = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "li", "+": "t", "€": "e", "£": "l", "*": "aeiou",
    "(": "c", "¡": "i",
}
_LEET_SET = frozenset(LEET)

# Emoji that carry meaning a moderator would read; the vocabulary has none of them.
EMOJI_WORDS = {
    "🔫": " gun ", "🔪": " knife ", "🗡": " dagger ", "⚔": " swords ", "💣": " bomb ",
    "🧨": " dynamite ", "💀": " skull ", "☠": " skull ", "🪓": " axe ", "🩸": " blood ",
    "⚰": " coffin ", "🪦": " grave ", "🔥": " fire ", "🖕": " fuck you ", "🤬": " swearing ",
    "🐒": " monkey ", "🐵": " monkey ", "🦍": " ape ", "🐷": " pig ", "🐖": " pig ",
    "🐀": " rat ", "🤮": " vomit ", "🏹": " bow ", "💥": " boom ", "🎯": " target ",
    "🤡": " clown ", "💩": " shit ", "🍆": " penis ", "😂": " laughing ", "🤣": " laughing ",
    "😡": " angry ", "❤": " love ", "😍": " love ", "👍": " good ",
}
_EMOJI_RE = re.compile("|".join(re.escape(e) for e in sorted(EMOJI_WORDS, key=len, reverse=True)))

_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![\w@])@\w{1,30}")
# Three or more single characters with separators between them: "k i l l", "k.i.l.l", "k-i-l-l".
_SPACED_RE = re.compile(r"(?<![\w@$!*|])(?:[a-z0-9@$!*|](?:[ .\-_*~•·,/]{1,3})){2,}[a-z0-9@$!*|](?![\w@$!*|])")
_RUN_RE = re.compile(r"([a-z])\1{2,}")
_PUNCT_RUN_RE = re.compile(r"([^\w\s])\1{3,}")
_WS_RE = re.compile(r"\s+")
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN_EDGE_RE = re.compile(r"^([\"'(\[{<]*)(.*?)([\"')\]}>.,;:?!]*)$", re.DOTALL)


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, int]:
    """Whole words (not ``##`` pieces) of the model's WordPiece vocabulary with their ids.

    BERT's vocabulary lists words roughly by frequency, so a lower id is a likelier word:
    that settles ties such as ``sooo`` -> ``so`` (not ``soo``) and ``cooool`` -> ``cool``.
    Empty if the tokenizer file is missing (then fixed defaults are used).
    """
    try:
        with open(_TOKENIZER_JSON, encoding="utf-8") as f:
            vocab = json.load(f)["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {w: i for w, i in vocab.items() if w.isalnum() and not w.startswith("##") and len(w) > 1}


def _is_word(word: str, vocab) -> bool:
    return word in vocab or word in {"a", "i"}


def _best(cands, vocab):
    """The likeliest known word among candidates, or None."""
    known = [c for c in cands if _is_word(c, vocab)]
    if not known:
        return None
    return min(known, key=lambda w: vocab.get(w, 0))


def _segment(joined: str, vocab) -> str:
    """Split letters that were spaced out ("killyou") into at most four known words."""
    if _is_word(joined, vocab) or not vocab or len(joined) > 24:
        return joined
    n = len(joined)
    # best[i] = fewest words covering joined[:i]
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(1, n + 1):
        for j in range(max(0, i - 15), i):
            if best[j] is not None and _is_word(joined[j:i], vocab):
                cand = best[j] + [joined[j:i]]
                if best[i] is None or len(cand) < len(best[i]):
                    best[i] = cand
    if best[n] is not None and len(best[n]) <= 4:
        return " ".join(best[n])
    return joined


def _join_spaced(match: re.Match, vocab) -> str:
    # Two or more spaces (or " / ") between letters mark a word boundary: "k i l l  t h e m".
    groups = re.split(r"\s{2,}|\s*/\s*", match.group(0))
    words = []
    for group in groups:
        chars = re.sub(r"[ .\-_~•·,/]", "", group)
        # Keep "*" and leetspeak inside the joined word; the next step decodes them.
        words.append(chars if any(c in _LEET_SET for c in chars) else _segment(chars, vocab))
    return " ".join(w for w in words if w)


def _deleet(token: str, vocab) -> str:
    """Decode leetspeak in one token: ``k1ll`` -> ``kill``, ``h@te`` -> ``hate``."""
    if not any(c in _LEET_SET for c in token) or not any("a" <= c <= "z" for c in token):
        return token
    if _is_word(token, vocab) or token.isdigit() or token.startswith("@user"):
        return token
    m = _TOKEN_EDGE_RE.match(token)
    lead, core, trail = (m.group(1), m.group(2), m.group(3)) if m else ("", token, "")
    if not core or not any("a" <= c <= "z" for c in core):
        return token
    if not any(c in _LEET_SET for c in core):
        return token
    # A number with a unit or an ordinal ("4th", "10km", "3d") is not leetspeak.
    if re.fullmatch(r"\d+(?:st|nd|rd|th|s|k|m|km|kg|cm|mm|am|pm|d|h|x|g|gb|mb|mph|p)?", core):
        return token
    options = [LEET.get(c, c) if c in _LEET_SET else c for c in core]
    n_choices = 1
    for o in options:
        n_choices *= len(o)
    if n_choices <= 256:
        cands = ["".join(combo) for combo in itertools.product(*options)]
        best = _best(cands, vocab) or _best([_collapse_runs(c, vocab) for c in cands], vocab)
        if best:
            return lead + best + trail
    if re.fullmatch(r"\d+[a-z]{1,6}", core) or re.fullmatch(r"[a-z]{1,4}\d+", core):
        return token  # a number with a unit ("128kbps") or a code ("mp4", "a320"), not a word
    return lead + "".join(o[0] for o in options) + trail


def _collapse_runs(token: str, vocab) -> str:
    """``kiiiill`` -> ``kill``, ``sooooo`` -> ``so``: a run of 3+ letters becomes 2 or 1."""
    runs = list(_RUN_RE.finditer(token))
    if not runs:
        return token
    if len(runs) <= 6:
        parts, last = [], 0
        for r in runs:
            parts.append(token[last:r.start()])
            last = r.end()
        tail = token[last:]
        cands = [
            "".join(p + r.group(1) * k for p, r, k in zip(parts, runs, combo)) + tail
            for combo in itertools.product((2, 1), repeat=len(runs))
        ]
        best = _best(cands, vocab)
        if best:
            return best
    return _RUN_RE.sub(r"\1\1", token)


def _fold_homoglyphs(token: str) -> str:
    if any("a" <= c <= "z" for c in token):
        return "".join(HOMOGLYPHS.get(c, c) for c in token)
    if all(c in HOMOGLYPHS for c in token if c.isalpha()) and any(c.isalpha() for c in token):
        # A word made only of look-alikes: map it when it mixes scripts or uses Latin
        # look-alikes (small capitals); "кто" is a real Russian word and is left alone.
        scripts = {unicodedata.name(c, "").split(" ")[0] for c in token if c.isalpha()}
        if len(scripts) > 1 or "LATIN" in scripts:
            return "".join(HOMOGLYPHS.get(c, c) for c in token)
    return token


def _clean_chars(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cs", "Co", "Cn"):  # zero-width, bidi marks, surrogates, private, unassigned
            continue
        if cat == "Cc":
            out.append(" ")
        elif cat == "Mn":  # combining marks (strikethrough, zalgo, accents)
            continue
        else:
            out.append(ch)
    return "".join(out)


def to_text(value) -> str:
    """Any value to a valid, bounded ``str`` (bytes are decoded as UTF-8 with replacement)."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value[: MAX_CHARS * 4]).decode("utf-8", "replace")
    elif not isinstance(value, str):
        value = str(value)
    value = value[:MAX_CHARS]
    # Lone surrogates (from JSON "\ud800" or bad decoding) cannot be encoded; replace them.
    return value.encode("utf-8", "replace").decode("utf-8", "replace")


def normalize(text, vocab: dict[str, int] | None = None) -> str:
    """Clean one text and undo common obfuscation. Lower-cases (the model is uncased)."""
    try:
        return _normalize(to_text(text), vocabulary() if vocab is None else vocab)
    except Exception:  # never let a strange input stop screening
        return to_text(text).lower()


def _normalize(text: str, vocab) -> str:
    if "&" in text:
        text = html.unescape(text)
    if text.isascii():  # the common case: no Unicode tricks possible, same result, faster
        text = _ASCII_CONTROL_RE.sub(" ", text).lower()
    else:
        text = _EMOJI_RE.sub(lambda m: EMOJI_WORDS[m.group(0)], text)
        text = unicodedata.normalize("NFKC", text)
        text = unicodedata.normalize("NFKD", text)
        text = _clean_chars(text)
        text = unicodedata.normalize("NFC", text).lower()
        text = " ".join(t if t.isascii() else _fold_homoglyphs(t) for t in text.split())
    text = _URL_RE.sub(" url ", text)
    text = _MENTION_RE.sub("@user", text)
    text = _PUNCT_RUN_RE.sub(r"\1\1\1", text)
    text = _SPACED_RE.sub(lambda m: _join_spaced(m, vocab), text)
    words = []
    for token in text.split():
        token = SHORTHAND.get(token, token) if len(token) <= 7 else token
        token = _deleet(token, vocab)
        if _RUN_RE.search(token):
            token = _collapse_runs(token, vocab)
        words.append(token)
    return _WS_RE.sub(" ", " ".join(words)).strip()[:MAX_CHARS]
