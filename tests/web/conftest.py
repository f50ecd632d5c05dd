"""HTTP helpers: a signed-in client of the real server, speaking as a browser would."""

import re

import pytest

from tests.helpers import PASSWORD

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Visitor:
    """Someone using the real server over HTTP with cookies, like a browser without JavaScript."""

    def __init__(self, server):
        self.server = server
        self.http = server.client()

    def csrf(self, path="/login"):
        response = self.http.get(path)
        match = CSRF_RE.search(response.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def log_in(self, username, password=PASSWORD):
        token = self.csrf("/login")
        response = self.http.post("/login", data={"username": username, "password": password, "csrfmiddlewaretoken": token})
        assert response.status_code == 302, response.text[:500]
        return self

    def post_form(self, path, data=None, files=None, page="/"):
        data = dict(data or {})
        data["csrfmiddlewaretoken"] = self.csrf(page)
        return self.http.post(path, data=data, files=files, headers={"Referer": self.server.url + page})

    def get(self, path, **kwargs):
        return self.http.get(path, **kwargs)

    def close(self):
        self.http.close()


@pytest.fixture
def visitor(live_rostra):
    """A fresh browser-like client of the real server; more with ``visitor_factory``."""
    v = Visitor(live_rostra)
    yield v
    v.close()


@pytest.fixture
def visitor_factory(live_rostra):
    made = []

    def make():
        v = Visitor(live_rostra)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()
