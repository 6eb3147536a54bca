"""Sending a campaign through a real SMTP server: what arrives, and that nothing is lost or sent twice."""

import threading
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from newsletter.campaigns import campaign_process, campaign_send_now, deliveries_create
from newsletter.delivery import HARD_BOUNCE_LIMIT, campaign_deliver, lease_length
from newsletter.models import Campaign, Delivery, Subscriber
from tests.factories import PhotoFactory, published_brief
from tests.newsletter.campaign_support import (
    HookedBackend,
    InterruptingBackend,
    SlowBackend,
    WorkerStoppedError,
    make_campaign,
    make_subscribers,
)
from tests.newsletter.smtp import body_html, body_text, links_in

pytestmark = pytest.mark.django_db


def start_sending(campaign: Campaign) -> Campaign:
    """A campaign switched to sending with its deliveries created, but nothing sent yet."""
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING, started_at=timezone.now())
    campaign.refresh_from_db()
    deliveries_create(campaign=campaign)
    return campaign


def received_by(smtp_server, subscribers) -> dict[str, int]:
    return {subscriber.email: len(smtp_server.messages_to(subscriber.email)) for subscriber in subscribers}


def test_campaign_email_arrives_with_both_parts_personal_links_and_unsubscribe_headers(smtp_server, settings):
    """A subscriber gets one email: readable text, HTML with absolute links and images, one-click unsubscribe."""
    photo = PhotoFactory(alt_text="Container cranes at dusk")
    brief = published_brief(title="Ports and power", summary="Who runs the ports.", header_photo=photo)
    campaign = make_campaign(briefs=[brief], intro='<p>Read <a href="https://example.org/x">this</a> first.</p>')
    [reader] = make_subscribers(1)

    campaign_send_now(campaign=campaign)

    [message] = smtp_server.wait_for(1)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT and campaign.finished_at is not None
    assert message["To"] == reader.email
    assert message["Subject"] == "This week's briefs"
    assert message.get_content_type() == "multipart/alternative"

    text, html = body_text(message), body_html(message)
    assert "Ports and power" in text and "Read this (https://example.org/x) first." in text
    assert "<table" in html and 'style="' in html, "HTML is table-based with inlined CSS"
    assert f'src="http://testserver{photo.thumbnail.url}"' in html and 'alt="Container cranes at dusk"' in html
    assert settings.POSTAL_ADDRESS in text and settings.POSTAL_ADDRESS in html
    assert reader.get_unsubscribe_url() in text and reader.get_unsubscribe_url() in html
    assert reader.get_preferences_url() in html

    # RFC 8058 one-click unsubscribe, on one unencoded line that clients can read.
    list_unsubscribe = message["List-Unsubscribe"]
    assert list_unsubscribe == (
        f"<{reader.get_unsubscribe_url()}>, "
        f"<mailto:{settings.NEWSLETTER_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{reader.token}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    message_id = message["Message-ID"]
    delivery = Delivery.objects.get(campaign=campaign, subscriber=reader)
    assert delivery.status == Delivery.Status.SENT and delivery.message_id == message_id
    assert message_id.endswith("@testserver>")  # the sender's domain is "localhost": the site's is used instead

    # Every link in the email works.
    client = Client()
    for link in links_in(message):
        if urlsplit(link).netloc == "testserver":
            assert client.get(urlsplit(link).path).status_code == 200, link

    # The mail client's one-click POST (no cookies, no CSRF token) unsubscribes.
    one_click = Client(enforce_csrf_checks=True)
    response = one_click.post(
        urlsplit(reader.get_unsubscribe_url()).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in {200, 204}
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED


def test_message_ids_are_unique_and_from_the_senders_domain(smtp_server, settings):
    """Each email has its own Message-ID under the sender's domain."""
    settings.DEFAULT_FROM_EMAIL = "Meridian Briefs <briefs@meridian.example>"
    make_subscribers(3)
    campaign_send_now(campaign=make_campaign())
    ids = [message["Message-ID"] for message in smtp_server.wait_for(3)]
    assert len(set(ids)) == 3
    assert all(parseaddr(message_id)[1].endswith("@meridian.example") for message_id in ids)
    assert all(parseaddr(message["From"])[1] == "briefs@meridian.example" for message in smtp_server.messages)


def test_smtp_server_down_then_up_loses_nothing(smtp_server):
    """While the mail server is down the campaign waits; when it is back every subscriber gets one email."""
    readers = make_subscribers(7)
    campaign = make_campaign()
    smtp_server.stop()

    campaign_send_now(campaign=campaign)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.deliveries.filter(status=Delivery.Status.QUEUED).count() == 7
    assert campaign.deliveries.get(subscriber=readers[0]).attempts == 0, "an outage does not use up retries"

    smtp_server.start()
    run = campaign_process(campaign_id=campaign.pk, retry=1)  # the task queued itself to run again

    assert run.sent == 7
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_server_going_down_mid_campaign_loses_nothing_and_repeats_nothing(smtp_server, settings):
    """The server disappears after some messages: those stay sent, the rest go once it is back."""
    readers = make_subscribers(9)
    campaign = start_sending(make_campaign())

    first = campaign_deliver(campaign_id=campaign.pk, batch_size=4, limit=4)
    smtp_server.stop()
    during = campaign_deliver(campaign_id=campaign.pk, batch_size=4)
    smtp_server.start()
    after = campaign_deliver(campaign_id=campaign.pk, batch_size=4)

    assert (first.sent, during.sent, bool(during.server_error), after.sent) == (4, 0, True, 5)
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}
    assert after.finished


def test_worker_stopped_mid_batch_then_restarted_sends_everyone_exactly_once(smtp_server, settings):
    """A worker stopped half-way through a batch records what it sent; the next run sends only the rest."""
    readers = make_subscribers(12)
    campaign = start_sending(make_campaign())
    settings.MAILERS = {
        "default": {
            **settings.MAILERS["default"],
            "BACKEND": "tests.newsletter.campaign_support.InterruptingBackend",
        }
    }
    InterruptingBackend.sent, InterruptingBackend.stop_after = 0, 7

    with pytest.raises(WorkerStoppedError):
        campaign_deliver(campaign_id=campaign.pk, batch_size=5)

    assert len(smtp_server.messages) == 7
    statuses = dict(campaign.deliveries.values_list("subscriber__email", "status"))
    assert list(statuses.values()).count(Delivery.Status.SENT) == 7
    assert list(statuses.values()).count(Delivery.Status.QUEUED) == 5, "nothing is left claimed by the dead worker"

    InterruptingBackend.stop_after = 1000
    run = campaign_deliver(campaign_id=campaign.pk, batch_size=5)

    assert run.sent == 5 and run.finished
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}


def test_deliveries_of_a_killed_worker_are_taken_over_when_its_lease_runs_out(smtp_server):
    """Deliveries claimed by a worker that was killed outright are sent once the claim expires, not before."""
    readers = make_subscribers(4)
    campaign = start_sending(make_campaign())
    claimed = campaign.deliveries.filter(subscriber__in=readers[:2])
    claimed.update(
        status=Delivery.Status.SENDING, claimed_by="dead-worker", claimed_until=timezone.now() + lease_length()
    )

    first = campaign_deliver(campaign_id=campaign.pk)
    assert first.sent == 2 and not first.finished, "the live claim is respected"
    assert first.next_due is not None

    with time_machine.travel(timezone.now() + lease_length() + timedelta(seconds=1)):
        second = campaign_deliver(campaign_id=campaign.pk)

    assert second.sent == 2 and second.finished
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}


def test_a_slow_mail_server_never_lets_a_second_worker_resend_a_batch(smtp_server, settings):
    """A batch that goes slowly renews its claims as it goes, so none runs out while its worker is still sending."""
    readers = make_subscribers(6)
    campaign = start_sending(make_campaign())
    settings.MAILERS = {
        "default": {**settings.MAILERS["default"], "BACKEND": "tests.newsletter.campaign_support.SlowBackend"}
    }
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        SlowBackend.traveller, SlowBackend.step, SlowBackend.exposed = traveller, lease_length() / 5, []
        run = campaign_deliver(campaign_id=campaign.pk, batch_size=6)

    assert SlowBackend.exposed == [], "no message was sent on a claim another worker could take over"
    assert run.sent == 6 and run.finished
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}


def test_subscriber_who_unsubscribes_during_a_send_gets_nothing(smtp_server):
    """Someone who unsubscribes after the campaign started, before their email went, is skipped."""
    readers = make_subscribers(6)
    campaign = start_sending(make_campaign())
    campaign_deliver(campaign_id=campaign.pk, batch_size=2, limit=2)

    leaver = readers[4]
    response = Client().post(urlsplit(leaver.get_unsubscribe_url()).path)
    assert response.status_code == 200
    campaign_deliver(campaign_id=campaign.pk, batch_size=2)

    assert smtp_server.messages_to(leaver.email) == []
    delivery = campaign.deliveries.get(subscriber=leaver)
    assert delivery.status == Delivery.Status.SKIPPED
    assert len(smtp_server.messages) == 5
    assert campaign.progress() == {"queued": 0, "sending": 0, "sent": 5, "failed": 0, "skipped": 1}


def test_subscriber_who_unsubscribes_while_their_batch_is_going_out_gets_nothing(smtp_server, settings):
    """Unsubscribing after the batch was claimed but before one's own email went still means no email."""
    readers = make_subscribers(5)
    leaver = readers[3]
    campaign = start_sending(make_campaign())
    settings.MAILERS = {
        "default": {**settings.MAILERS["default"], "BACKEND": "tests.newsletter.campaign_support.HookedBackend"}
    }

    def leaver_clicks_unsubscribe(message):
        if message.to == [readers[0].email]:
            assert Client().post(urlsplit(leaver.get_unsubscribe_url()).path).status_code == 200

    HookedBackend.before_send = leaver_clicks_unsubscribe
    try:
        run = campaign_deliver(campaign_id=campaign.pk, batch_size=5)
    finally:
        HookedBackend.before_send = None

    assert smtp_server.messages_to(leaver.email) == []
    assert (run.sent, run.skipped) == (4, 1)
    assert campaign.deliveries.get(subscriber=leaver).status == Delivery.Status.SKIPPED


def test_refused_address_fails_alone_and_the_others_still_get_the_email(smtp_server):
    """A 550 for one address marks that delivery failed with the reason; everyone else is sent to."""
    readers = make_subscribers(5)
    smtp_server.reject(readers[2].email, 550)
    campaign = make_campaign()

    campaign_send_now(campaign=campaign)

    failed = campaign.deliveries.get(subscriber=readers[2])
    assert failed.status == Delivery.Status.FAILED
    assert failed.last_error.startswith("550")
    assert len(smtp_server.messages) == 4
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    readers[2].refresh_from_db()
    assert readers[2].hard_bounces == 1 and readers[2].status == Subscriber.Status.SUBSCRIBED


def test_repeated_hard_bounces_stop_campaigns_to_that_address(smtp_server):
    """After three refused campaigns in a row the subscriber is marked bounced and is no longer addressed."""
    [reader, other] = make_subscribers(2)
    smtp_server.reject(reader.email, 550)
    for _ in range(HARD_BOUNCE_LIMIT):
        campaign_send_now(campaign=make_campaign())

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.BOUNCED and reader.hard_bounces == HARD_BOUNCE_LIMIT

    later = make_campaign()
    campaign_send_now(campaign=later)
    assert list(later.deliveries.values_list("subscriber_id", flat=True)) == [other.pk]


def test_a_delivered_email_resets_the_bounce_count(smtp_server):
    """Bounces only count in a row: a delivered email clears them."""
    [reader] = make_subscribers(1)
    smtp_server.reject(reader.email, 550)
    campaign_send_now(campaign=make_campaign())
    smtp_server.accept(reader.email)
    campaign_send_now(campaign=make_campaign())
    reader.refresh_from_db()
    assert reader.hard_bounces == 0


def test_temporary_refusal_is_retried_later_and_then_delivered(smtp_server):
    """A 4xx (mailbox busy) delays that one email; it goes out when retried after the back-off."""
    [busy, fine] = make_subscribers(2)
    smtp_server.reject(busy.email, 450)
    campaign = make_campaign()

    campaign_send_now(campaign=campaign)

    delivery = campaign.deliveries.get(subscriber=busy)
    assert delivery.status == Delivery.Status.QUEUED and delivery.attempts == 1
    assert delivery.last_error.startswith("450") and delivery.next_attempt_at > timezone.now()
    assert len(smtp_server.messages_to(fine.email)) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING

    smtp_server.accept(busy.email)
    assert campaign_process(campaign_id=campaign.pk).sent == 0, "not retried before its time"
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        run = campaign_process(campaign_id=campaign.pk)

    assert run.sent == 1 and run.finished
    assert len(smtp_server.messages_to(busy.email)) == 1


def test_address_that_keeps_refusing_temporarily_fails_in_the_end(smtp_server):
    """A mailbox that stays busy through every retry is marked failed, and the campaign finishes."""
    [busy] = make_subscribers(1)
    smtp_server.reject(busy.email, 451)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)

    for _ in range(10):
        delivery = campaign.deliveries.get()
        if delivery.status != Delivery.Status.QUEUED:
            break
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            campaign_process(campaign_id=campaign.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.last_error.startswith("451")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_address_exactly_once(smtp_server):
    """Two workers on one campaign (PostgreSQL, SKIP LOCKED) share it out: every subscriber gets one email."""
    brief = published_brief()  # live before anyone subscribed: no new-brief alert goes out besides the campaign
    readers = make_subscribers(60)
    campaign = start_sending(make_campaign(briefs=[brief]))
    runs, errors = [], []
    start = threading.Barrier(2)

    def worker(name):
        try:
            start.wait()
            runs.append(campaign_deliver(campaign_id=campaign.pk, batch_size=3, worker=name))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(run.sent for run in runs) == 60
    assert all(run.sent > 0 for run in runs), "both workers took a share"
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def refuse_at_data(smtp_server, address: str, reply: str) -> None:
    """Make the test server accept RCPT for ``address`` but refuse the message after DATA."""
    handler = smtp_server._controller.handler
    accept = handler.handle_DATA

    async def handle_data(server, session, envelope):
        if address in envelope.rcpt_tos:
            return reply
        return await accept(server, session, envelope)

    handler.handle_DATA = handle_data


def test_message_refused_after_data_fails_without_blaming_the_address(smtp_server):
    """A 554 'content refused' fails that email but does not count as a bounce; a 550 after DATA does."""
    [spamfiltered, gone, fine] = make_subscribers(3)
    refuse_at_data(smtp_server, spamfiltered.email, "554 5.7.1 Message refused by content filter")
    refuse_at_data(smtp_server, gone.email, "550 5.1.1 No such mailbox")
    campaign = make_campaign()

    campaign_send_now(campaign=campaign)

    outcomes = dict(campaign.deliveries.values_list("subscriber__email", "status"))
    assert outcomes == {spamfiltered.email: "failed", gone.email: "failed", fine.email: "sent"}
    assert campaign.deliveries.get(subscriber=spamfiltered).last_error.startswith("554")
    spamfiltered.refresh_from_db()
    gone.refresh_from_db()
    assert (spamfiltered.hard_bounces, gone.hard_bounces) == (0, 1)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_mail_server_refusing_our_login_delays_the_campaign_and_fails_nobody(smtp_server, settings):
    """A rejected SMTP login (535) is the server's problem: nothing is marked failed, the campaign waits and resumes."""
    readers = make_subscribers(3)
    smtp_server.require_login("briefs", "right-password")
    options = settings.MAILERS["default"]["OPTIONS"]
    settings.MAILERS = {
        "default": {**settings.MAILERS["default"], "OPTIONS": {**options, "username": "briefs", "password": "wrong"}}
    }
    campaign = start_sending(make_campaign())

    run = campaign_deliver(campaign_id=campaign.pk)

    assert "535" in run.server_error and run.sent == run.failed == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.progress() == {"queued": 3, "sending": 0, "sent": 0, "failed": 0, "skipped": 0}
    assert set(campaign.deliveries.values_list("attempts", flat=True)) == {0}

    settings.MAILERS = {
        "default": {
            **settings.MAILERS["default"],
            "OPTIONS": {**options, "username": "briefs", "password": "right-password"},
        }
    }
    assert campaign_deliver(campaign_id=campaign.pk).finished
    assert received_by(smtp_server, readers) == {reader.email: 1 for reader in readers}
