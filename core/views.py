"""Site-wide views that belong to no app: the health check, the friendly error pages, local media."""

import sys

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as django_server_error

from .database import database_unavailable

# Seconds a reader (or a proxy) is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


@never_cache
def healthz(request):
    """200 "ok" when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def csrf_failure(request, reason=""):
    """A friendly page for an expired or missing CSRF token, with the site's navigation."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """Any uncaught error: a 503 "back soon" page when the database cannot be reached, else the 500 page.

    Django calls it while the exception is being handled, from whichever layer raised it (a view,
    or a middleware reading the session). The 503 page is drawn from its template alone: no
    request context, so nothing on it can touch the database.
    """
    if not database_unavailable(sys.exception()):
        return django_server_error(request)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def serve_media(request, path):
    """An uploaded file, when Django serves them itself (``SERVE_MEDIA``: locally and in tests).

    Any address that names no file is a 404: a name too long for the file
    system (ENAMETOOLONG) or otherwise unusable makes the operating system
    raise, and that must not become a 500.
    """
    from django.views.static import serve

    try:
        # MEDIA_ROOT is read per request so tests can give each run its own folder.
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    except (OSError, ValueError):
        raise Http404("No such file") from None
    response["Cache-Control"] = settings.MEDIA_CACHE_CONTROL
    return response
