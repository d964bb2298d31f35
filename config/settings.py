"""Rekindle settings: one module, driven by environment variables.

Defaults give the embedded run (SQLite in var/, Redis on localhost); production
flips behaviour through env vars, never through a second settings module.
"""
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("REKINDLE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    key = env_str("SECRET_KEY")
    if key:
        return key
    # Embedded run: a random key kept in var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "contacts",
    "dormancy",
    "segments",
    "scoring",
    "campaigns",
    "tracking",
    "alerts",
    "reports",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tracking.middleware.SignedMailTracking",  # the open pixel, click redirect and beacon skip the rest
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",  # HTML only; the tracking paths above never reach it
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.roles",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rekindle.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a worker imports; a busy timeout
    # turns short write contention into a wait instead of an error.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real Celery worker process can share the test DB.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT spends ~0.3 s compiling each large segment or dormancy
    # query and wins nothing back on queries that take a second or less.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) exist on PostgreSQL; SQLite keeps the key columns, which is fine embedded.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
IMPORT_UPLOAD_DIR = MEDIA_ROOT / "imports"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)

# REST API (api/): API keys or the browser session, roles as in the HTML pages, one error format.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF on unsafe methods
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "api.permissions.HasRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],  # DRF's, with a 400 for too deep nesting
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rekindle API",
    "DESCRIPTION": (
        "Dormancy rules and segments. Authenticate with the browser session (unsafe methods need the CSRF "
        "token) or an API key: `Authorization: Api-Key <key>`. Errors are always "
        '`{"errors": [{"field": ..., "message": ...}]}`.'
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from drf-spectacular-sidecar through our static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email (used by later features; the backend is real SMTP).
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rekindle@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Where the file backend (make run's default) writes each message: one .log file per connection.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "outbox"))

# Sending (campaigns.sending): public links in mail, provider webhooks, batches, leases and retries.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
MAIL_WEBHOOK_SECRET = env_str("MAIL_WEBHOOK_SECRET")
# Requests a minute per client IP on the public pages (unsubscribe, rescue options) and on the open pixel and
# click redirect (mail providers' image proxies fetch many pixels from few addresses); 0 turns a limit off.
PUBLIC_PAGE_RATE_PER_MINUTE = env_int("PUBLIC_PAGE_RATE_PER_MINUTE", 60)
PUBLIC_TRACKING_RATE_PER_MINUTE = env_int("PUBLIC_TRACKING_RATE_PER_MINUTE", 1200)
SENDING_QUEUE = env_str("SENDING_QUEUE") or None  # None: Celery's default queue
SENDING_BATCH_SIZE = env_int("SENDING_BATCH_SIZE", 100)  # deliveries per send task (at least 100)
SENDING_LEASE_SECONDS = env_int("SENDING_LEASE_SECONDS", 300)  # a claimed row not finished by then is "unknown"
SENDING_REDISPATCH_SECONDS = env_int("SENDING_REDISPATCH_SECONDS", 600)  # a queued row's doorbell is re-sent after
SENDING_MAX_ATTEMPTS = env_int("SENDING_MAX_ATTEMPTS", 5)
SENDING_RETRY_BASE_SECONDS = env_int("SENDING_RETRY_BASE_SECONDS", 60)  # doubles per attempt, at most 1 hour
SENDING_TASK_BUDGET_SECONDS = env_int("SENDING_TASK_BUDGET_SECONDS", 540)  # a send task claims nothing new after

# Security: HTTPS=1 switches on everything `check --deploy` asks for.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Celery: the database is the truth; a message is only a doorbell.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_BEAT_SCHEDULE = {
    # Re-enqueue import jobs whose message was lost and revive stale leases.
    "sweep-import-jobs": {
        "task": "contacts.tasks.import_jobs_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Recompute every active dormancy rule's stored members (a new day makes contacts dormant by itself).
    "refresh-dormancy-members": {
        "task": "dormancy.tasks.rules_members_refresh_all",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # Recompute every active segment's membership snapshot (enter/leave history).
    "refresh-segments": {
        "task": "segments.tasks.segments_refresh_all",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    # Recompute every lead score and hot-lead flag (decay moves them even without new events).
    "recompute-scores": {
        "task": "scoring.tasks.scores_recompute",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    # Dashboard snapshots (reports.snapshots): yesterday and today in the workspace calendar, replaced set-based.
    # Hourly: the first run after local midnight closes yesterday, the others keep today's point current; then
    # days of the last 91 without a snapshot, for up to REPORTS_SNAPSHOT_FILL_SECONDS.
    "compute-dashboard-snapshots": {
        "task": "reports.tasks.daily_snapshots_compute",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # The campaign report's stored answers (reports.campaign_answers), recomputed for every row whose 30-day
    # window is still open: repairs what a race hid from the incremental updates. Once a day (a float like the
    # others: tests/config checks every entry's expires against its period).
    "reconcile-campaign-report-answers": {
        "task": "reports.tasks.campaign_answers_reconcile",
        "schedule": 86400.0,
        "options": {"expires": 3 * 3600},
    },
}
# Sending: find due deliveries (scheduled_at in the database, never long ETAs in Redis) and repair leases.
CELERY_BEAT_SCHEDULE["dispatch-deliveries"] = {
    "task": "campaigns.tasks.deliveries_dispatch",
    "schedule": float(env_int("SENDING_DISPATCH_INTERVAL", 15)),
    "options": {"expires": max(env_int("SENDING_DISPATCH_INTERVAL", 15) - 1, 1),
                **({"queue": SENDING_QUEUE} if SENDING_QUEUE else {})},
}
CELERY_BEAT_SCHEDULE["sweep-deliveries"] = {
    "task": "campaigns.tasks.deliveries_sweep",
    "schedule": float(env_int("SENDING_SWEEP_INTERVAL", 60)),
    "options": {"expires": max(env_int("SENDING_SWEEP_INTERVAL", 60) - 5, 1),
                **({"queue": SENDING_QUEUE} if SENDING_QUEUE else {})},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_TIME_LIMIT = 1800
CELERY_TASK_SOFT_TIME_LIMIT = 1700
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# Sequences and playbooks: exits, enrolment and due steps, every minute (campaigns.flows).
# Per campaign and pass: at most this many entries enrolled and this many due steps moved on; a burst
# drains over the following passes, oldest due first, and every campaign gets its share of every pass.
FLOWS_PASS_LIMIT = max(env_int("FLOWS_PASS_LIMIT", 5000), 1)
CELERY_IMPORTS = ("campaigns.flows.tasks", "campaigns.tasks_recurring")
CELERY_BEAT_SCHEDULE["run-sequences-and-playbooks"] = {
    "task": "campaigns.flows.tasks.flows_run",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Recurring newsletters: write the deliveries of each run that fell due (campaigns.recurring).
CELERY_BEAT_SCHEDULE["run-recurring-newsletters"] = {
    "task": "campaigns.tasks_recurring.recurring_run",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Hot-lead alerts (alerts/): evaluating new touches is quick but must not wait behind a backlog of scoring work
# after a traffic spike; a queue of its own (and a worker on it) keeps alerts within seconds. None: the default.
# On it, the emails and webhooks go at a lower priority than the evaluation (kombu's Redis transport takes
# priority 0 first): a burst of alerts queues a notification each, and the next touch's evaluation (what puts the
# alert in the inbox) must not wait behind them.
ALERTS_QUEUE = env_str("ALERTS_QUEUE") or None
ALERTS_NOTIFICATION_PRIORITY = 6
CELERY_TASK_ROUTES = ("config.celery.task_route",)  # reads ALERTS_QUEUE when a task is sent
# Lost intakes, due webhook/email retries and snoozed alerts, every few seconds.
CELERY_BEAT_SCHEDULE["sweep-alerts"] = {
    "task": "alerts.tasks.alerts_sweep",
    "schedule": float(env_int("ALERTS_SWEEP_INTERVAL", 10)),
    "options": {"expires": max(env_int("ALERTS_SWEEP_INTERVAL", 10) - 1, 1)},
}
# Alert webhooks (alerts/outbound.py) never go to loopback, link-local (cloud metadata), multicast or reserved
# addresses; private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) only when allowed here, e.g. a
# Mattermost on the LAN. The allow-list (host or host:port, comma-separated) skips the address check for those.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])

# Website and mail tracking (tracking/): public endpoints buffer events in Redis; a drain stores them in batches.
TRACKING_BUFFERED = env_bool("TRACKING_BUFFERED", True)  # off: every event is written in its request
# The pixel, click and beacon answered in front of Django's handler (tracking/wsgi.py); off: through it.
TRACKING_FAST_PATH = env_bool("TRACKING_FAST_PATH", True)
TRACKING_DRAIN_BATCH = env_int("TRACKING_DRAIN_BATCH", 2000)  # records per database transaction
TRACKING_DRAIN_BUDGET_SECONDS = env_int("TRACKING_DRAIN_BUDGET_SECONDS", 50)  # one drain task stops after
TRACKING_DRAIN_LEASE_SECONDS = env_int("TRACKING_DRAIN_LEASE_SECONDS", 30)  # a crashed drain's lock frees after
TRACKING_DOORBELL_MS = env_int("TRACKING_DOORBELL_MS", 500)  # at most one drain task enqueued per period
TRACKING_DRAIN_GATHER_MS = env_int("TRACKING_DRAIN_GATHER_MS", 200)  # a drain waits this long for a batch to fill
# A queue of its own (and a worker on it) keeps the drain from waiting behind other work; None: the default queue.
TRACKING_QUEUE = env_str("TRACKING_QUEUE") or None
TRACKING_SITE_CACHE_SECONDS = env_int("TRACKING_SITE_CACHE_SECONDS", 10)
TRACKING_TOKEN_MAX_AGE_DAYS = env_int("TRACKING_TOKEN_MAX_AGE_DAYS", 400)  # the rk contact token in links
TRACKING_ANONYMOUS_RETENTION_DAYS = env_int("TRACKING_ANONYMOUS_RETENTION_DAYS", 90)
PUBLIC_BEACON_RATE_PER_MINUTE = env_int("PUBLIC_BEACON_RATE_PER_MINUTE", 600)  # per client IP; 0 turns it off
PUBLIC_FORM_RATE_PER_MINUTE = env_int("PUBLIC_FORM_RATE_PER_MINUTE", 30)
# Beat's hourly snapshot run spends up to this long filling days of the last 91 that have none (a fresh
# install, a restore, a new rule); about 1.5–3 s a day at a million contacts. 0 turns the filling off.
REPORTS_SNAPSHOT_FILL_SECONDS = env_int("REPORTS_SNAPSHOT_FILL_SECONDS", 120)
# The bench (bench/tracking_bench.py) only: adds /bench/… endpoints (a bare view, synchronous variants).
TRACKING_BENCH_ENDPOINTS = env_bool("TRACKING_BENCH_ENDPOINTS", False)
CELERY_BEAT_SCHEDULE["drain-tracking-events"] = {  # the safety net behind the doorbell
    "task": "tracking.tasks.events_drain",
    "schedule": float(env_int("TRACKING_DRAIN_INTERVAL", 2)),
    # Like every beat entry, expires by the next tick so ticks never pile up in the queue behind a backlog; a
    # tick that expired there is followed by one that runs once the backlog clears (and by every doorbell).
    "options": {"expires": float(env_int("TRACKING_DRAIN_INTERVAL", 2)),
                **({"queue": TRACKING_QUEUE} if TRACKING_QUEUE else {})},
}
CELERY_BEAT_SCHEDULE["prune-anonymous-page-views"] = {
    "task": "tracking.tasks.anonymous_views_prune",
    "schedule": 3600.0,
    "options": {"expires": 3300},
}
