"""Settings for the whole project, read from the environment (see .env.example)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from teletherapy.lib.channel_layer import in_memory_layer, redis_layer
from teletherapy.lib.env import (
    env_bool,
    env_file_path,
    env_int,
    env_list,
    env_secret,
    env_str,
    load_env_file,
    site_url_default,
)
from teletherapy.lib.net import parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent
# .env (or the file named by ENV_FILE) when present; variables already set win.
_ENV_FILE = env_file_path(BASE_DIR)
if _ENV_FILE is not None:
    load_env_file(_ENV_FILE)
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("TELETHERAPY_TESTING", False)


def _secret_key() -> str:
    # Keep a generated key in var/ so a plain start works and sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    try:
        return env_secret("SECRET_KEY")
    except ImproperlyConfigured:
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(64))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# The address the app listens on (scripts/serve); SITE_URL defaults to it.
HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000, minimum=1)
_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
if HOST and HOST not in {"0.0.0.0", "::", "[::]", "*", *_LOCAL_HOSTS}:
    _LOCAL_HOSTS.append(HOST if ":" not in HOST or HOST.startswith("[") else f"[{HOST}]")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", _LOCAL_HOSTS)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL") or site_url_default()).rstrip("/")
# Pages of these origins (besides SITE_URL's) may open the signaling WebSocket: exact scheme,
# host and port, e.g. https://therapy.example.org:8443.
EXTRA_ORIGINS = env_list("EXTRA_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "teletherapy.ops",
    "teletherapy.accounts",
    "teletherapy.audit",
    "teletherapy.practice",
    "teletherapy.clients",
    "teletherapy.availability",
    "teletherapy.portal",
    "teletherapy.scheduling",
    "teletherapy.video",
    "teletherapy.alerts",
    "teletherapy.quality",
    "teletherapy.reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the idle sign-out, which leaves a message saying why the person was signed out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "teletherapy.practice.policy.PracticePolicyMiddleware",
    "teletherapy.accounts.middleware.IdleSignOutMiddleware",
    "teletherapy.accounts.middleware.AreaMiddleware",
    "teletherapy.reminders.middleware.JoinScopeMiddleware",
    "teletherapy.accounts.middleware.NoStoreMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "teletherapy.accounts.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "teletherapy.practice.context_processors.staff_menu",
            ],
            # Libraries of teletherapy.lib, which is not an app: clock formats times in a
            # zone; slots lets a higher app fill a place on a lower app's page.
            "libraries": {"clock": "teletherapy.lib.clock", "slots": "teletherapy.lib.slots"},
        },
    },
]

# Database: SQLite in WAL mode unless DATABASE_URL names another (PostgreSQL via psycopg 3).
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_POOL", not TESTING
    ):
        # Under ASGI persistent connections are not reused between requests; a pool is.
        # (Off in tests: a pooled connection would keep the test database from being dropped.)
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 1, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # Keep connections: opening one (with its PRAGMAs) costs more than the query
            # behind each signaling message.
            "CONN_MAX_AGE": 60,
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # A file, so a browser test's server process sees the test's data (the test run
            # names one per pytest process, or memory when no test needs a file).
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(VAR_DIR / "test-db.sqlite3"))},
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, which serializes booking transactions.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: Redis when configured (several app processes), else in-memory (one process).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Pool size, timeouts and capacities for load: see teletherapy/lib/channel_layer.py.
    CHANNEL_LAYERS = {
        "default": redis_layer(
            REDIS_URL, max_connections=env_int("REDIS_MAX_CONNECTIONS", 200, minimum=4)
        )
    }
else:
    CHANNEL_LAYERS = {"default": in_memory_layer()}

# Background work (email): the database queue with `manage.py db_worker`, immediate in tests.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be 'database' or 'immediate'; got {TASKS_BACKEND!r}"
    )
# /healthz fails when a task has waited longer than this for a worker.
TASK_QUEUE_MAX_AGE_SECONDS = env_int("TASK_QUEUE_MAX_AGE_SECONDS", 300, minimum=1)
# A RUNNING task older than this whose worker holds no lock on it is run again (see ops/worker.py);
# longer than any task runs (an email with its retries takes under a minute).
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 300, minimum=1)
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 3, minimum=1)
EMAIL_RETRY_SECONDS = 0 if TESTING else 2

# Email: EMAIL_URL=smtp://user:password@host:port[?tls=1|ssl=1], else console plus var/mail/.
EMAIL_URL = env_str("EMAIL_URL")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Teletherapy <no-reply@localhost>")
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in {"smtp", "smtps"} or not _mail.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL must look like smtp://host:port; got {EMAIL_URL!r}")
    _query = parse_qs(_mail.query)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps" or _query.get("ssl", ["0"])[0] in {"1", "true"}
    EMAIL_USE_TLS = _query.get("tls", ["0"])[0] in {"1", "true"}
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "teletherapy.lib.mail.ConsoleAndFileBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Accounts and passwords.
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "practice:dashboard"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
if TESTING:
    # Test runs (and their app servers) hash with fast MD5; Argon2 stays for reading its
    # hashes and for the test that checks it (accounts/tests/test_password_hashing.py).
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LINK_VALID_HOURS = 24

# Text messages (teletherapy/lib/sms.py): "console" prints them and keeps a copy in var/sms/;
# "twilio" sends them through Twilio's Messages API.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in {"console", "twilio"}:
    raise ImproperlyConfigured(f"SMS_BACKEND must be 'console' or 'twilio'; got {SMS_BACKEND!r}")
SMS_FILE_PATH = VAR_DIR / "sms"
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 3, minimum=1)
SMS_RETRY_SECONDS = 0 if TESTING else 2
SMS_TIMEOUT_SECONDS = env_int("SMS_TIMEOUT_SECONDS", 10, minimum=1)
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN") if SMS_BACKEND == "twilio" else ""
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com")
OTP_TOTP_ISSUER = "Teletherapy"
# Minutes a sign-in (or a password confirmation) counts as recent enough to change the email
# address, the password or two-step sign-in.
REAUTH_MINUTES = 10

# The client's address (lockout, audit log): X-Forwarded-For is believed only from these
# proxies (addresses or networks), so a direct client cannot choose its address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
parse_networks(TRUSTED_PROXIES)  # fail at start-up on a typo
if env_int("PROXY_COUNT", 0, minimum=0):
    raise ImproperlyConfigured(
        "PROXY_COUNT is no longer read: list the proxies' addresses in TRUSTED_PROXIES instead"
    )

# Lockout with a cool-off: AXES_FAILURE_LIMIT per account and address (a stranger elsewhere
# cannot lock anyone out that way), and ACCOUNT_FAILURE_LIMIT per account from any address
# (guesses spread over many addresses).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
ACCOUNT_FAILURE_LIMIT = env_int("ACCOUNT_FAILURE_LIMIT", 20, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "teletherapy.accounts.lockout.AccountLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "teletherapy.lib.net.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "teletherapy.accounts.views.locked_out"

# Sessions and automatic logoff.
IDLE_TIMEOUT_MINUTES = env_int("IDLE_TIMEOUT_MINUTES", 30, minimum=1)
# However active, a sign-in ends this many hours after it began.
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Transport security. HTTPS=1 when served behind TLS (production); plain http on 127.0.0.1 otherwise.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# __Host- cookies are refused by browsers unless secure, for "/" and without a Domain: no
# sibling subdomain can set or shadow them.
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# The load balancer asks app servers directly, over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script anywhere; 'self' covers same-origin ws(s):// in current browsers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF, "ws:", "wss:"] if not HTTPS else [SELF, "wss:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Teletherapy calls.
TELETHERAPY_JOIN_MINUTES_BEFORE = 15
TELETHERAPY_GRACE_MINUTES = env_int("TELETHERAPY_GRACE_MINUTES", 30, minimum=0)
# An open signaling connection refreshes its presence this often;
# a connection not seen for TELETHERAPY_PRESENCE_SECONDS is gone (its app process died).
# Short enough that a client whose app process died shows as gone within 20 seconds (the
# alert socket refreshes every ALERT_REFRESH_SECONDS and expires what stopped beating).
SIGNALING_RECHECK_SECONDS = float(env_int("SIGNALING_RECHECK_SECONDS", 5, minimum=1))
# The full access check behind the pushed revokes (roles, sign-in, the appointment): the
# safety net, less often, as it is the costly query (presence above is a few small ones).
SIGNALING_ACCESS_RECHECK_SECONDS = float(env_int("SIGNALING_ACCESS_RECHECK_SECONDS", 30, minimum=1))
TELETHERAPY_PRESENCE_SECONDS = env_int("TELETHERAPY_PRESENCE_SECONDS", 15, minimum=5)
ALERT_REFRESH_SECONDS = float(env_int("ALERT_REFRESH_SECONDS", 5, minimum=1))
# Per connection: a token bucket generous for ICE bursts; sustained floods are closed.
SIGNALING_RATE_PER_SECOND = env_int("SIGNALING_RATE_PER_SECOND", 50, minimum=1)
SIGNALING_BURST = env_int("SIGNALING_BURST", 200, minimum=1)
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env_secret("TURN_SECRET", "") if TURN_URLS else ""
TURN_TTL_SECONDS = env_int("TURN_TTL_SECONDS", 3600, minimum=60)
# "relay" sends all media through TURN (hides addresses); "all" lets peers connect directly.
ICE_TRANSPORT_POLICY = env_str("ICE_TRANSPORT_POLICY", "all")
if ICE_TRANSPORT_POLICY not in {"all", "relay"}:
    raise ImproperlyConfigured(
        f"ICE_TRANSPORT_POLICY must be all or relay; got {ICE_TRANSPORT_POLICY!r}"
    )
if TURN_URLS and not TURN_SECRET:
    raise ImproperlyConfigured("TURN_URLS is set, so TURN_SECRET (or TURN_SECRET_FILE) must be too")

# Internationalization: aware datetimes, stored in UTC.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "teletherapy.lib.staticfiles.ManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not (DEBUG or TESTING))
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No log line may carry a one-time token: every record passes through RedactTokens.
    "filters": {"redact_tokens": {"()": "teletherapy.lib.redact.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry URLs, and URLs must never carry tokens: see the link views.
        "django.server": {"level": "WARNING"},
    },
}
