"""The site's URLs. Public addresses are part of the product: keep them stable."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from briefs.cache_tags import SITEMAP_TAGS
from briefs.feeds import LatestBriefsFeed
from briefs.sitemaps import sitemaps
from core.caching import public_page
from core.views import healthz

# A database outage is a 503 with Retry-After; anything else the 500 page.
handler500 = "core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("feed/", public_page(LatestBriefsFeed()), name="feed"),
    path(
        "sitemap.xml",
        public_page(sitemap, tags=SITEMAP_TAGS),
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(
        "robots.txt",
        public_page(TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
        name="robots",
    ),
    path("newsletter/", include("newsletter.urls")),
    path("", include("briefs.urls")),
]

if settings.SERVE_MEDIA:
    # Locally and in tests Django serves uploads itself; in production the
    # web server in front of gunicorn does (see docs/deployment.md).
    from core.views import serve_media

    urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve_media)]
