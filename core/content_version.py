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

Reading the version from Redis is a round trip on every page, which costs a
web worker about 0.1 ms of CPU: a third of a bare "hello" view, and more than
the rest of a page-cache hit. So a web process (core/web_process.py calls
``content_version_keep()``) keeps the version in its memory, and a thread of
its own reads it again every ``CONTENT_VERSION_REFRESH_SECONDS`` (0.05 s). A
change made anywhere is then seen by every web process within that time; a
value the thread has not renewed for twice that long is not trusted, and the
version is read from Redis again. The process that bumps the version sees its
own bump at once, and proxies are purged only after every web process has
had time to see it (``content_version_settle_seconds``), so that a proxy
never fetches and keeps a page drawn under the old version. Other processes
(``db_worker``, management commands, tests) read the version each time.
"""

import logging
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import caches

from .memory_cache import PER_PROCESS_BACKENDS

logger = logging.getLogger(__name__)

CACHE_KEY = "content-version"
# The version is kept beside the pages it governs (see CACHES in config/settings.py).
CACHE_ALIAS = "pages"


def _uses_file() -> bool:
    """Whether the version lives in a file: when the cache is each process's own memory."""
    return settings.CACHES[CACHE_ALIAS]["BACKEND"] in PER_PROCESS_BACKENDS


def content_version() -> str:
    """The current version. A lost one (a deleted file, an evicted key) is replaced by a new one, never reused."""
    if _uses_file():
        return _version_from_file(settings.CONTENT_VERSION_FILE)
    return _kept.current() or content_version_from_cache(caches[CACHE_ALIAS].get(CACHE_KEY))


# The file's identity (path, inode, modification time in ns, size) when this process last read it, and what it held.
_last_read = (None, "")


def _version_from_file(path) -> str:
    """The version in the file, read again only when the file was replaced since this process last read it.

    One ``stat`` instead of open, read and close on every cached page. Every bump renames a new file over the
    old one and stamps it with the current time to the nanosecond, so two versions never share an identity,
    even when a freed inode is reused within the file system's coarse clock tick.
    """
    global _last_read
    try:
        stat = os.stat(path)
        identity = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if identity == _last_read[0]:
            return _last_read[1]
        version = Path(path).read_text()
    except OSError:
        return content_version_bump()
    if not version:
        return content_version_bump()
    _last_read = (identity, version)
    return version


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


def content_version_kept() -> str | None:
    """The version this web process keeps in memory (see the module docstring), or None where it is not kept.

    Where it is, pages are worth keeping in the process's memory too (core/caching.py).
    """
    return None if _uses_file() else _kept.current()


def content_version_keep(refresh_seconds: float | None = None) -> None:
    """In a web process, keep the version in memory, renewed by a thread (see the module docstring).

    ``refresh_seconds`` defaults to ``CONTENT_VERSION_REFRESH_SECONDS``; 0 stops keeping it (the thread ends).
    """
    _kept.enable(settings.CONTENT_VERSION_REFRESH_SECONDS if refresh_seconds is None else refresh_seconds)


def content_version_settle_seconds() -> float:
    """How long after a bump a web process may still use the older version (0 when none keeps it)."""
    if _uses_file():
        return 0.0
    return _KeptVersion.TRUST_FOR * settings.CONTENT_VERSION_REFRESH_SECONDS


class _KeptVersion:
    """The version as this web process last read it from the shared cache, renewed by a thread."""

    # A value is trusted for this many refresh intervals: a thread starved for longer costs a round trip, never
    # an older page.
    TRUST_FOR = 2

    def __init__(self):
        self.lock = threading.Lock()
        self.interval = 0.0
        self.value, self.read_at = None, 0.0
        # When this process last bumped the version: a read begun before then must not undo the bump.
        self.bumped_at = 0.0
        # Whether this process's thread runs, and which thread is the current one: a replaced one ends.
        self.thread_started, self.generation = False, 0
        # Threads do not survive a fork: a forked worker (gunicorn --preload) starts its own.
        os.register_at_fork(after_in_child=self.forked)

    def enable(self, interval: float) -> None:
        with self.lock:
            self.interval = interval
            self.value, self.thread_started = None, False
            self.generation += 1  # a thread already running ends at its next turn; the next reader starts one

    def forked(self) -> None:
        self.lock = threading.Lock()  # the parent's may have been held at the fork
        self.value, self.thread_started = None, False
        self.generation += 1

    def current(self) -> str | None:
        """The kept version, or None if it is not kept here or may be out of date."""
        if not self.interval:
            return None
        if not self.thread_started:
            self.start()
        if time.monotonic() - self.read_at > self.TRUST_FOR * self.interval:
            return None
        return self.value

    def bumped(self, value: str) -> None:
        with self.lock:
            self.value = value
            self.read_at = self.bumped_at = time.monotonic()

    def start(self) -> None:
        """Start the thread that renews the version, once per process."""
        with self.lock:
            if self.thread_started:
                return
            self.value, self.thread_started = None, True
            self.generation += 1
            generation = self.generation
        threading.Thread(target=self.renew_forever, args=(generation,), name="content-version", daemon=True).start()

    def renew_forever(self, generation: int) -> None:
        failing = False
        while self.generation == generation:
            try:
                self.renew()
            except Exception as error:
                # Whatever went wrong (Redis away or slow, most likely), the thread must live on: meanwhile the
                # value ages out and readers ask Redis themselves (drawing pages if it does not answer either).
                if not failing:
                    logger.warning(
                        "Cannot read the content version (%s); trying again every %s s.", error, self.interval
                    )
                failing = True
            else:
                if failing:
                    logger.warning("The content version can be read again.")
                failing = False
            time.sleep(self.interval)

    def renew(self) -> None:
        started = time.monotonic()
        value = content_version_from_cache(caches[CACHE_ALIAS].get(CACHE_KEY))
        with self.lock:
            if started >= self.bumped_at:
                # As fresh as the moment the read began, not the moment it came back.
                self.value, self.read_at = value, started


_kept = _KeptVersion()


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
        now = time.time_ns()
        os.utime(temporary, ns=(now, now))
        os.replace(temporary, path)
    else:
        caches[CACHE_ALIAS].set(CACHE_KEY, version, timeout=None)
        if _kept.thread_started:
            _kept.bumped(version)  # this process's next page is drawn under the new version at once
    return version
