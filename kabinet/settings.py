"""Kabinet settings. Everything that differs between machines comes from the environment.

See the README's table of variables; ``kabinet.lib.env`` also reads ``<NAME>_FILE``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kabinet.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KABINET_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise generated once and kept under var/."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("KABINET_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "kabinet.core",
    "kabinet.accounts",
    "kabinet.audit",
    "kabinet.notifications",
    "kabinet.cms",
    "kabinet.exchange",
    "kabinet.catalog",
    "kabinet.subscriptions",
    "kabinet.servicedesk",
    "kabinet.helpcenter",
    "kabinet.messaging",
    "kabinet.payments",
    "kabinet.accounting",
    "kabinet.forecast",
    "kabinet.chatbot",
    "kabinet.continuity",
    "kabinet.numbers",
    "kabinet.calls",
    "kabinet.demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.locales",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.forms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so every answer gets its header, the page cache's included.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kabinet.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cached public pages for anonymous visitors, before sessions and the rest.
    "kabinet.core.pagecache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kabinet.accounts.middleware.SessionActivityMiddleware",
    "kabinet.accounts.access.CabinetAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "kabinet.urls"
WSGI_APPLICATION = "kabinet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kabinet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kabinet.accounts.context_processors.shell",
            ],
            # {% url %} with its answers remembered, and {% translate %} of a constant text
            # kept once translated (the same tags otherwise; see the two modules).
            "builtins": ["kabinet.core.templatetags.url_memo"],
            "libraries": {"i18n": "kabinet.core.templatetags.i18n_memo"},
        },
    }
]

# templates.W003 warns that a tag library name has two modules: "i18n" above replaces
# Django's own on purpose (i18n_memo re-exports it). No other library is named twice (a test
# checks it).
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

# --- Database ---------------------------------------------------------------------------
# An empty DATABASE_URL means "not set": the embedded SQLite database.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kabinet.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let the web server and the worker share the file
    # without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too, not SQLite's shared-cache memory database: there, concurrent
    # connections fail at once with "table is locked" instead of waiting, so tests with
    # real threads (concurrent gateway callbacks, the live server) could not run.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when given, otherwise the database (shared by every app server) ------
REDIS_URL = env_str("REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kabinet.core.cache.PooledRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kabinet",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kabinet_cache",
        }
    }
# Rendered pieces of the cabinets' layout that depend only on the language, the screen and
# the role (the navigation, the account menu): kept in each process's memory, since they
# change only with a new release (templates, translations and URLs are loaded at start).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "kabinet-fragments",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

# --- Background tasks (Django's Tasks API) -----------------------------------------------
TASKS_BACKEND = env_str("KABINET_TASKS_BACKEND", "db")
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS = {
    "default": {
        "BACKEND": _TASK_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND),
        "QUEUES": ["default"],
    }
}
if TASKS_BACKEND == "rq":
    # Workers: `manage.py rqworker default --job-class django_tasks_rq.Job` (README).
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}

# --- Auth --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["kabinet.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 9},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home_redirect"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("KABINET_PASSWORD_RESET_HOURS", 24) * 3600
KABINET_INVITATION_DAYS = env_int("KABINET_INVITATION_DAYS", 7)
# Call details older than this many months (before the current one) are dropped.
KABINET_CALLS_RETENTION_MONTHS = env_int("KABINET_CALLS_RETENTION_MONTHS", 36)
# Login throttling: attempts allowed per window, per account and per address.
KABINET_LOGIN_MAX_PER_ACCOUNT = env_int("KABINET_LOGIN_MAX_PER_ACCOUNT", 5)
KABINET_LOGIN_MAX_PER_ADDRESS = env_int("KABINET_LOGIN_MAX_PER_ADDRESS", 20)
KABINET_LOGIN_WINDOW_SECONDS = env_int("KABINET_LOGIN_WINDOW_SECONDS", 900)
# Two-factor sign-in (TOTP). Required for managers, editors and administrators unless
# turned off; optional for client users. The secrets are encrypted with KABINET_2FA_KEY,
# or with a key derived from SECRET_KEY when it is not set.
KABINET_STAFF_2FA_REQUIRED = env_bool("KABINET_STAFF_2FA_REQUIRED", True)
KABINET_2FA_KEY = env_str("KABINET_2FA_KEY")
# Wrong codes allowed per account per login window before code entry is paused.
KABINET_2FA_MAX_ATTEMPTS = env_int("KABINET_2FA_MAX_ATTEMPTS", 5)
# How long the code step may take after the right password, in seconds.
KABINET_2FA_PENDING_SECONDS = env_int("KABINET_2FA_PENDING_SECONDS", 300)
# Abuse limits (README "Configuration"): counted in the database, so every app server sees
# the same counts. People get a message with how long to wait, machines a 429 Retry-After.
KABINET_PASSWORD_RESET_MAX_PER_ADDRESS = env_int("KABINET_PASSWORD_RESET_MAX_PER_ADDRESS", 10)
KABINET_PASSWORD_RESET_MAX_PER_EMAIL = env_int("KABINET_PASSWORD_RESET_MAX_PER_EMAIL", 3)
KABINET_PASSWORD_RESET_WINDOW_SECONDS = env_int("KABINET_PASSWORD_RESET_WINDOW_SECONDS", 3600)
KABINET_INVITATION_MAX_PER_ACCOUNT = env_int("KABINET_INVITATION_MAX_PER_ACCOUNT", 30)
KABINET_INVITATION_MAX_PER_ADDRESS = env_int("KABINET_INVITATION_MAX_PER_ADDRESS", 60)
KABINET_INVITATION_WINDOW_SECONDS = env_int("KABINET_INVITATION_WINDOW_SECONDS", 3600)
KABINET_PAY_MAX_PER_ADDRESS = env_int("KABINET_PAY_MAX_PER_ADDRESS", 60)
KABINET_PAY_WINDOW_SECONDS = env_int("KABINET_PAY_WINDOW_SECONDS", 600)
KABINET_TERMINAL_MAX_PER_ADDRESS = env_int("KABINET_TERMINAL_MAX_PER_ADDRESS", 600)
KABINET_TERMINAL_WINDOW_SECONDS = env_int("KABINET_TERMINAL_WINDOW_SECONDS", 60)
# Proxies (addresses or networks) whose X-Forwarded-For is believed; empty: REMOTE_ADDR only.
KABINET_TRUSTED_PROXIES = env_list("KABINET_TRUSTED_PROXIES", "")

# HTTPS=1 in production: secure cookies, HSTS and redirects to https (behind nginx, which
# sets X-Forwarded-Proto).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("KABINET_SESSION_HOURS", 12) * 3600
# Sessions are rows in the database (every app server reads them); with Redis, reads come
# from the shared cache and writes still go to the database, so a Redis restart loses none.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "kabinet.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kabinet" / "locale"]
LANGUAGE_COOKIE_NAME = "kabinet_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "kabinet" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("KABINET_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploads live outside the static root; private files are served through views that check access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail: SMTP in production, files under var/mail/ for the demo ------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kabinet <noreply@kabinet.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
KABINET_EMAIL_MAX_ATTEMPTS = env_int("KABINET_EMAIL_MAX_ATTEMPTS", 8)

# --- Wagtail (public site CMS and the editor cabinet) --------------------------------------
WAGTAIL_SITE_NAME = "Kabinet"
WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "kabinet.cms.widgets.DraftailArea"}}
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_LOGIN_URL = "/login/"
WAGTAIL_FRONTEND_LOGIN_URL = "/login/"
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Documents are handed out by Wagtail's view, which applies collection privacy; no URL
# serves MEDIA_ROOT/documents directly. Their content must match their extension.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "doc", "xls", "txt", "csv"]
WAGTAILDOCS_DOCUMENT_FORM_BASE = "kabinet.cms.forms.DocumentForm"
KABINET_DOCUMENT_MAX_BYTES = env_int("KABINET_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
# Images: Wagtail checks that the content is the format the extension says (no SVG).
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env_int("KABINET_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = env_int("KABINET_IMAGE_MAX_PIXELS", 40_000_000)
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No requests to outside hosts: avatars are Wagtail's own placeholders, not Gravatar.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False

# --- Business settings --------------------------------------------------------------------
KABINET_OPERATOR_NAME = env_str("KABINET_OPERATOR_NAME", "СевЗапТелеком")
KABINET_SUPPORT_PHONE = env_str("KABINET_SUPPORT_PHONE", "+7 812 400-00-00")
KABINET_SUPPORT_EMAIL = env_str("KABINET_SUPPORT_EMAIL", "support@kabinet.test")
KABINET_TARIFF_NOTICE_DAYS = env_int("KABINET_TARIFF_NOTICE_DAYS", 10)
KABINET_GATEWAY_URL = env_str("KABINET_GATEWAY_URL", "http://127.0.0.1:8001")
KABINET_MERCHANT_ID = env_str("KABINET_MERCHANT_ID", "kabinet-demo")
KABINET_SITE_PRIVATE_KEY = env_str("KABINET_SITE_PRIVATE_KEY", str(VAR_DIR / "keys" / "site.pem"))
KABINET_GATEWAY_PUBLIC_KEYS = env_list(
    "KABINET_GATEWAY_PUBLIC_KEYS", str(VAR_DIR / "keys" / "gateway.pub.pem")
)
KABINET_BILLING_PUBLIC_KEYS = env_list(
    "KABINET_BILLING_PUBLIC_KEYS", str(VAR_DIR / "keys" / "billing.pub.pem")
)
KABINET_MONEYBACK_HOURS = env_int("KABINET_MONEYBACK_HOURS", 3)
KABINET_PAYMENT_MIN = Decimal(env_str("KABINET_PAYMENT_MIN", "10.00"))

# --- The operator's requisites: invoices, reconciliation statements, bank QR codes ----------
# Empty by default: an invoice is never issued with incomplete requisites (the client is told,
# managers are alerted). `make demo` and the tests load credible demo ones (scripts/demo.env).
KABINET_OPERATOR_LEGAL_NAME = env_str("KABINET_OPERATOR_LEGAL_NAME")
KABINET_OPERATOR_INN = env_str("KABINET_OPERATOR_INN")
KABINET_OPERATOR_KPP = env_str("KABINET_OPERATOR_KPP")
KABINET_OPERATOR_ADDRESS = env_str("KABINET_OPERATOR_ADDRESS")
KABINET_OPERATOR_BANK = env_str("KABINET_OPERATOR_BANK")
KABINET_OPERATOR_BIC = env_str("KABINET_OPERATOR_BIC")
KABINET_OPERATOR_ACCOUNT = env_str("KABINET_OPERATOR_ACCOUNT")
KABINET_OPERATOR_CORR_ACCOUNT = env_str("KABINET_OPERATOR_CORR_ACCOUNT")
KABINET_OPERATOR_SIGNATORY = env_str("KABINET_OPERATOR_SIGNATORY")
KABINET_OPERATOR_SIGNATORY_TITLE = env_str(
    "KABINET_OPERATOR_SIGNATORY_TITLE", "Генеральный директор"
)
KABINET_OPERATOR_ACCOUNTANT = env_str("KABINET_OPERATOR_ACCOUNTANT")
# VAT in the operator's prices, in percent ("20", "10", "0"), or "none" (not a VAT payer).
KABINET_VAT_RATE = env_str("KABINET_VAT_RATE", "20")
KABINET_INVOICE_PREFIX = env_str("KABINET_INVOICE_PREFIX")
KABINET_INVOICE_MIN = Decimal(env_str("KABINET_INVOICE_MIN", "100.00"))
KABINET_INVOICE_MAX = Decimal(env_str("KABINET_INVOICE_MAX", "10000000.00"))
KABINET_PAYMENT_MAX = Decimal(env_str("KABINET_PAYMENT_MAX", "500000.00"))
# The most a card autopay charges at once (the administrator chooses up to this).
KABINET_AUTOPAY_MAX = Decimal(env_str("KABINET_AUTOPAY_MAX", "50000.00"))

# --- Call labelling (kabinet/numbers/) --------------------------------------------------------
# The characters a display text may use, as the inside of a regular expression's [...] class
# (the operators' networks show at most 32 of them): Cyrillic and Latin letters, digits, spaces.
KABINET_CALL_LABEL_CHARS = env_str("KABINET_CALL_LABEL_CHARS", "A-Za-zА-Яа-яЁё0-9 ")
# The catalogue service a company is subscribed to when its labelling is approved.
KABINET_CALL_LABEL_SERVICE = env_str("KABINET_CALL_LABEL_SERVICE", "call-labelling")

# --- SMS and Telegram notices (kabinet/notifications/) --------------------------------------
KABINET_SMS_BACKEND = env_str("KABINET_SMS_BACKEND", "file")
if KABINET_SMS_BACKEND not in ("file", "console", "smsc"):
    raise ImproperlyConfigured("KABINET_SMS_BACKEND: one of file, console, smsc")
KABINET_SMS_API_URL = env_str("KABINET_SMS_API_URL", "https://smsc.ru/sys/send.php")
KABINET_SMSC_LOGIN = env_str("KABINET_SMSC_LOGIN")
KABINET_SMSC_PASSWORD = env_str("KABINET_SMSC_PASSWORD")
KABINET_SMS_SENDER = env_str("KABINET_SMS_SENDER")
KABINET_SMS_TIMEOUT = env_int("KABINET_SMS_TIMEOUT", 10)
KABINET_DELIVERY_MAX_ATTEMPTS = env_int("KABINET_DELIVERY_MAX_ATTEMPTS", 6)
# Telegram (kabinet/notifications/telegram.py, the bot in kabinet/chatbot/): "api" talks to
# the Bot API at KABINET_TELEGRAM_API_URL (a stand-in works); "file" (the demo) writes each
# message under var/telegram/. Linking needs the bot's username (the deep link t.me/<bot>)
# and the webhook the secret token given to setWebhook (manage.py telegram_webhook).
KABINET_TELEGRAM_BACKEND = env_str("KABINET_TELEGRAM_BACKEND", "file")
if KABINET_TELEGRAM_BACKEND not in ("file", "api"):
    raise ImproperlyConfigured("KABINET_TELEGRAM_BACKEND: one of file, api")
KABINET_TELEGRAM_BOT_TOKEN = env_str("KABINET_TELEGRAM_BOT_TOKEN")
KABINET_TELEGRAM_BOT_USERNAME = env_str("KABINET_TELEGRAM_BOT_USERNAME").lstrip("@")
KABINET_TELEGRAM_WEBHOOK_SECRET = env_str("KABINET_TELEGRAM_WEBHOOK_SECRET")
if KABINET_TELEGRAM_WEBHOOK_SECRET and not re.fullmatch(
    r"[A-Za-z0-9_-]{1,256}", KABINET_TELEGRAM_WEBHOOK_SECRET
):
    raise ImproperlyConfigured(
        "KABINET_TELEGRAM_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ and - (Bot API)"
    )
KABINET_TELEGRAM_API_URL = env_str("KABINET_TELEGRAM_API_URL", "https://api.telegram.org")
KABINET_TELEGRAM_TIMEOUT = env_int("KABINET_TELEGRAM_TIMEOUT", 10)

# --- Payment providers (kabinet/payments/providers/) -----------------------------------------
# The networks that take money, in the order /pay/ offers them: kabinet (our signed gateway
# protocol, paysim in the demo), yookassa (cards and SBP), osmp (QIWI/OSMP agent protocol).
KABINET_PAYMENT_PROVIDERS = env_list("KABINET_PAYMENT_PROVIDERS", "kabinet")
_unknown_providers = set(KABINET_PAYMENT_PROVIDERS) - {"kabinet", "yookassa", "osmp"}
if _unknown_providers:
    raise ImproperlyConfigured(
        f"KABINET_PAYMENT_PROVIDERS: unknown provider(s) {', '.join(sorted(_unknown_providers))}"
    )
# YooKassa (API v3, the official SDK): shop id and secret key from the shop's settings.
KABINET_YOOKASSA_SHOP_ID = env_str("KABINET_YOOKASSA_SHOP_ID")
KABINET_YOOKASSA_SECRET_KEY = env_str("KABINET_YOOKASSA_SECRET_KEY")
KABINET_YOOKASSA_API_URL = env_str("KABINET_YOOKASSA_API_URL", "https://api.yookassa.ru/v3")
KABINET_YOOKASSA_METHODS = env_list("KABINET_YOOKASSA_METHODS", "card,sbp")
# Where YooKassa's payment form lives (the pay form redirects there; the CSP's form-action).
KABINET_YOOKASSA_CHECKOUT_ORIGINS = env_list(
    "KABINET_YOOKASSA_CHECKOUT_ORIGINS", "https://yoomoney.ru"
)
# Notifications are accepted only from these networks when set (YooKassa publishes its own).
KABINET_YOOKASSA_ALLOWED_IPS = env_list("KABINET_YOOKASSA_ALLOWED_IPS")
# 54-FZ receipts through YooKassa: 1 to send one with every payment and refund.
KABINET_RECEIPTS = env_bool("KABINET_RECEIPTS", False)
# YooKassa's vat_code: 1 without VAT, 2 VAT 0 %, 3 VAT 10 %, 4 VAT 20 %, 5 10/110, 6 20/120,
# 7 VAT 5 %, 8 VAT 7 %, 9 5/105, 10 7/107 (API reference, "Receipt item").
KABINET_YOOKASSA_VAT_CODE = env_int("KABINET_YOOKASSA_VAT_CODE", 1)
# The QIWI/OSMP agent protocol at /pay/osmp/: HTTP Basic credentials (unset: 404) and the
# agents' addresses (empty: any).
KABINET_OSMP_USERNAME = env_str("KABINET_OSMP_USERNAME")
KABINET_OSMP_PASSWORD = env_str("KABINET_OSMP_PASSWORD")
KABINET_OSMP_ALLOWED_IPS = env_list("KABINET_OSMP_ALLOWED_IPS")
KABINET_OSMP_MAX_PER_ADDRESS = env_int("KABINET_OSMP_MAX_PER_ADDRESS", 600)
KABINET_OSMP_WINDOW_SECONDS = env_int("KABINET_OSMP_WINDOW_SECONDS", 60)
# Hours a manager has to decide a request, by kind; past it the request shows as overdue.
# Override any of them with JSON: KABINET_REQUEST_DUE_HOURS='{"connect": 48}'.
KABINET_REQUEST_DUE_HOURS: dict[str, int] = {
    "connect": 72,
    "disconnect": 24,
    "change_tariff": 24,
    "change_parameters": 8,
    "other": 24,
    **json.loads(env_str("KABINET_REQUEST_DUE_HOURS", "{}") or "{}"),
}
# Files attached to messages and requests (checked by content, kept under MEDIA_ROOT/private).
KABINET_ATTACHMENT_MAX_BYTES = env_int("KABINET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
KABINET_ATTACHMENT_MAX_FILES = env_int("KABINET_ATTACHMENT_MAX_FILES", 5)
# Seconds to wait for the gateway's answer before telling the payer to try later.
KABINET_GATEWAY_TIMEOUT = env_int("KABINET_GATEWAY_TIMEOUT", 10)
# Managers hear of a hold that is not captured yet when fewer hours than this remain.
KABINET_HOLD_ALERT_HOURS = env_int("KABINET_HOLD_ALERT_HOURS", 12)

# --- /healthz: what counts as wrong ---------------------------------------------------------
# Seconds since the scheduler's and the task worker's last heartbeat, and the age of the
# oldest task waiting in the queue.
KABINET_HEALTH_SCHEDULER_SECONDS = env_int("KABINET_HEALTH_SCHEDULER_SECONDS", 300)
KABINET_HEALTH_WORKER_SECONDS = env_int("KABINET_HEALTH_WORKER_SECONDS", 300)
KABINET_HEALTH_TASK_BACKLOG_SECONDS = env_int("KABINET_HEALTH_TASK_BACKLOG_SECONDS", 600)
# Hours a change may wait for export to billing, and an exported package for billing's ack.
KABINET_HEALTH_OUTBOX_HOURS = env_int("KABINET_HEALTH_OUTBOX_HOURS", 24)
KABINET_HEALTH_PACKAGE_HOURS = env_int("KABINET_HEALTH_PACKAGE_HOURS", 48)
# Who sees the checks behind ok/fail: monitoring sending "Authorization: Bearer <token>",
# and these addresses or networks (read through KABINET_TRUSTED_PROXIES). Staff always do.
KABINET_HEALTHZ_TOKEN = env_str("KABINET_HEALTHZ_TOKEN")
# A task worker writes a heartbeat this often; a task left running by a worker silent for
# KABINET_TASK_STALE_SECONDS is queued again, up to KABINET_TASK_MAX_RUNS runs, then failed.
KABINET_WORKER_BEAT_SECONDS = env_int("KABINET_WORKER_BEAT_SECONDS", 10)
KABINET_TASK_STALE_SECONDS = env_int("KABINET_TASK_STALE_SECONDS", 60)
KABINET_TASK_MAX_RUNS = env_int("KABINET_TASK_MAX_RUNS", 3)
KABINET_HEALTHZ_ALLOWED_IPS = env_list("KABINET_HEALTHZ_ALLOWED_IPS")

# --- Logging: one line per event, security events on their own logger ---------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        # Libraries that chat at INFO (fontTools logs every font subset of every PDF).
        "fontTools": {"level": "WARNING"},
        "fpdf": {"level": "WARNING"},
        "PIL": {"level": "WARNING"},
        "kabinet.security": {"level": "INFO"},
    },
}
FORM_RENDERER = "kabinet.core.forms.KabinetFormRenderer"
