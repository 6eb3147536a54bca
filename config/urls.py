"""The site's URLs. Public addresses are part of the product: keep them stable."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from briefs.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("newsletter/", include("newsletter.urls")),
    path("", include("briefs.urls")),
]

if settings.SERVE_MEDIA:
    # Locally and in tests Django serves uploads itself; in production the
    # web server in front of gunicorn does (see docs/deployment.md).
    from django.views.static import serve

    urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
