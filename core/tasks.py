"""Background tasks for site-wide plumbing. They take plain values and call the functions that do the work."""

from django.tasks import task

from .purge import proxies_purge


@task()
def proxies_purge_task(*, keys: list[str], proxy_urls: list[str], attempt: int = 1, not_before: float = 0.0) -> dict:
    """Purge pages tagged with any of ``keys`` from the reverse proxies; retries itself (core/purge.py)."""
    return proxies_purge(keys=keys, proxy_urls=proxy_urls, attempt=attempt, not_before=not_before)
