"""Cross-site request forgery protection without a token, for forms on pages that caches share.

A CSRF token is different for every visitor, so a page that carries one cannot
be cached for everybody. The subscribe box sits on the dashboard and every
brief page, which are cached; its form therefore posts without a token, and
the view it posts to checks where the request comes from instead, with the
headers every current browser sends and a page cannot forge:

1. ``Sec-Fetch-Site`` (sent by browsers since 2020-2023): only ``same-origin``
   (a form on our own pages) and ``none`` (the reader's own action, e.g. a
   bookmark) pass; ``cross-site`` and ``same-site`` (another subdomain) are refused.
2. Without it, ``Origin`` (sent with every cross-origin POST for longer still):
   it must be this site's own origin or one in ``CSRF_TRUSTED_ORIGINS``.
3. With neither, the request does not come from a browser a page could steer
   (a script, or a browser too old to matter): it passes, as Django's own
   check lets a token-bearing script pass.

This is the check Go's standard library adopted (net/http
CrossOriginProtection). Everything else on the site (the admin, a subscriber's
preferences) keeps Django's token-based CsrfViewMiddleware.
"""

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt

from .views import csrf_failure

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def cross_site_problem(request) -> str:
    """Why the request looks forged by another site, or "" when it comes from our own pages (or no browser)."""
    if request.method in SAFE_METHODS:
        return ""
    origin = request.headers.get("Origin", "")
    if origin and origin in settings.CSRF_TRUSTED_ORIGINS:
        return ""
    fetch_site = request.headers.get("Sec-Fetch-Site", "").lower()
    if fetch_site:
        return "" if fetch_site in ("same-origin", "none") else f"Sec-Fetch-Site is {fetch_site}"
    if not origin:
        return ""
    parts = urlsplit(origin)
    if origin != "null" and parts.netloc == request.get_host() and parts.scheme == request.scheme:
        return ""
    return f"Origin {origin} is not this site"


def cross_site_posts_refused(view):
    """Protect ``view`` from forged cross-site posts by the request's origin instead of a token (see the module)."""

    @csrf_exempt
    @wraps(view)
    def protected(request, *args, **kwargs):
        if problem := cross_site_problem(request):
            return csrf_failure(request, reason=problem)
        return view(request, *args, **kwargs)

    return protected
