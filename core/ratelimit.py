"""Fixed-window counters in Django's cache, for limiting abuse of public forms and guessing of staff passwords.

The cache is Redis in production (REDIS_URL), so the counts are shared by all
web workers; locally and in tests it is per-process memory. ``cache.add`` is
atomic (it only sets a missing key) and so is ``cache.incr``, so two requests
at the same moment cannot both slip under a limit.

Users: the newsletter's subscribe form (newsletter/views.py, newsletter/services.py)
and the staff login (core/login_throttle.py).
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def ratelimit_count(*, key: str, window_seconds: int) -> int:
    """Count one event against ``key`` and return how many there have been in the current window."""
    cache_key = f"ratelimit:{key}"
    # The window starts with the first event: add() creates the counter with
    # its expiry only if it does not exist yet, incr() never resets the expiry.
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        return cache.incr(cache_key)
    except ValueError:
        # The counter expired between add() and incr(): this is a new window.
        cache.add(cache_key, 1, timeout=window_seconds)
        return 1


def ratelimit_hit(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one request against ``key``; True when this one is over ``limit`` in the current window."""
    return ratelimit_count(key=key, window_seconds=window_seconds) > limit


def ratelimit_reset(*, key: str) -> None:
    """Forget the events counted against ``key`` (a success that proves the earlier failures were honest)."""
    cache.delete(f"ratelimit:{key}")


def ratelimit_block(*, key: str, seconds: int) -> float:
    """Refuse ``key`` for ``seconds`` from now; returns the moment (a Unix time) the refusal ends."""
    until = time.time() + seconds
    cache.set(f"ratelimit-block:{key}", until, timeout=seconds)
    return until


def ratelimit_blocked_until(*, keys: list[str]) -> float | None:
    """The latest moment any of ``keys`` is refused until, or None when none is (one cache round trip)."""
    found = cache.get_many([f"ratelimit-block:{key}" for key in keys])
    now = time.time()
    ends = [until for until in found.values() if until > now]
    return max(ends) if ends else None


def ratelimit_claim_once(*, key: str, window_seconds: int) -> bool:
    """True the first time ``key`` is claimed in a window, False while the claim lasts."""
    return cache.add(f"ratelimit:{key}", 1, timeout=window_seconds)


def ratelimit_release(*, key: str) -> None:
    """Give back a claim, e.g. when the email it was for could not be sent."""
    cache.delete(f"ratelimit:{key}")


def client_ip(request: HttpRequest) -> str:
    """The visitor's address: REMOTE_ADDR, or behind our own proxy the address that proxy saw.

    The proxy's header is trusted only with BEHIND_PROXY=1 (which sets
    SECURE_PROXY_SSL_HEADER), and then only the last X-Forwarded-For entry,
    because it is the one our proxy appended; anything before it was sent by
    the client and can be forged.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hashed(value: str) -> str:
    """A short digest, so that addresses are not kept readable in the cache."""
    return hashlib.sha256(value.lower().encode()).hexdigest()[:32]
