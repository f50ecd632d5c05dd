"""The `rostra` command as an operator runs it: fresh installs, workers, checks."""

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from rostra.accounts.models import Account
from tests.conftest import in_ci
from tests.helpers import eventually
from tests.server import database_url, free_port
from tests.tasks import bump_posts_count


def rostra(*args, env=None, cwd=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "rostra.cli", *args],
        env=env or os.environ.copy(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_serve_on_a_fresh_machine_migrates_prints_the_admin_and_serves(tmp_path):
    """The README's first command, minus the install: an empty directory becomes an instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROSTRA_", "DATABASE_URL", "REDIS_URL"))}
    env["PYTHONPATH"] = os.getcwd()
    env["DJANGO_SETTINGS_MODULE"] = "rostra.settings"
    port = free_port()
    log_path = tmp_path / "serve.log"
    # The server's output goes to a file: a pipe nobody reads would fill up and stall it.
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rostra.cli", "serve", "--port", str(port), "--workers", "1"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        output = eventually(
            lambda: (text := log_path.read_text(errors="replace")) and "Rostra is serving" in text and text,
            timeout=180,
            interval=0.2,
            message="rostra serve did not start",
        )
        password = re.search(r"username: admin\s+password: (\S+)", output).group(1)
        assert (tmp_path / "data" / "rostra.sqlite3").exists()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            eventually(lambda: _answers(http), timeout=30)
            page = http.get("/login")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            response = http.post("/login", data={"username": "admin", "password": password, "csrfmiddlewaretoken": token})
            assert response.status_code == 302
            assert "/admin/" in http.get("/").text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # Stopping the server stops its web server and worker too: nothing is left running.
    eventually(lambda: not _serving_on(port), timeout=20, message="processes of the stopped server are still running")


def test_a_web_server_that_ignores_the_stop_is_killed_with_its_workers(django_db_blocker):
    """A granian that hangs on the stop signal (here: frozen) does not keep `rostra serve`, or
    itself and its workers, alive past the shutdown deadline."""
    from tests.server import start_server, stop_server

    with django_db_blocker.unblock():
        server = start_server()
    port = int(server.url.rsplit(":", 1)[1])
    try:
        granian = subprocess.run(["pgrep", "-P", str(server.process.pid), "-f", "granian"], capture_output=True, text=True)
        os.kill(int(granian.stdout.split()[0]), signal.SIGSTOP)
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
        eventually(lambda: not _serving_on(port), timeout=1, message=f"still running: {_serving_on(port)}")
    finally:
        stop_server(server)


def _serving_on(port):
    """The command lines of processes started for ``port`` (rostra serve and its granian)."""
    found = subprocess.run(["pgrep", "-af", "--", f"--port {port}( |$)"], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def _answers(http):
    try:
        return http.get("/").status_code == 200
    except httpx.HTTPError:
        return False


def _env_for_test_database():
    env = os.environ.copy()
    env["DATABASE_URL"] = database_url()
    env["ROSTRA_WORKER_INTERVAL"] = "0.05"
    env["ROSTRA_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    env["PYTHONPATH"] = os.getcwd()
    env["DJANGO_SETTINGS_MODULE"] = "rostra.settings"
    return env


def test_two_workers_run_every_task_exactly_once(alice):
    """Workers on one database share the queue: 150 tasks, two workers, 150 increments."""
    count = 150
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        for _ in range(count):
            bump_posts_count.enqueue(alice.pk)
    env = _env_for_test_database()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "rostra.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        eventually(
            lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == count,
            timeout=90,
            message="the workers did not finish the queue",
        )
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=20)
    assert Account.objects.get(pk=alice.pk).posts_count == count
    assert DBTaskResult.objects.exclude(status="SUCCESSFUL").count() == 0
    assert DBTaskResult.objects.values("worker_ids").distinct().count() >= 1


def test_check_reports_a_reachable_database():
    result = rostra("check", env=_env_for_test_database())
    assert result.returncode == 0, result.stderr
    assert "Database reachable" in result.stdout


def test_createadmin_refuses_a_taken_name_with_a_message(alice):
    result = rostra("createadmin", "alice", "--password", "whatever-it-is", env=_env_for_test_database())
    assert result.returncode != 0
    assert "That username is taken." in result.stderr


def test_createadmin_makes_an_admin_who_can_use_the_admin_area():
    result = rostra("createadmin", "chief", "--password", "pw-of-the-operator", env=_env_for_test_database())
    assert result.returncode == 0, result.stderr
    account = Account.objects.get(username="chief")
    assert account.user.role == "admin" and account.user.is_staff
    assert account.user.check_password("pw-of-the-operator")


def test_redis_shares_rate_limits_between_processes():
    """With REDIS_URL, every process counts against the same limit (not one each)."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if in_ci():
            pytest.fail(f"Redis is not reachable at {url}, and CI needs it")
        pytest.skip(f"no Redis at {url}")
    env = _env_for_test_database()
    env.update({"REDIS_URL": url, "ROSTRA_RATE_LOGIN": "3/86400"})
    key = f"test-{time.time_ns()}"
    script = (
        "from rostra.core import ratelimit\n"
        "import sys\n"
        "try:\n"
        f"    ratelimit.hit('login', '{key}'); ratelimit.hit('login', '{key}')\n"
        "except ratelimit.RateLimited:\n"
        "    sys.exit(3)\n"
    )
    first = rostra("manage", "shell", "-c", script, env=env)
    second = rostra("manage", "shell", "-c", script, env=env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 3, second.stderr
