"""Settings for the test process: Rostra's own, with background tasks run at once.

Servers the tests start in other processes use Rostra's real settings and a real worker.
Rate limits are raised here so stories with many posts do not trip them; the rate-limit
tests set their own low limits.
"""

import os
from pathlib import Path

os.environ.setdefault("ROSTRA_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("ROSTRA_MEDIA_ROOT", str(Path.cwd() / "data" / "test-media"))
for scope in ("SIGNUP", "LOGIN", "POST", "REPORT", "API", "APPS"):
    os.environ.setdefault(f"ROSTRA_RATE_{scope}", "100000/60")

# Without the shipped moderation model every post would be held; the rest of the suite then
# runs with screening off (tests of screening itself need the model and skip, or fail in CI).
if not (Path(__file__).resolve().parent.parent / "rostra" / "moderation" / "model" / "model.onnx").exists():
    os.environ.setdefault("ROSTRA_SCREENING", "off")

# Each run gets a Redis database of its own (the tests empty it between tests), so two runs
# side by side never log each other's browsers out. Servers the tests start inherit it.
if os.environ.get("REDIS_URL"):
    import re as _re

    os.environ["REDIS_URL"] = _re.sub(r"(/\d*)?$", f"/{1 + os.getpid() % 15}", os.environ["REDIS_URL"].rstrip("/"), count=1)

from rostra.settings import *  # noqa: E402,F401,F403
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405

# Each test run gets its own database, so runs side by side (or a stale one) never collide.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_rostra_{os.getpid()}"}  # noqa: F405
