"""Every endpoint Rostra serves answers what the Mastodon API description says it answers.

The real server is driven over HTTP with a small world (people who follow, block and mute
each other, posts with images, replies, echoes and quotes, votes, bookmarks, notifications,
lists, filters) and each response is validated with openapi-core against the Mastodon
OpenAPI description (``../shared/specs/mastodon-openapi/schema.json``, Mastodon 4.7), for the
fields a Mastodon 4.3 server sends: see ``RELAXED`` for the few 4.7-only fields the check
does not insist on, and why.

Each test names the operations it checks with ``@covers(...)``; the test fails unless each of
them was answered 2xx and validated during it. ``test_every_served_endpoint_has_a_contract_check``
fails when the route table serves an operation no test covers, so a new endpoint cannot
slip by. ``test_the_committed_openapi_document_matches_the_route_table`` keeps
``rostra/api/openapi.json`` (the server's own description) in step with the route table.
"""

import copy
import json
import secrets
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from rostra.accounts import actions as accounts
from rostra.api import openapi as rostra_openapi
from rostra.posts import actions as posts
from tests.helpers import eventually, make_user
from tests.images import jpeg_bytes

REPO = Path(__file__).resolve().parents[2]
MASTODON_SPEC = REPO / ".." / "shared" / "specs" / "mastodon-openapi" / "schema.json"

ALL_SCOPES = "read write follow push"

# Fields the Mastodon 4.7 description marks required that Rostra need not send ({schema:
# {field: why}}). Empty: Rostra sends every field the description requires, newer ones too
# (``Instance.api_versions``, ``Tag.id``, ``Notification.group_key``, ``Account.indexable``...).
RELAXED = {}

# Served operations that are not JSON a Mastodon description covers, and where they are tested.
NOT_CHECKED_HERE = {
    ("get", "/oauth/authorize"): "an HTML consent page; tests/api/test_oauth.py follows it",
}


def covers(*operations):
    """Name the operations (``"GET /api/v1/statuses/{id}"``) a test validates."""

    def mark(func):
        func.covers = tuple(operations)
        return func

    return mark


# Where the description is stricter than Mastodon 4.3 itself: (schema, property path), why.
LOOSENED_FORMATS = {
    ("Instance", ("contact", "email")): "Mastodon sends its site_contact_email setting, '' when unset",
    ("V1Instance", ("email",)): "Mastodon sends its site_contact_email setting, '' when unset",
}


def _relaxed_spec(spec, base_url):
    spec = rostra_openapi.correct(copy.deepcopy(spec))
    spec["servers"] = [{"url": base_url}]
    schemas = spec["components"]["schemas"]
    for name, fields in RELAXED.items():
        required = schemas[name].get("required")
        if required:
            schemas[name]["required"] = [field for field in required if field not in fields]
    for (name, path), _why in LOOSENED_FORMATS.items():
        node = schemas[name]
        for part in path:
            node = node["properties"][part]
        node.pop("format", None)
    # Rostra's own endpoints are checked against Rostra's own description of them, old names
    # against the operation they are another name for.
    for (path, method), operation in rostra_openapi.EXTRA_OPERATIONS.items():
        spec["paths"].setdefault(path, {})[method] = copy.deepcopy(operation)
    for (path, method), (alias_path, alias_method) in rostra_openapi.ALIASES.items():
        spec["paths"].setdefault(path, {})[method] = copy.deepcopy(spec["paths"][alias_path][alias_method])
    return spec


def key_of(method, path):
    """``"GET /api/v1/accounts/{}"``: an operation, whatever its parameters are called."""
    return f"{method.upper()} {rostra_openapi.shape(path)}"


@pytest.fixture(scope="session")
def mastodon_spec():
    if not MASTODON_SPEC.exists():
        pytest.fail(f"The Mastodon OpenAPI description is missing: {MASTODON_SPEC}")
    return json.loads(MASTODON_SPEC.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def validator(mastodon_spec, live_rostra):
    # The generated description does not pass the spec validator itself (an integer whose
    # default is "null"), which says nothing about responses; skip that check.
    return OpenAPI.from_dict(_relaxed_spec(mastodon_spec, live_rostra.url), config=Config(spec_validator_cls=None))


class _Request:
    def __init__(self, request, base_url, pattern):
        self.method = request.method.lower()
        self.host_url = base_url
        self.path = request.url.path
        self.path_pattern = pattern
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = request.headers.get("content-type", "")
        try:
            self.body = request.content
        except httpx.RequestNotRead:  # a multipart upload, streamed
            self.body = b""


class _Response:
    def __init__(self, response):
        self.status_code = response.status_code
        self.data = response.content
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))


def _leaves(error, depth=0):
    """The innermost reasons of a schema error (oneOf/anyOf keep theirs in ``context``)."""
    if not error.context or depth > 8:
        yield error
        return
    for sub in error.context:
        yield from _leaves(sub, depth + 1)


def _describe(error):
    cause = error.__cause__ or error
    lines = [str(error)[:200]]
    for item in getattr(cause, "schema_errors", ()) or ():
        lines.append(f"  at {item.json_path}: {item.message[:200]}")
        leaves = sorted(_leaves(item), key=lambda e: -len(e.absolute_path))
        for leaf in leaves[:8]:
            if leaf is not item:
                lines.append(f"    because at {leaf.json_path}: {leaf.message[:200]}")
    return "\n".join(lines)


class Contract:
    """Sends requests and validates every answer against the Mastodon description."""

    def __init__(self, validator, server, served, spec_paths):
        self.validator = validator
        self.server = server
        self.served = served
        self.by_shape = {rostra_openapi.shape(path): path for path in spec_paths}
        self.checked = {}  # "GET /path/{id}" -> statuses seen

    def operation(self, method, path):
        for served in self.served:
            if served.method == method.lower() and served.regex.match(path):
                return served
        return None

    def __call__(self, http, method, url, *, expect=200, **kwargs):
        response = http.request(method, url, **kwargs)
        if response.status_code >= 500:
            raise AssertionError(f"{method} {url}: {response.status_code}\n{self.server.log()[-3000:]}")
        if expect is not None:
            assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text[:600]}"
        self.validate(response)
        return response

    def validate(self, response):
        request = response.request
        served = self.operation(request.method, request.url.path)
        assert served is not None, f"{request.method} {request.url.path} is not served by Rostra"
        pattern = self.by_shape.get(rostra_openapi.shape(served.path), served.path)
        key = key_of(served.method, served.path)
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("error"), str), f"{key}: error without Mastodon's shape: {body}"
        try:
            self.validator.validate_response(_Request(request, self.server.url, pattern), _Response(response))
        except Exception as error:  # noqa: BLE001  (the message is the point)
            if response.status_code >= 400 and type(error).__name__ == "ResponseNotFound":
                # An error status the description does not list for this operation: the shape
                # ({"error": ...}) was checked above.
                pass
            else:
                raise AssertionError(f"{key} answered {response.status_code} against the description:\n{_describe(error)}\n{response.text[:800]}") from None
        self.checked.setdefault(key, set()).add(response.status_code)
        return response

    def get(self, http, url, **kwargs):
        return self(http, "GET", url, **kwargs)

    def post(self, http, url, **kwargs):
        return self(http, "POST", url, **kwargs)

    def put(self, http, url, **kwargs):
        return self(http, "PUT", url, **kwargs)

    def patch(self, http, url, **kwargs):
        return self(http, "PATCH", url, **kwargs)

    def delete(self, http, url, **kwargs):
        return self(http, "DELETE", url, **kwargs)


@pytest.fixture(scope="session")
def served():
    return rostra_openapi.served_operations()


@pytest.fixture
def check(request, validator, live_rostra, served, mastodon_spec):
    """The contract checker; afterwards, each operation the test ``covers`` was validated 2xx."""
    declared = [key_of(*key.split(" ", 1)) for key in getattr(request.function, "covers", ())]
    served_keys = {key_of(s.method, s.path) for s in served}
    for key in declared:
        if key not in served_keys:
            pytest.skip(f"{key} is not served (yet)")
    extra_paths = [p for p, _ in rostra_openapi.EXTRA_OPERATIONS] + [p for p, _ in rostra_openapi.ALIASES]
    contract = Contract(validator, live_rostra, served, list(mastodon_spec["paths"]) + extra_paths)
    failed_before = request.session.testsfailed
    yield contract
    if request.session.testsfailed != failed_before or request.node.get_closest_marker("xfail"):
        return  # the test itself failed (or is a known defect); that says enough
    missing = [key for key in declared if not any(200 <= code < 300 for code in contract.checked.get(key, ()))]
    assert not missing, f"covered but never validated with a 2xx answer: {missing}"


# --- the world ------------------------------------------------------------------------------


class World:
    """alice, bob, carol and dave (locked), what they wrote and did, and a token for each."""

    def __init__(self, server):
        self.server = server
        self.clients = []

    def http(self, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.server.url, headers=headers, timeout=30, follow_redirects=False, **kwargs)
        self.clients.append(client)
        return client

    def close(self):
        for client in self.clients:
            client.close()


def make_token(account, application, scopes=ALL_SCOPES):
    from oauth2_provider.models import AccessToken

    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(
        user=account.user, application=application, token=token, scope=scopes, expires=timezone.now() + timedelta(days=1)
    )
    return token


def upload(account, description="A red square on white"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return posts.upload_media(account, SimpleUploadedFile("red.jpg", jpeg_bytes(), content_type="image/jpeg"), description)


@pytest.fixture
def world(live_rostra, db):
    from oauth2_provider.models import Application

    from rostra.api.models import ClientApp

    w = World(live_rostra)
    w.alice = make_user("alice", display_name="Alice A.", bio="I write about #gardens", links=[["Site", "https://alice.example"]])
    w.bob = make_user("bob", display_name="Bob")
    w.carol = make_user("carol")
    w.dave = make_user("dave", locked=True)
    app = Application.objects.create(
        name="Contract",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        client_secret="contract-secret",
        algorithm="",
    )
    ClientApp.objects.create(application=app, scopes=ALL_SCOPES, website="https://contract.example")
    w.app = app
    for name in ("alice", "bob", "carol", "dave"):
        setattr(w, f"{name}_token", make_token(getattr(w, name), app))
        setattr(w, f"as_{name}", w.http(getattr(w, f"{name}_token")))
    w.anonymous = w.http()

    accounts.follow(w.alice, w.bob)
    accounts.follow(w.bob, w.alice)
    accounts.follow(w.carol, w.alice)
    accounts.follow(w.carol, w.bob)
    accounts.follow(w.alice, w.dave)  # a request: dave is locked
    accounts.follow(w.bob, w.dave)

    w.image = upload(w.bob)
    w.post = posts.create_post(w.bob, "Hello #rostra, @alice! Our garden grew.", media_ids=[w.image.pk], language="en")
    w.reply = posts.create_post(w.alice, "@bob What a garden!", in_reply_to=w.post)
    w.answer = posts.create_post(w.bob, "@alice Thank you", in_reply_to=w.reply)
    w.echo = posts.echo(w.carol, w.post)
    w.quote = posts.echo(w.carol, w.post, text="Look at this garden #rostra")
    w.warned = posts.create_post(w.alice, "The ending of the book", spoiler_text="Book spoilers")
    w.quiet = posts.create_post(w.alice, "Only for followers", visibility="followers")
    w.unlisted = posts.create_post(w.alice, "Not on the public timeline", visibility="unlisted")
    posts.edit_post(w.alice, w.warned, "The ending of the book, edited")
    posts.vote(w.alice, w.post)
    posts.vote(w.carol, w.post)
    posts.vote(w.bob, w.reply)
    posts.bookmark(w.alice, w.post)
    accounts.mute(w.alice, w.carol)
    accounts.block(w.bob, w.dave)
    accounts.add_keyword_filter(w.alice, "spoilers")
    from rostra.timelines.models import Notification

    eventually(lambda: Notification.objects.filter(recipient=w.bob).count() >= 4)
    yield w
    w.close()


def ids(response):
    return [item["id"] for item in response.json()]


# --- OAuth and apps -----------------------------------------------------------------------


@covers("POST /api/v1/apps", "GET /api/v1/apps/verify_credentials", "POST /oauth/token", "POST /oauth/revoke",
        "GET /.well-known/oauth-authorization-server")
def test_apps_and_tokens(check, world):
    anonymous = world.anonymous
    app = check.post(anonymous, "/api/v1/apps", data={"client_name": "Contract app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow", "website": "https://c.example"}).json()
    check.post(anonymous, "/api/v1/apps", json={"client_name": "Jason", "redirect_uris": ["com.example.app:/callback"]})
    check.post(anonymous, "/api/v1/apps", data={"client_name": "x"}, expect=422)
    token = check.post(anonymous, "/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": "alice", "password": "a long test password 42", "scope": "read write",
    }).json()
    assert token["token_type"].lower() == "bearer" and set(token["scope"].split()) == {"read", "write"}
    app_only = check.post(anonymous, "/oauth/token", data={"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read"}).json()
    with world.http(app_only["access_token"]) as as_app:
        assert check.get(as_app, "/api/v1/apps/verify_credentials").json()["name"] == "Contract app"
    check.post(anonymous, "/oauth/token", data={"grant_type": "password", "client_id": app["client_id"], "client_secret": "wrong", "username": "alice", "password": "x"}, expect=None)
    check.post(anonymous, "/oauth/revoke", data={"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token["access_token"]})
    metadata = check.get(anonymous, "/.well-known/oauth-authorization-server").json()
    assert metadata["token_endpoint"].endswith("/oauth/token")


# --- instance -----------------------------------------------------------------------------


@covers("GET /api/v1/instance", "GET /api/v2/instance", "GET /api/v1/instance/rules", "GET /api/v1/instance/peers",
        "GET /api/v1/instance/activity", "GET /api/v1/custom_emojis")
def test_instance(check, world):
    for http in (world.anonymous, world.as_alice):
        v2 = check.get(http, "/api/v2/instance").json()
        assert v2["version"].startswith("4.3.0 (compatible; Rostra ")
        check.get(http, "/api/v1/instance/")
    rules = check.get(world.anonymous, "/api/v1/instance/rules").json()
    assert rules and all(rule["text"] for rule in rules)
    check.get(world.anonymous, "/api/v1/instance/peers")
    check.get(world.anonymous, "/api/v1/instance/activity")
    check.get(world.anonymous, "/api/v1/custom_emojis")


@covers("GET /api/v1/instance/extended_description")
def test_extended_description(check, world):
    # Mastodon always sends updated_at (a datetime string).
    check.get(world.anonymous, "/api/v1/instance/extended_description")


@covers("GET /api/v1/announcements", "GET /api/v1/preferences")
def test_announcements_and_preferences(check, world):
    check.get(world.as_alice, "/api/v1/announcements")
    check.get(world.anonymous, "/api/v1/announcements", expect=401)
    prefs = check.get(world.as_alice, "/api/v1/preferences").json()
    assert prefs["posting:default:visibility"] in ("public", "unlisted", "private", "direct")


@covers("GET /.well-known/nodeinfo", "GET /nodeinfo/2.0")
def test_nodeinfo(check, world):
    links = check.get(world.anonymous, "/.well-known/nodeinfo").json()
    assert links["links"][0]["href"] == f"{world.server.url}/nodeinfo/2.0"
    assert check.get(world.anonymous, "/nodeinfo/2.0").json()["software"]["name"] == "rostra"


@covers("GET /api/openapi.json")
def test_the_openapi_document_is_served_with_this_servers_url(check, world):
    document = check.get(world.anonymous, "/api/openapi.json").json()
    assert document["servers"][0]["url"] == world.server.url
    assert document["paths"] == rostra_openapi.committed()["paths"]


def test_the_openapi_view_serves_the_committed_document(rf):
    response = rostra_openapi.document_view(rf.get("/api/openapi.json"))
    document = json.loads(response.content)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert document["servers"] == [{"url": "http://testserver", "description": "This Rostra server"}]
    assert document["paths"] == rostra_openapi.committed()["paths"]
    assert document["info"]["license"]["name"] == "GFDL-1.3"


# --- accounts -----------------------------------------------------------------------------


@covers("GET /api/v1/accounts/verify_credentials")
def test_verify_credentials(check, world):
    me = check.get(world.as_alice, "/api/v1/accounts/verify_credentials").json()
    assert me["username"] == "alice" and me["display_name"] == "Alice A."
    assert me["source"]["note"] == "I write about #gardens"
    assert me["fields"][0]["name"] == "Site"
    assert me["following_count"] == 1 and me["followers_count"] == 2
    check.get(world.anonymous, "/api/v1/accounts/verify_credentials", expect=401)


@covers("PATCH /api/v1/accounts/update_credentials")
def test_update_credentials(check, world):
    changed = check.patch(
        world.as_alice,
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Alice Again", "note": "New bio", "locked": "true",
              "fields_attributes[0][name]": "Blog", "fields_attributes[0][value]": "https://blog.example"},
        files={"avatar": ("me.jpg", jpeg_bytes(size=(120, 120)), "image/jpeg")},
    ).json()
    assert changed["display_name"] == "Alice Again" and changed["locked"] is True
    assert changed["fields"][0]["name"] == "Blog" and changed["source"]["note"] == "New bio"
    assert "avatar-missing" not in changed["avatar"]
    assert httpx.get(changed["avatar"], timeout=20).headers["content-type"].startswith("image/")
    check.patch(world.as_alice, "/api/v1/accounts/update_credentials", json={"note": "As JSON"})


@covers("POST /api/v1/accounts")
def test_registration(check, world):
    app = check.post(world.anonymous, "/api/v1/apps", data={"client_name": "Signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}).json()
    app_token = httpx.post(f"{world.server.url}/oauth/token", data={"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read write"}).json()["access_token"]
    with world.http(app_token) as as_app:
        token = check.post(as_app, "/api/v1/accounts", data={"username": "erin", "email": "erin@example.org", "password": "a long erin password 7", "agreement": "true", "locale": "en"}).json()
        assert token["access_token"]
        check.post(as_app, "/api/v1/accounts", data={"username": "erin", "email": "erin2@example.org", "password": "a long erin password 7", "agreement": "true", "locale": "en"}, expect=422)


@covers("GET /api/v1/accounts/{id}", "GET /api/v1/accounts/lookup", "GET /api/v1/accounts/search")
def test_account_lookup_and_search(check, world):
    bob = check.get(world.anonymous, f"/api/v1/accounts/{world.bob.pk}").json()
    assert bob["acct"] == "bob" and bob["statuses_count"] >= 2
    check.get(world.anonymous, "/api/v1/accounts/999999999", expect=404)
    assert check.get(world.anonymous, "/api/v1/accounts/lookup", params={"acct": "alice"}).json()["id"] == str(world.alice.pk)
    check.get(world.anonymous, "/api/v1/accounts/lookup", params={"acct": "nobody"}, expect=404)
    found = check.get(world.as_alice, "/api/v1/accounts/search", params={"q": "bo", "limit": 5}).json()
    assert "bob" in [a["username"] for a in found]


@covers("GET /api/v1/accounts/{id}/statuses")
def test_account_statuses(check, world):
    url = f"/api/v1/accounts/{world.bob.pk}/statuses"
    everything = check.get(world.as_alice, url).json()
    assert str(world.post.pk) in [s["id"] for s in everything]
    media_only = check.get(world.as_alice, url, params={"only_media": "true"}).json()
    assert [s["id"] for s in media_only] == [str(world.post.pk)]
    assert media_only[0]["media_attachments"][0]["description"] == "A red square on white"
    no_replies = check.get(world.as_alice, url, params={"exclude_replies": "true"}).json()
    assert str(world.answer.pk) not in [s["id"] for s in no_replies]
    carol = check.get(world.anonymous, f"/api/v1/accounts/{world.carol.pk}/statuses").json()
    assert any(s["reblog"] for s in carol) and any(s.get("quote") for s in carol)
    check.get(world.anonymous, f"/api/v1/accounts/{world.carol.pk}/statuses", params={"exclude_reblogs": "true"})
    check.get(world.anonymous, url, params={"pinned": "true"})
    check.get(world.anonymous, url, params={"limit": 1, "max_id": str(world.answer.pk)})


@covers("GET /api/v1/accounts/{id}/followers", "GET /api/v1/accounts/{id}/following")
def test_followers_and_following(check, world):
    followers = check.get(world.as_bob, f"/api/v1/accounts/{world.alice.pk}/followers").json()
    assert {a["username"] for a in followers} == {"bob", "carol"}
    following = check.get(world.anonymous, f"/api/v1/accounts/{world.carol.pk}/following", params={"limit": 1})
    assert len(following.json()) == 1


@covers("POST /api/v1/accounts/{id}/follow", "POST /api/v1/accounts/{id}/unfollow", "GET /api/v1/accounts/relationships")
def test_follow_unfollow_and_relationships(check, world):
    rel = check.post(world.as_carol, f"/api/v1/accounts/{world.dave.pk}/follow").json()
    assert rel["requested"] is True and rel["following"] is False
    rel = check.post(world.as_alice, f"/api/v1/accounts/{world.bob.pk}/unfollow").json()
    assert rel["following"] is False and rel["followed_by"] is True
    rel = check.post(world.as_alice, f"/api/v1/accounts/{world.bob.pk}/follow", data={"reblogs": "true"}).json()
    assert rel["following"] is True
    rels = check.get(world.as_alice, "/api/v1/accounts/relationships", params=[("id[]", world.bob.pk), ("id[]", world.carol.pk), ("id[]", world.dave.pk)]).json()
    by_id = {r["id"]: r for r in rels}
    assert by_id[str(world.carol.pk)]["muting"] is True and by_id[str(world.dave.pk)]["requested"] is True
    check.post(world.as_alice, "/api/v1/accounts/999999999/follow", expect=404)


@covers("POST /api/v1/accounts/{id}/block", "POST /api/v1/accounts/{id}/unblock", "GET /api/v1/blocks")
def test_blocks(check, world):
    assert check.post(world.as_alice, f"/api/v1/accounts/{world.dave.pk}/block").json()["blocking"] is True
    assert {a["username"] for a in check.get(world.as_alice, "/api/v1/blocks").json()} == {"dave"}
    assert check.post(world.as_alice, f"/api/v1/accounts/{world.dave.pk}/unblock").json()["blocking"] is False


@covers("POST /api/v1/accounts/{id}/mute", "POST /api/v1/accounts/{id}/unmute", "GET /api/v1/mutes")
def test_mutes(check, world):
    assert check.post(world.as_alice, f"/api/v1/accounts/{world.bob.pk}/mute", data={"notifications": "false"}).json()["muting"] is True
    assert {a["username"] for a in check.get(world.as_alice, "/api/v1/mutes").json()} == {"bob", "carol"}
    assert check.post(world.as_alice, f"/api/v1/accounts/{world.bob.pk}/unmute").json()["muting"] is False


@covers("GET /api/v1/follow_requests", "POST /api/v1/follow_requests/{account_id}/authorize",
        "POST /api/v1/follow_requests/{account_id}/reject")
def test_follow_requests(check, world):
    waiting = check.get(world.as_dave, "/api/v1/follow_requests").json()
    assert {a["username"] for a in waiting} == {"alice"}  # dave blocked bob, which ended bob's request
    rel = check.post(world.as_dave, f"/api/v1/follow_requests/{world.alice.pk}/authorize").json()
    assert rel["followed_by"] is True
    accounts.follow(world.carol, world.dave)
    assert check.post(world.as_dave, f"/api/v1/follow_requests/{world.carol.pk}/reject").json()["followed_by"] is False


@covers("GET /api/v1/bookmarks", "GET /api/v1/favourites")
def test_bookmarks_and_favourites(check, world):
    assert ids(check.get(world.as_alice, "/api/v1/bookmarks")) == [str(world.post.pk)]
    assert ids(check.get(world.as_alice, "/api/v1/favourites")) == [str(world.post.pk)]
    check.get(world.as_bob, "/api/v1/favourites", params={"limit": 1})


# --- statuses -----------------------------------------------------------------------------


@covers("POST /api/v1/statuses", "POST /api/v1/media", "POST /api/v2/media", "PUT /api/v1/media/{id}", "GET /api/v1/media/{id}")
def test_posting_with_media(check, world):
    v2 = check.post(world.as_alice, "/api/v2/media", files={"file": ("a.jpg", jpeg_bytes(), "image/jpeg")}, data={"description": "A red square"}, expect=None)
    assert v2.status_code in (200, 202), v2.text
    v1 = check.post(world.as_alice, "/api/v1/media", files={"file": ("b.jpg", jpeg_bytes(color=(0, 0, 200)), "image/jpeg")}).json()
    described = check.put(world.as_alice, f"/api/v1/media/{v1['id']}", data={"description": "A blue square"}).json()
    assert described["description"] == "A blue square"
    check(world.as_alice, "GET", f"/api/v1/media/{v1['id']}", expect=None)
    status = check.post(world.as_alice, "/api/v1/statuses", data={
        "status": "Two squares #art", "media_ids[]": [v2.json()["id"], v1["id"]], "sensitive": "true",
        "spoiler_text": "colours", "visibility": "unlisted", "language": "en",
    }, headers={"Idempotency-Key": "squares-1"}).json()
    assert [m["description"] for m in status["media_attachments"]] == ["A red square", "A blue square"]
    assert status["visibility"] == "unlisted" and status["sensitive"] is True and status["spoiler_text"] == "colours"
    again = check.post(world.as_alice, "/api/v1/statuses", data={"status": "Two squares #art"}, headers={"Idempotency-Key": "squares-1"}).json()
    assert again["id"] == status["id"]
    reply = check.post(world.as_bob, "/api/v1/statuses", json={"status": "@alice nice", "in_reply_to_id": status["id"]}).json()
    assert reply["in_reply_to_id"] == status["id"]
    quote = check.post(world.as_bob, "/api/v1/statuses", data={"status": "Quoting", "quoted_status_id": str(world.post.pk)}).json()
    assert quote["quote"]["quoted_status"]["id"] == str(world.post.pk)
    check.post(world.as_bob, "/api/v1/statuses", data={"status": ""}, expect=422)
    check.post(world.as_bob, "/api/v1/statuses", data={"status": "x", "visibility": "everyone"}, expect=422)


@covers("GET /api/v1/statuses/{id}", "GET /api/v1/statuses", "GET /api/v1/statuses/{id}/context")
def test_reading_statuses(check, world):
    post = check.get(world.anonymous, f"/api/v1/statuses/{world.post.pk}").json()
    assert post["media_attachments"][0]["type"] == "image" and post["favourites_count"] == 2
    assert post["tags"][0]["name"] == "rostra" and post["mentions"][0]["username"] == "alice"
    mine = check.get(world.as_alice, f"/api/v1/statuses/{world.post.pk}").json()
    assert mine["favourited"] is True and mine["bookmarked"] is True
    echo = check.get(world.as_alice, f"/api/v1/statuses/{world.echo.pk}").json()
    assert echo["reblog"]["id"] == str(world.post.pk)
    check.get(world.anonymous, f"/api/v1/statuses/{world.quiet.pk}", expect=404)
    check.get(world.as_bob, f"/api/v1/statuses/{world.quiet.pk}")
    check.get(world.anonymous, "/api/v1/statuses/not-an-id", expect=404)
    many = check.get(world.as_bob, "/api/v1/statuses", params=[("id[]", world.post.pk), ("id[]", world.reply.pk)]).json()
    assert {s["id"] for s in many} == {str(world.post.pk), str(world.reply.pk)}
    context = check.get(world.anonymous, f"/api/v1/statuses/{world.reply.pk}/context").json()
    assert ids_of(context["ancestors"]) == [str(world.post.pk)] and ids_of(context["descendants"]) == [str(world.answer.pk)]


@covers("GET /api/v1/statuses/{id}", "POST /api/v1/statuses")
def test_moderation_shows_through_the_api(check, world):
    from rostra.posts.models import PostState

    posts.unpublish(world.reply, state=PostState.HELD)
    held = check.get(world.as_alice, f"/api/v1/statuses/{world.reply.pk}").json()
    assert held["rostra"] == {"state": "held"}
    check.get(world.as_bob, f"/api/v1/statuses/{world.reply.pk}", expect=404)
    check.get(world.anonymous, f"/api/v1/statuses/{world.reply.pk}", expect=404)
    assert str(world.reply.pk) not in ids(check.get(world.as_bob, "/api/v1/timelines/home")) if check.operation("GET", "/api/v1/timelines/home") else True
    check.post(world.as_alice, "/api/v1/statuses", data={"status": "A quiet afternoon in the garden"})
    threat = check.post(world.as_bob, "/api/v1/statuses", data={"status": "I will find you and kill you, you are dead tomorrow"}, expect=None)
    if threat.status_code == 422:
        assert "rejected" in threat.json()["error"]
    else:
        assert threat.status_code == 200 and threat.json().get("rostra", {}).get("state") in ("held", "pending", None)


def ids_of(items):
    return [item["id"] for item in items]


@covers("PUT /api/v1/statuses/{id}", "GET /api/v1/statuses/{id}/history", "GET /api/v1/statuses/{id}/source",
        "DELETE /api/v1/statuses/{id}")
def test_editing_and_deleting(check, world):
    source = check.get(world.as_alice, f"/api/v1/statuses/{world.warned.pk}/source").json()
    assert source["text"] == "The ending of the book, edited" and source["spoiler_text"] == "Book spoilers"
    edited = check.put(world.as_alice, f"/api/v1/statuses/{world.warned.pk}", data={"status": "The ending, again", "spoiler_text": "Spoilers"}).json()
    assert edited["edited_at"] and edited["spoiler_text"] == "Spoilers"
    history = check.get(world.anonymous, f"/api/v1/statuses/{world.warned.pk}/history").json()
    assert len(history) >= 2
    # Mastodon answers 404 for another's status (it looks among the caller's own).
    check.put(world.as_bob, f"/api/v1/statuses/{world.warned.pk}", data={"status": "not mine"}, expect=404)
    check.get(world.as_bob, f"/api/v1/statuses/{world.warned.pk}/source", expect=404)
    check.delete(world.as_bob, f"/api/v1/statuses/{world.warned.pk}", expect=404)
    deleted = check.delete(world.as_alice, f"/api/v1/statuses/{world.warned.pk}").json()
    assert deleted["text"] == "The ending, again"
    check.get(world.as_alice, f"/api/v1/statuses/{world.warned.pk}", expect=404)


@covers("POST /api/v1/statuses/{id}/favourite", "POST /api/v1/statuses/{id}/unfavourite",
        "GET /api/v1/statuses/{id}/favourited_by")
def test_favourites(check, world):
    assert check.post(world.as_bob, f"/api/v1/statuses/{world.quote.pk}/favourite").json()["favourited"] is True
    voters = check.get(world.anonymous, f"/api/v1/statuses/{world.post.pk}/favourited_by").json()
    assert {a["username"] for a in voters} == {"alice", "carol"}
    assert check.post(world.as_alice, f"/api/v1/statuses/{world.post.pk}/unfavourite").json()["favourited"] is False


@covers("POST /api/v1/statuses/{id}/reblog", "POST /api/v1/statuses/{id}/unreblog", "GET /api/v1/statuses/{id}/reblogged_by")
def test_reblogs(check, world):
    echo = check.post(world.as_alice, f"/api/v1/statuses/{world.post.pk}/reblog", data={"visibility": "public"}).json()
    assert echo["reblog"]["id"] == str(world.post.pk) and echo["reblog"]["reblogged"] is True
    echoers = check.get(world.anonymous, f"/api/v1/statuses/{world.post.pk}/reblogged_by").json()
    assert {a["username"] for a in echoers} == {"alice", "carol"}
    assert check.post(world.as_alice, f"/api/v1/statuses/{world.post.pk}/unreblog").json()["reblogged"] is False


@covers("POST /api/v1/statuses/{id}/bookmark", "POST /api/v1/statuses/{id}/unbookmark")
def test_status_bookmarks(check, world):
    assert check.post(world.as_bob, f"/api/v1/statuses/{world.reply.pk}/bookmark").json()["bookmarked"] is True
    assert check.post(world.as_alice, f"/api/v1/statuses/{world.post.pk}/unbookmark").json()["bookmarked"] is False


# --- timelines ----------------------------------------------------------------------------


@covers("GET /api/v1/timelines/home")
def test_home_timeline_pages_both_ways(check, world):
    first = check.get(world.as_alice, "/api/v1/timelines/home", params={"limit": 2})
    page = ids(first)
    assert len(page) == 2
    assert 'rel="next"' in first.headers["Link"]
    older = check.get(world.as_alice, "/api/v1/timelines/home", params={"limit": 2, "max_id": page[-1]})
    assert not set(ids(older)) & set(page)
    newer = check.get(world.as_alice, "/api/v1/timelines/home", params={"min_id": ids(older)[0]})
    assert ids(older)[0] not in ids(newer)
    check.get(world.as_alice, "/api/v1/timelines/home", params={"since_id": page[-1]})
    check.get(world.anonymous, "/api/v1/timelines/home", expect=401)


@covers("GET /api/v1/timelines/public", "GET /api/v1/timelines/tag/{hashtag}")
def test_public_and_tag_timelines(check, world):
    public = ids(check.get(world.anonymous, "/api/v1/timelines/public"))
    assert str(world.post.pk) in public and str(world.unlisted.pk) not in public and str(world.quiet.pk) not in public
    check.get(world.anonymous, "/api/v1/timelines/public", params={"local": "true", "limit": 3})
    assert check.get(world.anonymous, "/api/v1/timelines/public", params={"remote": "true"}).json() == []
    assert ids(check.get(world.anonymous, "/api/v1/timelines/public", params={"only_media": "true"})) == [str(world.post.pk)]
    tagged = ids(check.get(world.anonymous, "/api/v1/timelines/tag/rostra"))
    assert set(tagged) == {str(world.post.pk), str(world.quote.pk)}


@covers("GET /api/v1/lists", "POST /api/v1/lists", "GET /api/v1/lists/{id}", "PUT /api/v1/lists/{id}",
        "DELETE /api/v1/lists/{id}", "GET /api/v1/lists/{id}/accounts", "POST /api/v1/lists/{id}/accounts",
        "DELETE /api/v1/lists/{id}/accounts", "GET /api/v1/timelines/list/{list_id}")
def test_lists(check, world):
    made = check.post(world.as_alice, "/api/v1/lists", data={"title": "Garden people", "replies_policy": "list"}).json()
    list_id = made["id"]
    check.post(world.as_alice, f"/api/v1/lists/{list_id}/accounts", data={"account_ids[]": [world.bob.pk]})
    assert [a["username"] for a in check.get(world.as_alice, f"/api/v1/lists/{list_id}/accounts").json()] == ["bob"]
    assert str(world.post.pk) in ids(check.get(world.as_alice, f"/api/v1/timelines/list/{list_id}"))
    assert check.put(world.as_alice, f"/api/v1/lists/{list_id}", json={"title": "Gardeners", "exclusive": True}).json()["title"] == "Gardeners"
    assert [entry["title"] for entry in check.get(world.as_alice, "/api/v1/lists").json()] == ["Gardeners"]
    check.get(world.as_alice, f"/api/v1/lists/{list_id}")
    check.get(world.as_bob, f"/api/v1/lists/{list_id}", expect=404)
    check.delete(world.as_alice, f"/api/v1/lists/{list_id}/accounts", params={"account_ids[]": world.bob.pk})
    check.delete(world.as_alice, f"/api/v1/lists/{list_id}")


# --- notifications, markers ---------------------------------------------------------------


@covers("GET /api/v1/notifications", "GET /api/v1/notifications/{id}", "POST /api/v1/notifications/{id}/dismiss",
        "POST /api/v1/notifications/clear")
def test_notifications(check, world):
    every = check.get(world.as_bob, "/api/v1/notifications").json()
    kinds = {n["type"] for n in every}
    assert {"follow", "favourite", "reblog", "mention"} <= kinds, kinds
    only = check.get(world.as_bob, "/api/v1/notifications", params=[("types[]", "favourite")]).json()
    assert {n["type"] for n in only} == {"favourite"}
    rest = check.get(world.as_bob, "/api/v1/notifications", params=[("exclude_types[]", "favourite"), ("exclude_types[]", "follow")]).json()
    assert "favourite" not in {n["type"] for n in rest}
    one = check.get(world.as_bob, f"/api/v1/notifications/{every[0]['id']}").json()
    assert one["id"] == every[0]["id"]
    check.post(world.as_bob, f"/api/v1/notifications/{every[0]['id']}/dismiss")
    check.get(world.as_bob, f"/api/v1/notifications/{every[0]['id']}", expect=404)
    check.post(world.as_bob, "/api/v1/notifications/clear")
    assert check.get(world.as_bob, "/api/v1/notifications").json() == []


@covers("GET /api/v1/markers", "POST /api/v1/markers")
def test_markers(check, world):
    saved = check.post(world.as_alice, "/api/v1/markers", data={"home[last_read_id]": str(world.post.pk)}).json()
    assert saved["home"]["last_read_id"] == str(world.post.pk)
    read = check.get(world.as_alice, "/api/v1/markers", params=[("timeline[]", "home"), ("timeline[]", "notifications")]).json()
    assert read["home"]["last_read_id"] == str(world.post.pk)


# --- search, trends, filters, reports -----------------------------------------------------


@covers("GET /api/v2/search")
def test_search(check, world):
    found = check.get(world.as_alice, "/api/v2/search", params={"q": "garden"}).json()
    assert str(world.post.pk) in ids_of(found["statuses"])
    people = check.get(world.as_alice, "/api/v2/search", params={"q": "bob", "type": "accounts", "resolve": "true"}).json()
    assert "bob" in [a["username"] for a in people["accounts"]]
    tags = check.get(world.as_alice, "/api/v2/search", params={"q": "#rostra", "type": "hashtags"}).json()
    assert "rostra" in [t["name"] for t in tags["hashtags"]]
    check.get(world.anonymous, "/api/v2/search", params={"q": "bob"}, expect=None)


@covers("GET /api/v1/trends/tags")
def test_trending_tags(check, world):
    check.get(world.anonymous, "/api/v1/trends/tags")


@covers("GET /api/v2/filters", "POST /api/v2/filters", "GET /api/v2/filters/{id}", "PUT /api/v2/filters/{id}",
        "DELETE /api/v2/filters/{id}")
def test_filters(check, world):
    existing = check.get(world.as_alice, "/api/v2/filters").json()
    assert [k["keyword"] for f in existing for k in f["keywords"]] == ["spoilers"]
    made = check.post(world.as_alice, "/api/v2/filters", data={
        "title": "Politics", "context[]": ["home", "public"], "filter_action": "warn",
        "keywords_attributes[][keyword]": "election", "keywords_attributes[][whole_word]": "true",
    }).json()
    check.get(world.as_alice, f"/api/v2/filters/{made['id']}")
    check.put(world.as_alice, f"/api/v2/filters/{made['id']}", data={"title": "Elections"})
    check.get(world.as_bob, f"/api/v2/filters/{made['id']}", expect=404)
    check.delete(world.as_alice, f"/api/v2/filters/{made['id']}")


@covers("POST /api/v1/reports")
def test_reports(check, world):
    report = check.post(world.as_alice, "/api/v1/reports", data={
        "account_id": str(world.carol.pk), "status_ids[]": [str(world.quote.pk)], "comment": "Spam, I think",
        "category": "spam", "forward": "false",
    }).json()
    assert report["target_account"]["id"] == str(world.carol.pk)
    check.post(world.as_alice, "/api/v1/reports", data={"account_id": "999999999"}, expect=404)


@covers("GET /api/v1/accounts", "GET /api/v1/accounts/familiar_followers", "GET /api/v1/accounts/{id}/featured_tags",
        "GET /api/v1/endorsements", "POST /api/v1/accounts/{id}/remove_from_followers")
def test_more_about_accounts(check, world):
    many = check.get(world.as_alice, "/api/v1/accounts", params=[("id[]", world.bob.pk), ("id[]", world.carol.pk)]).json()
    assert {a["username"] for a in many} == {"bob", "carol"}
    familiar = check.get(world.as_carol, "/api/v1/accounts/familiar_followers", params=[("id[]", world.alice.pk)]).json()
    assert familiar[0]["id"] == str(world.alice.pk)
    check.get(world.anonymous, f"/api/v1/accounts/{world.alice.pk}/featured_tags")
    check.get(world.as_alice, "/api/v1/endorsements")
    rel = check.post(world.as_alice, f"/api/v1/accounts/{world.carol.pk}/remove_from_followers").json()
    assert rel["followed_by"] is False


@covers("GET /api/v1/accounts/{id}/lists")
def test_lists_an_account_is_in(check, world):
    made = check.post(world.as_alice, "/api/v1/lists", data={"title": "Friends"}).json()
    check.post(world.as_alice, f"/api/v1/lists/{made['id']}/accounts", data={"account_ids[]": [world.bob.pk]})
    assert [entry["title"] for entry in check.get(world.as_alice, f"/api/v1/accounts/{world.bob.pk}/lists").json()] == ["Friends"]


@covers("GET /api/v1/notifications/unread_count", "POST /api/v1/notifications/dismiss")
def test_unread_count_and_the_old_dismiss(check, world):
    count = check.get(world.as_bob, "/api/v1/notifications/unread_count").json()["count"]
    assert count >= 4
    first = check.get(world.as_bob, "/api/v1/notifications", params={"limit": 1}).json()[0]
    check.post(world.as_bob, "/api/v1/notifications/dismiss", data={"id": first["id"]})
    assert first["id"] not in ids(check.get(world.as_bob, "/api/v1/notifications"))


@covers("GET /api/v1/tags/{name}", "GET /api/v1/trends")
def test_tags_and_old_trends(check, world):
    tag = check.get(world.as_alice, "/api/v1/tags/rostra").json()
    assert tag["name"] == "rostra"
    check.get(world.anonymous, "/api/v1/tags/nosuchtag", expect=None)
    check.get(world.anonymous, "/api/v1/trends")


@covers("GET /api/v2/filters/{id}/keywords", "POST /api/v2/filters/{id}/keywords", "GET /api/v2/filters/keywords/{id}",
        "PUT /api/v2/filters/keywords/{id}", "DELETE /api/v2/filters/keywords/{id}", "GET /api/v2/filter_keywords/{id}",
        "PUT /api/v2/filter_keywords/{id}", "DELETE /api/v2/filter_keywords/{id}", "GET /api/v2/filters/{id}/statuses",
        "GET /api/v1/filters", "GET /api/v1/filters/{id}")
def test_filter_keywords(check, world):
    (spoilers,) = check.get(world.as_alice, "/api/v2/filters").json()
    keywords = check.get(world.as_alice, f"/api/v2/filters/{spoilers['id']}/keywords").json()
    assert [k["keyword"] for k in keywords] == ["spoilers"]
    added = check.post(world.as_alice, f"/api/v2/filters/{spoilers['id']}/keywords", data={"keyword": "ending", "whole_word": "false"}).json()
    other = check.post(world.as_alice, f"/api/v2/filters/{spoilers['id']}/keywords", json={"keyword": "plot twist", "whole_word": True}).json()
    assert check.get(world.as_alice, f"/api/v2/filters/keywords/{added['id']}").json()["keyword"] == "ending"
    # A changed keyword is a new muted term in Rostra, with a new ID (docs/mastodon-api.md).
    added = check.put(world.as_alice, f"/api/v2/filters/keywords/{added['id']}", data={"keyword": "endings"}).json()
    assert added["keyword"] == "endings"
    check.get(world.as_alice, f"/api/v2/filter_keywords/{other['id']}")
    other = check.put(world.as_alice, f"/api/v2/filter_keywords/{other['id']}", data={"whole_word": "false"}).json()
    check.delete(world.as_alice, f"/api/v2/filter_keywords/{other['id']}")
    check.delete(world.as_alice, f"/api/v2/filters/keywords/{added['id']}")
    check.get(world.as_bob, f"/api/v2/filters/keywords/{keywords[0]['id']}", expect=404)
    check.get(world.as_alice, f"/api/v2/filters/{spoilers['id']}/statuses")
    v1 = check.get(world.as_alice, "/api/v1/filters").json()
    assert "spoilers" in [f["phrase"] for f in v1]
    check.get(world.as_alice, f"/api/v1/filters/{v1[0]['id']}")


@covers("POST /api/v1/reports", "GET /api/v1/notifications")
def test_a_moderation_decision_reaches_the_author_as_a_moderation_warning(check, world):
    from rostra.accounts.models import User
    from rostra.moderation import actions as moderation

    check.post(world.as_alice, "/api/v1/reports", data={
        "account_id": str(world.carol.pk), "status_ids[]": [str(world.quote.pk)], "category": "violation",
        "rule_ids[]": ["3"], "comment": "Harassing",
    })
    moderator = make_user("mo", role=User.Role.MODERATOR)
    item = world.quote.__class__.objects.get(pk=world.quote.pk)
    from rostra.moderation.models import QueueItem

    queued = QueueItem.objects.get(post_id=item.pk)
    moderation.decide(moderator.user, queued, "content_warning", facts="Harassment in a quote")
    warnings = [n for n in check.get(world.as_carol, "/api/v1/notifications").json() if n["type"] == "moderation_warning"]
    assert warnings and warnings[0]["moderation_warning"]["action"], warnings
    quote = check.get(world.as_carol, f"/api/v1/statuses/{world.quote.pk}").json()
    assert quote["sensitive"] is True and quote["spoiler_text"]
    requests = check.get(world.as_dave, "/api/v1/notifications", params={"types[]": "follow_request"}).json()
    assert [n["account"]["username"] for n in requests] == ["alice"]


# --- the rules of the game ----------------------------------------------------------------


def test_every_served_endpoint_has_a_contract_check(served):
    covered = {key_of(*key.split(" ", 1)) for value in globals().values() for key in getattr(value, "covers", ())}
    unchecked = sorted(
        f"{s.method.upper()} {s.path}"
        for s in served
        if key_of(s.method, s.path) not in covered and (s.method, s.path) not in NOT_CHECKED_HERE
    )
    assert not unchecked, f"served without a contract check in tests/api/test_contract.py: {unchecked}"


def test_the_committed_openapi_document_matches_the_route_table(mastodon_spec):
    from openapi_spec_validator import validate

    built = rostra_openapi.build(mastodon_spec)
    committed = rostra_openapi.committed()
    in_routes = {(path, method) for path, item in built["paths"].items() for method in item}
    in_document = {(path, method) for path, item in committed["paths"].items() for method in item}
    assert in_routes == in_document, (
        f"rostra/api/openapi.json is out of date, run scripts/openapi: served but not described "
        f"{sorted(in_routes - in_document)}, described but not served {sorted(in_document - in_routes)}"
    )
    assert built == committed, "rostra/api/openapi.json differs from what scripts/openapi builds: run it"
    validate(committed)


def test_the_docs_list_exactly_the_served_endpoints():
    text = rostra_openapi.DOCS_PATH.read_text(encoding="utf-8")
    assert rostra_openapi.TABLE_START in text and rostra_openapi.TABLE_END in text
    assert rostra_openapi.docs_with_table(text, rostra_openapi.endpoint_table()) == text, (
        "the endpoint table in docs/mastodon-api.md is out of date: run scripts/openapi"
    )


def _concrete(path, world):
    ids = {"accounts": world.bob.pk, "statuses": world.post.pk, "follow_requests": world.alice.pk, "tags": "rostra",
           "tag": "rostra", "media": world.image.pk}
    segments = path.strip("/").split("/")
    return "/" + "/".join(str(ids.get(segments[i - 1], 1)) if s.startswith("{") else s for i, s in enumerate(segments))


def test_every_scope_is_enforced(world, served):
    """A token without an operation's scope is refused 403; one with just that scope is not."""
    from rostra.api import scopes as scope_rules

    wrong = make_token(world.alice, world.app, scopes="push")
    tokens = {}
    problems = []
    for operation in served:
        if not operation.scope or operation.path.startswith("/oauth/"):
            continue
        url = _concrete(operation.path, world)
        scope = operation.scope
        if scope not in tokens:
            tokens[scope] = make_token(world.alice, world.app, scopes=scope)
        with world.http(wrong) as http:
            refused = http.request(operation.method.upper(), url)
        if refused.status_code != 403:
            problems.append(f"{operation!r} with only 'push': {refused.status_code}, not 403")
        with world.http(tokens[scope]) as http:
            allowed = http.request(operation.method.upper(), url)
        if allowed.status_code in (401, 403) and allowed.json().get("error") == "This action is outside the authorized scopes":
            problems.append(f"{operation!r} refused a token with its own scope {scope}")
        if scope_rules.covers({"read", "write", "follow"}, scope) is False:
            problems.append(f"{operation!r}: scope {scope} is not covered by read/write/follow")
    with world.http(make_token(world.alice, world.app, scopes="profile")) as http:
        assert http.get("/api/v1/accounts/verify_credentials").status_code == 200
        assert http.get("/api/v1/timelines/home").status_code == 403
    assert not problems, "\n".join(problems)


def test_browser_apps_on_other_origins_may_call_the_api(world):
    """Mastodon answers CORS preflights and sends ``Access-Control-Allow-Origin: *`` on the API and token endpoints."""
    origin = {"Origin": "https://elk.zone"}
    for path in ("/api/v1/timelines/home", "/oauth/token", "/api/v1/instance"):
        preflight = world.anonymous.options(path, headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code in (200, 204), f"{path}: preflight {preflight.status_code}"
        assert preflight.headers.get("Access-Control-Allow-Origin") in ("*", "https://elk.zone")
        assert "authorization" in preflight.headers.get("Access-Control-Allow-Headers", "").lower()
    response = world.as_alice.get("/api/v1/timelines/home", headers=origin)
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "https://elk.zone")
    assert "link" in response.headers.get("Access-Control-Expose-Headers", "").lower()


def test_every_get_answers_with_and_without_a_trailing_slash_and_to_head(world, served):
    problems = []
    for operation in served:
        if operation.method != "get" or operation.path.startswith("/oauth/"):
            continue
        url = _concrete(operation.path, world)
        plain = world.as_alice.get(url)
        slashed = world.as_alice.get(url + "/")
        head = world.as_alice.head(url)
        if not (plain.status_code == slashed.status_code == head.status_code):
            problems.append(f"{operation!r}: {plain.status_code} / {slashed.status_code} with a slash / {head.status_code} to HEAD")
    assert not problems, "\n".join(problems)


def test_what_apps_rely_on_beyond_the_schema(check, world):
    """Links in content point where mentions and tags say, media and avatars can be fetched,
    direct posts reach only those mentioned, a block hides both ways."""
    import re as regex

    post = check.get(world.as_alice, f"/api/v1/statuses/{world.post.pk}").json()
    hrefs = regex.findall(r'href="([^"]+)"', post["content"])
    assert post["mentions"][0]["url"] in hrefs, (post["content"], post["mentions"])
    assert any(h.rstrip("/").lower().endswith("/tags/rostra") for h in hrefs), post["content"]
    assert post["url"].startswith(world.server.url) and post["account"]["url"].startswith(world.server.url)
    image = post["media_attachments"][0]
    for url in (image["url"], image["preview_url"], post["account"]["avatar"], post["account"]["header"]):
        fetched = httpx.get(url, timeout=20)
        assert fetched.status_code == 200 and fetched.headers["content-type"].startswith("image/"), (url, fetched.status_code)
    assert image["meta"]["original"]["width"] == 64

    direct = check.post(world.as_bob, "/api/v1/statuses", data={"status": "@alice just for you", "visibility": "direct"}).json()
    assert direct["visibility"] == "direct"
    check.get(world.as_alice, f"/api/v1/statuses/{direct['id']}")
    check.get(world.as_carol, f"/api/v1/statuses/{direct['id']}", expect=404)
    check.get(world.anonymous, f"/api/v1/statuses/{direct['id']}", expect=404)
    assert direct["id"] not in ids(check.get(world.anonymous, "/api/v1/timelines/public"))

    # bob blocked dave: dave sees none of bob's posts, and cannot follow him.
    check.get(world.as_dave, f"/api/v1/statuses/{world.post.pk}", expect=404)
    assert str(world.post.pk) not in ids(check.get(world.as_dave, "/api/v1/timelines/public"))
    refused = check.post(world.as_dave, f"/api/v1/accounts/{world.bob.pk}/follow", expect=None)
    assert refused.status_code in (403, 422) or refused.json()["following"] is False

    reply = check.get(world.as_alice, f"/api/v1/statuses/{world.reply.pk}").json()
    assert reply["in_reply_to_account_id"] == str(world.bob.pk)
    echo = check.get(world.as_alice, f"/api/v1/statuses/{world.echo.pk}").json()
    assert echo["account"]["username"] == "carol" and echo["reblog"]["account"]["username"] == "bob"
    assert echo["content"] == "" and echo["reblog"]["content"]

    long_text = "x" * 5001
    check.post(world.as_alice, "/api/v1/statuses", data={"status": long_text}, expect=422)


def _links(response):
    found = {}
    for part in response.headers.get("Link", "").split(","):
        match = __import__("re").search(r'<([^>]+)>;\s*rel="(\w+)"', part)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def test_every_link_header_leads_to_the_next_page(check, world, served):
    """Every list that sends a Link header: its next page is older and does not repeat the first."""
    posts.create_post(world.bob, "@alice one more for the pages")  # alice's notifications get a second page
    followed = []
    for operation in served:
        if operation.method != "get" or "{" in operation.path and not operation.path.startswith(("/api/v1/accounts/", "/api/v1/statuses/", "/api/v1/timelines/tag/")):
            continue
        url = _concrete(operation.path, world)
        first = world.as_alice.get(url, params={"limit": 1})
        links = _links(first)
        if first.status_code != 200 or "next" not in links:
            continue
        assert links["next"].startswith(world.server.url), links
        page = first.json()
        following = check.get(world.as_alice, links["next"].replace(world.server.url, ""))
        later = following.json()
        key = "id"
        assert not {item[key] for item in later} & {item[key] for item in page}, f"{operation!r}: the next page repeats the first"
        if "prev" in links:
            check.get(world.as_alice, links["prev"].replace(world.server.url, ""))
        followed.append(repr(operation))
    assert len(followed) >= 5, followed  # the small world pages home, public, account statuses, notifications, favourited_by


def test_every_error_has_mastodons_shape(check, world):
    for method, url, http in [
        ("GET", "/api/v1/accounts/verify_credentials", world.anonymous),
        ("GET", "/api/v1/statuses/123456789012345", world.anonymous),
    ]:
        response = http.request(method, url)
        assert response.status_code in (401, 404) and isinstance(response.json()["error"], str)
    with world.http("not-a-token") as stranger:
        response = stranger.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 401 and response.json() == {"error": "The access token is invalid"}
