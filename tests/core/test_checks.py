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


def deploy_messages() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in run_checks(include_deployment_checks=True, tags=["deployment"]):
        found.setdefault(message.id, []).append(message.msg)
    return found


def test_the_cache_check_covers_the_rate_limits(settings):
    """core.E002 inspects the very cache the subscribe form counts in: with Redis there, the count is in Redis."""
    import redis
    from django.core.cache import caches

    from core.ratelimit import ratelimit_hit

    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/11",
            "KEY_PREFIX": "w8b-check-test",
        },
    }
    assert "core.E002" not in deploy_errors()
    try:
        ratelimit_hit(key="deploy-check-probe", limit=5, window_seconds=60)
        keys = redis.Redis.from_url("redis://127.0.0.1:6379/11").keys("w8b-check-test:*deploy-check-probe*")
        assert keys, "the rate limit counted somewhere other than the cache the check inspects"
    finally:
        caches["default"].clear()


@pytest.mark.django_db
def test_a_social_link_that_is_not_a_web_address_is_flagged_and_left_off_the_pages(settings, client):
    """SOCIAL_LINKS=X=javascript:… is named by check --deploy, and the footer shows the other links only."""
    settings.SOCIAL_LINKS = [("X", "javascript:alert(document.domain)"), ("LinkedIn", "https://www.linkedin.com/x")]

    messages = deploy_messages()
    assert len(messages["core.W001"]) == 1
    assert "“X”" in messages["core.W001"][0]

    html = client.get("/").content.decode()
    assert "javascript:" not in html
    assert 'href="https://www.linkedin.com/x"' in html


@pytest.mark.parametrize("url", ["data:text/html,<p>hi", "//x.com/group", "x.com/group", "https://", " javascript:x"])
def test_other_non_web_social_links_are_flagged(settings, url):
    settings.SOCIAL_LINKS = [("X", url)]
    assert "core.W001" in deploy_messages()


def test_web_addresses_pass(settings):
    settings.SOCIAL_LINKS = [("X", "https://x.com/group"), ("Blog", "http://blog.example.org/")]
    settings.SITE_URL = "https://briefs.example.org"
    settings.CACHE_PURGE_URLS = ["http://127.0.0.1:6081"]
    assert not {"core.W001", "core.W002"} & set(deploy_messages())


def test_a_site_url_or_purge_address_that_is_not_a_web_address_is_flagged(settings):
    settings.SITE_URL = "briefs.example.org"
    settings.CACHE_PURGE_URLS = ["varnish:6081"]
    assert len(deploy_messages()["core.W002"]) == 2
