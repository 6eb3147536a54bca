"""What every public page needs: the series and topics for the navigation, and its canonical address."""

from urllib.parse import urlencode

from .models import Series, Topic


def navigation(request):
    # Querysets are lazy: pages that do not show the navigation (emails,
    # health checks) never run these queries.
    return {
        "nav_series": Series.objects.only("name", "slug"),
        "nav_topics": Topic.objects.only("name", "slug"),
    }


# Query parameters that change what a public page shows; anything else (tracking tags, typos) is left
# out of the page's canonical address.
CANONICAL_PARAMETERS = ("q", "series", "topic", "author", "year", "page")


def page_address(request):
    """``canonical_url``: the page's absolute address with only the parameters that choose its content.

    A view that knows better (a brief page) passes its own ``canonical_url``, which wins.
    """
    kept = [(name, request.GET[name][:200]) for name in CANONICAL_PARAMETERS if request.GET.get(name, "").strip()]
    if kept and kept[-1] == ("page", "1"):
        kept.pop()
    query = "?" + urlencode(kept) if kept else ""
    return {"canonical_url": request.build_absolute_uri(request.path) + query}
