"""The real server, started as a separate process against the test database.

``rostra serve`` runs exactly as an operator runs it (granian, WSGI, the embedded task worker
on the database queue); the tests talk to it over HTTP on loopback.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url():
    """A DATABASE_URL for the database this test session uses."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class RunningServer:
    def __init__(self, url, process, log_path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def log(self):
        return Path(self.log_path).read_text(errors="replace")[-5000:]

    def client(self, **kwargs):
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=20, **kwargs)


def start_server(extra_env=None, workers=1, extra_args=()):
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="rostra-server-")
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.server_settings",
            "DATABASE_URL": database_url(),
            "ROSTRA_DATA_DIR": data_dir,
            "ROSTRA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ROSTRA_DOMAIN": f"127.0.0.1:{port}",
            "ROSTRA_WORKER_INTERVAL": "0.1",
            "ROSTRA_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "ROSTRA_RATE_SIGNUP": "100000/60",
            "ROSTRA_RATE_LOGIN": "100000/60",
            "ROSTRA_RATE_POST": "100000/60",
            "ROSTRA_RATE_API": "100000/60",
            # Tests of trends read them right after posting; the one server serves every test.
            "ROSTRA_TRENDS_CACHE_SECONDS": "0",
            "ROSTRA_RATE_APPS": "100000/60",
        }
    )
    env.update(extra_env or {})
    log_path = Path(data_dir) / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "rostra.cli", "serve", "--no-migrate", "--port", str(port), "--workers", str(workers),
         *extra_args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"rostra serve exited: {log_path.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url + "/manifest.webmanifest", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"rostra serve did not start: {log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return RunningServer(url, process, log_path)


def stop_server(server):
    """Stop the server and its processes, and remove its data folder (static files, log)."""
    import shutil
    import signal

    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    except ProcessLookupError:
        pass
    shutil.rmtree(Path(server.log_path).parent, ignore_errors=True)


@pytest.fixture(scope="session")
def live_rostra(django_db_setup, django_db_blocker):
    """One real Rostra server for the session, on the test database."""
    with django_db_blocker.unblock():
        server = start_server()
    yield server
    stop_server(server)
