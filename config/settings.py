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
from config.release import release_id
from directory.core.i18n import complete_languages

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
    "import_export",  # CSV import (with a dry run) and export of services in the admin: docs/adr/0009
    "leaflet",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",  # sign-in locks and two-factor enrolment links; no models
    "mapping",
    "directory",
]

MIDDLEWARE = [
    "config.ops.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy on every response (config/security.py).
    "csp.middleware.CSPMiddleware",
    "config.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks the language from the language cookie or Accept-Language, among LANGUAGES only.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # The content version is read once per request, afresh (directory/core/content.py); before the
    # ETag check, which uses it.
    "directory.core.content.ContentVersionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks a session verified by a one-time password; then staff must be (config/security.py).
    "django_otp.middleware.OTPMiddleware",
    "config.security.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the records' history (docs/adr/0008).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Login throttling and lockout; last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account or client before checking the password
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords lock sign-in for an hour (accounts/lockout.py, docs/adr/0014): an account from
# one address after 5, an address for every account after 10, an account from addresses it has
# never signed in from after 20. An IMHSG editor or a superuser unlocks sooner under "Access attempts".
AXES_HANDLER = "accounts.lockout.SigninHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 10)
SIGNIN_ACCOUNT_FAILURE_LIMIT = env_int("SIGNIN_ACCOUNT_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
# The (account, address) pair, not either alone: axes locks the pair, and a sign-in deletes only
# the attempts matching it, so it never clears another account's failures (issue 18).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # a record of sign-ins and failures (Access logs / Access failures)
# The client's address (behind a TLS proxy, the one the proxy saw): config/security.py.
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"

# Staff must confirm a one-time code from an authenticator app (TOTP) to use the admin.
# On by default in production; REQUIRE_2FA=0 turns it off (e.g. for a local run).
REQUIRE_2FA = env_bool("REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Birmingham parent-infant support directory"
# How long a two-factor set-up link works (accounts/enrolment.py); each works once.
ENROLMENT_LINK_HOURS = env_int("ENROLMENT_LINK_HOURS", 72)

# Admin sessions end after a working day (8 hours), and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

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
                "directory.core.context_processors.site",
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

# SQLite: write-ahead logging, so that readers never wait for a writer (issue 26, docs/adr/0024).
# In SQLite's default mode a long write (an import of thousands of services, all or nothing)
# locks the whole file once its changes outgrow the page cache, and every page, and /healthz,
# fails with "database is locked" until it commits. Writers still take turns; SQLITE_TIMEOUT is
# how many seconds one waits for its turn before failing (Django's default is 5).
SQLITE_OPTIONS = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": env_int("SQLITE_TIMEOUT", 20)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)

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
# (locale/<code>/LC_MESSAGES/django.po): see directory/core/i18n.py and docs/adr/0007-parents-view.md.
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
# Load balancers and container health checks ask over plain HTTP: answer them, never redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
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

# E-mail (review reminders): printed to the console unless a backend is configured,
# e.g. EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST etc.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "directory@localhost")
# Where links in e-mails point, e.g. https://directory.example.org. The default suits a
# curator's own machine only: with DEBUG off, `check --deploy` fails until it is set
# (config/checks.py, directory.E001). A trailing slash is dropped: paths start with one.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Caches (docs/adr/0013-content-version-cache.md). Public pages cache what only changes when
# curators save, under a content version stored in the database, so a save in one process
# is seen by every other at once whatever the backend. CACHE_URL unset: local memory in each
# process (nothing to install). CACHE_URL=redis://host:6379/0: one Redis shared by every
# process and machine (also makes the suggestion rate limit below shared).
CACHE_URL = env_str("CACHE_URL", "")
# Which build of the code this is (config/release.py, docs/adr/0024): RELEASE_ID, else GIT_SHA, else
# a digest of the code, templates and static files. Cache entries and ETags carry it, so during a
# rolling deploy an old worker never stores an old-template page where a new worker reads.
RELEASE_ID = release_id(BASE_DIR)
# Whole rendered pages for visitors who are not signed in (directory/core/caching.py, cached_page).
CACHE_PAGES = env_bool("CACHE_PAGES", True)
CACHE_TIMEOUT = env_int("CACHE_TIMEOUT", 60 * 60)
if not CACHE_URL or CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "directory",
        "TIMEOUT": CACHE_TIMEOUT,
        # Entries of superseded content versions are never read again: they age out of the LRU.
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 3000)},
    }}
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "TIMEOUT": CACHE_TIMEOUT,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "directory"),
    }}
elif CACHE_URL == "dummy://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL must be empty, locmem://, dummy:// or redis://...; got {CACHE_URL!r}")

# "Suggest a change": how many suggestions one client may send in an hour (cache-counted: per process
# with the default local-memory cache, shared with CACHE_URL=redis://...).
SUGGESTIONS_PER_HOUR = env_int("SUGGESTIONS_PER_HOUR", 5)

# Services checking their own entries (issue 20, directory/checkins/): how long a check-in
# link opens, how many days after an invitation (or the last reminder) an unanswered contact
# is reminded (never more than once a week whatever this says), and how many times an hour one
# link may be submitted.
CHECKIN_LINK_DAYS = env_int("CHECKIN_LINK_DAYS", 30)
CHECKIN_REMINDER_DAYS = env_int("CHECKIN_REMINDER_DAYS", 10)
CHECKIN_SUBMISSIONS_PER_HOUR = env_int("CHECKIN_SUBMISSIONS_PER_HOUR", 5)
# What people searched for (issue 22, directory/search/record.py): how many days a day's counts
# of searches are kept before `prunesearchrecords` (and the first search of each day) deletes them.
SEARCH_RECORD_DAYS = env_int("SEARCH_RECORD_DAYS", 365)
if SEARCH_RECORD_DAYS < 1:
    raise ImproperlyConfigured(f"SEARCH_RECORD_DAYS must be 1 or more; got {SEARCH_RECORD_DAYS}")
# The search's option counts, total and best-match order from a facet index in memory, one per version
# of the services' content (issue 26, directory/search/facets.py, docs/adr/0029). Off: every search
# counts in SQL (selectors.count_union), as before; the answers are the same (tests hold them so).
SEARCH_FACET_INDEX = env_bool("SEARCH_FACET_INDEX", True)
# The largest CSV a curator may import, in bytes (Django's upload limit does not apply to files).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)
# The dry run is one transaction, always rolled back; a confirmed write is a job written in batches
# (directory/curation/jobs.py, docs/adr/0026).
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Rows written per transaction by an import job, at most.
IMPORT_BATCH_ROWS = env_int("IMPORT_BATCH_ROWS", 100)
if IMPORT_BATCH_ROWS < 1:
    raise ImproperlyConfigured(f"IMPORT_BATCH_ROWS must be 1 or more; got {IMPORT_BATCH_ROWS}")
# Seconds an import job's batch should take at most: batches are sized from the time of the rows
# before them, so that a curator's save on SQLite waits well under SQLITE_TIMEOUT however slow the
# machine. 0: IMPORT_BATCH_ROWS alone.
IMPORT_BATCH_SECONDS = env_int("IMPORT_BATCH_SECONDS", 5)
# A confirmed file of at most this many rows is written at once, in the request, in one transaction
# (all or nothing, a few seconds); a larger one becomes a job for the importer.
IMPORT_IN_REQUEST_ROWS = env_int("IMPORT_IN_REQUEST_ROWS", 25)
# Milliseconds a job waits between batches: on SQLite (one writer at a time) a waiting save takes its turn.
IMPORT_BATCH_PAUSE = env_int("IMPORT_BATCH_PAUSE_MS",
                             250 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 0) / 1000
# Seconds without a finished batch after which a running job's worker is taken for dead, and the job
# is queued again to continue from its first unwritten row (at most 3 tries in all).
IMPORT_JOB_STALE_SECONDS = env_int("IMPORT_JOB_STALE_SECONDS", 600)

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

# LOG_FORMAT=json writes one JSON object per line (for a log collector); each line carries the
# request id (config/ops.py). Errors (500s) are also e-mailed to ADMINS when DEBUG is off.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json; got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.ops.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {"()": "config.ops.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"handlers": ["console", "mail_admins"], "level": "ERROR", "propagate": False}},
}

# Who is e-mailed a 500's traceback: "Name <address>, Other <address>" (empty: nobody).
ADMINS = [(name.strip(), address.strip(" >")) for name, _, address in
          (item.partition("<") for item in env_list("ADMINS")) if address]
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)


# Content security policy (django-csp): scripts, styles, fonts and data from this site only; no
# inline scripts, styles or event handlers; never framed. A configured tile server's host is
# allowed for map images. CSP_REPORT_ONLY=1 reports violations without blocking (to try a change);
# reports go to /csp-report/, which logs them (logger "csp").
from csp.constants import NONE, SELF  # noqa: E402

_TILES_HOST = ""
if MAP_TILES_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(MAP_TILES_URL.replace("{s}", "a"))
    _TILES_HOST = f"{_tiles.scheme}://{_tiles.netloc.replace('a.', '*.', 1) if '{s}' in MAP_TILES_URL else _tiles.netloc}"
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"] + ([_TILES_HOST] if _TILES_HOST else []),
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": ["/csp-report/"],
    },
}
# (Not named CSP_...: django-csp 4 reads such settings as its old format and refuses to start.)
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Features this site never uses are switched off for it and anything it embeds.
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=(), "
                      "interest-cohort=()")
