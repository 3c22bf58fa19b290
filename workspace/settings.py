"""One settings file; every knob comes from the environment (see README.md)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FUNCTIONS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY and DEBUG:
    # Only a development server (DJANGO_DEBUG=1) may sign sessions with a known value.
    SECRET_KEY = "dev-only-insecure-secret-key-change-me"
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set it to a long random value (e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), or use `make run`, "
        "which generates one in var/secret-key; DJANGO_DEBUG=1 allows a development key."
    )
ALLOWED_HOSTS = env_str("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "workspace.apps.WorkspaceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "axes",
    "workspace",
    "functions",
    "delivery",
]

MIDDLEWARE = [
    "workspace.operations.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (admin CSS, console, editor) without DEBUG.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workspace.urls"
WSGI_APPLICATION = "workspace.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default serves a web process and a worker on one file.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses any login of a locked-out username + address before a password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed copies made by `collectstatic` (run by `make run`), served by
    # WhiteNoise with far-future cache headers.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- HTTPS and logins ----------------------------------------------------------
# Behind a TLS-terminating proxy, DJANGO_PROXY_SSL_HEADER names the header it sets to
# "https" (e.g. HTTP_X_FORWARDED_PROTO); only set it when the proxy always sets or strips it.
_proxy_header = env_str("DJANGO_PROXY_SSL_HEADER")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
HTTPS = env_bool("DJANGO_HTTPS", bool(_proxy_header))
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", HTTPS and not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", HTTPS and not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in env_str("DJANGO_CSRF_TRUSTED_ORIGINS").split(",") if origin.strip()
]
# django-axes: this many failed logins for one username from one address lock that pair
# out for AXES_LOCKOUT_MINUTES; a success before the limit starts the count again.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address counted is REMOTE_ADDR (django-ipware is not installed): behind a proxy, that
# is the proxy's, and a username is then locked out from every address at once.

# --- Functions ---------------------------------------------------------------
FUNCTIONS_ENCRYPTION_KEYS = [
    key.strip() for key in env_str("FUNCTIONS_ENCRYPTION_KEYS").split(",") if key.strip()
]
FUNCTIONS_DEV_KEY_FILE = VAR_DIR / "dev-encryption-key"
# The demo webhook's token (workspace/demo.py), generated by seed_demo.
DEMO_RECEIVER_TOKEN_FILE = VAR_DIR / "demo-receiver-token"
FUNCTIONS_ALLOW_PRIVATE_FETCH = env_bool("FUNCTIONS_ALLOW_PRIVATE_FETCH", False)
FUNCTIONS_TIMEOUT_MS = env_int("FUNCTIONS_TIMEOUT_MS", 5000)
FUNCTIONS_MEMORY_MB = env_int("FUNCTIONS_MEMORY_MB", 128)

# --- Celery ------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    # Embedded default: a broker on the local file system, so `make run` needs no Redis
    # and still runs a real worker process.
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "out").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# --- Delivery pipeline (delivery/) ----------------------------------------------
# Retries: randomized exponential backoff from this base (30 s, 1 min, 2 min, ... 32 min).
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 30)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", 7200)
# A task handed deliveries holds them this long, renewed every third of it while the task
# runs (delivery/ledger/leases.py); a dead holder's rows are handed over again after at most this.
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 30)
# Accepted events whose task never ran are handed to Celery again after this long. With
# the lease, this bounds recovery after a kill -9: Celery's own redelivery of an unacked
# task waits for the broker's visibility_timeout (an hour), and is never relied upon.
DELIVERY_OUTBOX_REDISPATCH_SECONDS = env_int("DELIVERY_OUTBOX_REDISPATCH_SECONDS", 30)
# Processed outbox entries are kept this long (for inspection), then the sweeper deletes them.
DELIVERY_OUTBOX_KEEP_SECONDS = float(env_str("DELIVERY_OUTBOX_KEEP_SECONDS", "3600"))
DELIVERY_SWEEP_SECONDS = float(env_str("DELIVERY_SWEEP_SECONDS", "2"))
# onBatch functions: flush at batchMaxCount or after this wait.
DELIVERY_BATCH_WAIT_SECONDS = env_int("DELIVERY_BATCH_WAIT_SECONDS", 10)
DELIVERY_BATCH_MAX_BYTES = 6 * 1024 * 1024
# Events per task for functions without onBatch and for webhooks.
DELIVERY_CHUNK_SIZE = env_int("DELIVERY_CHUNK_SIZE", 500)
DELIVERY_WEBHOOK_TIMEOUT_SECONDS = float(env_str("DELIVERY_WEBHOOK_TIMEOUT_SECONDS", "10"))
# Requests in flight at once per worker process (its keep-alive connections to a webhook's
# host): more answers per libcurl poll and per wake-up of the receiver. 60,000-event pipeline
# runs alternated: 32 against 8 gave 16,317-16,394 against 14,695-14,713 events/s; 16 against
# 8, later, 17,342-18,684 against 17,262-17,733. 32 made a struggling receiver see more
# requests it had already timed out (tests/delivery/test_pipeline_fairness.py), so 16.
DELIVERY_WEBHOOK_CONCURRENCY = env_int("DELIVERY_WEBHOOK_CONCURRENCY", 16)
# The slow lane (delivery/lanes.py): a destination whose webhook or function timed out runs
# only there for this long after its last timeout, one small chunk at a time, in at most
# DELIVERY_SLOW_LANES tasks at once across all workers; a time limit spent in the ordinary
# lane hands the rest of the batch back (each function run may be stopped by a limit at
# most DELIVERY_SLOW_LANE_KILLS times in the slow lane, once in the ordinary one).
DELIVERY_SLOW_SECONDS = env_int("DELIVERY_SLOW_SECONDS", 300)
DELIVERY_SLOW_LANES = env_int("DELIVERY_SLOW_LANES", 1)
DELIVERY_SLOW_CHUNK_SIZE = env_int("DELIVERY_SLOW_CHUNK_SIZE", 8)
DELIVERY_SLOW_LANE_KILLS = env_int("DELIVERY_SLOW_LANE_KILLS", 10)
# A webhook batch records the outcomes that arrived at most this often while it is sent,
# so a crash re-sends little more than the requests on the wire.
DELIVERY_RECORD_EVERY_SECONDS = float(env_str("DELIVERY_RECORD_EVERY_SECONDS", "0.2"))
# /metrics: bearer token; unset, only loopback clients are answered.
FUNCTIONS_METRICS_TOKEN = env_str("FUNCTIONS_METRICS_TOKEN")
# Workers record themselves this often; /readyz wants one seen within the stale limit.
WORKER_HEARTBEAT_SECONDS = float(env_str("WORKER_HEARTBEAT_SECONDS", "10"))
WORKER_HEARTBEAT_STALE_SECONDS = env_int("WORKER_HEARTBEAT_STALE_SECONDS", 60)
# Retention of final ledger rows (days; fractions allowed, e.g. 0.0005 is 43 s for a bench),
# pruned by beat in batches of at most BATCH rows, deleting at most DUTY of the time (it
# sleeps in between), within a time budget per run: while it runs it holds a worker slot,
# so the budget is a quarter of the interval.
DELIVERY_RETENTION_DAYS = float(env_str("DELIVERY_RETENTION_DAYS", "7"))
DELIVERY_RETENTION_FAILED_DAYS = float(env_str("DELIVERY_RETENTION_FAILED_DAYS", "30"))
DELIVERY_RETENTION_BATCH = env_int("DELIVERY_RETENTION_BATCH", 500)
DELIVERY_RETENTION_DUTY = float(env_str("DELIVERY_RETENTION_DUTY", "0.25"))
DELIVERY_RETENTION_BUDGET_SECONDS = float(env_str("DELIVERY_RETENTION_BUDGET_SECONDS", "15"))
DELIVERY_RETENTION_EVERY_SECONDS = float(env_str("DELIVERY_RETENTION_EVERY_SECONDS", "60"))
# Hours are rolled up for Event Delivery this long after they end (retries stop within 4 h).
DELIVERY_ROLLUP_AFTER_HOURS = env_int("DELIVERY_ROLLUP_AFTER_HOURS", 5)
# Connection Health: error rates over the last minutes; see delivery/health/evaluate.py.
HEALTH_WINDOW_MINUTES = env_int("HEALTH_WINDOW_MINUTES", 15)
HEALTH_MIN_EVENTS = env_int("HEALTH_MIN_EVENTS", 5)
HEALTH_DEGRADED_ERROR_RATE = float(env_str("HEALTH_DEGRADED_ERROR_RATE", "0.1"))
HEALTH_FAILING_ERROR_RATE = float(env_str("HEALTH_FAILING_ERROR_RATE", "0.95"))
HEALTH_CHECK_SECONDS = float(env_str("HEALTH_CHECK_SECONDS", "60"))
# Alerts by email: the console backend unless EMAIL_HOST is set (then SMTP).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "functions@localhost")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "delivery-sweep": {"task": "delivery.sweep", "schedule": DELIVERY_SWEEP_SECONDS},
    "delivery-connection-health": {
        "task": "delivery.connection_health",
        "schedule": HEALTH_CHECK_SECONDS,
    },
    "delivery-roll-up": {"task": "delivery.roll_up", "schedule": 300.0},
    "delivery-prune-ledger": {
        "task": "delivery.prune_ledger",
        "schedule": DELIVERY_RETENTION_EVERY_SECONDS,
    },
}

# --- REST framework ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "workspace.api.schema.ApiAutoSchema",
    # Requests per token per period; every answer reports it in X-RateLimit-* headers.
    "DEFAULT_THROTTLE_RATES": {"api": env_str("FUNCTIONS_API_RATE_LIMIT", "1200/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Functions Public API",
    "DESCRIPTION": (
        "Destination functions and destination insert functions. Authenticate with "
        '`Authorization: Bearer <token>`; answers are `{"data": ...}` or '
        '`{"errors": [{"type", "message", "field"}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SECURITY": [{"token": []}],
    "ENUM_NAME_OVERRIDES": {
        "SuccessStatusEnum": ["SUCCESS"],
        "RunStatusEnum": "functions.runtime.results.STATUSES",
    },
}

LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {
            "()": "workspace.operations.logs.TextFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # httpx logs every request at INFO: one line per delivered event in the worker.
        "httpx": {"level": "WARNING"},
        # Our request lines replace Django's and runserver's own access lines.
        "django.server": {"level": "WARNING"},
    },
}
