"""Deployment checks: ``manage.py check --deploy`` fails on the traps a laptop setup leaves in production."""

from django.conf import settings
from django.core.checks import Error, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


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
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
        errors.append(
            Error(
                "The cache lives in each web process's memory, so rate limits hold per process, not per site.",
                hint="Set REDIS_URL, e.g. redis://127.0.0.1:6379/0.",
                id="core.E002",
            )
        )
    return errors
