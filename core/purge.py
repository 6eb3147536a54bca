"""Telling caches that something readers see has changed.

``cache_purge_on_commit(keys=…)`` is called by whatever changes public content
(briefs/cache_tags.py connects it to the models and to the publishing
signals), with the tags of what changed (``brief-12``, ``author-3``,
``briefs``…). When the surrounding transaction commits, and only then:

1. the site's content version is bumped (core/content_version.py), so the
   application's page cache, in every process, stops using older copies at once;
2. a background task (``core.tasks.proxies_purge_task``) sends each reverse
   proxy in ``CACHE_PURGE_URLS`` one request::

       PURGE / HTTP/1.1
       xkey-purge: brief-12 briefs series-1-briefs

   which deploy/varnish/default.vcl answers by dropping every stored page that
   carries any of those tags in its ``xkey`` header (core/caching.py writes
   them). A CDN or another proxy that takes the same request works the same way.

Changes made in one transaction (a brief, its sections and byline saved
together in the admin) give one bump and one task. A proxy that is down,
slow or answers with an error does not hold anything up: the publish has
committed already, the task gives up on that proxy after ``CACHE_PURGE_TIMEOUT``
seconds, logs a warning and queues itself again, for the failed proxies only,
after each of ``CACHE_PURGE_RETRY_DELAYS`` in turn; after the last it logs an
error (the page then lives at most ``CACHE_S_MAXAGE`` seconds). A proxy that
restarts comes back empty, so it serves nothing stale either way.
"""

import datetime
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .content_version import content_version_bump, content_version_settle_seconds
from .queue import task_enqueue

logger = logging.getLogger(__name__)

PURGE_TASK = "core.tasks.proxies_purge_task"

PURGE_HEADER = "xkey-purge"


def cache_purge_on_commit(*, keys: Iterable[str]) -> None:
    """Once the current transaction commits, bump the content version and purge ``keys`` from the proxies."""
    keys = set(keys)
    if not keys:
        return
    connection = transaction.get_connection()
    pending = getattr(connection, "cache_purge_pending", None)
    # A pending set whose callback is no longer queued belonged to a transaction that was rolled back.
    if pending is not None and any(entry[1] == pending.flush for entry in connection.run_on_commit):
        pending.update(keys)
        return
    pending = connection.cache_purge_pending = _PendingPurge(keys)
    transaction.on_commit(pending.flush, robust=True)


class _PendingPurge(set):
    """The tags changed in one transaction, purged together when it commits."""

    def flush(self) -> None:
        connection = transaction.get_connection()
        if getattr(connection, "cache_purge_pending", None) is self:
            connection.cache_purge_pending = None
        cache_purge_now(keys=self)


def cache_purge_now(*, keys: Iterable[str]) -> None:
    """Bump the content version and queue the proxies' purge of ``keys`` (called after commit)."""
    content_version_bump()
    if not settings.CACHE_PURGE_URLS:
        return
    # Not before every web process has seen the bump: a proxy purged sooner could fetch the page from one still
    # drawing under the older version, and keep that copy for CACHE_S_MAXAGE.
    not_before = time.time() + content_version_settle_seconds()
    try:
        task_enqueue(
            PURGE_TASK, keys=sorted(keys), proxy_urls=list(settings.CACHE_PURGE_URLS), attempt=1, not_before=not_before
        )
    except Exception:
        # The change is committed; a purge that cannot even be queued must not turn it into an error page.
        logger.exception("Could not queue the purge of %s; cached pages expire after CACHE_S_MAXAGE.", sorted(keys))


def proxy_purge(*, proxy_url: str, keys: list[str]) -> str:
    """Send one proxy the PURGE request for ``keys``; "" when it was done, else what went wrong."""
    # A bare address gets "/"; one with a path (a CDN's purge endpoint) is used as it is.
    address = proxy_url if urllib.parse.urlsplit(proxy_url).path.strip("/") else proxy_url.rstrip("/") + "/"
    request = urllib.request.Request(address, method="PURGE", headers={PURGE_HEADER: " ".join(keys)})
    try:
        with urllib.request.urlopen(request, timeout=settings.CACHE_PURGE_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as error:
        return f"answered {error.code} {error.reason}"
    except (OSError, ValueError) as error:
        return str(getattr(error, "reason", None) or error) or error.__class__.__name__
    return ""


def proxies_purge(*, keys: list[str], proxy_urls: list[str], attempt: int, not_before: float = 0.0) -> dict:
    """Purge ``keys`` from each proxy, no sooner than ``not_before`` (a Unix time); queue another attempt for those
    that failed. Returns what happened."""
    # A task is usually picked up later than this anyway; the wait is a fraction of a second at most.
    time.sleep(max(0.0, min(not_before - time.time(), content_version_settle_seconds())))
    failed = {}
    for proxy_url in proxy_urls:
        if problem := proxy_purge(proxy_url=proxy_url, keys=keys):
            failed[proxy_url] = problem
        else:
            logger.info("Purged %s from %s (attempt %d).", " ".join(keys), proxy_url, attempt)
    if not failed:
        return {"purged": proxy_urls, "failed": {}}
    delays = settings.CACHE_PURGE_RETRY_DELAYS
    described = "; ".join(f"{url}: {problem}" for url, problem in failed.items())
    if attempt > len(delays):
        logger.error("Gave up purging %s after %d attempts (%s).", " ".join(keys), attempt, described)
    else:
        delay = delays[attempt - 1]
        retry_at = timezone.now() + datetime.timedelta(seconds=delay)
        if task_enqueue(PURGE_TASK, run_after=retry_at, keys=keys, proxy_urls=list(failed), attempt=attempt + 1):
            logger.warning(
                "Could not purge %s (%s); attempt %d of %d, trying again in %s s.",
                " ".join(keys),
                described,
                attempt,
                len(delays) + 1,
                delay,
            )
        else:
            logger.error("Could not purge %s (%s); this task backend cannot retry later.", " ".join(keys), described)
    return {"purged": [url for url in proxy_urls if url not in failed], "failed": failed}
