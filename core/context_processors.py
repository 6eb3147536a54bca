"""The organisation's identity, which every page and email shows."""

from django.conf import settings


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "social_links": settings.SOCIAL_LINKS,
    }
