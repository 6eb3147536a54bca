"""The ``Permissions-Policy`` header: the browser features our pages never use are switched off.

No page asks for a camera, a microphone, the reader's location or a payment,
so a script that got onto a page (or a frame it opened) cannot either, and
the browser does not put readers into ad-interest groups on our pages
(``browsing-topics``, and FLoC's ``interest-cohort`` before it).
``PERMISSIONS_POLICY`` in settings maps each feature to the origins allowed
it; an empty list denies it to everyone. A browser ignores the features it
does not know (Chromium 156 logs nothing for them, checked by hand).
"""

from django.conf import settings


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` as ``camera=(), fullscreen=(self)``."""
    return ", ".join(
        f"{feature}=({' '.join('self' if origin == 'self' else f'"{origin}"' for origin in origins)})"
        for feature, origins in policy.items()
    )


class PermissionsPolicyMiddleware:
    """Adds the header to every answer, pages from the page cache and error pages included."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy, self.header = None, ""

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY is not self.policy:  # made once, again only if tests change the setting
            self.policy = settings.PERMISSIONS_POLICY
            self.header = permissions_policy_header(self.policy)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
