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
  ``page_cache_fast_path`` (config/wsgi.py) answers such a reader before Django
  has even made a request. With Redis, a web process also keeps the pages it
  has served in its own memory, beside the version it keeps there, so that a
  hit needs no round trip at all.

A public answer that sets a cookie is not public after all (something on the
page wanted a form token or a session): it is sent ``private, no-store`` and
logged, rather than handing one reader's cookie to everybody.
"""

import functools
import hashlib
import logging
import time
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.http.request import split_domain_port, validate_host
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_etags
from redis.exceptions import RedisError

from .compression import preferred_encoding
from .content_version import content_version, content_version_from_cache, content_version_kept, content_version_key
from .hostile_input import environ_problem

logger = logging.getLogger(__name__)

# The only query parameters that choose what a public page shows (the dashboard's filters, search, the page
# number, the sitemap's section page). Anything else (utm_*, fbclid, a random cache-buster) is left out of the
# cache key here and removed by the Varnish configuration, so it cannot multiply the cached copies.
PAGE_PARAMETERS = ("q", "series", "topic", "author", "year", "page", "p")
# The longest value a page reads (a search is cut to 200 characters, and says so).
MAX_PARAMETER_LENGTH = 200
PAGE_CACHE_PREFIX = "page:"
# With Redis, pages also kept in each web process's memory once read (see stored_page).
LOCAL_COPIES = "page-copies"
# Where page_cache_fast_path leaves the key and content version it looked up and found no copy for.
LOOKED_UP = "core.page_cache.looked_up"
# The tag every public page carries, to purge them all after new code is deployed (manage.py purge_page_caches).
EVERY_PAGE = "all"
# What a cache that cannot be reached raises (Redis down or refusing): the page is then drawn, not stored.
CACHE_ERRORS = (OSError, RedisError)


def public_page(view, *, tags=()):
    """Mark ``view``'s answers to anonymous GET and HEAD requests as the same for everybody (see the module).

    ``tags`` are cache tags every answer carries; the view adds its own with ``cache_tags_add``.
    """

    @functools.wraps(view)
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


def page_parameters(query_string: str) -> str | None:
    """The query parameters that choose the page's content, in one order, without "page=1" or empty values.

    Views read one value per name, the last (``request.GET.get``), so only that one counts. None when a
    value is longer than any a page uses: such a page is drawn each time rather than given a key of its own.
    """
    if not query_string:
        return ""
    chosen = {name: value for name, value in parse_qsl(query_string) if name in PAGE_PARAMETERS and value.strip()}
    if chosen.get("page") == "1":
        del chosen["page"]
    if any(len(value) > MAX_PARAMETER_LENGTH for value in chosen.values()):
        return None
    return urlencode(sorted(chosen.items()))


def page_key(meta, *, scheme: str | None = None) -> str | None:
    """Where the page a request asks for is kept in the page cache; None when it must not be looked up.

    Read from ``meta`` alone (``request.META``, or the WSGI environ before Django has made a request), so that
    the WSGI fast path and ``PublicPageMiddleware`` find the same copy. ``scheme`` is the request's when Django
    has made one (``request.scheme``); otherwise it is found in the environ by Django's rule.
    """
    if not settings.PAGE_CACHE or meta.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    # Staff carry a session cookie and never get a shared copy. The raw header is searched rather than parsed:
    # the name inside some other cookie's value only costs a page drawn afresh.
    if settings.SESSION_COOKIE_NAME in meta.get("HTTP_COOKIE", ""):
        return None
    if environ_problem(meta):
        # Left to RequestGuardMiddleware's 400: a NUL or broken bytes never reach a stored page.
        return None
    scheme = scheme or request_scheme(meta)
    host = request_host(meta, scheme)
    parameters = page_parameters(meta.get("QUERY_STRING", ""))
    if host is None or parameters is None:
        return None
    address = f"{scheme}://{host}{meta.get('SCRIPT_NAME', '')}{meta.get('PATH_INFO', '')}?{parameters}"
    encoding = preferred_encoding(meta)
    digest = hashlib.md5(f"{address} {encoding}".encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return PAGE_CACHE_PREFIX + digest.hexdigest()


def request_scheme(meta) -> str:
    """The scheme, "http" or "https", as ``request.scheme`` finds it for a WSGI request (the proxy's header first)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = meta.get(header)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return meta.get("wsgi.url_scheme", "http")


def request_host(meta, scheme: str) -> str | None:
    """The host as ``request.get_host()`` finds it, or None where ``ALLOWED_HOSTS`` refuses it (Django's 400)."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in meta:
        host = meta["HTTP_X_FORWARDED_HOST"]
    elif "HTTP_HOST" in meta:
        host = meta["HTTP_HOST"]
    else:
        host, port = meta.get("SERVER_NAME", ""), str(meta.get("SERVER_PORT", ""))
        if port != ("443" if scheme == "https" else "80"):
            host = f"{host}:{port}"
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    return host if _host_allowed(host, tuple(allowed_hosts)) else None


@functools.lru_cache(maxsize=256)
def _host_allowed(host: str, allowed_hosts: tuple) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed_hosts)


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
            key = page_key(request.META, scheme=request.scheme)
            if key is not None:
                # The version is read before the page is drawn: a change committed while drawing it leaves the
                # copy stored under the older version, which is then never used.
                copy, version = stored_page(key)
                if copy is not None:
                    stored = copy.response()
                    return get_conditional_response(request, etag=copy.etag, response=stored) or stored
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
        if key is not None and version is not None:
            StoredPage.store(key, response, version=version)
        return get_conditional_response(request, etag=response["ETag"], response=response) or response

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


class StoredPage(NamedTuple):
    """A page as the page cache keeps it: the content version it was drawn at, its ETag, headers and bytes.

    The shared cache is given it as a plain tuple (``tuple(copy)``), so that what is pickled into Redis names
    no class of ours and a copy stored by older code is merely skipped; each process's own memory keeps the
    object. The headers are kept ready for WSGI's ``start_response``, Content-Length included.
    """

    version: str
    etag: str
    headers: tuple[tuple[str, str], ...]
    content: bytes

    HIT = ("X-Page-Cache", "hit")
    # What a 304 repeats of the page's headers (as Django's get_conditional_response does).
    NOT_MODIFIED_HEADERS = frozenset(
        {"cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary"}
    )

    @classmethod
    def store(cls, key: str, response, *, version: str) -> None:
        headers = [(name, value) for name, value in response.items() if name.lower() not in ("content-length", "date")]
        headers.append(("Content-Length", str(len(response.content))))
        copy = cls(version, response["ETag"], tuple(headers), response.content)
        try:
            caches["pages"].set(key, tuple(copy), timeout=settings.CACHE_S_MAXAGE)
            if content_version_kept():
                caches[LOCAL_COPIES].set(key, copy, timeout=settings.CACHE_S_MAXAGE)
        except CACHE_ERRORS as error:
            _cache_unreachable(error)
            return
        response["X-Page-Cache"] = "miss"

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, headers=dict(self.headers))
        response[self.HIT[0]] = self.HIT[1]
        return response

    def not_modified_for(self, if_none_match: str) -> bool:
        """Whether a conditional GET with this If-None-Match gets a 304 (weak comparison, as Django's)."""
        etags = parse_etags(if_none_match)
        return etags == ["*"] or self.etag.removeprefix("W/") in (etag.removeprefix("W/") for etag in etags)

    def answer(self, environ, start_response) -> list[bytes]:
        """Send this copy through WSGI: 304 for a matching If-None-Match, no body for HEAD."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and self.not_modified_for(if_none_match):
            start_response(
                "304 Not Modified",
                [header for header in self.headers if header[0].lower() in self.NOT_MODIFIED_HEADERS],
            )
            return []
        start_response("200 OK", [*self.headers, self.HIT])
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else self.content]


def stored_page(key: str) -> tuple[StoredPage | None, str | None]:
    """The stored copy of the page if it was drawn at the current content version, and that version.

    The version is None when the cache cannot be reached: the page is then drawn for each reader, not stored.
    """
    pages = caches["pages"]
    try:
        if version := content_version_kept():
            # Redis, with the version at hand: pages read from Redis once are kept in this process's memory too.
            copy = _current_copy(caches[LOCAL_COPIES].get(key), version)
            if copy is None:
                copy = _current_copy(pages.get(key), version)
                if copy is not None:
                    caches[LOCAL_COPIES].set(key, copy, timeout=settings.CACHE_S_MAXAGE)
        elif version_key := content_version_key():
            # The version is kept beside the pages: one round trip to Redis for both.
            found = pages.get_many([key, version_key])
            version = content_version_from_cache(found.get(version_key))
            copy = _current_copy(found.get(key), version)
        else:
            version = content_version()
            copy = _current_copy(pages.get(key), version)
    except CACHE_ERRORS as error:
        _cache_unreachable(error)
        return None, None
    return copy, version


_last_unreachable_warning = 0.0


def _cache_unreachable(error: Exception) -> None:
    """Log that the page cache is away, once a minute per process rather than on every page."""
    global _last_unreachable_warning
    if time.monotonic() - _last_unreachable_warning > 60:
        _last_unreachable_warning = time.monotonic()
        logger.warning("The page cache cannot be reached (%s); pages are drawn for each reader meanwhile.", error)


def _current_copy(entry, version: str) -> StoredPage | None:
    """``entry`` as a StoredPage if it was stored at ``version`` in today's shape; None otherwise.

    A copy in another shape (stored by older code and kept in Redis across a deploy) is not used: the page is
    drawn and stored anew.
    """
    if isinstance(entry, StoredPage):
        return entry if entry.version == version else None
    if isinstance(entry, tuple) and len(entry) == len(StoredPage._fields) and entry[0] == version:
        return StoredPage._make(entry)
    return None


def page_cache_fast_path(application):
    """Wrap the WSGI application so that a page in the page cache is answered before Django builds a request.

    A hit through ``PublicPageMiddleware`` still pays for Django's request
    handling: making the request, signals, the middleware chain, URL resolving.
    Here the same lookup (``page_key`` and ``stored_page``, the same content
    version, the same stored headers) is made straight from the WSGI environ,
    and the copy is sent as it was stored, which makes a hit cheaper than a
    bare "hello" view. Everything else — misses, staff, forms, If-Match, anything
    odd — goes on to Django unchanged. The middleware stays outermost in
    ``MIDDLEWARE``, so what it stores already carries every header the other
    middleware add, and the two paths answer byte for byte alike.
    """

    def fast_path(environ, start_response):
        try:
            key = page_key(environ)
            if key is not None and "HTTP_IF_MATCH" not in environ and "HTTP_IF_UNMODIFIED_SINCE" not in environ:
                copy, version = stored_page(key)
                if copy is not None:
                    return copy.answer(environ, start_response)
                # Handed to PublicPageMiddleware, so a miss costs one lookup, not two.
                environ[LOOKED_UP] = (key, version)
        except Exception:  # the cache unreachable, an environ no server sends: Django answers as it always does
            logger.exception("The page cache's fast path failed; Django answers instead.")
        return application(environ, start_response)

    return fast_path
