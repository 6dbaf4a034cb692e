"""Django settings for FeedbackHub, read from the environment.

Development (DEBUG=1) runs on embedded defaults: with no DATABASE_URL an embedded PostgreSQL with pgvector, with
no REDIS_URL a local Redis, with no MISTRAL_API_KEY the offline AI provider. Production (DEBUG unset or 0) needs
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL and refuses to start without them.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.templatetags.static import static
from kombu import Queue

from feedbackhub import db_settings, embedded, queues
from feedbackhub.config import env_bool, env_int, env_list, require
from feedbackhub.navigation import SIDEBAR

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
if not DEBUG:
    require(["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"], reason="production mode: DEBUG is off")

SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "import_export",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "feedbackhub",
    "ai",
    "customers",
    "feedback",
    "themes",
    "launches",
    "notifications",
    "insights",
    "integrations",
    "demo",
]

MIDDLEWARE = [
    # Health, metrics, logs (issue 12): request id first (every log line of the request has it), then timing, then
    # /healthz and /readyz answered before host checks and the HTTPS redirect (feedbackhub.health).
    "feedbackhub.logs.RequestIdMiddleware",
    "feedbackhub.metrics.MetricsMiddleware",
    "feedbackhub.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pghistory.middleware.HistoryMiddleware",  # who changed what: the user and URL go with every tracked change
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "feedbackhub.urls"
WSGI_APPLICATION = "feedbackhub.wsgi.application"

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

# --- Data ------------------------------------------------------------------------------------------------------

# --- Database in production (issue 12) ---: SSL (DATABASE_SSLMODE/SSLROOTCERT/SSLCERT/SSLKEY or the URL's query),
# persistent connections with health checks (DB_CONN_MAX_AGE, default 60 s), a statement timeout for the web role
# (HUB_ROLE=web: 15 s; DB_STATEMENT_TIMEOUT_MS overrides). How each is read: feedbackhub/db_settings.py.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": db_settings.external_database()}
else:
    DATABASES = {"default": db_settings.with_statement_timeout(embedded.postgres_db_settings(), os.environ)}
# --- end of "Database in production" ---
DATABASES["default"].setdefault("TEST", {})["NAME"] = "test_feedbackhub"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url()


def kombu_url(redis_url: str) -> str:
    """Celery's spelling of a Redis URL: a unix socket is ``redis+socket://PATH?virtual_host=DB``."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "feedbackhub",
        # A Redis that hangs (not refuses) must not stall every request that reads the cache (rate limits, figures):
        # callers treat a cache error as a miss or let the request through, but only once the call gives up.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --- Celery ----------------------------------------------------------------------------------------------------

# Set for many workers on several machines (issue 12); tests/feedbackhub/test_celery_settings.py holds the invariants.
CELERY_BROKER_URL = kombu_url(REDIS_URL)
# A worker (or beat) started before Redis, or losing it, keeps retrying instead of exiting (managed Redis failover).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# The longest delay a task is sent with (countdown/eta/retry backoff in the code: retry_backoff_max=600, and
# process_event's countdown capped at 600).
CELERY_MAX_COUNTDOWN = 600
# Redis gives a message taken by a worker that never acknowledged it (died) to another worker after this many seconds.
# Celery's docs: it must be longer than the longest task run AND the longest ETA/countdown, or the message is handed
# out again while still running or waiting — re-run in a loop; and it must be the same everywhere it is set (broker,
# result backend transport options, every worker and beat: all read it from here). Two hours: above the batch tasks'
# one-hour hard limit. A dead worker's message comes back after that at worst; the minute sweeps (deliver_due,
# triage_untriaged, process_pending_events, requeue_sheet_jobs) resend the urgent work much sooner.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)
# kombu (5.7) looks for such messages every unacked_restore_interval (10 s) × unacked_restore_throttle (10) = 100 s by
# default; a throttle of 1 looks every 10 s (one ZRANGE BYSCORE per worker on the small unacked index, under kombu's
# mutex), so a dead worker's message is back within the visibility timeout + 10 s (measured by tests/cluster).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
# No result backend (results are ignored); were one set to Redis, it would take the same transport options.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# Acknowledge after the task ran, not when taken: a worker that dies mid-task leaves the message to another worker
# (every task is idempotent); and a pool process killed (OOM, time limit) rejects its message back to the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Take one message per pool process at a time: a worker busy with a long task holds no others the idle workers need.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits, so a hung call (a provider, SMTP, Slack) cannot hold a pool process for ever: soft raises
# SoftTimeLimitExceeded in the task, hard kills the process. Generous defaults; batch tasks get an hour
# (feedbackhub.queues, through CELERY_TASK_ANNOTATIONS); a task may set its own.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 20 * 60)
CELERY_TASK_ANNOTATIONS = queues.batch_annotations()
# A pool process grown past this (KiB) is replaced after its task, so one big batch does not keep its memory for
# ever: with the offline model loaded and 64 texts embedded a process peaks at 0.42 GB (ru_maxrss, measured here),
# so 1.5 GB leaves room for a clustering run. Not by task count: reloading the model costs seconds.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 1_500_000)
CELERY_TASK_IGNORE_RESULT = True
# Results (only of a task that asks to keep one) are deleted after a day, not kept in Redis for ever.
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Queues by kind of work (feedbackhub.queues): a worker without -Q consumes them all (make run); a production worker
# role names its own, e.g. `celery -A feedbackhub worker -Q notifications`.
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in queues.QUEUE_NAMES]
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT
CELERY_TASK_ROUTES = queues.task_routes()
# Exactly one scheduler: beat holds a Redis lock with a short TTL, renewed on every tick; a second beat waits and
# takes over within BEAT_LOCK_TTL + BEAT_LOCK_RETRY seconds of the first one dying (feedbackhub.beat).
CELERY_BEAT_SCHEDULER = "feedbackhub.beat:LockedDatabaseScheduler"
BEAT_LOCK_TTL = env_int("BEAT_LOCK_TTL", 30)  # seconds
BEAT_LOCK_RETRY = env_int("BEAT_LOCK_RETRY", 5)  # seconds between ticks (beat's max interval) and lock attempts

# --- AI --------------------------------------------------------------------------------------------------------

MISTRAL_API_KEY = os.environ.get("MISTRAL_API_KEY", "")
AI_PROVIDER = os.environ.get("AI_PROVIDER") or ("mistral" if MISTRAL_API_KEY else "offline")
if AI_PROVIDER not in {"mistral", "offline"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"AI_PROVIDER={AI_PROVIDER!r} is unknown: use 'mistral' or 'offline'")
if AI_PROVIDER == "mistral":
    require(["MISTRAL_API_KEY"], reason="AI_PROVIDER is 'mistral'")
# The Mistral provider (ai.providers.mistral): API address (empty: the SDK's default), a timeout per request, retries on
# 429/5xx/timeouts (backoff, honouring Retry-After), and the models for classification, long texts and vectors.
MISTRAL_SERVER_URL = os.environ.get("MISTRAL_SERVER_URL", "")
MISTRAL_TIMEOUT_MS = env_int("MISTRAL_TIMEOUT_MS", 30_000)
MISTRAL_MAX_RETRIES = env_int("MISTRAL_MAX_RETRIES", 3)
MISTRAL_SMALL_MODEL = os.environ.get("MISTRAL_SMALL_MODEL") or "mistral-small-latest"
MISTRAL_LARGE_MODEL = os.environ.get("MISTRAL_LARGE_MODEL") or "mistral-large-latest"
MISTRAL_EMBED_MODEL = os.environ.get("MISTRAL_EMBED_MODEL") or "mistral-embed"
# Each provider embeds into its own vector space; vectors of different spaces are never compared.
EMBEDDING_SPACES = {
    "offline": {"provider": "offline", "model": "all-MiniLM-L6-v2-int8", "dimensions": 384},
    "mistral": {"provider": "mistral", "model": MISTRAL_EMBED_MODEL, "dimensions": 1024},
}
EMBEDDING_SPACE = EMBEDDING_SPACES[AI_PROVIDER]
# Shadow mode (seed 002, "Validating AI Triage"): triage is recorded but not applied to the items.
TRIAGE_SHADOW_MODE = env_bool("TRIAGE_SHADOW_MODE", False)
# Duplicates: an item similar enough to one of the last DUPLICATE_WINDOW_DAYS becomes a suggested duplicate.
# Each space needs its own calibrated cosine threshold (seed 002's 0.85 is for Mistral's vectors); "related" is lower.
DUPLICATE_WINDOW_DAYS = env_int("DUPLICATE_WINDOW_DAYS", 30)
# Offline (MiniLM) calibrated on 124,860 labelled pairs (`python tools/duplicate_pairs.py /tmp/pairs`: minibar Garmin
# review clusters, en, 9,900 pairs; banking77, 40 intents × 12 messages, 114,960 pairs), scored by
# ai.evaluation.duplicates (`evaluate_triage --task duplicates --csv /tmp/pairs/all_pairs.csv`): average precision
# 0.454 (minibar 0.185, banking77 0.500); F1 peaks at 0.60 (0.453: precision 0.505, recall 0.410; banking77 alone
# peaks there too, 0.492) and is 0.129 at the old 0.83 (recall 0.07). Related at 0.50: recall 0.61, precision 0.27.
DUPLICATE_THRESHOLDS = {"offline": 0.60, "mistral": 0.85}
RELATED_THRESHOLDS = {"offline": 0.50, "mistral": 0.78}
# A new item joins an existing theme when it is this similar to the theme's members (per space).
# offline 0.7, calibrated by `manage.py calibrate_theme_matching` (each labelled member held out, matched back to
# the theme centres): banking77 1,000 (`--csv train.csv --sample 1000`) precision 0.87, recall 0.66; minibar
# Garmin clusters en+fr (`--text data --cluster ground_truth --split ori_lang`) precision 0.64, recall 0.25.
THEME_MATCH_THRESHOLDS = {"offline": 0.7, "mistral": 0.8}
# A theme with this many items tells its owner it is time to verify (seed 001).
THEME_VERIFY_AT = 5

# --- Measuring the loop (issue 11) ------------------------------------------------------------------------------
# Retrospectives: the scheduled run writes one for each sprint window of RETRO_SPRINT_DAYS days counted from
# RETRO_SPRINT_ANCHOR (a date: a sprint's first day). Backlog items are proposed only (dry run) unless RETRO_PUSH is
# on; a person can still push one from the admin.
RETRO_SPRINT_DAYS = env_int("RETRO_SPRINT_DAYS", 14)
RETRO_SPRINT_ANCHOR = os.environ.get("RETRO_SPRINT_ANCHOR", "2026-01-05")
RETRO_PUSH = env_bool("RETRO_PUSH", False)
# Where retrospective backlog items go: the Linear team id, or the GitHub "owner/repo".
RETRO_LINEAR_TEAM_ID = os.environ.get("RETRO_LINEAR_TEAM_ID", "")
RETRO_GITHUB_REPOSITORY = os.environ.get("RETRO_GITHUB_REPOSITORY", "")

# Where people reach the hub, e.g. https://feedback.acme.example: links in emails are absolute with it.
HUB_BASE_URL = os.environ.get("HUB_BASE_URL", "").rstrip("/")

# Link of a tracker issue key (Linear, Jira, GitHub), e.g. https://linear.app/acme/issue/{key}; empty: plain keys.
TRACKER_ISSUE_URL = os.environ.get("TRACKER_ISSUE_URL", "")

# --- Integrations: webhook secrets (an unset one closes its endpoint: 503) and what the connectors fetch with ------

WEBHOOK_SECRETS = {
    "slack": os.environ.get("SLACK_SIGNING_SECRET", ""),
    "github": os.environ.get("GITHUB_WEBHOOK_SECRET", ""),
    "intercom": os.environ.get("INTERCOM_CLIENT_SECRET", ""),
    "zendesk": os.environ.get("ZENDESK_WEBHOOK_SECRET", ""),
    "linear": os.environ.get("LINEAR_WEBHOOK_SECRET", ""),
    "call": os.environ.get("CALL_WEBHOOK_SECRET", ""),
    "crm": os.environ.get("CRM_WEBHOOK_SECRET", ""),
}
CONNECTORS = {
    "intercom": {"token": os.environ.get("INTERCOM_ACCESS_TOKEN", ""), "app_id": os.environ.get("INTERCOM_APP_ID", "")},
    "zendesk": {
        "base_url": f"https://{os.environ['ZENDESK_SUBDOMAIN']}.zendesk.com"
        if os.environ.get("ZENDESK_SUBDOMAIN")
        else "",
        "subdomain": os.environ.get("ZENDESK_SUBDOMAIN", ""),
        "email": os.environ.get("ZENDESK_EMAIL", ""),
        "token": os.environ.get("ZENDESK_API_TOKEN", ""),
    },
    "slack": {"token": os.environ.get("SLACK_BOT_TOKEN", ""), "channels": env_list("SLACK_FEEDBACK_CHANNELS", [])},
    "github": {"token": os.environ.get("GITHUB_TOKEN", ""), "repositories": env_list("GITHUB_REPOSITORIES", [])},
    "linear": {"token": os.environ.get("LINEAR_API_KEY", "")},
    "call": {"base_url": os.environ.get("CALL_API_URL", ""), "token": os.environ.get("CALL_API_TOKEN", "")},
    "crm": {"base_url": os.environ.get("SALESFORCE_INSTANCE_URL", ""), "token": os.environ.get("SALESFORCE_TOKEN", "")},
}

# --- Notifications ---------------------------------------------------------------------------------------------

EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "FeedbackHub <feedbackhub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Slack: a notification's recipient is a name of SLACK_WEBHOOKS (an incoming webhook URL each, from
# SLACK_WEBHOOK_<NAME> variables, e.g. SLACK_WEBHOOK_PRODUCT) or, with SLACK_BOT_TOKEN set, a channel id/name posted to
# with chat.postMessage at SLACK_API_URL. Unset: Slack notifications wait in the outbox (status shown in the admin).
SLACK_WEBHOOKS = {
    name.removeprefix("SLACK_WEBHOOK_").lower(): url
    for name, url in os.environ.items()
    if name.startswith("SLACK_WEBHOOK_") and url
}
SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "")
SLACK_API_URL = os.environ.get("SLACK_API_URL", "https://slack.com/api").rstrip("/")
SLACK_TIMEOUT_SECONDS = env_int("SLACK_TIMEOUT_SECONDS", 10)
# Development (DEBUG on): a Slack message with no destination configured is printed on the worker's output and counted
# sent, as Django's console email backend does for mail; with DEBUG off it fails, naming the variable to set.
SLACK_CONSOLE = env_bool("SLACK_CONSOLE", DEBUG)
# Where the hub posts: the product channel (weekly digest, changelog lines, PM alerts) and the CS channel (alerts).
PRODUCT_CHANNEL = os.environ.get("PRODUCT_CHANNEL", "product")
CS_CHANNEL = os.environ.get("CS_CHANNEL", "cs")
# The outbox: tries per message before it is marked failed (then retried from the admin), and the backoff base.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_SECONDS = env_int("OUTBOX_BACKOFF_SECONDS", 30)
# Close the loop: the account owner has this many days to tell a customer that what they asked for shipped.
CUSTOMER_UPDATE_DUE_DAYS = env_int("CUSTOMER_UPDATE_DUE_DAYS", 5)
# The public changelog (e.g. https://docs.acme.example/changelog): the drafted customer updates link to it; empty: none.
CHANGELOG_URL = os.environ.get("CHANGELOG_URL", "").strip()

# --- Auth, i18n, static ----------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"  # a login opened directly lands on the hub, not on /accounts/profile/

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even when it serves from finders

# --- Security (production) -------------------------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- API -------------------------------------------------------------------------------------------------------

REST_FRAMEWORK = {  # integrations send a token (integrations.auth); admin users browsing the docs use their session
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "integrations.auth.HasScope",
        "feedbackhub.api.ModelPermissions",  # Django's model permissions, reads included (view_<model>)
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "feedbackhub.api.KeysetCursorPagination",  # views name their indexed orderings
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "feedbackhub.api.exception_handler",  # a service's refusal is a 400 naming the field
    # JSON only: a body past DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, bad UTF-8 or JSON a 400 naming the problem
    "DEFAULT_PARSER_CLASSES": ["integrations.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttles.TokenRateThrottle"],  # per token, in Redis: 429 + Retry-After
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_TOKEN_RATE", "1200/min"),
        "ask": os.environ.get("ASK_RATE", "30/min"),  # POST /api/ask/: per token or user (insights.api.ask)
    },
    # Proxies in front of the hub that append to X-Forwarded-For: a client's address (the capture's per-IP rate) is
    # the one the outermost proxy saw. 0 = REMOTE_ADDR only, the header ignored (a client could write it); behind
    # one load balancer, 1. DRF's None would read the whole client-written header, so it is never None here.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
# In-product capture (integrations.capture): POST /api/capture/ per publishable key and per client IP, in Redis.
CAPTURE_KEY_RATE = os.environ.get("CAPTURE_KEY_RATE", "600/min")
CAPTURE_IP_RATE = os.environ.get("CAPTURE_IP_RATE", "20/min")
# The CRM Account field "feedback addressed" is written to when a requester's theme ships (integrations.outbound).
CRM_ADDRESSED_FIELD = os.environ.get("CRM_ADDRESSED_FIELD", "Feedback_Addressed__c")
SPECTACULAR_SETTINGS = {
    "TITLE": "FeedbackHub API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name per choice set: severity and priority share theirs; three models have a "status".
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "feedback.choices.Priority",
        "FeedbackStatusEnum": "feedback.choices.Status",
        "OutcomeEnum": ["created", "updated", "rejected"],  # a line of the ingestion's and the surveys' answers
        "FeedbackSourceEnum": "feedback.choices.Source",
        "FilterOriginEnum": ["question", "form"],  # where an Ask the hub filter came from (insights.api.ask)
    },
}

# --- Admin -----------------------------------------------------------------------------------------------------

UNFOLD = {
    "SITE_TITLE": "FeedbackHub",
    "SITE_HEADER": "FeedbackHub",
    "SITE_SYMBOL": "forum",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "insights.dashboard.dashboard_callback",
    "SIDEBAR": SIDEBAR,
    "STYLES": [lambda request: static("feedbackhub/list.css")],  # the changelist cells (feedbackhub.result_list)
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("feedbackhub/favicon.svg")},
    ],
}

# --- Health, metrics, logs (issue 12) ----------------------------------------------------------------------------
# /metrics answers only a bearer of this token (unset: 403 for everyone, localhost too).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# A scraper inside the network asks each web host by its address over plain HTTP: /metrics is answered, like
# /healthz and /readyz, by feedbackhub.health.ProbeMiddleware before the host check and the HTTPS redirect; the
# exemption below keeps it out of the redirect should that middleware ever move.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
# LOG_FORMAT=json: one JSON object per line (a log collector's input); text: a developer's terminal. Default: text
# with DEBUG on, json otherwise. Every line carries the request id (feedbackhub.logs), in the worker's tasks too.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "feedbackhub.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "feedbackhub.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
