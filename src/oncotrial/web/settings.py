"""Django settings for the oncotrial web application, read from ``ONCOTRIAL_*`` environment variables.

``ONCOTRIAL_HOME`` (default ``~/.oncotrial``), ``ONCOTRIAL_DATABASE_URL`` (default: SQLite file in the
home), ``ONCOTRIAL_SECRET_KEY`` (default: generated and stored in the home), ``ONCOTRIAL_DEBUG`` (off),
``ONCOTRIAL_ALLOWED_HOSTS``, ``ONCOTRIAL_HTTPS`` (secure cookies and HSTS), ``ONCOTRIAL_SESSION_MINUTES``
(idle timeout, 30), ``ONCOTRIAL_LOCKOUT_FAILURES`` (5), ``ONCOTRIAL_LOCKOUT_MINUTES`` (15),
``ONCOTRIAL_TRUSTED_PROXIES`` (reverse proxies whose ``X-Forwarded-For`` names the client).
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from oncotrial.web.config import (
    database_url,
    env_flag,
    env_list,
    load_or_create_secret_key,
    oncotrial_home,
    parse_database_url,
    restrict_sqlite_files,
)

WEB_DIR = Path(__file__).resolve().parent
HOME = oncotrial_home()

SECRET_KEY = load_or_create_secret_key(HOME)
DEBUG = env_flag("ONCOTRIAL_DEBUG")
ALLOWED_HOSTS = env_list("ONCOTRIAL_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ONCOTRIAL_CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "oncotrial.web.views.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "oncotrial.web.apps.WebConfig",
]
# The eCRF app joins automatically once its package exists.
if importlib.util.find_spec("oncotrial.web.ecrf") is not None:
    INSTALLED_APPS.append("oncotrial.web.ecrf")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "oncotrial.web.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oncotrial.web.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oncotrial.web.urls"
WSGI_APPLICATION = "oncotrial.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": parse_database_url(database_url())}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    restrict_sqlite_files(DATABASES["default"]["NAME"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default: writers of one process queue on a lock instead of SQLite's sleeping
    # busy handler (docs/deployment.md); other processes still meet the 30 s busy timeout.
    DATABASES["default"]["ENGINE"] = "oncotrial.web.sqlite_backend"
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)  # a worker outlives a database restart

# Nothing shared lives in process memory, so any number of worker processes and hosts serve one
# database (docs/deployment.md): sessions, lockout counters and the derived-results cache are tables;
# locks and allocation state are models. tests/web/test_serving.py pins each of these.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "oncotrial_cache",
        "TIMEOUT": 7 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "study-list"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (Castor locks after 10; we default to 5 within the cool-off).
AXES_FAILURE_LIMIT = int(os.environ.get("ONCOTRIAL_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ONCOTRIAL_LOCKOUT_MINUTES", "15")))
# Locked per user name AND client address together: behind a reverse proxy, failures by one person
# lock neither everyone (per address alone) nor the victim's own login from elsewhere (per name alone).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Proxies whose X-Forwarded-For is believed (comma-separated addresses); none by default.
ONCOTRIAL_TRUSTED_PROXIES = tuple(env_list("ONCOTRIAL_TRUSTED_PROXIES", ""))
AXES_CLIENT_IP_CALLABLE = "oncotrial.web.middleware.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "oncotrial.web.views.errors.locked_out"
AXES_VERBOSE = False

# Idle timeout: the session expires after ONCOTRIAL_SESSION_MINUTES without a request.
SESSION_COOKIE_AGE = int(os.environ.get("ONCOTRIAL_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

HTTPS = env_flag("ONCOTRIAL_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_flag("ONCOTRIAL_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP to the app port
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [WEB_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
FORMAT_MODULE_PATH = ["oncotrial.web.formats"]  # ISO 8601 dates in both languages (issue 16)

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("ONCOTRIAL_STATIC_ROOT") or None  # collectstatic target, optional
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

NINJA_PAGINATION_PER_PAGE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING"},
        "axes": {"handlers": ["console"], "level": "ERROR"},
    },
}
