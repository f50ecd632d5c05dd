"""Rostra's settings, read from the environment.

Everything an operator changes is an environment variable (see the README): the embedded
default is SQLite and files under ``./data``; ``DATABASE_URL`` and ``REDIS_URL`` move the
same code onto PostgreSQL and Redis without any other change.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("ROSTRA_DATA_DIR", Path.cwd() / "data")).resolve()


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key():
    """The secret key from the environment, or one generated once and kept in ./data."""
    if os.environ.get("ROSTRA_SECRET_KEY"):
        return os.environ["ROSTRA_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("ROSTRA_DEBUG")
ROSTRA_DOMAIN = os.environ.get("ROSTRA_DOMAIN", "127.0.0.1:8000")
ROSTRA_HTTPS = _env_bool("ROSTRA_HTTPS", not ROSTRA_DOMAIN.split(":")[0] in {"127.0.0.1", "localhost"})
# Where apps open streams (/api/v1/streaming): the streaming process, or a proxy in front of
# it. Default: this domain (a reverse proxy sends /api/v1/streaming to `rostra streaming`).
ROSTRA_STREAMING_URL = os.environ.get("ROSTRA_STREAMING_URL", "")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ROSTRA_ALLOWED_HOSTS", "").split(",") if h.strip()] or [
    ROSTRA_DOMAIN.split(":")[0],
    "127.0.0.1",
    "localhost",
]
CSRF_TRUSTED_ORIGINS = [f"{'https' if ROSTRA_HTTPS else 'http'}://{ROSTRA_DOMAIN}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "rostra.core",
    "rostra.accounts",
    "rostra.posts",
    "rostra.timelines",
    "rostra.moderation",
    "rostra.web",
    "rostra.api",
    "rostra.federation",
]

MIDDLEWARE = [
    "rostra.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rostra.urls"
WSGI_APPLICATION = "rostra.wsgi.application"

TEMPLATES = [
    {
        # The web app's pages: Jinja2 renders a feed page several times faster than the
        # Django template language (docs/decisions.md).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "rostra.web.jinja.environment"},
    },
    {
        # Django's admin.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

# "model" (default) screens every post with the moderation model and the instance's rules;
# "off" publishes without screening, for tests and development only (never in production).
ROSTRA_SCREENING = os.environ.get("ROSTRA_SCREENING", "model")
# Seconds the model may take for one post before the post is held instead.
ROSTRA_SCREENING_TIMEOUT = float(os.environ.get("ROSTRA_SCREENING_TIMEOUT", "5"))

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The few queries every page runs (rostra.core.rawrows) are prepared once per connection
        # on PostgreSQL: planning the feed's four-table join took longer than running it. The
        # ORM's queries are not (Django binds their parameters client-side). Set
        # ROSTRA_PG_PREPARE=0 behind a pooler that cannot keep prepared statements.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        if os.environ.get("ROSTRA_PG_PREPARE", "1") != "0":
            options.setdefault("prepare_threshold", 1)
            # Left to choose, PostgreSQL kept planning the feed query for each page (0.5 ms to
            # plan, 0.1 ms to run at 1M posts): its estimate for one account's feed made the
            # generic plan look dearer, though it is the same index scan. Only prepared
            # statements are affected, and only Rostra's own are prepared.
            options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "rostra.sqlite3",
            # Reuse connections as DATABASE_URL's do: opening one per request (the PRAGMAs, the
            # SQL functions, a cold page cache) was about 30% of a home page's CPU time.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
            # Deleted rows are overwritten with zeros, not left readable in free pages.
            " PRAGMA secure_delete=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, tasks -----------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ROSTRA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        # inbox: activities from other servers; delivery: activities to them (its own queue,
        # so a post to thousands of remote followers never delays fan-out here).
        "QUEUES": ["default", "media", "inbox", "delivery"],
    }
}

# --- Accounts and security ------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["rostra.accounts.backends.AccountBackend"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_SECURE = ROSTRA_HTTPS
CSRF_COOKIE_SECURE = ROSTRA_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if ROSTRA_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# Requests allowed per window; "count/seconds". Scaled in tests through the environment.
ROSTRA_RATE_LIMITS = {
    "signup": os.environ.get("ROSTRA_RATE_SIGNUP", "5/3600"),
    "login": os.environ.get("ROSTRA_RATE_LOGIN", "10/300"),
    "post": os.environ.get("ROSTRA_RATE_POST", "30/60"),
    "report": os.environ.get("ROSTRA_RATE_REPORT", "20/3600"),
    # Mastodon's defaults: 300 API calls per 5 minutes per token (or address), and app sign-ups.
    "api": os.environ.get("ROSTRA_RATE_API", "300/300"),
    "apps": os.environ.get("ROSTRA_RATE_APPS", "30/300"),
}

# --- OAuth 2 for the Mastodon API (django-oauth-toolkit) ---------------------------------

OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "rostra.api.oauth.Validator",
    "SCOPES_BACKEND_CLASS": "rostra.api.oauth.Scopes",
    # Mastodon's tokens do not expire and most apps never refresh; two years, then sign in again.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 2 * 365 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "ROTATE_REFRESH_TOKEN": True,
    # PKCE is used when an app sends a challenge (S256 only); Mastodon does not demand it.
    "PKCE_REQUIRED": False,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "OAUTH2_BACKEND_CLASS": "oauth2_provider.oauth2_backends.OAuthLibCore",
}
# Named explicitly so Rostra's own migrations can point at DOT's models.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# How long the trending hashtags (on every page) are kept before they are counted again.
ROSTRA_TRENDS_CACHE_SECONDS = int(os.environ.get("ROSTRA_TRENDS_CACHE_SECONDS", "300"))

# --- Federation (ActivityPub) -----------------------------------------------------------

# Off: no activities sent or accepted (the instance stands alone).
ROSTRA_FEDERATION = _env_bool("ROSTRA_FEDERATION", True)
# For tests on one machine only: let fetches and deliveries reach 127.0.0.1 over plain http.
ROSTRA_FEDERATION_ALLOW_LOOPBACK = _env_bool("ROSTRA_FEDERATION_ALLOW_LOOPBACK")
# Seconds a fetch or delivery to another server may take.
ROSTRA_FEDERATION_TIMEOUT = float(os.environ.get("ROSTRA_FEDERATION_TIMEOUT", "10"))
# "Authorized fetch": reads of actors, posts and collections must be signed too.
ROSTRA_AUTHORIZED_FETCH = _env_bool("ROSTRA_AUTHORIZED_FETCH")
# A signed request dated further than this from now (either way) is refused as a replay.
ROSTRA_SIGNATURE_WINDOW = int(os.environ.get("ROSTRA_SIGNATURE_WINDOW", "300"))
# Deliveries in flight to one server at once, across every worker.
ROSTRA_DELIVERY_CONCURRENCY = int(os.environ.get("ROSTRA_DELIVERY_CONCURRENCY", "4"))
# How long failed deliveries are retried (exponential backoff), in hours, and the first pause
# in seconds (it doubles with every failure, up to six hours).
ROSTRA_DELIVERY_RETRY_HOURS = float(os.environ.get("ROSTRA_DELIVERY_RETRY_HOURS", "50"))
ROSTRA_DELIVERY_FIRST_RETRY = float(os.environ.get("ROSTRA_DELIVERY_FIRST_RETRY", "30"))

# --- Media ----------------------------------------------------------------------------

MEDIA_ROOT = Path(os.environ.get("ROSTRA_MEDIA_ROOT", DATA_DIR / "media")).resolve()
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
ROSTRA_MEDIA_MAX_BYTES = int(os.environ.get("ROSTRA_MEDIA_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = ROSTRA_MEDIA_MAX_BYTES * 4 + 1_000_000

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ROSTRA_LOG_LEVEL", "WARNING")},
    "loggers": {"rostra": {"level": os.environ.get("ROSTRA_LOG_LEVEL", "INFO"), "propagate": True}},
}
