"""``check --deploy`` refuses the laptop setup in production."""

import pytest
from django.core.checks import run_checks


def deploy_errors():
    return {message.id for message in run_checks(include_deployment_checks=True, tags=["deployment"])}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_sqlite_in_production_fails_the_deploy_check(settings):
    """An operator who forgot DATABASE_URL is told before the site goes live on a file database."""
    settings.DATABASES = {**settings.DATABASES, "default": {**settings.DATABASES["default"]}}
    settings.DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"
    assert "core.E001" in deploy_errors()


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_postgresql_passes_the_database_check(settings):
    settings.DATABASES = {**settings.DATABASES, "default": {**settings.DATABASES["default"]}}
    settings.DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    assert "core.E001" not in deploy_errors()


def test_per_process_cache_in_production_fails_the_deploy_check(settings):
    """Without Redis each web worker counts rate limits on its own, so the limits multiply."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "core.E002" in deploy_errors()


def test_redis_cache_passes_the_cache_check(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}
    }
    assert "core.E002" not in deploy_errors()


def test_the_checks_only_run_for_deployment(settings):
    """``make run`` on a laptop (plain ``check``) is not bothered by them."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not {message.id for message in run_checks(tags=["deployment"])}
