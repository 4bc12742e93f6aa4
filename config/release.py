"""The release: which build of the code is running (issue 26, docs/adr/0024).

During a rolling deploy old and new workers serve the site side by side against one Redis
and one database, so the content version alone (docs/adr/0013) cannot tell their cache
entries apart: an old worker would store a page rendered by old templates, naming old static
files, under the key a new worker reads. Cache entries and ETags therefore carry the release
too (directory/core/caching.py).

It is RELEASE_ID (or GIT_SHA, as CI systems set it) from the environment when given; else a
digest of the code, templates, translations and static files, which every process started
from the same files computes alike, and which changes whenever any of them does.
"""
import hashlib
import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# What a page is made of: code, templates, translations, static files (their hashed names
# are in the pages). Not tests, data or anything a build makes.
SOURCES = ("accounts", "config", "directory", "mapping", "templates", "static", "locale")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def digest_of_files(base_dir, sources=SOURCES):
    """A short digest of every file under `sources` (names and contents, in a fixed order)."""
    base_dir = Path(base_dir)
    digest = hashlib.sha256()
    for source in sources:
        root = base_dir / source
        paths = sorted(path for path in root.rglob("*")
                       if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc")
        for path in paths:
            digest.update(path.relative_to(base_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def release_id(base_dir, environ=os.environ):
    """RELEASE_ID, else GIT_SHA (its first 12 characters), else the digest of the files."""
    given = environ.get("RELEASE_ID", "").strip()
    if not given and environ.get("GIT_SHA", "").strip():
        given = environ["GIT_SHA"].strip()[:12]
    if given:
        if not _SAFE.match(given):
            raise ImproperlyConfigured(f"RELEASE_ID (or GIT_SHA) must be 1 to 64 letters, digits, '.', '_' or '-'; "
                                       f"got {given!r}")
        return given
    return digest_of_files(base_dir)
