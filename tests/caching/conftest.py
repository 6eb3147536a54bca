"""Fixtures for the caching tests: the public pages of a small site, a real Varnish, a real task worker."""

import io
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from django.core.handlers.wsgi import WSGIHandler

from core.caching import page_cache_fast_path
from tests.factories import AuthorFactory, SeriesFactory, TopicFactory, published_brief
from tests.varnish import VarnishProxy, varnish_missing


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(NoRedirects)


def fetch(url: str, *, headers=None, method="GET", data=None) -> Answer:
    """One real HTTP request (no redirects followed); any status is returned, not raised."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity", **(headers or {})}, method=method)
    try:
        with _opener.open(request, data=data, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


@pytest.fixture
def site(db):
    """Two series, a topic, an author and three published briefs."""
    energy, defence = (
        SeriesFactory(name="Energy Brief", slug="energy"),
        SeriesFactory(name="Defence Brief", slug="defence"),
    )
    topic, author = TopicFactory(name="Grids", slug="grids"), AuthorFactory(name="Ada Example", slug="ada")
    first = published_brief(title="Grid storage first", series=energy, topics=[topic], authors=[author])
    second = published_brief(title="Grid storage second", series=energy, topics=[topic], authors=[author])
    other = published_brief(title="Coastal defence", series=defence)
    return {"energy": energy, "defence": defence, "topic": topic, "author": author, "briefs": [first, second, other]}


def require_varnish():
    if problem := varnish_missing():
        if os.environ.get("REQUIRE_VARNISH") == "1":
            pytest.fail(f"REQUIRE_VARNISH=1 but {problem}")
        pytest.skip(problem)


@pytest.fixture
def varnish(live_server, settings):
    """deploy/varnish/default.vcl in a real varnishd in front of the live test server; the app purges it.

    The app's own page cache is off, so what these tests see is Varnish's doing.
    """
    require_varnish()
    settings.PAGE_CACHE = False
    port = int(live_server.url.rsplit(":", 1)[1])
    proxy = VarnishProxy(backend_ports=[port]).start()
    settings.CACHE_PURGE_URLS = [proxy.url]
    yield proxy
    proxy.close()


@pytest.fixture
def wsgi():
    """A WSGI call that returns (status, headers as a dict, body), with the fast path counting Django's turns."""
    django_calls = []
    handler = WSGIHandler()

    def counted(environ, start_response):
        django_calls.append(environ["PATH_INFO"])
        return handler(environ, start_response)

    application = page_cache_fast_path(counted)

    def call(path, *, method="GET", **headers):
        path_info, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
        }
        started = {}

        def start_response(status, response_headers, exc_info=None):
            started["status"], started["headers"] = status, dict(response_headers)

        body = b"".join(application(environ, start_response))
        return started["status"], started["headers"], body

    call.django_calls = django_calls
    return call
