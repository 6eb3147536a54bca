"""The navigation every public page shows: series and topics."""

from .models import Series, Topic


def navigation(request):
    # Querysets are lazy: pages that do not show the navigation (emails,
    # health checks) never run these queries.
    return {
        "nav_series": Series.objects.only("name", "slug"),
        "nav_topics": Topic.objects.only("name", "slug"),
    }
