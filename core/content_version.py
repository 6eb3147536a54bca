"""The site-wide content version: one value that changes whenever anything readers see changes.

Cached copies of public pages (the application page cache in core/caching.py,
and any fragment cache that wants the same rule) are stored with the version
current when they were rendered and are used only while it is still current.
``content_version_bump()`` runs after every committed change that purges the
reverse proxies too (core/purge.py), so one bump empties every such cache at
once, in every process.

Where the version lives has to be shared by every process that renders or
changes pages (gunicorn workers, ``db_worker``s on other machines):

* with a shared cache (Redis in production), in that cache (the "pages" alias);
* with the per-process local-memory cache (the default), in a small file
  (``CONTENT_VERSION_FILE``), which every process on the machine reads. A
  version kept in local memory would be bumped only in the process that made
  the change: a web worker would go on serving a page a ``db_worker`` had
  just published.

A bump writes a fresh random value rather than adding one, so two bumps at
the same moment can never leave the version where one of them found it; and
a version that is lost (an evicted key) is replaced by a new random one, so
copies stored under an older version can never become current again.
"""

import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import caches

CACHE_KEY = "content-version"
# The version is kept beside the pages it governs (see CACHES in config/settings.py).
CACHE_ALIAS = "pages"


def _uses_file() -> bool:
    """Whether the version lives in a file: when the cache is each process's own memory."""
    return settings.CACHES[CACHE_ALIAS]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def content_version() -> str:
    """The current version. A lost one (a deleted file, an evicted key) is replaced by a new one, never reused."""
    if _uses_file():
        try:
            return Path(settings.CONTENT_VERSION_FILE).read_text() or content_version_bump()
        except OSError:
            return content_version_bump()
    return content_version_from_cache(caches[CACHE_ALIAS].get(CACHE_KEY))


def content_version_from_cache(value: str | None) -> str:
    """The version read from the cache as ``value``; a new one if it was missing."""
    if value:
        return value
    cache = caches[CACHE_ALIAS]
    cache.add(CACHE_KEY, secrets.token_hex(8), timeout=None)
    return cache.get(CACHE_KEY) or ""


def content_version_key() -> str | None:
    """The key of the version in the pages cache, to read it with a page in one round trip; None if in a file."""
    return None if _uses_file() else CACHE_KEY


def content_version_bump() -> str:
    """Make every copy stored under the current version stale; returns the new version."""
    version = secrets.token_hex(8)
    if _uses_file():
        path = Path(settings.CONTENT_VERSION_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed over it, so a reader sees the old value or the new, never half.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".content-version-")
        with os.fdopen(handle, "w") as stream:
            stream.write(version)
        os.replace(temporary, path)
    else:
        caches[CACHE_ALIAS].set(CACHE_KEY, version, timeout=None)
    return version
