"""``{% subscribe_form %}``: the compact subscribe box, usable in any template without view changes."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from ..forms import SubscribeForm, consent_wording
from ..models import Subscriber

register = template.Library()

# Which form a sign-up came from is recorded with the consent; pages name
# themselves by their URL name, so views need not pass anything.
_SOURCE_BY_VIEW = {
    "briefs:dashboard": Subscriber.Source.DASHBOARD,
    "briefs:detail": Subscriber.Source.BRIEF,
}


@register.inclusion_tag("newsletter/includes/subscriber_form_compact.html", takes_context=True)
def subscribe_form(context, source: str = ""):
    request = context.get("request")
    if not source:
        view_name = getattr(getattr(request, "resolver_match", None), "view_name", "")
        source = _SOURCE_BY_VIEW.get(view_name, Subscriber.Source.BRIEF)
    # On a brief's page, "choose series and topics" starts with that brief's series ticked.
    brief = context.get("brief")
    series_slug = getattr(getattr(brief, "series", None), "slug", "")
    choose_url = reverse("newsletter:subscribe") + (f"?{urlencode({'series': series_slug})}" if series_slug else "")
    return {
        "choose_url": choose_url,
        "form": SubscribeForm(source=source, auto_id="subscribe-box-%s"),
        "consent_wording": consent_wording(),
        "request": request,
    }
