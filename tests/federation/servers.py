"""Several Rostra servers on loopback, each with its own database, for federation tests.

Each is a real ``rostra serve`` (granian and its task worker) on its own port, its domain
``127.0.0.1:<port>``, with loopback fetches allowed (the test-only setting). On SQLite each
gets a copy of one migrated database file; on PostgreSQL (``DATABASE_URL`` set) each gets a
database cloned from one migrated template. People are signed up and act through the
Mastodon API, as an app would.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.helpers import PASSWORD
from tests.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def _env(extra=None):
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.server_settings",
            "ROSTRA_FEDERATION_ALLOW_LOOPBACK": "1",
            "ROSTRA_WORKER_INTERVAL": "0.05",
            "ROSTRA_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "ROSTRA_TRENDS_CACHE_SECONDS": "0",
            "ROSTRA_LOG_LEVEL": "INFO",
        }
    )
    for scope in ("SIGNUP", "LOGIN", "POST", "REPORT", "API", "APPS"):
        env[f"ROSTRA_RATE_{scope}"] = "100000/60"
    env.pop("REDIS_URL", None)  # each server keeps its own cache: they are different instances
    env.update(extra or {})
    return env


class Databases:
    """Fresh, migrated databases for servers: file copies on SQLite, template clones on PostgreSQL."""

    def __init__(self):
        self.base = os.environ.get("DATABASE_URL", "")
        self.tmp = Path(tempfile.mkdtemp(prefix="rostra-fed-"))
        self.made = []
        self.template = None

    def _psql(self, sql, database="postgres"):
        import psycopg

        with psycopg.connect(self._url(database), autocommit=True) as conn:
            conn.execute(sql)

    def _url(self, name):
        return self.base.rsplit("/", 1)[0] + "/" + name

    def _migrate(self, url, data_dir):
        subprocess.run(
            [sys.executable, "-m", "rostra.cli", "migrate", "--quiet"],
            env=_env({"DATABASE_URL": url, "ROSTRA_DATA_DIR": str(data_dir)}),
            check=True,
            cwd=ROOT,
            capture_output=True,
        )

    def new(self, name):
        """A DATABASE_URL for a new, migrated, empty database."""
        if self.base:
            if self.template is None:
                self.template = f"rostra_fed_template_{os.getpid()}"
                self._psql(f'DROP DATABASE IF EXISTS "{self.template}"')
                self._psql(f'CREATE DATABASE "{self.template}"')
                self._migrate(self._url(self.template), self.tmp)
            db = f"rostra_fed_{os.getpid()}_{name}"
            self._psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            self._psql(f'CREATE DATABASE "{db}" TEMPLATE "{self.template}"')
            self.made.append(db)
            return self._url(db)
        if self.template is None:
            self.template = self.tmp / "template.sqlite3"
            self._migrate(f"sqlite:///{self.template}", self.tmp)
        path = self.tmp / f"{name}.sqlite3"
        shutil.copy(self.template, path)
        return f"sqlite:///{path}"

    def drop_all(self):
        if self.base:
            for db in self.made + ([self.template] if self.template else []):
                try:
                    self._psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                except Exception:
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class Server:
    """One running Rostra instance and the app registered on it."""

    def __init__(self, name, databases, extra_env=None):
        self.name = name
        self.port = free_port()
        self.domain = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.domain}"
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"rostra-{name}-"))
        self.database_url = databases.new(name)
        self.env = _env(
            {
                "DATABASE_URL": self.database_url,
                "ROSTRA_DATA_DIR": str(self.data_dir),
                "ROSTRA_MEDIA_ROOT": str(self.data_dir / "media"),
                "ROSTRA_DOMAIN": self.domain,
                **(extra_env or {}),
            }
        )
        self.process = None
        self.app = None
        self.tokens = {}

    def start(self):
        self.log_path = self.data_dir / "server.log"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rostra.cli", "serve", "--no-migrate", "--port", str(self.port), "--workers", "2"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log()}")
            try:
                if httpx.get(self.url + "/manifest.webmanifest", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: {self.log()}")
            time.sleep(0.2)
        response = httpx.post(
            f"{self.url}/api/v1/apps",
            data={"client_name": "federation tests", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow push"},
            timeout=20,
        )
        response.raise_for_status()
        self.app = response.json()
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except (OSError, AttributeError):
            return ""

    # --- people ---------------------------------------------------------------------

    def _app_token(self):
        response = httpx.post(
            f"{self.url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.app["client_id"],
                "client_secret": self.app["client_secret"],
                "scope": "read write follow push",
            },
            timeout=20,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def sign_up(self, username):
        """Sign ``username`` up through the API; returns a client acting for them."""
        response = httpx.post(
            f"{self.url}/api/v1/accounts",
            headers={"Authorization": f"Bearer {self._app_token()}"},
            data={"username": username, "email": f"{username}@example.org", "password": PASSWORD, "agreement": "true", "locale": "en"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        self.tokens[username] = response.json()["access_token"]
        return self.as_user(username)

    def as_user(self, username):
        return Person(self, username, self.tokens[username])

    def create_admin(self, username, role="admin"):
        """An admin (or moderator) made by ``rostra createadmin``; returns a signed-in web session."""
        subprocess.run(
            [sys.executable, "-m", "rostra.cli", "createadmin", username, "--password", PASSWORD],
            env=self.env, check=True, cwd=ROOT, capture_output=True,
        )
        return self.web_login(username)

    def web_login(self, username):
        from tests.api.conftest import web_login

        return web_login(self, username)

    def anonymous(self):
        return httpx.Client(base_url=self.url, timeout=20, follow_redirects=False)

    def handle(self, username):
        return f"{username}@{self.domain}"

    def actor_uri(self, username):
        return f"{self.url}/@{username}"


class Person(httpx.Client):
    """An httpx client acting for one person through the Mastodon API, with a few verbs."""

    def __init__(self, server, username, token):
        super().__init__(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self.server = server
        self.username = username

    @property
    def handle(self):
        return self.server.handle(self.username)

    def ok(self, response):
        assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        return response.json()

    def find(self, handle):
        """The account for ``user@server`` as this server knows it, looking it up (WebFinger) if needed."""
        found = self.ok(self.get("/api/v2/search", params={"q": handle, "resolve": "true", "type": "accounts"}))
        accounts = [a for a in found["accounts"] if a["acct"].lower() in (handle.lower(), handle.split("@")[0].lower())]
        assert accounts, f"{handle} not found from {self.server.name}: {found}"
        return accounts[0]

    def follow(self, handle):
        account = self.find(handle)
        return self.ok(self.post(f"/api/v1/accounts/{account['id']}/follow"))

    def post_status(self, text, **fields):
        return self.ok(self.post("/api/v1/statuses", data={"status": text, **fields}))

    def home(self):
        return self.ok(self.get("/api/v1/timelines/home", params={"limit": 40}))

    def notifications(self):
        return self.ok(self.get("/api/v1/notifications"))


def eventually(check, timeout=20.0, interval=0.1, message="condition never became true"):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            result = check()
        except AssertionError as exc:
            result, last = None, exc
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (last: {last})")
        time.sleep(interval)
