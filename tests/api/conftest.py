"""The API tests: real HTTP to a real ``rostra serve``, real OAuth, real Mastodon clients."""

import re

import httpx
import pytest
from mastodon import Mastodon

from tests.helpers import PASSWORD, make_user

ALL_SCOPES = "read write follow push"


class ApiClient:
    """One app's view of the server: its client credentials, and tokens for people."""

    def __init__(self, server, scopes=ALL_SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob", name="Test app"):
        self.server = server
        self.url = server.url
        response = httpx.post(
            f"{self.url}/api/v1/apps",
            data={"client_name": name, "redirect_uris": redirect_uris, "scopes": scopes, "website": "https://example.org"},
            timeout=20,
        )
        assert response.status_code == 200, response.text
        self.app = response.json()
        self.scopes = scopes

    def token(self, username, password=PASSWORD, scopes=None):
        response = httpx.post(
            f"{self.url}/oauth/token",
            data={
                "grant_type": "password",
                "client_id": self.app["client_id"],
                "client_secret": self.app["client_secret"],
                "username": username,
                "password": password,
                "scope": scopes or self.scopes,
            },
            timeout=20,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def http(self, token=None):
        """An httpx client speaking for ``token`` (anonymous without one)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=20, follow_redirects=False)

    def as_user(self, username, scopes=None):
        return self.http(self.token(username, scopes=scopes))

    def mastodon(self, username=None, scopes=None):
        """A Mastodon.py client; logged in by password grant when ``username`` is given."""
        client = Mastodon(
            client_id=self.app["client_id"],
            client_secret=self.app["client_secret"],
            api_base_url=self.url,
            request_timeout=20,
            ratelimit_method="throw",
        )
        if username:
            client.log_in(username, PASSWORD, scopes=(scopes or self.scopes).split(), allow_http=True)
        return client


@pytest.fixture
def api(live_rostra):
    return ApiClient(live_rostra)


@pytest.fixture
def people(db):
    """alice, bob and carol, signed up through the real action."""
    return {name: make_user(name) for name in ("alice", "bob", "carol")}


def web_login(server, username, password=PASSWORD):
    """A browser-like httpx session signed in through the web login form."""
    session = httpx.Client(base_url=server.url, timeout=20, follow_redirects=False)
    page = session.get("/login")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post("/login", data={"csrfmiddlewaretoken": csrf, "username": username, "password": password, "next": "/"})
    assert response.status_code == 302, response.text
    return session


def csrf_of(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
