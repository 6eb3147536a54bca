"""Site-wide views that belong to no app: the health check, the friendly CSRF failure page, local media."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


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
