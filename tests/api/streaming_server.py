"""A real ``rostra streaming`` process on the test database, and clients that read its streams.

The process is started exactly as an operator starts it (granian, ASGI) and polls the test
database, so an event travels the whole road: a row written by the test (or by the web
server), the poller, the event loop, the wire.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.server import database_url, free_port


class StreamingServer:
    def __init__(self, port, process, log_path):
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/api/v1/streaming"
        self.process = process
        self.log_path = log_path

    def log(self):
        return Path(self.log_path).read_text(errors="replace")[-5000:]


def start_streaming(extra_env=None):
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="rostra-streaming-")
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "rostra.settings",
            "DATABASE_URL": database_url(),
            "ROSTRA_DATA_DIR": data_dir,
            "ROSTRA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ROSTRA_STREAMING_INTERVAL": "0.1",
            "ROSTRA_STREAMING_HEARTBEAT": "1",
            "ROSTRA_STREAMING_TOKEN_CHECK": "0.5",
        }
    )
    env.update(extra_env or {})
    log_path = Path(data_dir) / "streaming.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rostra.cli", "streaming", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = StreamingServer(port, process, log_path)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"rostra streaming exited: {server.log()}")
        try:
            if httpx.get(server.url + "/api/v1/streaming/health", timeout=2).text == "OK":
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_streaming(server)
            raise RuntimeError(f"rostra streaming did not start: {server.log()}")
        time.sleep(0.1)


def stop_streaming(server):
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    except ProcessLookupError:
        pass
    shutil.rmtree(Path(server.log_path).parent, ignore_errors=True)


@pytest.fixture(scope="session")
def live_streaming(django_db_setup, django_db_blocker):
    """One streaming process for the session, on the test database."""
    with django_db_blocker.unblock():
        server = start_streaming()
    yield server
    stop_streaming(server)


class Event:
    def __init__(self, event, payload, stream=None):
        self.event = event
        self.payload = payload
        self.stream = stream

    def json(self):
        return json.loads(self.payload)

    def __repr__(self):
        return f"<{self.event} {self.stream or ''} {self.payload[:60]}>"


class Reader:
    """Events from a stream, read on a thread into a queue; ``next`` waits for one."""

    def __init__(self):
        self.events = queue.Queue()
        self.ended = threading.Event()
        self.comments = []
        self.received = []

    def next(self, predicate=lambda e: True, timeout=10):
        """The first event (after those already taken) matching ``predicate``; the others are kept."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event in {timeout}s; got {self.received}")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.received.append(event)
            if predicate(event):
                return event

    def drain(self, seconds=0):
        """Everything that arrives in the next ``seconds``, with all received before."""
        time.sleep(seconds)
        while not self.events.empty():
            self.received.append(self.events.get_nowait())
        return self.received


class SseReader(Reader):
    """An SSE stream opened with httpx; returns once the server answered (the stream is live)."""

    def __init__(self, url, token=None, params=None):
        super().__init__()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._context = self.client.stream("GET", url, headers=headers, params=params)
        self.response = self._context.__enter__()
        self.status_code = self.response.status_code
        if self.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event, data = None, []
        try:
            for line in self.response.iter_lines():
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and event is not None:
                    self.events.put(Event(event, "\n".join(data)))
                    event, data = None, []
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass
        self.ended.set()

    def close(self):
        try:
            self._context.__exit__(None, None, None)
        except Exception:
            pass
        self.client.close()


class WsReader(Reader):
    """A WebSocket stream read with the ``websockets`` client."""

    def __init__(self, connecting):
        super().__init__()
        self._connecting = connecting
        self.ws = connecting.__enter__()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        from websockets.exceptions import ConnectionClosed

        try:
            for message in self.ws:
                data = json.loads(message)
                if "event" in data:
                    self.events.put(Event(data["event"], data["payload"], data["stream"]))
                else:
                    self.events.put(Event("error", message))
        except ConnectionClosed:
            pass
        self.ended.set()

    def send(self, **message):
        self.ws.send(json.dumps(message))

    def close(self):
        self._connecting.__exit__(None, None, None)
