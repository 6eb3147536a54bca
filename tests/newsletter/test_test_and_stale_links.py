"""Links say the truth: test-email links open a "this was a test" page; old confirmation links say what is true."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from newsletter.models import Subscriber
from newsletter.tokens import SubscriptionRequest, confirmation_token_make
from tests.factories import SeriesFactory, TopicFactory
from tests.newsletter.campaign_support import make_campaign, make_subscribers
from tests.newsletter.smtp import body_text, links_in
from tests.newsletter.test_subscribe import page_text

pytestmark = pytest.mark.django_db


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_every_link_in_a_test_email_opens_a_page_never_a_404(staff_client, staff_user, smtp_server):
    """Unsubscribe and preferences in a test email say it was a test and change nobody, the sender included."""
    make_subscribers(1, prefix="editor-as-reader")
    Subscriber.objects.filter(email__startswith="editor-as-reader").update(email=staff_user.email)
    campaign = make_campaign(subject="Winter briefs")
    staff_client.post(f"/admin/newsletter/campaign/{campaign.pk}/send-test/")
    [message] = smtp_server.wait_for(1)

    visitor = Client()
    for link in links_in(message):
        response = visitor.get(path_of(link))
        assert response.status_code == 200, link
    unsubscribe = re.search(r"Unsubscribe: (\S+)", body_text(message))[1]
    page = page_text(visitor.get(path_of(unsubscribe)))
    assert "This was a test" in page and "“Winter briefs”" in page and "Nothing has changed for anyone" in page

    # A mail client's one-click button POSTs to the List-Unsubscribe address without a CSRF token.
    one_click = re.search(r"<(https?://[^>]+)>", message["List-Unsubscribe"])[1]
    assert "/test-link/" in one_click
    response = Client(enforce_csrf_checks=True).post(path_of(one_click), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscriber.objects.get(email=staff_user.email).status == Subscriber.Status.SUBSCRIBED


def test_a_forged_test_link_is_not_recognised(client):
    """Only links we signed open the test page."""
    response = client.get("/newsletter/test-link/not-a-real-token/")
    assert response.status_code == 404
    assert "We do not recognise this link" in page_text(response)


def confirmation_link(email, *, series=(), issued_at=None) -> str:
    """A confirmation link as the subscribe form emails it, sent at ``issued_at`` (now by default)."""
    request = SubscriptionRequest(email=email, source="subscribe_page", consent_wording="2026-11", series_ids=series)
    with time_machine.travel(issued_at or timezone.now(), tick=False):  # the token carries the time it was made
        token = confirmation_token_make(request=request)
    return f"/newsletter/confirm/{token}/"


def test_an_old_link_for_someone_already_subscribed_shows_their_actual_choices(client):
    """Opening the link again says "You're already subscribed", lists their narrower choices, links to preferences."""
    trade = SeriesFactory(name="Trade Policy Brief", slug="trade")
    ports = TopicFactory(name="Ports", slug="ports")
    link = confirmation_link("reader@example.org", issued_at=timezone.now() - timedelta(days=2))
    subscriber = Subscriber.objects.create(
        email="reader@example.org",
        status=Subscriber.Status.SUBSCRIBED,
        consent_at=timezone.now() - timedelta(days=1),
        confirmed_at=timezone.now() - timedelta(days=1),
        wants_everything=False,
        alert_frequency=Subscriber.AlertFrequency.WEEKLY,
    )
    subscriber.series.set([trade])
    subscriber.topics.set([ports])

    response = client.get(link)
    page = page_text(response)
    assert response.status_code == 200
    assert "You’re already subscribed" in page
    assert "Series: Trade Policy Brief" in page and "Topic: Ports" in page
    assert "Everything we publish" not in page and "Press the button" not in page
    assert "New briefs: a weekly digest of the new briefs." in page
    assert f"/newsletter/preferences/{subscriber.token}/" in response.content.decode()


def test_an_old_link_for_someone_who_unsubscribed_offers_a_fresh_confirmation(client, smtp_server):
    """Opened after unsubscribing: no subscribe button, but "Send me a new link", which emails a new one."""
    link = confirmation_link("left@example.org", issued_at=timezone.now() - timedelta(days=2))
    Subscriber.objects.create(
        email="left@example.org", status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()
    )
    response = client.get(link)
    page = page_text(response)
    assert "This link was sent before you unsubscribed" in page and "Confirm subscription" not in page
    assert 'value="left@example.org"' in response.content.decode()

    client.post("/newsletter/subscribe/", {"email": "left@example.org"})
    [fresh] = smtp_server.wait_for(1)
    new_link = next(link for link in links_in(fresh) if "/confirm/" in link)
    client.post(path_of(new_link))
    assert Subscriber.objects.get(email="left@example.org").status == Subscriber.Status.SUBSCRIBED


def test_a_newer_link_for_a_subscriber_offers_to_switch_to_its_choices(client):
    """Subscribed, then asked again for one series: the page shows both and a button to use the new choices."""
    trade = SeriesFactory(name="Trade Policy Brief", slug="trade")
    Subscriber.objects.create(
        email="switch@example.org",
        status=Subscriber.Status.SUBSCRIBED,
        consent_at=timezone.now() - timedelta(days=3),
        confirmed_at=timezone.now() - timedelta(days=3),
    )
    link = confirmation_link("switch@example.org", series=(trade.pk,))
    page = page_text(client.get(link))
    assert "You’re already subscribed" in page and "Everything we publish" in page and "Series: Trade" in page
    client.post(link)
    assert list(Subscriber.objects.get(email="switch@example.org").series.all()) == [trade]
