"""Pieces of public pages made once per content version and reused until anything readers see changes.

Most of what a page shows changes only when an editor changes something: the
menus and footer, a brief's card, the filter bar's lists of authors and years,
the number of published briefs. Each is kept in the "fragments" cache (each
process's own memory) under a key that includes the site's content version
(core/content_version.py), which every change that purges the proxies bumps
once it commits. So a piece is made once per version and process and never
outlives a change: after a bump every key is new, and the old entries simply
age out.

Values that follow the published set (counts, lists, related briefs) can also
go stale without any edit, when a brief published with a date a few minutes
ahead (clock slack) comes into view. ``published_set_expiry()`` gives the
moment the next such brief appears; entries made with ``timely=True`` are
remade from then on.

``FRAGMENT_CACHE = False`` makes every piece anew on each request (tests that
change data in a transaction that is rolled back, so that no bump ever runs).
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from .content_version import content_version

CACHE_ALIAS = "fragments"
# Entries are useless after the next bump anyway; this only bounds how long an unused one lingers.
TIMEOUT = 24 * 3600


def fragments_enabled() -> bool:
    return getattr(settings, "FRAGMENT_CACHE", True)


def request_content_version(request) -> str:
    """The content version, read once per request (one file read, or one cache round trip with Redis)."""
    version = getattr(request, "_content_version", None) if request is not None else None
    if version is None:
        version = content_version()
        if request is not None:
            request._content_version = version
    return version


def fragment_key(request, name: str, *vary) -> str:
    """The cache key of fragment ``name`` for the values ``vary`` at the current content version."""
    parts = "\x1f".join(str(value) for value in (request_content_version(request), *vary))
    return f"f:{name}:{hashlib.md5(parts.encode(), usedforsecurity=False).hexdigest()}"


def _fresh(entry, now) -> bool:
    return entry is not None and (entry[1] is None or now < entry[1])


def fragment(request, name: str, *vary, make: Callable, timely: bool = False):
    """The value of fragment ``name`` for ``vary``: the stored one, or ``make()``'s, stored for next time.

    ``timely``: the value follows the published set, so it is made again once
    a brief dated slightly ahead comes into view (see the module).
    """
    if not fragments_enabled():
        return make()
    key = fragment_key(request, name, *vary)
    cache, now = caches[CACHE_ALIAS], timezone.now()
    entry = cache.get(key)
    if _fresh(entry, now):
        return entry[0]
    value = make()
    cache.set(key, (value, request_published_set_expiry(request) if timely else None), timeout=TIMEOUT)
    return value


def fragments_many(request, name: str, items: dict, *, make: Callable[[list], dict]) -> dict:
    """Fragments ``name`` for many items at once: ``items`` maps an id to what its fragment varies on.

    ``make(ids)`` makes the missing ones and returns {id: value}. One cache round trip to read, one to write.
    """
    if not fragments_enabled():
        return make(list(items))
    keys = {item_id: fragment_key(request, name, item_id, *vary) for item_id, vary in items.items()}
    cache = caches[CACHE_ALIAS]
    stored = cache.get_many(keys.values())
    found = {item_id: stored[key][0] for item_id, key in keys.items() if key in stored}
    missing = [item_id for item_id in items if item_id not in found]
    if missing:
        made = make(missing)
        cache.set_many({keys[item_id]: (value, None) for item_id, value in made.items()}, timeout=TIMEOUT)
        found.update(made)
    return found


def request_published_set_expiry(request):
    """``published_set_expiry()``, asked once per request."""
    if request is None:
        return published_set_expiry()
    if not hasattr(request, "_published_set_expiry"):
        request._published_set_expiry = published_set_expiry()
    return request._published_set_expiry


def published_set_expiry():
    """When the next brief already published but dated a little ahead comes into view; None if there is none."""
    from briefs.models import Brief  # core must not import briefs at load time

    return (
        Brief.objects.filter(status=Brief.Status.PUBLISHED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
