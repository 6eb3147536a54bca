"""Values every page needs: the organisation's identity and the navigation."""

from django.conf import settings

from .models import Series, Topic


def site(request):
    # Querysets are lazy: pages that do not show the navigation (emails,
    # health checks) never run these queries.
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "social_links": settings.SOCIAL_LINKS,
        "nav_series": Series.objects.only("name", "slug"),
        "nav_topics": Topic.objects.only("name", "slug"),
    }
