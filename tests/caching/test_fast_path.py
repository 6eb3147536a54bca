"""The page cache answered straight from WSGI (config/wsgi.py): the same copy, headers and freshness as through Django.

These tests call the wrapped WSGI application as gunicorn does, and commit for
real (``transactional_db``) so that changes bump the content version.
"""

import io

import pytest
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.test import Client

from core.caching import request_host
from tests.factories import published_brief

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True


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


def test_a_copy_for_https_is_never_sent_over_plain_http(wsgi, site, settings):
    """The scheme is part of the key, read from the proxy's header as Django reads it."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    wsgi("/", X_Forwarded_Proto="https")
    assert wsgi("/", X_Forwarded_Proto="https")[1]["X-Page-Cache"] == "hit"
    assert wsgi("/")[1]["X-Page-Cache"] == "miss"


def test_if_match_and_if_unmodified_since_are_left_to_django(wsgi, site):
    _, headers, _ = wsgi("/")
    status, _, _ = wsgi("/", If_Match='"something-else"')
    assert status.startswith("412")
    status, _, _ = wsgi("/", If_Match=headers["ETag"])
    assert status == "200 OK"
    assert wsgi.django_calls == ["/", "/", "/"]


@pytest.mark.parametrize(
    "meta, forwarded_host",
    [
        ({"HTTP_HOST": "testserver"}, False),
        ({"HTTP_HOST": "testserver:8000"}, False),
        ({"HTTP_HOST": "evil.example"}, False),
        ({"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_HOST": "evil.example"}, False),
        ({"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_HOST": "testserver"}, True),
        ({"SERVER_NAME": "testserver", "SERVER_PORT": "80"}, False),
        ({"SERVER_NAME": "testserver", "SERVER_PORT": "8080"}, False),
        ({"HTTP_HOST": "testserver:notaport"}, False),
        ({"HTTP_HOST": ""}, False),
    ],
)
def test_the_key_names_the_host_django_names_or_none_where_django_refuses_it(meta, forwarded_host, settings):
    """The fast path reads the host without building a request; it must agree with request.get_host()."""
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.USE_X_FORWARDED_HOST = forwarded_host
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": io.BytesIO(), **meta}
    environ.setdefault("SERVER_NAME", "fallback.invalid")
    environ.setdefault("SERVER_PORT", "80")
    try:
        expected = WSGIRequest(environ).get_host()
    except DisallowedHost:
        expected = None
    assert request_host(environ, "http") == expected
