"""A database that refuses or hangs gives readers a friendly 503 within seconds, and the site recovers on its own.

The in-process tests use the test client against a database that is not there (SQLite and
PostgreSQL). The real-server tests run gunicorn with its DATABASE_URL pointed at a TCP proxy
in front of the test's PostgreSQL (tests/core/db_proxy.py) that forwards, refuses or black-holes,
so that the timings and the recovery are those of a real web process.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from core.views import server_error
from tests.caching.conftest import fetch
from tests.core.conftest import database_unreachable
from tests.core.db_proxy import DatabaseProxy
from tests.varnish import free_port

ROOT = Path(__file__).resolve().parents[2]
# What the issue asks: an answer within 5 seconds of asking, whatever the database does.
WITHIN = 5.0


@pytest.mark.django_db
def test_a_page_says_back_soon_with_a_503_when_the_database_is_down(unreachable_database):
    """Readers get the site's "briefly unavailable" page with 503 and Retry-After, not a 500 or a traceback."""
    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert "briefly unavailable" in body and "try again" in body
    assert "Traceback" not in body and "OperationalError" not in body


@pytest.mark.django_db
def test_staff_with_a_session_get_the_503_page_too(unreachable_database, settings):
    """Reading the session is the first thing to need the database on admin pages; that is a 503 as well."""
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "a-session-that-needs-the-database"

    response = client.get("/admin/")

    assert response.status_code == 503 and "briefly unavailable" in response.content.decode()


@pytest.mark.django_db
def test_pages_already_in_the_page_cache_are_still_served_during_an_outage(settings, tmp_path):
    """A reader asking for a page the app has kept gets it, database or not; an uncached one says back soon."""
    settings.PAGE_CACHE = True
    client = Client(raise_request_exception=False)
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"

    with database_unreachable(tmp_path):
        kept = client.get("/")
        other = client.get("/?q=grid")

    assert kept.status_code == 200 and kept["X-Page-Cache"] == "hit"
    assert other.status_code == 503


def test_other_errors_still_give_the_500_page():
    """Only database outages are "back soon"; a bug is still a 500."""
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500 and "Retry-After" not in response


# Real servers on PostgreSQL ------------------------------------------------------------------------------------


def database_settings() -> dict:
    settings = connection.settings_dict
    return {
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"] or "127.0.0.1",
        "port": int(settings["PORT"] or 5432),
        "name": settings["NAME"],
    }


def database_url(*, host: str, port: int) -> str:
    database = database_settings()
    return f"postgres://{database['user']}:{database['password']}@{host}:{port}/{database['name']}"


def timed(url: str, **kwargs):
    started = time.monotonic()
    answer = fetch(url, **kwargs)
    return answer, time.monotonic() - started


@pytest.fixture
def proxy():
    database = database_settings()
    proxy = DatabaseProxy(upstream=(database["host"], database["port"]))
    yield proxy
    proxy.close()


@pytest.fixture
def web_server(proxy, tmp_path):
    """gunicorn (one sync worker, production settings) whose database is reached through the proxy."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(host="127.0.0.1", port=proxy.port),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PAGE_CACHE": "0",  # every request needs the database
        "CONTENT_VERSION_FILE": str(tmp_path / "content-version"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if fetch(base + "/healthz").status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, (tmp_path / "gunicorn.log").read_text()
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)
    print((tmp_path / "gunicorn.log").read_text(errors="replace")[-6000:])  # shown when a test fails


SESSION = {"Cookie": "sessionid=a-session-that-needs-the-database"}


def assert_unavailable_quickly(base: str) -> list[float]:
    """A public page, an admin page (through the session) and /healthz each say 503 within WITHIN seconds."""
    seconds = []
    for path, headers in (("/feed/", {}), ("/admin/", SESSION), ("/healthz", {})):
        answer, elapsed = timed(base + path, headers=headers)
        seconds.append(round(elapsed, 2))
        assert answer.status == 503, (path, answer.status, answer.text[:300])
        assert elapsed < WITHIN, (path, elapsed)
        if path != "/healthz":
            assert answer.headers["Retry-After"] == "30"
            assert "briefly unavailable" in answer.text and "Traceback" not in answer.text
    return seconds


def assert_working(base: str) -> None:
    assert fetch(base + "/feed/").status == 200
    assert fetch(base + "/admin/", headers=SESSION).status == 302  # to the login page: the session was read
    assert fetch(base + "/healthz").status == 200


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_refused_database_is_a_503_at_once_and_the_site_recovers_without_a_restart(proxy, web_server):
    """With PostgreSQL's port closed, pages and /healthz say 503 at once; when it is back, so is the site."""
    assert_working(web_server)

    proxy.refuse()
    seconds = assert_unavailable_quickly(web_server)
    assert max(seconds) < 1, seconds

    proxy.forward()
    assert_working(web_server)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_hung_database_is_a_503_within_seconds_and_the_site_recovers_without_a_restart(proxy, web_server):
    """With PostgreSQL accepting but never answering (even on open connections), every answer comes within 5 s."""
    assert_working(web_server)  # leaves the worker a persistent connection, which now hangs

    proxy.black_hole()
    first = assert_unavailable_quickly(web_server)
    time.sleep(5.5)  # past the quiet period: the worker tries to connect again, and waits for it
    again = assert_unavailable_quickly(web_server)
    print(f"hung database: seconds to a 503 {first}, then after a pause {again}")

    proxy.forward()
    back, deadline = time.monotonic(), time.monotonic() + 10
    while fetch(web_server + "/feed/").status != 200:
        assert time.monotonic() < deadline, "the site did not come back on its own"
        time.sleep(0.2)
    print(f"hung database: pages back {time.monotonic() - back:.1f} s after the database")
    assert_working(web_server)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_only_the_web_process_cuts_long_statements_short(tmp_path):
    """The web process stops a statement after 2 s; db_worker, migrations and other commands keep no limit."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(host=database_settings()["host"], port=database_settings()["port"]),
    }
    probe = (
        "import time\n"
        "from django.db import connection, OperationalError\n"
        "cursor = connection.cursor()\n"
        "cursor.execute('SHOW statement_timeout')\n"
        "print('statement_timeout', cursor.fetchone()[0])\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    cursor.execute('SELECT pg_sleep(2.5)')\n"
        "    print('pg_sleep finished')\n"
        "except OperationalError as error:\n"
        "    print('pg_sleep stopped', type(error.__cause__).__name__, round(time.monotonic() - started, 1))\n"
    )
    web = subprocess.run(
        [sys.executable, "-c", "import config.wsgi\n" + probe],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    command = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert "statement_timeout 2s" in web.stdout, web.stderr
    assert "pg_sleep stopped QueryCanceled 2.0" in web.stdout, web.stdout + web.stderr
    assert "statement_timeout 0" in command.stdout, command.stderr
    assert "pg_sleep finished" in command.stdout, command.stdout + command.stderr
