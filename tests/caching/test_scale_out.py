"""The production shape on one machine: two gunicorn servers, two task workers, one PostgreSQL, one Varnish.

A brief scheduled by an editor goes live through whichever worker takes the
task (SKIP LOCKED: never both), that worker's purge reaches Varnish, and the
next reader through the proxy, and a reader of either app server directly
(each with its own copies of pages from the shared Redis), sees it. PostgreSQL only: SQLite has no
SKIP LOCKED and is not what several machines share.
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from briefs.models import Brief
from tests.caching.conftest import fetch, require_varnish
from tests.factories import AuthorFactory, BriefAuthor, BriefFactory, SeriesFactory
from tests.varnish import VarnishProxy, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"


def database_url() -> str:
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.fixture
def processes(tmp_path):
    """Start processes with the production-like environment below; all are stopped at the end."""
    started = []

    def start(name, *arguments, env):
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(arguments, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((name, process))
        return process

    start.logs = tmp_path
    yield start
    for _, process in started:
        process.terminate()
    for _, process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_health(port: int, *, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if fetch(f"http://127.0.0.1:{port}/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the app server on port {port} did not answer")


def test_two_app_servers_and_two_workers_behind_one_varnish(processes, settings, tmp_path):
    """A scheduled brief goes live through one of two workers and is fresh through Varnish and on both servers."""
    require_varnish()
    app_ports = [free_port(), free_port()]
    varnish = VarnishProxy(backend_ports=app_ports)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "1",  # plain static files: no collectstatic needed
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "CACHE_PURGE_URLS": varnish.url,
        # As in production: one Redis for the page cache and the content version, which each app server keeps
        # in memory (core/content_version.py) and so sees the worker's change a moment after it is made.
        "REDIS_URL": REDIS_URL,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PAGE_CACHE": "1",
    }
    redis.Redis.from_url(REDIS_URL).flushdb()
    for port in app_ports:
        processes(
            f"gunicorn-{port}",
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            env=environment,
        )
    for number in (1, 2):
        processes(
            f"worker-{number}",
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            "--worker-id",
            f"worker-{number}",
            env=environment,
        )
    for port in app_ports:
        wait_for_health(port)
    varnish.start()
    try:
        series = SeriesFactory(name="Energy Brief", slug="energy")
        author = AuthorFactory(name="Ada Example")
        brief = BriefFactory(title="Goes live on its own", series=series)
        BriefAuthor.objects.create(brief=brief, author=author, sort_order=0)
        for _ in range(3):
            fetch(varnish.url + "/")
        assert fetch(varnish.url + "/").headers["X-Cache"] == "HIT"
        for port in app_ports:
            fetch(f"http://127.0.0.1:{port}/")
            assert fetch(f"http://127.0.0.1:{port}/").headers["X-Page-Cache"] == "hit"
        # Each app server keeps the version and its pages in memory (config/wsgi.py): forty hits cost Redis only
        # the two servers' renewals of the version, every 0.05 s, not a round trip each.
        server = redis.Redis.from_url(REDIS_URL)
        before, started = server.info("stats")["total_commands_processed"], time.monotonic()
        for _ in range(20):
            for port in app_ports:
                assert fetch(f"http://127.0.0.1:{port}/").headers["X-Page-Cache"] == "hit"
        renewals = 2 * (int((time.monotonic() - started) / 0.05) + 2)
        assert server.info("stats")["total_commands_processed"] - before - 1 <= renewals

        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        brief.schedule(by=None, at=timezone.now() + datetime.timedelta(seconds=2))

        deadline = time.monotonic() + 20
        while "Goes live on its own" not in fetch(varnish.url + "/").text:
            assert time.monotonic() < deadline, "the brief did not show through Varnish"
            time.sleep(0.1)
        brief.refresh_from_db()
        assert brief.status == Brief.Status.PUBLISHED and brief.number == 1
        assert brief.transitions.filter(name="go_live").count() == 1, "one worker made it live, once"
        assert fetch(varnish.url + "/").headers["X-Cache"] == "HIT"
        for port in app_ports:
            assert "Goes live on its own" in fetch(f"http://127.0.0.1:{port}/").text, f"page cache of {port}"
        logs = "".join(path.read_text(errors="replace") for path in processes.logs.glob("worker-*.log"))
        assert "publish_scheduled_brief state=SUCCESSFUL" in logs
        assert f"from {varnish.url} (attempt 1)" in logs
    finally:
        varnish.close()
        redis.Redis.from_url(REDIS_URL).flushdb()
