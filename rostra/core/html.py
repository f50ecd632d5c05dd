"""Turning what people type into safe HTML.

Posts are stored as the plain text their author typed; the HTML shown anywhere is built here
from that text (links, #hashtags and @mentions become anchors, everything else is escaped) and
then passed through nh3 as a second wall, so no field can carry script into a page.
"""

import re
import unicodedata
from html import escape

import nh3

HASHTAG_RE = r"(?<![\w/&#])#(?P<tag>\w*[^\W\d_]\w*)"
MENTION_RE = (
    r"(?<![\w/@])@(?P<user>[A-Za-z0-9_]{1,30})"
    r"(?:@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d{1,5})?))?(?![\w@])"
)
URL_RE = r"(?P<url>\bhttps?://[^\s<>\"'\u00a0]+)"
TOKEN_RE = re.compile("|".join((URL_RE, HASHTAG_RE, MENTION_RE)))
TRAILING_PUNCTUATION = ".,:;!?'\")]}"

ALLOWED_TAGS = {"p", "br", "a", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "target", "translate"}, "span": {"class"}}
MAX_HASHTAG_LENGTH = 64


def clean_text(text):
    """Normalise text from any source: NFC, no control characters but newlines and tabs."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Co"})


def sanitize(html):
    """nh3 with Rostra's allow-list; links always get rel=nofollow noopener."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )


def extract_hashtags(text):
    """Lower-cased hashtag names in order of first appearance, without duplicates."""
    seen = []
    for match in TOKEN_RE.finditer(text or ""):
        tag = match.group("tag")
        if tag and len(tag) <= MAX_HASHTAG_LENGTH:
            tag = tag.lower()
            if tag not in seen:
                seen.append(tag)
    return seen


def extract_mentions(text):
    """(username, domain or None) pairs mentioned in the text, without duplicates."""
    seen = []
    for match in TOKEN_RE.finditer(text or ""):
        user = match.group("user")
        if user:
            key = (user.lower(), (match.group("domain") or "").lower() or None)
            if key not in seen:
                seen.append(key)
    return seen


def _split_url(url):
    trail = ""
    while url and url[-1] in TRAILING_PUNCTUATION:
        # Keep a closing bracket that closes one opened inside the URL (Wikipedia links).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        trail = url[-1] + trail
        url = url[:-1]
    return url, trail


def _display_url(url):
    shown = re.sub(r"^https?://(www\.)?", "", url)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def render_text(text, mention_urls=None):
    """The post's HTML: paragraphs, line breaks and anchors, sanitised.

    ``mention_urls`` maps a lower-cased (username, domain) pair to the profile URL of an
    account that exists; a mention of nobody stays plain text.
    """
    mention_urls = mention_urls or {}
    out = []
    pos = 0
    text = clean_text(text)
    for match in TOKEN_RE.finditer(text):
        out.append(escape(text[pos : match.start()]))
        pos = match.end()
        if match.group("url"):
            url, trail = _split_url(match.group("url"))
            out.append(
                f'<a href="{escape(url)}" target="_blank" translate="no">'
                f"{escape(_display_url(url))}</a>{escape(trail)}"
            )
        elif match.group("tag"):
            tag = match.group("tag")
            if len(tag) > MAX_HASHTAG_LENGTH:
                out.append(escape(match.group(0)))
            else:
                out.append(f'<a href="/tags/{escape(tag.lower())}" class="hashtag">#{escape(tag)}</a>')
        else:
            user, domain = match.group("user"), match.group("domain")
            url = mention_urls.get((user.lower(), (domain or "").lower() or None))
            if url:
                out.append(f'<a href="{escape(url)}" class="mention">@{escape(user)}</a>')
            else:
                out.append(escape(match.group(0)))
    out.append(escape(text[pos:]))
    body = "".join(out).strip()
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", body) if p.strip()]
    return sanitize("".join(f"<p>{p}</p>" for p in paragraphs))


def html_to_text(html):
    """Plain text from sanitised HTML, for search and previews."""
    text = re.sub(r"<br\s*/?>", "\n", html or "")
    text = re.sub(r"</p>\s*<p>", "\n\n", text)
    text = nh3.clean(text, tags=set())
    from html import unescape

    return unescape(text).strip()
