"""Test settings: the real settings, with what a test client over http needs.

Only a few things differ, each for speed or for the plain-http test client;
the database still comes from DATABASE_URL, so the suite runs on SQLite and
on PostgreSQL alike.
"""
import os

os.environ.setdefault("SECRET_KEY", "test-only-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH")

from config.settings import *  # noqa: E402,F401,F403

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Two-factor sign-in is proved on and off in tests/test_security.py; elsewhere staff sign in with a password.
REQUIRE_2FA = False
# Tests read response.context, which a page served from the cache has none of: pages are
# rendered afresh unless a test turns this on (tests/directory/core/test_caching.py does, and proves the
# cached pages right). The data caches (GeoJSON, API, lists) stay on everywhere.
CACHE_PAGES = False
