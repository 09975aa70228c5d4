"""Django settings for Despacho. Every value comes from the environment (see config.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from despacho import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

DEBUG = config.env_bool("DESPACHO_DEBUG", default=False)
TESTING = "pytest" in sys.modules or config.env_bool("DESPACHO_TESTING")

SECRET_KEY = config.secret_key(DATA_DIR)
ALLOWED_HOSTS = config.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
SITE_URL = config.site_url(os.environ)
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

EMBEDDED_DATABASE_PATH = DATA_DIR / "despacho.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{EMBEDDED_DATABASE_PATH}",
        conn_max_age=0 if TESTING else 60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the in-process tasks share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The permission decision's one query runs as a prepared statement on PostgreSQL
# (access/decisions.py); turn off behind a pooler without prepared-statement support.
ACCESS_PREPARE_QUERY = config.env_bool("DESPACHO_PREPARE_ACCESS_QUERY", default=True)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",  # its templates and static files serve the API docs without a CDN
    # Lowest layer first (docs/architecture.md, "Layers"; tests/test_layers.py).
    "despacho.people",
    "despacho.tenancy",
    "despacho.audit",
    "despacho.access",
    "despacho.workspace",
    "despacho.api",
    "despacho.security",
    "despacho.members",
    "despacho.firms",
    "despacho.onboarding",
    "despacho.cfdi",
    "despacho.portal",
    "despacho.customers",
    "despacho.products",
    "despacho.cartaporte",
    "despacho.seals",
    "despacho.pac",
    "despacho.invoicing",
    "despacho.cancellations",
    "despacho.satstatus",
    "despacho.satsync",
    "despacho.accounting",
    "despacho.treasury",
    "despacho.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their cache); sees every other response last.
    "despacho.http.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "despacho.audit.middleware.RequestContextMiddleware",
    "despacho.workspace.middleware.ActiveCompanyMiddleware",
    # A GET on a form's target: the Spanish 405 page in the layout instead of a blank one.
    "despacho.http.MethodNotAllowedPageMiddleware",
    # Before any view: a person with 2FA (or whose account demands it) finishes that step first.
    "despacho.security.middleware.SecondFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "despacho.urls"
WSGI_APPLICATION = "despacho.wsgi.application"

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
                "despacho.workspace.context_processors.workspace",
            ],
        },
    },
]

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked (django-axes).
    "despacho.security.backends.LockoutBackend",
    "despacho.people.backends.EmailBackend",
]
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "people:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour: reset links are short-lived

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 60 * 60 * 8))
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: inactivity expiry
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

LANGUAGE_CODE = "es-mx"
LANGUAGES = [("es-mx", _("Español (México)"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Stored originals and uploads are the process user's alone (the data dir is 0700 too).
FILE_UPLOAD_PERMISSIONS = config.PRIVATE_FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = config.PRIVATE_DIR_MODE
WHITENOISE_USE_FINDERS = DEBUG
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise as they are.
WHITENOISE_ROOT = BASE_DIR / "webroot"

EMAIL_URL = os.environ.get("EMAIL_URL", "console:" if DEBUG else "smtp://localhost:25")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Despacho <no-responder@despacho.local>")
globals().update(config.email_settings(EMAIL_URL))

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if os.environ.get("DESPACHO_TASKS", "immediate") == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# CFDI ingestion limits (see docs/apps/cfdi.md).
CFDI_MAX_BYTES = int(os.environ.get("CFDI_MAX_BYTES", 5 * 1024 * 1024))
CFDI_ZIP_MAX_BYTES = int(os.environ.get("CFDI_ZIP_MAX_BYTES", 500 * 1024 * 1024))
CFDI_ZIP_MAX_MEMBERS = int(os.environ.get("CFDI_ZIP_MAX_MEMBERS", 20_000))
CFDI_ZIP_MAX_TOTAL_BYTES = int(os.environ.get("CFDI_ZIP_MAX_TOTAL_BYTES", 2 * 1024 * 1024 * 1024))
CFDI_ZIP_MAX_RATIO = int(os.environ.get("CFDI_ZIP_MAX_RATIO", 100))
CFDI_VERIFY_SEALS = config.env_bool("CFDI_VERIFY_SEALS", default=True)
# Most CFDIs one ZIP download may hold (the archive is streamed; this bounds its duration).
CFDI_ZIP_DOWNLOAD_MAX = int(os.environ.get("CFDI_ZIP_DOWNLOAD_MAX", 10_000))

# Seals (CSD and e.firma), see docs/apps/seals.md: the vault's keys (newest first) encrypt
# private keys at rest; sandbox mode accepts SAT's public test certificates, expired or not.
DESPACHO_VAULT_KEYS = config.vault_keys(DATA_DIR)
SEALS_MAX_BYTES = 64 * 1024

# The PAC that stamps and cancels (docs/apps/pac.md): "sandbox" (default: stamps locally,
# SIN VALIDEZ FISCAL) or "finkok" with its account and base URL.
DESPACHO_PAC = os.environ.get("DESPACHO_PAC", "sandbox").strip().lower() or "sandbox"
# With the sandbox PAC, SAT's public test certificates (expired since 2023) are accepted
# too, so a fresh `make run` can issue; a real PAC gets real rules unless told otherwise.
DESPACHO_SEALS_SANDBOX = config.env_bool(
    "DESPACHO_SEALS_SANDBOX", default=DESPACHO_PAC == "sandbox"
)
DESPACHO_PAC_URL = os.environ.get("DESPACHO_PAC_URL", "https://demo-facturacion.finkok.com")
DESPACHO_PAC_USER = os.environ.get("DESPACHO_PAC_USER", "")
DESPACHO_PAC_PASSWORD = os.environ.get("DESPACHO_PAC_PASSWORD", "")
DESPACHO_PAC_TIMEOUT = float(os.environ.get("DESPACHO_PAC_TIMEOUT", 30))
# A draft still "stamping" after this many minutes was left by a process that died between
# the PAC call and storing: its page offers "Reintentar" (docs/apps/invoicing.md).
DESPACHO_STAMPING_RETRY_MINUTES = int(os.environ.get("DESPACHO_STAMPING_RETRY_MINUTES", 5))

# The SAT connection's public services (docs/apps/satstatus.md). Production points at SAT;
# the tests point every URL at fakes on 127.0.0.1. The status of received CFDIs of the last
# SATSTATUS_MONTHS months is asked again after SATSTATUS_STALE_HOURS, at most
# SATSTATUS_RATE queries a second per worker.
SATSTATUS_CONSULTA_URL = os.environ.get(
    "SATSTATUS_CONSULTA_URL",
    "https://consultaqr.facturaelectronica.sat.gob.mx/ConsultaCFDIService.svc",
)
SATSTATUS_TIMEOUT = float(os.environ.get("SATSTATUS_TIMEOUT", 30))
SATSTATUS_RATE = float(os.environ.get("SATSTATUS_RATE", 2))
SATSTATUS_MONTHS = int(os.environ.get("SATSTATUS_MONTHS", 6))
SATSTATUS_STALE_HOURS = int(os.environ.get("SATSTATUS_STALE_HOURS", 24))
SATSTATUS_BATCH = int(os.environ.get("SATSTATUS_BATCH", 500))
# Article 69-B's complete list, and the folder under which article 69's lists live (each
# list's file name is satcfdi's, LISTADO_69_SOURCES).
SATSTATUS_LIST_69B_URL = os.environ.get(
    "SATSTATUS_LIST_69B_URL",
    "https://wu1agsprosta001.blob.core.windows.net/agsc-publicaciones/Datos_abiertos/"
    "Documents_AGAFF/Listado_completo_69-B.csv",
)
SATSTATUS_LIST_69_BASE_URL = os.environ.get(
    "SATSTATUS_LIST_69_BASE_URL",
    "https://wu1agsprosta001.blob.core.windows.net/agsc-publicaciones/Datos_abiertos/",
)
# SAT's certificates repository: <base>/<00001>/<000005>/<04>/<46>/<50>/<number>.cer
SATSTATUS_CERTIFICATE_URL = os.environ.get(
    "SATSTATUS_CERTIFICATE_URL", "https://rdc.sat.gob.mx/rccf/"
)
SATSTATUS_VERIFY_SELLO_SAT = config.env_bool("SATSTATUS_VERIFY_SELLO_SAT", default=True)

# SAT's descarga masiva (docs/apps/satsync.md): the base URLs of its two hosts (the tests
# point them at a fake on 127.0.0.1), how many days the daily sync asks for, how far back a
# backfill goes, how long a request may stay unready, and a pause between verifications.
DESPACHO_SAT_DESCARGA_SOLICITUD_URL = os.environ.get(
    "DESPACHO_SAT_DESCARGA_SOLICITUD_URL",
    "https://cfdidescargamasivasolicitud.clouda.sat.gob.mx",
).rstrip("/")
DESPACHO_SAT_DESCARGA_URL = os.environ.get(
    "DESPACHO_SAT_DESCARGA_URL", "https://cfdidescargamasiva.clouda.sat.gob.mx"
).rstrip("/")
DESPACHO_SAT_TIMEOUT = float(os.environ.get("DESPACHO_SAT_TIMEOUT", 60))
DESPACHO_SAT_SYNC_DAYS = int(os.environ.get("DESPACHO_SAT_SYNC_DAYS", 3))
DESPACHO_SAT_BACKFILL_YEARS = int(os.environ.get("DESPACHO_SAT_BACKFILL_YEARS", 5))
DESPACHO_SAT_VERIFY_EVERY = int(os.environ.get("DESPACHO_SAT_VERIFY_EVERY", 60))
DESPACHO_SAT_VERIFY_MAX = int(os.environ.get("DESPACHO_SAT_VERIFY_MAX", 72))

# The firm's workspace: link invitations and client activations live this many days;
# CSV onboarding refuses files above these limits (see docs/apps/onboarding.md).
LINK_INVITATION_DAYS = int(os.environ.get("LINK_INVITATION_DAYS", 7))
# Link invitations one firm may send per hour (each answered the same, so a cap is what
# keeps anyone from sweeping RFCs or emails through them).
LINK_INVITATIONS_PER_HOUR = int(os.environ.get("LINK_INVITATIONS_PER_HOUR", 20))
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 5 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 20_000))

# REST API: requests per key per window, counted in the database (see api/ratelimit.py).
API_RATE_LIMIT = int(os.environ.get("DESPACHO_API_RATE_LIMIT", 600))
API_RATE_WINDOW = int(os.environ.get("DESPACHO_API_RATE_WINDOW", 60))

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Lock-out of repeated failed logins (django-axes; policy in docs/security.md).
# A person's failures count per address (email + IP), so a stranger elsewhere cannot
# lock them out; an address alone is locked at a higher count. The cool-off doubles
# with each lock-out of the address in the last 24 hours.
AXES_HANDLER = "despacho.security.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))  # per email + IP
LOGIN_FAILURE_LIMIT_PER_IP = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_IP", 30))
LOGIN_COOLOFF_MINUTES = int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15))
LOGIN_COOLOFF_MAX_HOURS = 24
AXES_COOLOFF_TIME = "despacho.security.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # one failure log row per lock-out
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # counts lock-outs, so the cool-off can grow
AXES_USERNAME_CALLABLE = "despacho.security.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "despacho.security.lockout.client_ip_of"
AXES_LOCKOUT_CALLABLE = "despacho.security.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]
AXES_VERBOSE = False

# Two-factor authentication (django-otp, TOTP + recovery codes).
OTP_TOTP_ISSUER = "Despacho"
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try
OTP_STATIC_THROTTLE_FACTOR = 1

# Content-Security-Policy (django-csp): no inline scripts or styles, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Security headers. With DESPACHO_DEBUG off these are production values.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = config.env_bool("SECURE_SSL_REDIRECT", default=not TESTING)
    # X-Forwarded-Proto says "this came over HTTPS"; any client can send it, so it is
    # trusted only when the operator says a TLS-terminating proxy sets it (and strips the
    # client's): DESPACHO_BEHIND_PROXY=1.
    if config.env_bool("DESPACHO_BEHIND_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
