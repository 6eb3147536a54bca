"""Choosing what to receive, and leaving: the personal preferences and unsubscribe links."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Subscriber
from tests.factories import SeriesFactory, TopicFactory
from tests.newsletter.test_subscribe import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber():
    return Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )


def preferences_url(subscriber) -> str:
    return reverse("newsletter:preferences", kwargs={"token": subscriber.token})


def unsubscribe_url(subscriber) -> str:
    return reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token})


def test_the_preferences_page_shows_what_the_subscriber_receives_now(client, subscriber):
    """The page names the address and says "everything" until series or topics are chosen."""
    SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    response = client.get(preferences_url(subscriber))
    assert response.status_code == 200
    text = page_text(response)
    assert "reader@example.org" in text
    assert "You receive now Everything we publish." in text
    assert "Foreign Policy Brief" in text
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_choosing_series_and_topics_is_saved_and_shown(client, subscriber):
    """Ticking boxes and saving narrows what arrives, and the page shows the new choice ticked."""
    series = SeriesFactory(name="Economic Policy Brief", slug="economic-policy")
    topic = TopicFactory(name="Climate", slug="climate")
    TopicFactory(name="Trade", slug="trade")

    response = client.post(preferences_url(subscriber), {"series": [series.pk], "topics": [topic.pk]})
    assert response.status_code == 302
    response = client.get(response["Location"])
    text = page_text(response)
    assert "Your choices are saved" in text
    assert "Series: Economic Policy Brief" in text and "Topic: Climate" in text
    html = response.content.decode()
    assert re.search(rf'name="topics" value="{topic.pk}"[^>]*checked', html), "the saved topic is ticked"
    subscriber.refresh_from_db()
    assert not subscriber.wants_everything
    assert list(subscriber.series.all()) == [series]
    assert list(subscriber.topics.all()) == [topic]


def test_unticking_everything_means_receiving_everything(client, subscriber):
    """Clearing every box switches the subscriber back to receiving everything."""
    topic = TopicFactory()
    subscriber.topics.set([topic])
    Subscriber.objects.filter(pk=subscriber.pk).update(wants_everything=False)

    client.post(preferences_url(subscriber), {})
    subscriber.refresh_from_db()
    assert subscriber.wants_everything
    assert not subscriber.topics.exists()


def test_a_choice_that_does_not_exist_is_refused_and_nothing_changes(client, subscriber):
    """A made-up series number gets a form error, not a crash, and keeps the old choices."""
    SeriesFactory()
    response = client.post(preferences_url(subscriber), {"series": ["999999"]})
    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.wants_everything


def test_the_unsubscribe_page_asks_first_and_the_button_unsubscribes(client, subscriber):
    """Opening the unsubscribe link shows a button; only pressing it unsubscribes."""
    response = client.get(unsubscribe_url(subscriber))
    assert response.status_code == 200
    assert "Unsubscribe from our newsletter" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED

    response = client.post(unsubscribe_url(subscriber))
    assert response.status_code == 200
    assert "reader@example.org will receive no more newsletters" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None


def test_one_click_unsubscribe_from_a_mail_client_works_without_a_csrf_token(subscriber):
    """A mail client's RFC 8058 one-click POST, with no cookie or CSRF token, unsubscribes."""
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        unsubscribe_url(subscriber),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_one_click_with_an_unknown_token_changes_nobody(subscriber):
    """A one-click POST to a made-up link is a 404 and unsubscribes no one."""
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        reverse("newsletter:unsubscribe", kwargs={"token": uuid.uuid4()}),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED


def test_unsubscribing_twice_is_harmless(client, subscriber):
    """A second press says they were already unsubscribed and keeps the first date."""
    client.post(unsubscribe_url(subscriber))
    subscriber.refresh_from_db()
    first = subscriber.unsubscribed_at
    response = client.post(unsubscribe_url(subscriber))
    assert "was already unsubscribed" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == first
    assert "You are already unsubscribed" in page_text(client.get(unsubscribe_url(subscriber)))


@pytest.mark.parametrize("token", [str(uuid.uuid4()), "not-a-uuid", "123"])
@pytest.mark.parametrize("name", ["newsletter:preferences", "newsletter:unsubscribe"])
def test_unknown_personal_links_get_a_friendly_404(client, subscriber, token, name):
    """A wrong or mangled personal link explains itself with a 404 page, never a server error."""
    url = reverse(name, kwargs={"token": token})
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "We do not recognise this link" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED


def test_an_unsubscribed_reader_can_ask_to_subscribe_again_from_their_preferences(client, subscriber, smtp_server):
    """The preferences page of someone who left offers to resubscribe, which sends a confirmation email."""
    client.post(unsubscribe_url(subscriber))
    response = client.get(preferences_url(subscriber))
    assert "You are unsubscribed and receive nothing from us" in page_text(response)

    response = client.post(reverse("newsletter:subscribe"), {"email": subscriber.email})
    assert "Check your inbox" in page_text(response)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "reader@example.org"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
