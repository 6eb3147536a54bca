"""The page cache answered straight from WSGI (config/wsgi.py): the same copy, headers and freshness as through Django.

These tests call the wrapped WSGI application as gunicorn does, and commit for
real (``transactional_db``) so that changes bump the content version.
"""

import io
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from core.caching import page_cache_fast_path
from tests.factories import published_brief

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True


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


def test_a_cached_page_is_answered_before_django_exactly_as_django_stored_it(wsgi, site):
    """The second reader gets the very bytes and headers (security headers included) without Django running."""
    address = site["briefs"][0].get_absolute_url()
    status, first_headers, first_body = wsgi(address, Accept_Encoding="gzip")
    assert status == "200 OK" and first_headers["X-Page-Cache"] == "miss"

    status, headers, body = wsgi(address, Accept_Encoding="gzip")

    assert status == "200 OK"
    assert wsgi.django_calls == [address], "the second request never reached Django"
    assert headers["X-Page-Cache"] == "hit"
    assert body == first_body and headers["Content-Length"] == str(len(body))
    for name in ("ETag", "Cache-Control", "Content-Encoding", "Content-Security-Policy", "Permissions-Policy"):
        assert headers[name] == first_headers[name], name
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_revalidation_and_head_are_answered_from_the_copy(wsgi, site):
    _, headers, _ = wsgi("/")
    status, _, body = wsgi("/", If_None_Match=headers["ETag"])
    assert status.startswith("304") and body == b""
    status, head_headers, body = wsgi("/", method="HEAD")
    assert status == "200 OK" and body == b"" and head_headers["X-Page-Cache"] == "hit"
    assert wsgi.django_calls == ["/"]


def test_staff_hostile_input_and_a_change_all_go_to_django(wsgi, site):
    """A session cookie, a NUL in the query and a publish each mean Django draws (or refuses) the page itself."""
    wsgi("/")
    _, headers, _ = wsgi("/", Cookie="sessionid=abc")
    assert headers.get("X-Page-Cache") != "hit"
    status, _, _ = wsgi("/?q=%00")
    assert status.startswith("400")
    assert wsgi.django_calls == ["/", "/", "/"]

    published_brief(title="A brief published a moment ago")
    _, headers, body = wsgi("/")
    assert headers["X-Page-Cache"] == "miss", "the publish bumped the content version"
    assert b"A brief published a moment ago" in body


def test_django_test_client_and_wsgi_share_one_copy(wsgi, site):
    """What the middleware stored is what the fast path serves: one cache, two doors."""
    Client().get("/")
    _, headers, _ = wsgi("/")
    assert headers["X-Page-Cache"] == "hit"
