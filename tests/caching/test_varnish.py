"""Through a real Varnish (deploy/varnish/default.vcl) in front of the live test server.

Readers get pages from Varnish's cache; a publish, an edit or a rename makes
the next request show the change, and purges only the pages it affects; a
proxy that is down or slow never holds up or breaks publishing, the purge is
retried, and nothing stale is served once the proxy is back.
"""

import io
import logging
import socket
import threading
import time

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from tests.caching.conftest import fetch
from tests.factories import BriefAuthor, BriefFactory

pytestmark = pytest.mark.django_db(transaction=True)


def until(condition, *, within: float) -> float:
    """Seconds until ``condition()`` held; fails if it did not within ``within`` seconds."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > within:
            pytest.fail(f"not true within {within} s")
        time.sleep(0.02)
    return time.monotonic() - start


def cached(varnish, address, **kwargs):
    """Fetch ``address`` twice through Varnish; the second must come from its cache."""
    fetch(varnish.url + address, **kwargs)
    answer = fetch(varnish.url + address, **kwargs)
    assert answer.headers["X-Cache"] == "HIT", address
    return answer


def a_new_brief(site, title):
    brief = BriefFactory(title=title, series=site["energy"])
    BriefAuthor.objects.create(brief=brief, author=site["author"], sort_order=0)
    brief.topics.add(site["topic"])
    return brief


def test_readers_get_pages_from_the_cache(varnish, site):
    """The second reader of a page gets Varnish's copy, which ages; the app's tags stay inside."""
    first = fetch(varnish.url + "/")
    assert first.headers["X-Cache"] == "MISS"
    time.sleep(1.05)

    second = fetch(varnish.url + "/")

    assert second.headers["X-Cache"] == "HIT"
    assert int(second.headers["Age"]) >= 1
    assert second.body == first.body
    assert "xkey" not in {name.lower() for name in second.headers}


def test_tracking_parameters_do_not_multiply_copies(varnish, site):
    """Links with utm_* tags, fbclid or a random cache-buster share the plain address's copy."""
    fetch(varnish.url + "/?topic=grids")
    for address in ("/?utm_source=mail&topic=grids", "/?topic=grids&fbclid=abc&_=12345", "/?page=1&topic=grids"):
        assert fetch(varnish.url + address).headers["X-Cache"] == "HIT", address


def test_a_publish_shows_within_a_second_and_purges_only_what_it_affects(varnish, site):
    """Publishing in the Energy series refreshes its pages at once; the Defence series' cached pages stay cached."""
    affected = ["/series/energy/", "/topics/grids/", "/authors/ada/", "/feed/", "/sitemap.xml"]
    affected.append(site["briefs"][1].get_absolute_url())  # gains a "next brief" link
    unaffected = ["/series/defence/", site["briefs"][2].get_absolute_url()]
    for address in ["/", *affected, *unaffected]:
        cached(varnish, address)
    brief = a_new_brief(site, "Hydrogen corridors")

    brief.publish(by=None)

    took = until(lambda: "Hydrogen corridors" in fetch(varnish.url + "/").text, within=1)
    assert took < 1
    for address in affected:
        answer = fetch(varnish.url + address)
        assert answer.headers["X-Cache"] == "MISS", address
    assert "Hydrogen corridors" in fetch(varnish.url + brief.get_absolute_url()).text
    for address in unaffected:
        assert fetch(varnish.url + address).headers["X-Cache"] == "HIT", address


def test_withdrawing_editing_and_renaming_show_on_the_next_request(varnish, site):
    """Unpublishing, changing a live brief's title and renaming its author each reach readers at once."""
    first, second, other = site["briefs"]
    for address in ("/", first.get_absolute_url(), second.get_absolute_url(), other.get_absolute_url()):
        cached(varnish, address)

    second.unpublish(by=None)
    until(lambda: fetch(varnish.url + second.get_absolute_url()).status == 404, within=1)
    assert "Grid storage second" not in fetch(varnish.url + "/").text

    first.title = "Grid storage, corrected"
    first.save_edits()
    until(lambda: "Grid storage, corrected" in fetch(varnish.url + first.get_absolute_url()).text, within=1)

    author = site["author"]
    author.name = "Ada Renamed"
    author.save()
    until(lambda: "Ada Renamed" in fetch(varnish.url + first.get_absolute_url()).text, within=1)
    assert fetch(varnish.url + other.get_absolute_url()).headers["X-Cache"] == "HIT", "not by that author"


def test_after_a_deploy_one_command_empties_every_cache(varnish, site, settings, client):
    """New code may draw pages differently: purge_page_caches drops every cached page, feeds and sitemap included."""
    from django.core.management import call_command

    settings.PAGE_CACHE = True
    addresses = ["/", "/feed/", "/sitemap.xml", site["briefs"][0].get_absolute_url()]
    for address in addresses:
        cached(varnish, address)
    client.get("/")

    output = io.StringIO()
    call_command("purge_page_caches", stdout=output)
    assert varnish.url in output.getvalue()

    for address in addresses:
        assert fetch(varnish.url + address).headers["X-Cache"] == "MISS", address
    assert client.get("/")["X-Page-Cache"] == "miss"


def test_staff_and_forms_go_past_the_cache(varnish, site, staff_user, client):
    """Signed-in staff and the admin always reach the app; anonymous copies never reach them."""
    cached(varnish, "/")
    client.force_login(staff_user)
    session = client.cookies["sessionid"].value

    answer = fetch(varnish.url + "/", headers={"Cookie": f"sessionid={session}"})

    assert answer.headers["X-Cache"] == "PASS"
    assert "private" in answer.headers["Cache-Control"]
    assert fetch(varnish.url + "/admin/login/").headers["X-Cache"] == "PASS"


def test_brotli_and_gzip_through_the_proxy(varnish, site):
    """Browsers that take brotli get it, others gzip, and a client taking neither gets plain HTML."""
    import gzip

    import brotli

    plain = fetch(varnish.url + "/").body
    for accept, coding, unpack in (("gzip, deflate, br", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)):
        answer = fetch(varnish.url + "/", headers={"Accept-Encoding": accept})
        assert answer.headers.get("Content-Encoding") == coding
        assert unpack(answer.body) == plain


@pytest.fixture
def task_queue(settings):
    """The database task queue that production runs (tasks wait for a worker; retries wait their turn)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CACHE_PURGE_RETRY_DELAYS = (0.3, 0.3, 0.3)

    def run_due_tasks():
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "--no-reload", verbosity=0)

    return run_due_tasks


def test_a_publish_while_the_proxy_is_down_works_and_nothing_stale_is_served_after(varnish, site, task_queue, caplog):
    """With Varnish down the brief is published all the same; the purge is retried and logged; once Varnish is back,
    readers get the new page."""
    cached(varnish, "/")
    varnish.stop()
    brief = a_new_brief(site, "Published while the proxy was down")

    started = time.monotonic()
    brief.publish(by=None)
    assert time.monotonic() - started < 1
    with caplog.at_level(logging.WARNING, logger="core.purge"):
        task_queue()
    assert "trying again" in caplog.text
    assert DBTaskResult.objects.filter(status="READY", args_kwargs__kwargs__attempt=2).exists()

    varnish.start()
    assert "Published while the proxy was down" in fetch(varnish.url + "/").text
    time.sleep(0.35)
    with caplog.at_level(logging.INFO, logger="core.purge"):
        task_queue()
    assert f"from {varnish.url} (attempt 2)" in caplog.text


@pytest.fixture
def silent_proxy():
    """A proxy that accepts connections and never answers (hung, or behind a broken network)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_slow_proxy_is_retried_alone_and_never_holds_up_the_others(
    varnish, site, task_queue, silent_proxy, settings, caplog
):
    """One proxy that never answers costs the worker its timeout, not the editor; the others are purged at once."""
    settings.CACHE_PURGE_URLS = [silent_proxy, varnish.url]
    settings.CACHE_PURGE_TIMEOUT = 0.5
    cached(varnish, "/")
    brief = a_new_brief(site, "Published past a hung proxy")

    started = time.monotonic()
    brief.publish(by=None)
    assert time.monotonic() - started < 0.5, "publishing only queues the purge"
    with caplog.at_level(logging.WARNING, logger="core.purge"):
        task_queue()

    assert "Published past a hung proxy" in fetch(varnish.url + "/").text
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert retry.args_kwargs["kwargs"]["proxy_urls"] == [silent_proxy]
    assert "timed out" in caplog.text
