"""Refuse requests that no page can answer sensibly, before any view sees them.

A visitor controls every byte of a request, and some bytes reach places that
cannot take them: PostgreSQL refuses a NUL character in any text, a
percent-encoded byte that is not UTF-8 turns silently into "�", a 200 MB
form would be parsed into memory. Rather than defend each view, two small
middlewares answer such requests with a 400 (or 413) and a plain sentence:

* ``RequestGuardMiddleware`` (right below the page cache, which asks the same
  question before it answers, and the security headers) looks at the address, the query string, the headers and the
  cookies: no NUL anywhere, a query string of UTF-8 text and at most
  ``MAX_QUERY_STRING_BYTES``. It costs a few microseconds: substring searches
  and one decode of the query string.
* ``RequestBodyGuardMiddleware`` (below authentication, above every view and
  before CSRF reads the form) refuses a body longer than the sender may send
  with 413 from ``Content-Length`` alone, without reading it:
  ``ANONYMOUS_REQUEST_BODY_MAX_BYTES`` for visitors (their forms are a few
  hundred bytes), ``REQUEST_BODY_MAX_BYTES`` for signed-in staff (a 10 MB
  photo and its form). Then no NUL in the form's fields, and a urlencoded
  form must be UTF-8 text (multipart fields are decoded leniently by Django).

Form fields are still validated by their forms (lengths, formats, and
``core.email_address`` for addresses an SMTP server cannot take); this is
the floor under all of them, so a view that reads a parameter directly, or a
form field that forgets a check, still cannot be made to answer 500.
"""

import logging
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse
from django.http.cookie import parse_cookie

logger = logging.getLogger(__name__)

# A backstop for servers without a limit of their own (gunicorn refuses request lines over 4 KB, nginx over
# 8 KB): far above any address a page makes, and above a pasted 10,000-character search, which the search
# page cuts to 200 characters and says so.
MAX_QUERY_STRING_BYTES = 32 * 1024
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MULTIPART_CONTENT_TYPE = "multipart/form-data"


def _raw(value: str) -> bytes:
    """A WSGI string back as the bytes that were sent (WSGI decodes them as ISO-8859-1; ASGI already as UTF-8)."""
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


# A percent-escape of a byte above 0x7F: only then can the decoded text fail to be UTF-8.
_HIGH_ESCAPE = re.compile(rb"%[89a-fA-F][0-9a-fA-F]")


def _encoded_text_problem(raw: bytes, what: str) -> str:
    """Why percent-encoded ``raw`` (a query string or a form body) cannot be read, or ""."""
    if b"%00" in raw or b"\x00" in raw:
        return f"The {what} contains a NUL character."
    # The common case (plain ASCII, escapes of ASCII only) is settled by two scans in C.
    if not raw.isascii() or _HIGH_ESCAPE.search(raw):
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return f"The {what} contains bytes that are not UTF-8 text."
    return ""


def request_problem(request) -> str:
    """What is wrong with the request's address, headers or cookies, or "" (see the module docstring)."""
    return environ_problem(request.META)


def environ_problem(meta) -> str:
    """``request_problem`` from the WSGI environ (``request.META``) alone.

    The page cache's fast path (core/caching.py) asks this before Django has built a request, so that a request
    the guard would refuse never gets a stored page.
    """
    # Bytes in the path that are not UTF-8 need nothing here: Django escapes them again (%E9), and no route
    # matches them, so they get the 404 page.
    if "\x00" in meta.get("PATH_INFO", ""):
        return "The address contains a NUL character."
    query = meta.get("QUERY_STRING", "")
    if query:
        raw = _raw(query)
        if len(raw) > MAX_QUERY_STRING_BYTES:
            return f"The query string is longer than {MAX_QUERY_STRING_BYTES} bytes."
        if problem := _encoded_text_problem(raw, "query string"):
            return problem
    for name, value in meta.items():
        if name[:5] in ("HTTP_", "CONTE") and isinstance(value, str) and "\x00" in value:
            return "A header contains a NUL character."
    # Cookie values may carry a NUL as an escape ("\\000") that Django's parser turns into the character; only
    # a header with a backslash can, so the common one is not parsed here.
    cookie = meta.get("HTTP_COOKIE", "")
    if "\\" in cookie and any("\x00" in value for value in parse_cookie(cookie).values()):
        return "A cookie contains a NUL character."
    return ""


def bad_request(request, problem: str, *, status: int = 400) -> HttpResponse:
    """A short plain answer: nothing on it can fail (no template, no database), and it is never cached."""
    logger.info("Refused %s %s (%s): %s", request.method, request.path, status, problem)
    response = HttpResponse(
        f"{problem} Please check the address or the form and try again.\n",
        status=status,
        content_type="text/plain; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response


class RequestGuardMiddleware:
    """400 for a NUL, non-UTF-8 bytes or an over-long query string in the address, headers or cookies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if problem := request_problem(request):
            return bad_request(request, problem)
        return self.get_response(request)


def body_limit(request) -> int:
    """The most bytes this request's body may have: staff upload photos, visitors send short forms."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return settings.REQUEST_BODY_MAX_BYTES
    return settings.ANONYMOUS_REQUEST_BODY_MAX_BYTES


def body_problem(request) -> str:
    """What is wrong with the fields of a form body, or "" (files are the upload validators' business)."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith(FORM_CONTENT_TYPE):
        return _encoded_text_problem(request.body, "form")
    if content_type.startswith(MULTIPART_CONTENT_TYPE):
        for _name, values in request.POST.lists():
            if any("\x00" in value for value in values):
                return "The form contains a NUL character."
    return ""


class RequestBodyGuardMiddleware:
    """413 for a body larger than its sender may send, read from Content-Length alone; 400 for NUL or non-UTF-8
    form fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return bad_request(request, "The Content-Length header is not a number.")
        if length > 0:
            # Only a body bigger than a visitor's may cost the session lookup that tells staff apart.
            if length > settings.ANONYMOUS_REQUEST_BODY_MAX_BYTES and length > body_limit(request):
                return bad_request(
                    request,
                    f"This request is {length:,} bytes; the most this site accepts is {body_limit(request):,}.",
                    status=413,
                )
            if problem := body_problem(request):
                return bad_request(request, problem)
        return self.get_response(request)
