"""Shared fixtures: isolated media, plain static files, a clean cache, a staff user."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from tests.chromium import chromium, page, screenshot  # noqa: F401
from tests.newsletter.dns import dns_server  # noqa: F401
from tests.newsletter.smtp import smtp_server  # noqa: F401


def pytest_collection_modifyitems(items):
    on_postgres = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]
    # Row locks and truly concurrent transactions exist only on PostgreSQL;
    # on SQLite these tests say so instead of passing vacuously.
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://... to include it")
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres_only") and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Uploaded files go to a fresh folder per test; nothing touches ./media.
    settings.MEDIA_ROOT = tmp_path / "media"
    # The manifest storage needs collectstatic first; tests do not.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The page cache follows changes once they commit; most tests change data inside a transaction that is
    # rolled back instead, so they run without it. tests/caching/ tests it with real commits.
    settings.PAGE_CACHE = False
    # Likewise the fragments of pages (core/fragments.py); tests/briefs/test_speed.py tests them with real commits.
    settings.FRAGMENT_CACHE = False
    settings.CONTENT_VERSION_FILE = tmp_path / "content-version"
    for alias in settings.CACHES:
        caches[alias].clear()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def staff_user(django_user_model):
    """A superuser editor, as the site's staff are."""
    return django_user_model.objects.create_superuser(username="editor", email="editor@example.org", password="pw")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
