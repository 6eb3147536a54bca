"""Public pages for anonymous readers: cacheable by browsers and proxies, and kept whole by the app.

A view wrapped in ``public_page`` says "what I answer to anonymous GETs is the
same for every reader". For such answers (status 200, to a request without a
session cookie) ``PublicPageMiddleware``:

* sends ``Cache-Control: public, max-age=…, s-maxage=…, stale-while-revalidate=…``
  (``CACHE_MAX_AGE``, ``CACHE_S_MAXAGE``, ``CACHE_STALE_WHILE_REVALIDATE``),
  a strong ``ETag`` (a digest of the bytes sent) and answers a matching
  ``If-None-Match`` with 304;
* drops ``Vary: Cookie``: reading the session to learn that a reader is
  anonymous (Django's auth does, and sessions then add ``Vary: Cookie``) does
  not make the page depend on cookies. Requests that carry a session cookie
  never get a cached copy (here and in deploy/varnish/default.vcl), and get
  ``private, no-store`` instead: they are staff;
* lists the objects the page shows in an ``xkey`` header (``cache_tags_add``)
  when reverse proxies are configured, so core/purge.py can purge exactly the
  pages a change affects;
* with ``PAGE_CACHE`` on (the default), keeps the page in Django's cache under
  the address, its content-choosing query parameters and the response's
  encoding, with the site's content version (core/content_version.py); the next
  anonymous reader gets it without the view, the session, or the database.

A public answer that sets a cookie is not public after all (something on the
page wanted a form token or a session): it is sent ``private, no-store`` and
logged, rather than handing one reader's cookie to everybody.
"""

import hashlib
import logging
from functools import wraps
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from .compression import preferred_encoding
from .content_version import content_version, content_version_from_cache, content_version_key
from .hostile_input import request_problem

logger = logging.getLogger(__name__)

# The only query parameters that choose what a public page shows (the dashboard's filters, search, the page
# number, the sitemap's section page). Anything else (utm_*, fbclid, a random cache-buster) is left out of the
# cache key here and removed by the Varnish configuration, so it cannot multiply the cached copies.
PAGE_PARAMETERS = ("q", "series", "topic", "author", "year", "page", "p")
# The longest value a page reads (a search is cut to 200 characters, and says so).
MAX_PARAMETER_LENGTH = 200
PAGE_CACHE_PREFIX = "page:"
# Where page_cache_fast_path leaves the key and content version it looked up and found no copy for.
LOOKED_UP = "core.page_cache.looked_up"
# The tag every public page carries, to purge them all after new code is deployed (manage.py purge_page_caches).
EVERY_PAGE = "all"


def public_page(view, *, tags=()):
    """Mark ``view``'s answers to anonymous GET and HEAD requests as the same for everybody (see the module).

    ``tags`` are cache tags every answer carries; the view adds its own with ``cache_tags_add``.
    """

    @wraps(view)
    def public_view(request, *args, **kwargs):
        request.cache_tags = set(tags)
        response = view(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
            return response
        if has_session_cookie(request):
            patch_cache_control(response, private=True, no_store=True)
        elif "Cache-Control" not in response:
            # A view that set its own (a preview: private, no-store) knows better.
            response.cache_public = True
        return response

    return public_view


def cache_tags_add(request, tags) -> None:
    """Record that the page being drawn shows the objects ``tags`` name (see briefs/cache_tags.py)."""
    if hasattr(request, "cache_tags"):
        request.cache_tags.update(tags)


def has_session_cookie(request) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def page_parameters(request) -> str | None:
    """The query parameters that choose the page's content, in one order, without "page=1" or empty values.

    Views read one value per name, the last (``request.GET.get``), so only that one counts. None when a
    value is longer than any a page uses: such a page is drawn each time rather than given a key of its own.
    """
    chosen = {
        name: value
        for name, value in parse_qsl(request.META.get("QUERY_STRING", ""))
        if name in PAGE_PARAMETERS and value.strip()
    }
    if chosen.get("page") == "1":
        del chosen["page"]
    if any(len(value) > MAX_PARAMETER_LENGTH for value in chosen.values()):
        return None
    return urlencode(sorted(chosen.items()))


def public_cache_control() -> dict:
    return {
        "public": True,
        "max_age": settings.CACHE_MAX_AGE,
        "s_maxage": settings.CACHE_S_MAXAGE,
        "stale_while_revalidate": settings.CACHE_STALE_WHILE_REVALIDATE,
    }


def strong_etag(content: bytes) -> str:
    return f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'


class PublicPageMiddleware:
    """Caching headers for public pages, and the application page cache (see the module docstring).

    It sits outside the compression middleware, so it stores and validates the
    bytes actually sent, and outside sessions, authentication and CSRF, so a
    cached page is answered before any of them runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if LOOKED_UP in request.META:
            # The WSGI fast path looked this page up a moment ago and found no current copy.
            key, version = request.META[LOOKED_UP]
        else:
            key = self.page_key(request)
            if key is not None:
                # The version is read before the page is drawn: a change committed while drawing it leaves the
                # copy stored under the older version, which is then never used.
                stored, version = self.stored_page(key)
                if stored is not None:
                    return get_conditional_response(request, etag=stored["ETag"], response=stored) or stored
        response = self.get_response(request)
        if not getattr(response, "cache_public", False):
            return response
        if response.cookies:
            logger.warning(
                "%s was to be public but sets cookies (%s); sent private instead.",
                request.path,
                ", ".join(response.cookies),
            )
            response.cache_public = False
            patch_cache_control(response, private=True, no_store=True)
            return response
        self.make_public(request, response)
        if key is not None:
            self.store_page(key, response, version=version)
        return get_conditional_response(request, etag=response["ETag"], response=response) or response

    def page_key(self, request) -> str | None:
        """Where this request's page is kept in the page cache; None when it must not be looked up."""
        if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD") or has_session_cookie(request):
            return None
        if request_problem(request):
            # Left to RequestGuardMiddleware's 400, further in: a NUL or broken bytes never reach a stored page.
            return None
        parameters = page_parameters(request)
        if parameters is None:
            return None
        address = f"{request.scheme}://{request.get_host()}{request.path}?{parameters}"
        encoding = preferred_encoding(request)
        return PAGE_CACHE_PREFIX + hashlib.md5(f"{address} {encoding}".encode(), usedforsecurity=False).hexdigest()

    def stored_page(self, key: str) -> tuple[HttpResponse | None, str]:
        """The stored copy of the page if it was drawn at the current content version, and that version."""
        pages, version_key = caches["pages"], content_version_key()
        if version_key is None:
            entry, version = pages.get(key), content_version()
        else:
            # The version is kept beside the pages: one round trip to Redis for both.
            found = pages.get_many([key, version_key])
            entry, version = found.get(key), content_version_from_cache(found.get(version_key))
        if entry is None or entry[0] != version:
            return None, version
        _, headers, content = entry
        response = HttpResponse(content, headers=headers)
        response["X-Page-Cache"] = "hit"
        return response, version

    def make_public(self, request, response) -> None:
        patch_cache_control(response, **public_cache_control())
        vary = [value.strip() for value in response.get("Vary", "").split(",") if value.strip()]
        remaining = [value for value in vary if value.lower() != "cookie"]
        if remaining:
            response["Vary"] = ", ".join(remaining)
        elif "Vary" in response:
            del response["Vary"]
        response["ETag"] = strong_etag(response.content)
        if settings.CACHE_PURGE_URLS:
            tags = {EVERY_PAGE, *getattr(request, "cache_tags", ())}
            response["xkey"] = " ".join(sorted(tags))

    def store_page(self, key: str, response, *, version: str) -> None:
        headers = {name: value for name, value in response.items() if name.lower() not in ("content-length", "date")}
        caches["pages"].set(key, (version, headers, response.content), timeout=settings.CACHE_S_MAXAGE)
        response["X-Page-Cache"] = "miss"


def page_cache_fast_path(application):
    """Wrap the WSGI application so that a page in the page cache is answered before Django builds a request.

    A hit through ``PublicPageMiddleware`` still pays for Django's request
    handling: signals, the middleware chain, URL resolving. Here the same
    lookup (same key, same content version, same stored headers) is made
    straight from the WSGI environ, which brings a hit to about the cost of a
    bare "hello" view. Everything else — misses, staff, forms, anything odd —
    goes on to Django unchanged. The middleware stays outermost in
    ``MIDDLEWARE``, so what it stores already carries every header the other
    middleware add, and the two paths answer byte for byte alike.
    """
    from django.core.handlers.wsgi import WSGIRequest

    middleware = PublicPageMiddleware(get_response=None)

    def fast_path(environ, start_response):
        if settings.PAGE_CACHE and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                request = WSGIRequest(environ)
                key = middleware.page_key(request)
                stored, version = middleware.stored_page(key) if key is not None else (None, None)
            except Exception:  # a bad Host, bad bytes: Django answers those as it always does
                key = stored = None
            if stored is not None:
                response = get_conditional_response(request, etag=stored["ETag"], response=stored) or stored
                if response.status_code != 304:
                    response["Content-Length"] = str(len(response.content))  # a HEAD's too: the GET's length
                body = b"" if request.method == "HEAD" or response.status_code == 304 else response.content
                start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
                return [body]
            if key is not None:
                # Handed to PublicPageMiddleware, so a miss costs one lookup, not two.
                environ[LOOKED_UP] = (key, version)
        return application(environ, start_response)

    return fast_path
