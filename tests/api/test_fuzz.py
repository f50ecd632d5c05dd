"""Fuzzing: schemathesis throws generated requests at every operation Rostra describes.

The description is Rostra's own (``rostra/api/openapi.json``, the endpoints the route table
serves), the server is the real one, and the caller holds a bearer token with every scope.
The only check is ``not_a_server_error``: whatever is sent, the answer is never a 5xx.

Each operation is its own test, so each starts from a fresh database with a small world in it
(two people who follow each other, posts, an image, a list, a muted word, notifications).
Every generated request is sent twice: once as generated, and once with its path parameters
swapped for IDs that exist, so the handlers behind the 404s are fuzzed too.

Bounded for CI: a few examples per operation, derandomized (the same requests every run).
``ROSTRA_FUZZ_EXAMPLES`` raises the count for a longer hunt.

Beside schemathesis, three sweeps over every served operation: malformed bodies (not UTF-8,
wrong content types, arrays for strings, multipart without a boundary...) and malformed
queries are client errors, and another person's private things (lists, uploads, muted words,
notifications) are a 404.
"""

import os
import secrets
from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from rostra.accounts import actions as accounts
from rostra.api import openapi as rostra_openapi
from rostra.posts import actions as posts
from tests.helpers import make_user
from tests.images import jpeg_bytes

EXAMPLES = int(os.environ.get("ROSTRA_FUZZ_EXAMPLES", "4"))

schema = schemathesis.openapi.from_path(str(rostra_openapi.DOCUMENT_PATH))


@pytest.fixture
def fast_passwords(settings):
    # Only this process signs people up; the server never checks these passwords (the fuzzer
    # holds a token made here).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(live_rostra, fast_passwords):
    """A small world, a token for alice with every scope, and real IDs for path parameters."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from oauth2_provider.models import AccessToken, Application

    from rostra.accounts.models import KeywordFilter
    from rostra.api.models import ClientApp
    from rostra.timelines.models import Notification

    alice, bob = make_user("alice"), make_user("bob")
    accounts.follow(alice, bob)
    accounts.follow(bob, alice)
    image = posts.upload_media(alice, SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg"), "A square")
    mine = posts.create_post(alice, "Mine #fuzz", media_ids=[image.pk])
    theirs = posts.create_post(bob, "Theirs @alice #fuzz")
    posts.create_post(bob, "An answer", in_reply_to=mine)
    posts.vote(bob, mine)
    accounts.add_keyword_filter(alice, "noise")
    app = Application.objects.create(
        name="Fuzz", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob", client_secret="fuzz-secret", algorithm="",
    )
    ClientApp.objects.create(application=app, scopes="read write follow push")
    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(user=alice.user, application=app, token=token, scope="read write follow push",
                               expires=timezone.now() + timedelta(days=1))
    ids = {
        "statuses": str(theirs.pk),
        "accounts": str(bob.pk),
        "follow_requests": str(bob.pk),
        "media": str(image.pk),
        "notifications": str(getattr(Notification.objects.filter(recipient=alice).first(), "pk", 1)),
        "filters": str(KeywordFilter.objects.filter(account=alice).first().pk),
        "filter_keywords": str(KeywordFilter.objects.filter(account=alice).first().pk),
        "tags": "fuzz",
        "tag": "fuzz",
    }
    try:
        from rostra.timelines.models import List

        ids["lists"] = str(List.objects.create(account=alice, title="Fuzzed").pk)
    except Exception:  # noqa: BLE001  (lists may be modelled differently; fuzz with generated IDs then)
        pass
    ids["list"] = ids.get("lists", "1")
    ids["keywords"] = ids["filters"]
    return {"url": live_rostra.url, "token": token, "ids": ids, "server": live_rostra, "mine": str(mine.pk)}


def _real_path_parameters(case, ids):
    """The case's path parameters as IDs that exist: the segment before each names its kind."""
    if not case.path_parameters:
        return None
    segments = case.operation.path.strip("/").split("/")
    real = {}
    for index, segment in enumerate(segments):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            kind = segments[index - 1] if index else ""
            real[name] = ids.get(kind, ids["statuses"])
    return real


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_no_server_errors(case, seeded):
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    try:
        case.call_and_validate(base_url=seeded["url"], headers=headers, checks=[not_a_server_error], timeout=30)
        real = _real_path_parameters(case, seeded["ids"])
        if real:
            case.path_parameters = {**case.path_parameters, **real}
            case.call_and_validate(base_url=seeded["url"], headers=headers, checks=[not_a_server_error], timeout=30)
    except Exception as failure:  # noqa: BLE001  (schemathesis raises a FailureGroup; add the server's log)
        raise AssertionError(f"{failure}\n--- server log ---\n{seeded['server'].log()[-2500:]}") from None


# Bodies no client should send, for every operation that reads one: each must be answered
# with a client error (or taken as harmless), never a 5xx. Params (rostra/api/http.py) owns this.
MALFORMED = [
    ("application/json", b"\xff\xfe\x00{"),  # not UTF-8
    ("application/json", b"[1, 2, 3]"),  # not an object
    ("application/json", b"[" * 50_000 + b"]" * 50_000),  # nested past the recursion limit
    ("application/json", b'{"status": ["one", "two"], "title": {"a": 1}, "id": [], "limit": 1e999, "description": null}'),
    ("application/json", b'{"media_ids": [{"id": 1}], "account_ids": "12", "keyword": 5, "context": "home", "fields_attributes": "x"}'),
    ("application/json; charset=utf-16", '{"status": "hi"}'.encode("utf-16")),
    ("application/x-www-form-urlencoded", b"status=%FF%FE&title=%00&limit=99999999999999999999999&id[]=-1&media_ids[]=x"),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"status=caf%E9"),
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=status\r\n\r\nhi\r\n--x--\r\n"),  # no boundary
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\nnot an image\r\n--x--\r\n"),
    ("multipart/form-data; boundary=x", b"--x\r\ngarbage without headers"),
    ("text/plain", b"status=hello"),
    ("application/xml", b"<status>hi</status>"),
    ("", b"\x00\x01\x02"),
]


def test_malformed_bodies_are_client_errors_everywhere(seeded):
    import httpx

    served = [s for s in rostra_openapi.served_operations() if s.method in ("post", "put", "patch", "delete")]
    ids = seeded["ids"]
    problems = []
    with httpx.Client(base_url=seeded["url"], headers={"Authorization": f"Bearer {seeded['token']}"}, timeout=30) as http:
        for operation in served:
            segments = operation.path.strip("/").split("/")
            path = "/" + "/".join(
                ids.get(segments[i - 1], ids["statuses"]) if s.startswith("{") else s for i, s in enumerate(segments)
            )
            for content_type, body in MALFORMED:
                headers = {"Content-Type": content_type} if content_type else {}
                response = http.request(operation.method.upper(), path, content=body, headers=headers)
                if response.status_code >= 500:
                    problems.append(f"{operation!r} ({path}) with {content_type or 'no content type'} {body[:40]!r}: {response.status_code}")
                elif response.status_code >= 400 and "application/json" in response.headers.get("content-type", "") and "error" not in response.json():
                    problems.append(f"{operation!r} with {content_type}: {response.status_code} without Mastodon's error shape")
    assert not problems, "\n".join(problems) + "\n--- server log ---\n" + seeded["server"].log()[-3000:]


MALFORMED_QUERIES = [
    "limit=1e999&max_id=abc&since_id=-1&min_id=99999999999999999999999",
    "limit=-5&offset=-1&id[]=x&id[]=99999999999999999999999&acct=%FF%FE&q=%00",
    "q=%FF&type=nothing&types[]=%00&exclude_types[]=&timeline[]=nowhere&only_media=maybe&local[]=1",
    "id=1&id[]=2&id[a]=3&account_id=abc&resolve=true&following=yes&max_id[]=1",
    "access_token=not-a-token-but-a-header-wins",
]


def test_malformed_queries_are_client_errors_everywhere(seeded):
    import httpx

    ids = seeded["ids"]
    problems = []
    with httpx.Client(base_url=seeded["url"], headers={"Authorization": f"Bearer {seeded['token']}"}, timeout=30) as http:
        for operation in rostra_openapi.served_operations():
            if operation.method != "get" or operation.path.startswith("/oauth/"):
                continue
            segments = operation.path.strip("/").split("/")
            path = "/" + "/".join(
                ids.get(segments[i - 1], ids["statuses"]) if s.startswith("{") else s for i, s in enumerate(segments)
            )
            for query in MALFORMED_QUERIES:
                response = http.get(f"{path}?{query}")
                if response.status_code >= 500:
                    problems.append(f"{operation!r} ({path}?{query}): {response.status_code}")
    assert not problems, "\n".join(problems) + "\n--- server log ---\n" + seeded["server"].log()[-3000:]


def test_nobody_reads_or_changes_anothers_private_things(seeded):
    """Lists, uploads, muted words and notifications are their owner's: another's ID is a 404."""
    import httpx
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rostra.accounts.models import Account, KeywordFilter
    from rostra.timelines.models import List, Notification

    bob = Account.objects.get(username="bob")
    alice = Account.objects.get(username="alice")
    posts.create_post(alice, "@bob a mention for bob")
    accounts.add_keyword_filter(bob, "bobs word")
    theirs = {
        "lists": str(List.objects.create(account=bob, title="Bob's").pk),
        "media": str(posts.upload_media(bob, SimpleUploadedFile("b.jpg", jpeg_bytes(), content_type="image/jpeg")).pk),
        "filters": str(KeywordFilter.objects.filter(account=bob).first().pk),
        "notifications": str(Notification.objects.filter(recipient=bob).first().pk),
    }
    theirs["filter_keywords"] = theirs["keywords"] = theirs["filters"]
    theirs["list"] = theirs["lists"]
    problems = []
    with httpx.Client(base_url=seeded["url"], headers={"Authorization": f"Bearer {seeded['token']}"}, timeout=30) as http:
        for operation in rostra_openapi.served_operations():
            segments = operation.path.strip("/").split("/")
            kinds = [segments[i - 1] for i, s in enumerate(segments) if s.startswith("{")]
            if not kinds or kinds[-1] not in theirs:
                continue
            path = "/" + "/".join(theirs[segments[i - 1]] if s.startswith("{") else s for i, s in enumerate(segments))
            form = {"title": "mine now", "description": "mine", "keyword": "mine", "account_ids[]": str(bob.pk)}
            if operation.method in ("get", "delete"):
                response = http.request(operation.method.upper(), path, params=form)
            else:
                response = http.request(operation.method.upper(), path, data=form)
            if response.status_code not in (403, 404):
                problems.append(f"{operation!r} on bob's {kinds[-1]} as alice: {response.status_code} {response.text[:120]}")
    assert not problems, "\n".join(problems)
