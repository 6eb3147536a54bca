"""The organisation's identity, which every page and email shows."""

from urllib.parse import urlsplit

from django.conf import settings


def is_web_address(url: str) -> bool:
    """True for an absolute http(s) address with a host: what a link an operator configured may be.

    Anything else (``javascript:``, ``data:``, a relative path) would run or
    mean something else in a reader's browser, so it is not shown at all.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


_checked_links: tuple[object, list] = (None, [])


def web_links(links) -> list[tuple[str, str]]:
    """The (label, url) pairs whose url is a web address; worked out once per value of the setting."""
    global _checked_links
    if _checked_links[0] is not links:
        _checked_links = (links, [(label, url) for label, url in links if is_web_address(url)])
    return _checked_links[1]


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "social_links": web_links(settings.SOCIAL_LINKS),
    }
