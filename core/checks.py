"""Deployment checks: ``manage.py check --deploy`` fails on the traps a laptop setup leaves in production."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from .memory_cache import PER_PROCESS_BACKENDS


@register("deployment", deploy=True)
def production_services_check(app_configs, **kwargs):
    """Production needs PostgreSQL and a shared cache; SQLite and per-process memory work only on one laptop."""
    errors = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "The site runs on SQLite, the embedded database for local use.",
                hint="Set DATABASE_URL to a PostgreSQL database, e.g. postgres://user:password@host:5432/briefs.",
                id="core.E001",
            )
        )
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_BACKENDS:
        errors.append(
            Error(
                "The cache lives in each web process's memory, so rate limits hold per process, not per site.",
                hint="Set REDIS_URL, e.g. redis://127.0.0.1:6379/0.",
                id="core.E002",
            )
        )
    return errors


@register("deployment", deploy=True)
def operator_urls_check(app_configs, **kwargs):
    """Addresses the operator gives must be web addresses: a ``javascript:`` link in the footer would run.

    Pages leave such a social link out (core/context_processors.py); the
    warning says why it is missing.
    """
    from .context_processors import is_web_address

    warnings = []
    for label, url in settings.SOCIAL_LINKS:
        if not is_web_address(url):
            warnings.append(
                Warning(
                    f"SOCIAL_LINKS: the link “{label}” is {url!r}, not an http(s) address; pages leave it out.",
                    hint="Give each link as Label=https://…, e.g. X=https://x.com/yourgroup.",
                    id="core.W001",
                )
            )
    named = [("SITE_URL", settings.SITE_URL)] + [("CACHE_PURGE_URLS", url) for url in settings.CACHE_PURGE_URLS]
    for name, url in named:
        if not is_web_address(url):
            warnings.append(
                Warning(
                    f"{name} is {url!r}, not an http(s) address.",
                    hint="Give the full address, starting with https:// (or http:// on a private network).",
                    id="core.W002",
                )
            )
    return warnings
