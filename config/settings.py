"""Settings for the Birmingham parent-infant support directory.

Every value comes from the environment (see README "Configure"); a fresh
checkout runs on SQLite with no configuration at all. DEBUG is off unless
asked for, and with DEBUG off the security settings default to what
`manage.py check --deploy` wants.
"""
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from directory.i18n import complete_languages

BASE_DIR = Path(__file__).resolve().parent.parent

# Never on in production: it shows tracebacks and settings to the public.
DEBUG = env_bool("DEBUG", False)

# A development key is only acceptable when DEBUG is explicitly on.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README, Configure).")

# Host names this site answers to, comma-separated.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Origins trusted for CSRF behind a proxy, e.g. https://directory.example.org
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # SimpleAdminConfig: admin autodiscovery would import leaflet.admin, which
    # imports GeoDjango and so needs GDAL (see docs/adr/0002-no-geodjango.md).
    # Our admin modules are imported explicitly in config/urls.py.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "leaflet",
    "mapping",
    "directory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks the language from the language cookie or Accept-Language, among LANGUAGES only.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "directory.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite when DATABASE_URL is unset; e.g. postgres://user@host:5432/dbname in production.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
LOCALE_PATHS = [BASE_DIR / "locale"]
# Languages parents may one day read the site in (the seed's most asked-for). One is offered,
# with a switcher on parent pages, only once a person has translated its whole catalogue
# (locale/<code>/LC_MESSAGES/django.po): see directory/i18n.py and docs/adr/0007-parents-view.md.
TRANSLATION_CANDIDATES = {"ur": "اردو", "pa": "ਪੰਜਾਬੀ", "bn": "বাংলা", "ar": "العربية", "pl": "Polski", "so": "Soomaali",
                          "ro": "Română"}
LANGUAGES = [("en-gb", "English")] + complete_languages(BASE_DIR / "locale", TRANSLATION_CANDIDATES)
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic gathers files for whitenoise to serve.
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, cache-busted names in production; plain storage while debugging.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads (CSV imports) above this size are refused before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Security: defaults follow DEBUG so that production passes check --deploy.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# One year of HSTS in production; 0 disables it (e.g. on a first deployment).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preload asks browsers to use https before the first visit; set 0 if the domain must not be on the list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Set to 1 when a proxy (nginx, a load balancer) terminates TLS and sends X-Forwarded-Proto.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGIN_URL = "admin:login"

# The service's name, shown in the header and titles.
SITE_NAME = env_str("SITE_NAME", "Birmingham parent-infant support directory")
# Where people send corrections about a service (shown on service pages); empty hides it.
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "")

# Map: no tile server by default (this service must work offline); vector layers always render.
MAP_TILES_URL = env_str("MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = env_str("MAP_TILES_ATTRIBUTION", "")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (52.48, -1.89),
    "DEFAULT_ZOOM": 11,
    "MIN_ZOOM": 10,
    "MAX_ZOOM": 18,
    "SPATIAL_EXTENT": (-2.05, 52.38, -1.72, 52.61),
    "TILES": [("Map", MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION})] if MAP_TILES_URL else [],
    "ATTRIBUTION_PREFIX": "Leaflet",
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
    # One unit of distance everywhere: miles, as UK users expect (search and map alike).
    "SCALE": "imperial",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
