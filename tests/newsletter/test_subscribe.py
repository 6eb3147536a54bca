"""Subscribing: the form, the confirmation email through a real SMTP server, the confirm page, and abuse limits."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone

from newsletter.forms import CONSENT_WORDING_VERSION
from newsletter.models import Subscriber
from newsletter.services import ConfirmOutcome, subscription_confirm
from newsletter.tokens import SubscriptionRequest
from tests.factories import SeriesFactory, TopicFactory, published_brief
from tests.newsletter.smtp import body_html, body_text, links_in

pytestmark = pytest.mark.django_db

SUBSCRIBE = reverse("newsletter:subscribe")


def confirm_link(message) -> str:
    """The confirmation link in an email, as a path the test client can open."""
    links = [link for link in links_in(message) if "/newsletter/confirm/" in link]
    assert links, body_text(message)
    return links[0].removeprefix("http://testserver")


def page_text(response) -> str:
    """The visible words of a page's main content, whitespace collapsed."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")] if "<main" in html else html
    main = re.sub(r"<input[^>]*csrfmiddlewaretoken[^>]*>", "", main)
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def subscribe(client, email, **data):
    return client.post(SUBSCRIBE, {"email": email, **data})


# -- the whole flow ----------------------------------------------------------


def test_subscribing_confirming_changing_and_leaving_through_real_email(client, smtp_server):
    """A visitor subscribes, gets the email, confirms with the button, picks topics and unsubscribes."""
    climate = TopicFactory(name="Climate", slug="climate")
    trade = TopicFactory(name="Trade", slug="trade")

    response = subscribe(client, "Reader@Example.ORG")
    assert response.status_code == 200
    assert "Check your inbox" in page_text(response)
    assert not Subscriber.objects.exists(), "nothing is stored before confirmation"

    [message] = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0].rcpt_tos == ("Reader@example.org",)
    assert message["To"] == "Reader@example.org"
    assert "confirm" in message["Subject"].lower()
    assert "Confirm my subscription" in body_html(message)
    link = confirm_link(message)

    # Opening the link (as a mail scanner would) subscribes nobody.
    response = client.get(link)
    assert response.status_code == 200
    assert "Confirm subscription" in page_text(response)
    assert not Subscriber.objects.exists()

    response = client.post(link)
    assert "You are subscribed" in page_text(response)
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Reader@example.org"
    assert subscriber.status == Subscriber.Status.SUBSCRIBED
    assert subscriber.wants_everything

    preferences_url = reverse("newsletter:preferences", kwargs={"token": subscriber.token})
    assert preferences_url in response.content.decode()
    response = client.post(preferences_url, {"topics": [climate.pk, trade.pk]}, follow=True)
    assert "Your choices are saved" in page_text(response)
    subscriber.refresh_from_db()
    assert not subscriber.wants_everything
    assert set(subscriber.topics.all()) == {climate, trade}

    unsubscribe_url = reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token})
    response = client.get(unsubscribe_url)
    assert "Unsubscribe from our newsletter" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED, "the unsubscribe page alone changes nothing"

    response = client.post(unsubscribe_url)
    assert "You are unsubscribed" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert len(smtp_server.messages) == 1


def test_chosen_series_and_topics_and_consent_are_recorded_on_confirmation(client, smtp_server):
    """What the visitor ticked, which form they used and which wording they saw are kept once they confirm."""
    series = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    topic = TopicFactory(name="Security", slug="security")
    SeriesFactory(name="Economic Policy Brief", slug="economic-policy")

    subscribe(client, "chooser@example.org", series=[series.pk], topics=[topic.pk])
    [message] = smtp_server.wait_for(1)
    assert "Series: Foreign Policy Brief" in body_text(message)
    assert "Topic: Security" in body_text(message)
    link = confirm_link(message)
    assert "Series: Foreign Policy Brief" in page_text(client.get(link))

    before = timezone.now()
    client.post(link)
    subscriber = Subscriber.objects.get()
    assert set(subscriber.series.all()) == {series}
    assert set(subscriber.topics.all()) == {topic}
    assert not subscriber.wants_everything
    assert subscriber.source == Subscriber.Source.SUBSCRIBE_PAGE
    assert subscriber.consent_wording == CONSENT_WORDING_VERSION
    assert subscriber.consent_at >= before
    assert subscriber.confirmed_at >= before


def test_subscribe_box_on_dashboard_and_brief_pages_records_where_people_signed_up(client, smtp_server):
    """The dashboard and every brief page carry the subscribe box, and the sign-up remembers which one."""
    brief = published_brief(published_at=timezone.now() - timedelta(days=1))

    for url, source in [(reverse("briefs:dashboard"), "dashboard"), (brief.get_absolute_url(), "brief")]:
        html = client.get(url).content.decode()
        assert "Subscribe to our news service" in html
        assert f'name="source" value="{source}"' in html
        assert "Choose series and topics" in html

    subscribe(client, "from-brief@example.org", source="brief")
    client.post(confirm_link(smtp_server.wait_for(1)[0]))
    assert Subscriber.objects.get().source == Subscriber.Source.BRIEF


def test_choosing_topics_from_a_brief_page_starts_with_its_series_ticked(client):
    """The box on a brief links to the full form with that brief's series already ticked."""
    brief = published_brief(published_at=timezone.now() - timedelta(days=1))
    html = client.get(brief.get_absolute_url()).content.decode()
    choose_url = f"{SUBSCRIBE}?series={brief.series.slug}"
    assert f'href="{choose_url}"' in html
    page = client.get(choose_url).content.decode()
    assert re.search(rf'name="series" value="{brief.series.pk}"[^>]*checked', page)


def test_a_forged_source_falls_back_to_the_subscribe_page(client, smtp_server):
    """A tampered hidden field cannot claim a staff-only source such as an import."""
    subscribe(client, "forger@example.org", source="import")
    client.post(confirm_link(smtp_server.wait_for(1)[0]))
    assert Subscriber.objects.get().source == Subscriber.Source.SUBSCRIBE_PAGE


def test_the_subscribe_page_has_checkboxes_and_the_consent_wording(client):
    """The full page lets people tick series and topics and shows what they agree to."""
    SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    TopicFactory(name="Climate", slug="climate")
    response = client.get(SUBSCRIBE)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="checkbox"' in html
    assert "Foreign Policy Brief" in html and "Climate" in html
    assert "never share your address" in html
    assert "Leave every box unticked to receive everything" in html


def test_an_invalid_address_is_explained_and_nothing_is_sent(client, smtp_server):
    """A typo in the address gets a clear message on the form instead of an email."""
    response = subscribe(client, "not-an-address")
    assert response.status_code == 200
    assert "Please enter a complete email address" in page_text(response)
    assert smtp_server.messages == []


# -- confirmation links ------------------------------------------------------


def test_an_expired_link_says_so_and_offers_a_new_one(client, smtp_server):
    """After seven days the link no longer subscribes; the page offers to send a fresh link."""
    topic = TopicFactory(name="Trade", slug="trade")
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        subscribe(client, "late@example.org", topics=[topic.pk])
        link = confirm_link(smtp_server.wait_for(1)[0])

    response = client.get(link)
    assert response.status_code == 410
    assert "This confirmation link has expired" in page_text(response)
    assert 'value="late@example.org"' in response.content.decode()
    assert client.post(link).status_code == 410
    assert not Subscriber.objects.exists()

    # The form on the page asks again with the same address and choices.
    html = response.content.decode()
    assert f'name="topics" value="{topic.pk}"' in html
    subscribe(client, "late@example.org", topics=[topic.pk])
    client.post(confirm_link(smtp_server.wait_for(2)[1]))
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED
    assert list(subscriber.topics.all()) == [topic]


def test_a_link_still_works_on_the_sixth_day(client, smtp_server):
    """A link confirmed within its seven days subscribes as usual."""
    subscribe(client, "patient@example.org")
    link = confirm_link(smtp_server.wait_for(1)[0])
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23), tick=False):
        client.post(link)
    assert Subscriber.objects.get().status == Subscriber.Status.SUBSCRIBED


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-3] + ("abc" if not token.endswith("abc") else "xyz"),
        lambda token: token[: len(token) // 2],
        lambda token: "not-a-token",
    ],
    ids=["changed", "cut-short", "made-up"],
)
def test_a_tampered_or_broken_link_gets_a_friendly_page_and_subscribes_nobody(client, smtp_server, mangle):
    """A damaged link explains itself with a 404 page instead of an error."""
    subscribe(client, "victim@example.org")
    link = confirm_link(smtp_server.wait_for(1)[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    broken = reverse("newsletter:confirm", kwargs={"token": mangle(token)})

    for response in (client.get(broken), client.post(broken)):
        assert response.status_code == 404
        assert "We do not recognise this link" in page_text(response)
    assert not Subscriber.objects.exists()


def test_confirming_twice_is_harmless(client, smtp_server):
    """Pressing the button again (or in a second tab) says it is already confirmed and changes nothing."""
    subscribe(client, "twice@example.org")
    link = confirm_link(smtp_server.wait_for(1)[0])
    client.post(link)
    first = Subscriber.objects.get()

    response = client.post(link)
    assert response.status_code == 200
    assert "You’re already subscribed" in page_text(response)
    again = Subscriber.objects.get()
    assert again.confirmed_at == first.confirmed_at


def test_an_old_link_does_not_undo_an_unsubscription(client, smtp_server):
    """A confirmation link sent before someone unsubscribed no longer subscribes them."""
    subscribe(client, "leaver@example.org")
    link = confirm_link(smtp_server.wait_for(1)[0])
    client.post(link)
    subscriber = Subscriber.objects.get()
    client.post(reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token}))

    response = client.post(link)
    assert "This link was sent before you unsubscribed" in page_text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_subscribing_again_after_unsubscribing_needs_a_new_confirmation(client, smtp_server):
    """Someone who left and fills in the form again stays out until they confirm the new email."""
    subscriber = Subscriber.objects.create(
        email="returner@example.org",
        status=Subscriber.Status.UNSUBSCRIBED,
        unsubscribed_at=timezone.now() - timedelta(days=30),
    )
    subscribe(client, "returner@example.org")
    link = confirm_link(smtp_server.wait_for(1)[0])
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED

    client.post(link)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED
    assert subscriber.unsubscribed_at is None
    assert Subscriber.objects.count() == 1


def test_a_pending_imported_subscriber_is_activated_by_their_link(client, smtp_server):
    """Someone added as pending confirms through the same page and becomes subscribed."""
    Subscriber.objects.create(email="pending@example.org", source=Subscriber.Source.IMPORT)
    subscribe(client, "pending@example.org")
    client.post(confirm_link(smtp_server.wait_for(1)[0]))
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.SUBSCRIBED


# -- the form reveals nothing --------------------------------------------------


def test_the_answer_is_the_same_whoever_the_address_belongs_to(client, smtp_server):
    """New, pending, subscribed and unsubscribed addresses all get the same page, so the form reveals nobody."""
    Subscriber.objects.create(email="pending@example.org")
    Subscriber.objects.create(
        email="member@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )
    Subscriber.objects.create(
        email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()
    )

    answers = set()
    for email in ["new@example.org", "pending@example.org", "member@example.org", "gone@example.org"]:
        response = subscribe(client, email)
        answers.add((response.status_code, page_text(response).replace(email, "ADDRESS")))
    assert len(answers) == 1
    assert next(iter(answers))[0] == 200
    assert len(smtp_server.wait_for(4)) == 4


# -- abuse -------------------------------------------------------------------


def test_a_filled_honeypot_gets_the_usual_answer_but_no_email(client, smtp_server):
    """A bot that fills every field is told to check its inbox, and nothing is sent or stored."""
    human = subscribe(client, "human@example.org")
    bot = subscribe(client, "bot@example.org", website="http://spam.example")
    assert bot.status_code == human.status_code == 200
    assert page_text(bot).replace("bot@", "X@") == page_text(human).replace("human@", "X@")
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["human@example.org"]
    assert not Subscriber.objects.exists()


def test_the_honeypot_is_hidden_from_people_and_screen_readers_but_labelled(client):
    """The trap field is hidden and out of the tab order, and says to leave it empty if seen."""
    html = client.get(SUBSCRIBE).content.decode()
    trap = re.search(r'<div class="d-none" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap, "the honeypot wrapper is missing"
    assert "Leave this field empty" in trap.group(1)
    assert 'name="website"' in trap.group(1) and 'tabindex="-1"' in trap.group(1)


def test_too_many_requests_from_one_network_get_a_clear_429_page(client, smtp_server):
    """The eleventh request within the hour from one address is refused with a message; others are unaffected."""
    for number in range(10):
        assert subscribe(client, f"person{number}@example.org").status_code == 200
    response = subscribe(client, "person10@example.org")
    assert response.status_code == 429
    assert "Too many sign-ups from your network" in page_text(response)
    assert response["Retry-After"] == "3600"
    assert len(smtp_server.messages) == 10

    other = client.post(SUBSCRIBE, {"email": "elsewhere@example.org"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert subscribe(client, "person10@example.org").status_code == 200


def test_behind_the_sites_proxy_each_visitor_is_limited_by_their_own_address(client, settings, smtp_server):
    """With BEHIND_PROXY, the limit counts the address the proxy saw, not the proxy's own or a forged one."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for number in range(10):
        forged_then_real = f"192.0.2.{number}, 203.0.113.5"
        client.post(SUBSCRIBE, {"email": f"p{number}@example.org"}, HTTP_X_FORWARDED_FOR=forged_then_real)
    # Ten requests from 203.0.113.5, each with a different forged first entry: the eleventh is refused.
    refused = client.post(SUBSCRIBE, {"email": "p10@example.org"}, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5")
    assert refused.status_code == 429
    other = client.post(SUBSCRIBE, {"email": "p11@example.org"}, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 200


def test_one_address_gets_at_most_one_confirmation_email_in_ten_minutes(client, smtp_server):
    """Sending the form repeatedly for one address answers the same each time but sends one email."""
    first = subscribe(client, "flooded@example.org")
    second = subscribe(client, "FLOODED@example.org".lower())
    third = subscribe(client, " flooded@EXAMPLE.org ")
    assert first.status_code == second.status_code == third.status_code == 200
    assert page_text(first) == page_text(second)
    assert len(smtp_server.wait_for(1)) == 1

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        subscribe(client, "flooded@example.org")
    assert len(smtp_server.wait_for(2)) == 2


def test_when_the_mail_server_is_down_the_visitor_is_told_and_can_retry(client, smtp_server):
    """If the email cannot be sent the page says so, and a retry once the server is back sends it."""
    smtp_server.stop()
    response = subscribe(client, "unlucky@example.org")
    assert response.status_code == 503
    assert "We could not send the email just now" in page_text(response)
    smtp_server.start()
    assert subscribe(client, "unlucky@example.org").status_code == 200
    assert len(smtp_server.wait_for(1)) == 1


# -- addresses ----------------------------------------------------------------


def test_addresses_are_stored_trimmed_with_a_lower_case_domain(client, smtp_server):
    """Spaces and capitals in the domain are tidied; the local part keeps its case."""
    subscribe(client, "  Jane.Doe@Example.ORG ")
    client.post(confirm_link(smtp_server.wait_for(1)[0]))
    assert Subscriber.objects.get().email == "Jane.Doe@example.org"


def test_the_same_address_in_other_capitals_is_one_subscriber(client, smtp_server):
    """Confirming an address that differs only in capitals does not create a second subscriber."""
    Subscriber.objects.create(email="Jane@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now())
    subscribe(client, "JANE@EXAMPLE.ORG")
    client.post(confirm_link(smtp_server.wait_for(1)[0]))
    assert Subscriber.objects.count() == 1
    with pytest.raises(IntegrityError):
        Subscriber.objects.create(email="jane@example.org")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_tabs_confirming_at_the_same_moment_make_one_subscriber():
    """Pressing Confirm in two tabs at once subscribes the address once, and both pages answer calmly."""
    request = SubscriptionRequest(email="racer@example.org", source="subscribe_page", consent_wording="2026-11")
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm():
        try:
            barrier.wait(timeout=5)
            outcomes.append(subscription_confirm(request=request)[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == sorted([ConfirmOutcome.CONFIRMED, ConfirmOutcome.ALREADY_CONFIRMED])
    assert Subscriber.objects.by_email("racer@example.org").count() == 1
