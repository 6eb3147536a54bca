"""The page cache on a real Redis, as in production.

A web process keeps the content version in memory, renewed by a thread
(core/content_version.py), and keeps the pages it has served, so a hit costs
no round trip; a change made by another process shows within the refresh
time, one made by this process at once; proxies are purged only once every
process has seen the change; and with Redis away, pages are still drawn.
"""

import http.server
import socket
import threading
import time
import uuid

import pytest
import redis
from django.core.cache import caches

from core.content_version import (
    CACHE_KEY,
    content_version,
    content_version_keep,
    content_version_kept,
    content_version_settle_seconds,
)
from core.purge import cache_purge_now
from tests.factories import published_brief
from tests.varnish import free_port

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = "redis://127.0.0.1:6379/12"
REFRESH = 0.05


@pytest.fixture
def redis_pages(settings):
    """The "pages" cache on Redis under a prefix of its own, the page cache on; the keys are removed after."""
    prefix = f"test-pages-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix},
    }
    settings.PAGE_CACHE = True
    settings.CONTENT_VERSION_REFRESH_SECONDS = REFRESH
    server = redis.Redis.from_url(REDIS_URL)
    yield server
    content_version_keep(0)
    keys = server.keys(f"{prefix}:*")
    if keys:
        server.delete(*keys)


@pytest.fixture
def kept_version(redis_pages):
    """This test process acts as a web process: the version is kept in memory, as config/wsgi.py sets up."""
    content_version_keep(REFRESH)
    until_kept()
    return redis_pages


def until_kept(within: float = 2.0):
    """Wait for the renewing thread's first read (the first reader starts the thread)."""
    deadline = time.monotonic() + within
    while not content_version_kept():
        assert time.monotonic() < deadline, "the version was not kept in memory"
        time.sleep(0.01)


def commands_processed(server) -> int:
    return server.info("stats")["total_commands_processed"]


def test_hits_need_no_round_trip_to_redis(kept_version, client, site):
    """Thirty hits cost Redis a handful of commands (the version's renewal), not thirty or sixty."""
    assert client.get("/").headers["X-Page-Cache"] == "miss"
    before = commands_processed(kept_version)
    started = time.monotonic()
    for _ in range(30):
        assert client.get("/").headers["X-Page-Cache"] == "hit"
    elapsed = time.monotonic() - started
    used = commands_processed(kept_version) - before - 1  # the INFO above counts itself
    renewals = int(elapsed / REFRESH) + 2
    assert used <= renewals, f"{used} Redis commands for 30 hits in {elapsed:.2f} s"


def test_a_page_read_from_redis_once_is_then_kept_in_the_process(kept_version, client, site):
    """Another web process drew and stored the page: this one reads it from Redis once, then from its memory."""
    assert client.get("/").headers["X-Page-Cache"] == "miss"
    caches["page-copies"].clear()  # as if the page had been drawn by another process
    assert client.get("/").headers["X-Page-Cache"] == "hit"
    assert len(caches["page-copies"]._cache) == 1


def test_a_change_made_by_another_process_shows_within_the_refresh_time(kept_version, client, site):
    client.get("/")
    assert client.get("/").headers["X-Page-Cache"] == "hit"

    # Another process (a db_worker, another app server) bumps the version in Redis.
    other_process_cache = caches.create_connection("pages")
    other_process_cache.set(CACHE_KEY, "bumped-elsewhere", timeout=None)
    bumped_at = time.monotonic()

    while client.get("/").headers["X-Page-Cache"] == "hit":
        assert time.monotonic() - bumped_at < content_version_settle_seconds() + 0.5, "the old copy lived on"
        time.sleep(0.005)
    assert content_version() == "bumped-elsewhere"


def test_a_publish_in_this_process_shows_on_the_next_request(kept_version, client, site):
    client.get("/")
    assert client.get("/").headers["X-Page-Cache"] == "hit"

    published_brief(title="Published a moment ago")

    response = client.get("/")
    assert response.headers["X-Page-Cache"] == "miss"
    assert "Published a moment ago" in response.text


def test_the_fast_path_answers_from_the_process_copy(kept_version, wsgi, site):
    """Through WSGI as gunicorn calls it: the second reader never reaches Django nor Redis's page store."""
    _, first_headers, first_body = wsgi("/", Accept_Encoding="br")
    assert first_headers["X-Page-Cache"] == "miss"
    status, headers, body = wsgi("/", Accept_Encoding="br")
    assert status == "200 OK" and headers["X-Page-Cache"] == "hit" and body == first_body
    assert wsgi.django_calls == ["/"]


def test_a_copy_left_in_redis_by_older_code_is_drawn_anew(redis_pages, client, site):
    """After a deploy, a copy in the shape older code stored (version, headers, bytes) is skipped, not a 500."""
    client.get("/")
    (stored_key,) = [key.decode() for key in redis_pages.keys("test-pages-*:page:*")]
    key = stored_key.split(":", 2)[2]  # without Django's "<prefix>:<version>:"
    caches["pages"].set(key, (content_version(), {"Content-Type": "text/html"}, b"older code"), timeout=60)

    response = client.get("/")

    assert response.status_code == 200 and response.headers["X-Page-Cache"] == "miss"
    assert "Grid storage first" in response.text


def test_without_keeping_the_version_each_hit_reads_it_with_the_page(redis_pages, client, site):
    """Processes that do not keep the version (CONTENT_VERSION_REFRESH_SECONDS=0) are exact: one round trip each."""
    content_version_keep(0)
    client.get("/")
    before = commands_processed(redis_pages)
    for _ in range(5):
        assert client.get("/").headers["X-Page-Cache"] == "hit"
    assert commands_processed(redis_pages) - before - 1 == 5


def test_with_redis_away_pages_are_still_drawn(settings, client, site, caplog, monkeypatch):
    """A Redis that refuses connections costs the page cache, never the page; the log says so once a minute."""
    monkeypatch.setattr("core.caching._last_unreachable_warning", 0.0)
    working = settings.CACHES
    settings.CACHES = {
        **working,
        "pages": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/0"},
    }
    settings.PAGE_CACHE = True
    content_version_keep(REFRESH)
    try:
        for _ in range(2):
            response = client.get("/")
            assert response.status_code == 200 and "Grid storage first" in response.text
            assert "X-Page-Cache" not in response.headers
    finally:
        content_version_keep(0)
        settings.CACHES = working  # the suite's teardown empties every cache
    assert caplog.text.count("The page cache cannot be reached") == 1


def test_with_redis_hung_a_reader_waits_half_a_second_not_five(settings, client, site):
    """A Redis that takes connections but never answers: the page is drawn once REDIS_TIMEOUTS run out."""
    hung = socket.create_server(("127.0.0.1", 0), backlog=16)  # the kernel accepts; nobody ever answers
    working = settings.CACHES
    settings.CACHES = {
        **working,
        "pages": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{hung.getsockname()[1]}/0",
            "OPTIONS": settings.REDIS_TIMEOUTS,
        },
    }
    settings.PAGE_CACHE = True
    try:
        started = time.monotonic()
        response = client.get("/")
        waited = time.monotonic() - started
    finally:
        settings.CACHES = working
        hung.close()
    assert response.status_code == 200 and "Grid storage first" in response.text
    assert 0.4 < waited < 2.0, f"the reader waited {waited:.2f} s"


class PurgeRecorder(http.server.BaseHTTPRequestHandler):
    arrived: list = []

    def do_PURGE(self):
        self.arrived.append(time.monotonic())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_proxies_are_purged_only_once_every_web_process_can_have_seen_the_change(redis_pages, settings):
    """Else a proxy could fetch the page again from a process still on the old version, and keep it for an hour."""
    server = http.server.HTTPServer(("127.0.0.1", 0), PurgeRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CACHE_PURGE_URLS = [f"http://127.0.0.1:{server.server_port}"]
    PurgeRecorder.arrived = []
    try:
        bumped_at = time.monotonic()
        cache_purge_now(keys=["brief-1"])  # the test task backend runs the purge at once
    finally:
        server.shutdown()
        server.server_close()
    assert len(PurgeRecorder.arrived) == 1
    assert PurgeRecorder.arrived[0] - bumped_at >= content_version_settle_seconds() == 2 * REFRESH
