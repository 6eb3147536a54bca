"""Public newsletter pages: subscribe, confirm, choose what to receive, unsubscribe.

Every answer to the subscribe form is the same whatever the address's
history, so the form cannot be used to find out who subscribes. Nothing
changes on a GET: links in emails open a page with a button, and only the
button's POST acts (mail scanners and link previews fetch links too).
"""

import logging
import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from briefs.models import Series, Topic
from core.csrf import cross_site_posts_refused
from core.ratelimit import client_ip, ratelimit_hit

from .campaigns import test_link_read
from .forms import PreferencesForm, SubscribeForm, consent_wording
from .models import NewsletterSettings, Subscriber
from .services import (
    MAIL_ERRORS,
    ConfirmOutcome,
    LinkState,
    subscriber_unsubscribe,
    subscriber_update_preferences,
    subscription_confirm,
    subscription_link_state,
    subscription_request,
)
from .tokens import CONFIRM_MAX_AGE, LinkBrokenError, LinkExpiredError, SubscriptionRequest, confirmation_token_read

logger = logging.getLogger(__name__)

# Per visitor address: enough for a family behind one router, too few for a script.
SUBSCRIBE_LIMIT_PER_IP = 10
SUBSCRIBE_LIMIT_WINDOW = 60 * 60


# The subscribe box sits on cached public pages, so it carries no CSRF token; the
# request's origin is checked instead (core/csrf.py).
@cross_site_posts_refused
@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # Links such as ?series=foreign-policy (from a brief's subscribe box) tick that box in advance.
        form = SubscribeForm(
            initial={
                "email": request.GET.get("email", "")[:254],
                "series": list(Series.objects.filter(slug__in=request.GET.getlist("series")[:20])),
                "topics": list(Topic.objects.filter(slug__in=request.GET.getlist("topics")[:20])),
            }
        )
        return _subscribe_page(request, form)

    if ratelimit_hit(
        key=f"newsletter-subscribe-ip:{client_ip(request)}",
        limit=SUBSCRIBE_LIMIT_PER_IP,
        window_seconds=SUBSCRIBE_LIMIT_WINDOW,
    ):
        response = render(request, "newsletter/rate_limited.html", status=429)
        response["Retry-After"] = str(SUBSCRIBE_LIMIT_WINDOW)
        return response

    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _subscribe_page(request, form)
    email = form.cleaned_data["email"]
    if form.is_bot():
        logger.info("Subscribe form honeypot filled in; nothing sent.")
    else:
        try:
            subscription_request(
                email=email,
                series_ids=[series.pk for series in form.cleaned_data["series"]],
                topic_ids=[topic.pk for topic in form.cleaned_data["topics"]],
                source=form.cleaned_data["source"],
            )
        except MAIL_ERRORS:
            logger.exception("Could not send a confirmation email.")
            return render(request, "newsletter/subscriber_send_failed.html", {"form": form}, status=503)
    return render(
        request,
        "newsletter/subscriber_check_inbox.html",
        {"email": email, "valid_days": CONFIRM_MAX_AGE.days},
    )


def _subscribe_page(request: HttpRequest, form: SubscribeForm) -> HttpResponse:
    return render(
        request,
        "newsletter/subscriber_form.html",
        {"form": form, "consent_wording": consent_wording()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the request and a button; only the button's POST subscribes."""
    try:
        subscription = confirmation_token_read(token)
    except LinkExpiredError as expired:
        return _ask_again(request, expired.request, "newsletter/subscriber_link_expired.html", status=410)
    except LinkBrokenError:
        return render(request, "newsletter/subscriber_link_broken.html", status=404)

    if request.method == "GET":
        # An old link says what is true now, before anyone presses anything: already
        # subscribed (with their actual choices), or unsubscribed since it was sent.
        subscriber = Subscriber.objects.by_email(subscription.email).first()
        state = subscription_link_state(request=subscription, subscriber=subscriber)
        if state == LinkState.ALREADY_SUBSCRIBED:
            return _confirmed_page(request, subscriber, already=True)
        if state == LinkState.STALE:
            return _ask_again(request, subscription, "newsletter/subscriber_link_stale.html", status=200)
        current = _subscriber_choices(subscriber) if state == LinkState.CHANGES_CHOICES else {}
        return render(
            request,
            "newsletter/subscriber_confirm.html",
            {"subscription": subscription, **_choice_names(subscription), **current},
        )

    outcome, subscriber = subscription_confirm(request=subscription)
    if outcome == ConfirmOutcome.STALE:
        return _ask_again(request, subscription, "newsletter/subscriber_link_stale.html", status=200)
    return _confirmed_page(request, subscriber, already=outcome == ConfirmOutcome.ALREADY_CONFIRMED)


def _subscriber_choices(subscriber: Subscriber) -> dict:
    """What the subscriber receives now, for the pages that show it (named so as not to clash with a link's)."""
    return {
        "current_subscriber": subscriber,
        "current_series": subscriber.series.all(),
        "current_topics": subscriber.topics.all(),
    }


def _confirmed_page(request: HttpRequest, subscriber: Subscriber, *, already: bool) -> HttpResponse:
    return render(
        request,
        "newsletter/subscriber_confirmed.html",
        {"subscriber": subscriber, "already": already, **_subscriber_choices(subscriber)},
    )


def _ask_again(request: HttpRequest, subscription: SubscriptionRequest, template: str, *, status: int):
    # The form re-sends the address and choices from the old link; its
    # answer is the subscribe form's usual "check your inbox".
    form = SubscribeForm(
        initial={
            "email": subscription.email,
            "source": subscription.source,
            "series": list(subscription.series_ids),
            "topics": list(subscription.topic_ids),
        }
    )
    return render(request, template, {"form": form, "subscription": subscription}, status=status)


def _choice_names(subscription: SubscriptionRequest) -> dict:
    return {
        "series": Series.objects.filter(pk__in=subscription.series_ids),
        "topics": Topic.objects.filter(pk__in=subscription.topic_ids),
    }


def _subscriber_for(token: str) -> Subscriber | None:
    try:
        key = uuid.UUID(token)
    except ValueError:
        return None
    return Subscriber.objects.filter(token=key).first()


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_for(token)
    if subscriber is None:
        return render(request, "newsletter/subscriber_link_broken.html", {"personal_link": True}, status=404)

    site = NewsletterSettings.load()
    options = {"alerts": site.alerts_enabled, "digest_when": site.digest_when}
    if request.method == "POST":
        form = PreferencesForm(request.POST, **options)
        if form.is_valid():
            subscriber_update_preferences(
                subscriber=subscriber,
                series=form.cleaned_data["series"],
                topics=form.cleaned_data["topics"],
                alert_frequency=form.cleaned_data.get("alert_frequency") or None,
            )
            messages.success(request, "Your choices are saved.")
            return redirect("newsletter:preferences", token=subscriber.token)
    else:
        form = PreferencesForm(
            initial={
                "series": list(subscriber.series.all()),
                "topics": list(subscriber.topics.all()),
                "alert_frequency": subscriber.alert_frequency,
            },
            **options,
        )
    return render(
        request,
        "newsletter/subscriber_preferences.html",
        {"subscriber": subscriber, "form": form, "alerts": site.alerts_enabled, **_subscriber_choices(subscriber)},
    )


# A test email's personal links lead here (newsletter.campaigns.test_link_url). Mail
# clients' one-click unsubscribe POSTs without a CSRF token, as for real links; the
# page changes nothing for anyone, so that POST is as harmless as the GET.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def test_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind a test email's unsubscribe and preferences links: it says the email was a test."""
    found = test_link_read(token)
    if found is None:
        return render(request, "newsletter/subscriber_link_broken.html", {"personal_link": True}, status=404)
    kind, campaign = found
    return render(
        request,
        "newsletter/test_link.html",
        {"kind": kind, "campaign": campaign, "one_click": request.method == "POST"},
    )


# Mail clients that offer an "Unsubscribe" button (RFC 8058) POST
# "List-Unsubscribe=One-Click" to this address from their own servers, with no
# cookie and so no CSRF token; the view must take such a POST. That is safe
# because the unguessable token in the address is what authorises the
# request: a forged cross-site POST would need the token, and whoever has it
# could unsubscribe with it anyway. An unknown token changes nothing.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_for(token)
    if subscriber is None:
        return render(request, "newsletter/subscriber_link_broken.html", {"personal_link": True}, status=404)

    if request.method == "GET":
        return render(request, "newsletter/subscriber_unsubscribe.html", {"subscriber": subscriber})

    subscriber, changed = subscriber_unsubscribe(subscriber=subscriber)
    return render(
        request,
        "newsletter/subscriber_unsubscribed.html",
        {"subscriber": subscriber, "already": not changed},
    )
