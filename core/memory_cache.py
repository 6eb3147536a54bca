"""A per-process memory cache that keeps values as they are, for the fragment cache (core/fragments.py).

Django's LocMemCache pickles every value on the way in and unpickles it on
the way out, so that a caller can never change what another one reads. For
fragments that copy is pure cost: they are made once per content version and
then only read (rendered HTML, and a brief with what its page shows), and
unpickling them was about a millisecond of every uncached brief page. Values
stored here must therefore be treated as read-only by whoever gets them.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

# Cache backends whose values live in each process's own memory: not shared between web workers, machines or
# the db_worker (core/checks.py refuses them for rate limits in production; core/content_version.py then keeps
# the version in a file).
PER_PROCESS_BACKENDS = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "core.memory_cache.ObjectMemoryCache",
    }
)


class ObjectMemoryCache(LocMemCache):
    """LocMemCache without the pickling: the same object comes back (see the module docstring)."""

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            value = self._cache[key]
            self._cache.move_to_end(key, last=False)
        return value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._set(key, value, timeout)
                return True
            return False

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                raise ValueError(f"Key '{key}' not found")
            value = self._cache[key] + delta
            self._cache[key] = value
            self._cache.move_to_end(key, last=False)
        return value
