"""Campaign workflows: who a campaign goes to, and scheduling, sending, cancelling and testing it."""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.tasks import default_task_backend
from django.utils import timezone

from newsletter.campaigns import (
    campaign_cancel,
    campaign_preview,
    campaign_problems,
    campaign_process,
    campaign_schedule,
    campaign_send_now,
    campaign_send_test,
    campaign_unschedule,
    deliveries_create,
)
from newsletter.delivery import campaign_deliver
from newsletter.models import Campaign, Delivery, Subscriber
from tests.factories import SeriesFactory, TopicFactory
from tests.newsletter.campaign_support import HookedBackend, make_campaign, make_subscribers
from tests.newsletter.smtp import body_text

pytestmark = pytest.mark.django_db


def test_everyone_means_every_confirmed_subscriber():
    """'Every subscriber' reaches confirmed subscribers only: not pending, unsubscribed or bounced ones."""
    confirmed = make_subscribers(3)
    make_subscribers(1, status=Subscriber.Status.PENDING, prefix="pending")
    make_subscribers(1, status=Subscriber.Status.UNSUBSCRIBED, prefix="left")
    make_subscribers(1, status=Subscriber.Status.BOUNCED, prefix="bounced")
    campaign = make_campaign()

    assert deliveries_create(campaign=campaign) == 3
    assert set(campaign.deliveries.values_list("subscriber_id", flat=True)) == {s.pk for s in confirmed}


def test_segment_reaches_followers_of_the_chosen_series_or_topics_and_those_who_want_everything():
    """A series/topic campaign goes to their followers and to 'everything' subscribers, not to others."""
    defence, energy = SeriesFactory(name="Defence Brief"), SeriesFactory(name="Energy Brief")
    climate = TopicFactory(name="Climate")
    [everything] = make_subscribers(1, prefix="all")
    [follows_defence, follows_energy, follows_climate] = make_subscribers(3, prefix="picky", wants_everything=False)
    follows_defence.series.add(defence)
    follows_energy.series.add(energy)
    follows_climate.topics.add(climate)
    campaign = make_campaign(audience=Campaign.Audience.SEGMENT)
    campaign.audience_series.add(defence)
    campaign.audience_topics.add(climate)

    deliveries_create(campaign=campaign)

    addressed = set(campaign.deliveries.values_list("subscriber_id", flat=True))
    assert addressed == {everything.pk, follows_defence.pk, follows_climate.pk}


def test_addressing_a_campaign_twice_addresses_nobody_twice():
    """Creating deliveries again (after an interrupted start) adds no duplicates and freezes the count."""
    make_subscribers(5)
    campaign = make_campaign()
    deliveries_create(campaign=campaign)
    make_subscribers(2, prefix="late")
    assert deliveries_create(campaign=campaign) == 7
    assert campaign.deliveries.count() == 7
    campaign.refresh_from_db()
    assert campaign.recipients_count == 7


def test_sending_returns_at_once_and_leaves_the_work_to_the_task_worker(settings):
    """Send now only queues the work: nothing is sent in the request itself."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_subscribers(3)
    campaign = make_campaign()

    campaign_send_now(campaign=campaign)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING and campaign.started_at is not None
    assert not campaign.deliveries.exists()
    watch, queued = default_task_backend.results
    token = campaign.task_token
    assert queued.task.name == "send_campaign"
    assert queued.kwargs == {"campaign_id": campaign.pk, "retry": 0, "token": token}
    # A watch that queues the work again should the worker running it die (test_delivery_faults.py).
    assert watch.task.name == "watch_campaign" and watch.kwargs == {"campaign_id": campaign.pk, "token": token}


def test_campaign_that_is_not_ready_cannot_be_sent():
    """Sending a campaign without briefs, or a segment with nothing chosen, explains what is missing."""
    empty = make_campaign(briefs=[])
    empty.campaign_briefs.all().delete()
    with pytest.raises(ValidationError, match="Add at least one brief"):
        campaign_send_now(campaign=empty)

    segment = make_campaign(audience=Campaign.Audience.SEGMENT)
    with pytest.raises(ValidationError, match="Choose at least one series or topic"):
        campaign_schedule(campaign=segment, when=timezone.now() + timedelta(hours=1))
    assert Campaign.objects.filter(status=Campaign.Status.DRAFT).count() == 2


def test_a_sent_campaign_cannot_be_sent_again(smtp_server):
    """Send now on a campaign that already went out changes nothing and sends nothing."""
    make_subscribers(2)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    campaign.refresh_from_db()
    with pytest.raises(ValidationError, match="cannot be sent again"):
        campaign_send_now(campaign=campaign)
    assert len(smtp_server.messages) == 2


def test_scheduled_campaign_goes_out_when_its_time_comes(smtp_server):
    """A campaign scheduled for later is not sent early, and is sent once the time has come."""
    readers = make_subscribers(3)
    campaign = make_campaign()
    when = timezone.now() + timedelta(hours=2)

    campaign_schedule(campaign=campaign, when=when)
    call_command("send_scheduled_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED and campaign.scheduled_for == when
    assert smtp_server.messages == []

    with time_machine.travel(when + timedelta(minutes=1)):
        call_command("send_scheduled_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert {message["To"] for message in smtp_server.messages} == {reader.email for reader in readers}


def test_scheduling_in_the_past_is_refused():
    """A time that has already passed is refused with a clear message."""
    campaign = make_campaign()
    with pytest.raises(ValidationError, match="in the future"):
        campaign_schedule(campaign=campaign, when=timezone.now() - timedelta(minutes=5))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_unscheduled_campaign_is_a_draft_again_and_is_not_sent(smtp_server):
    """Taking a campaign off the schedule means it does not go out at the old time."""
    make_subscribers(1)
    campaign = make_campaign()
    when = timezone.now() + timedelta(hours=1)
    campaign_schedule(campaign=campaign, when=when)
    campaign_unschedule(campaign=campaign)
    with time_machine.travel(when + timedelta(minutes=1)):
        call_command("send_scheduled_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and campaign.scheduled_for is None
    assert smtp_server.messages == []


def test_cancelling_mid_send_stops_the_rest(smtp_server):
    """Cancelling a campaign that is going out: what went stays sent, nobody else gets it."""
    make_subscribers(6)
    campaign = make_campaign()
    campaign.status, campaign.started_at = Campaign.Status.SENDING, timezone.now()
    campaign.save()
    deliveries_create(campaign=campaign)
    campaign_deliver(campaign_id=campaign.pk, batch_size=2, limit=2)

    campaign_cancel(campaign=campaign)
    campaign_deliver(campaign_id=campaign.pk)

    assert len(smtp_server.messages) == 2
    assert campaign.progress() == {"queued": 0, "sending": 0, "sent": 2, "failed": 0, "skipped": 4}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED


def test_test_email_goes_only_to_the_given_address_and_is_marked_as_a_test(smtp_server):
    """A test send reaches only the member of staff, with '[Test]' in the subject."""
    make_subscribers(3)
    campaign = make_campaign()

    campaign_send_test(campaign=campaign, to="editor@example.org")

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "editor@example.org"
    assert message["Subject"] == "[Test] This week's briefs"
    assert "Ports and power" in body_text(message)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and not Delivery.objects.exists()


def test_preview_shows_the_email_with_example_links():
    """The preview is the real email, with example personal links rather than placeholders."""
    campaign = make_campaign(intro="<p>Welcome <script>alert(1)</script>back.</p>")
    preview = campaign_preview(campaign=campaign)
    assert "Ports and power" in preview.html and "Ports and power" in preview.text
    assert "%%" not in preview.html and "%%" not in preview.text
    assert "/newsletter/unsubscribe/" in preview.text
    assert "<script" not in preview.html, "the intro is sanitised"


def sending_tasks() -> list:
    """The sending tasks queued on the dummy backend (each comes with a watch, see test_delivery_faults.py)."""
    return [result for result in default_task_backend.results if result.task.name == "send_campaign"]


def test_worker_tries_again_later_while_the_mail_server_is_down(settings, smtp_server):
    """With the mail server down, the task queues itself for later, waiting longer each time."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_subscribers(2)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    smtp_server.stop()
    default_task_backend.clear()

    before = timezone.now()
    campaign_process(campaign_id=campaign.pk, retry=0)
    campaign_process(campaign_id=campaign.pk, retry=3)

    first, later = sending_tasks()
    assert first.kwargs["retry"] == 1 and later.kwargs["retry"] == 4
    assert timedelta(seconds=25) < first.task.run_after - before < timedelta(seconds=60)
    assert later.task.run_after - before > timedelta(minutes=3)
    assert campaign.deliveries.filter(status=Delivery.Status.QUEUED).count() == 2


def test_worker_comes_back_when_a_retry_is_due(settings, smtp_server):
    """An address that asked to try later gets a follow-up task at its retry time."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    [busy] = make_subscribers(1)
    smtp_server.reject(busy.email, 450)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    default_task_backend.clear()

    campaign_process(campaign_id=campaign.pk)

    [follow_up] = sending_tasks()
    assert follow_up.task.run_after == campaign.deliveries.get().next_attempt_at


def test_segment_with_nothing_chosen_reaches_nobody():
    """A 'chosen series or topics' campaign with none chosen addresses nobody, never every subscriber."""
    make_subscribers(3)
    campaign = make_campaign(audience=Campaign.Audience.SEGMENT)

    assert deliveries_create(campaign=campaign) == 0
    assert not campaign.deliveries.exists()


def test_scheduled_segment_whose_series_was_deleted_is_not_sent_and_says_why(smtp_server):
    """If a scheduled segment loses its only series, it does not go out to everyone; staff see what to fix."""
    make_subscribers(3)
    defence = SeriesFactory(name="Defence Brief")
    campaign = make_campaign(audience=Campaign.Audience.SEGMENT)
    campaign.audience_series.add(defence)
    when = timezone.now() + timedelta(hours=1)
    campaign_schedule(campaign=campaign, when=when)
    defence.delete()

    with time_machine.travel(when + timedelta(minutes=1)):
        call_command("send_scheduled_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert smtp_server.messages == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and campaign.recipients_count is None
    assert campaign_problems(campaign=campaign) == [
        "Choose at least one series or topic for the audience, or send to every subscriber."
    ]


def test_cron_runs_do_not_multiply_the_queued_tasks(settings, smtp_server):
    """However often the cron safety net runs, a campaign keeps a single chain of sending tasks."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    [busy] = make_subscribers(1)
    smtp_server.reject(busy.email, 450)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    [chain] = sending_tasks()

    for _ in range(3):
        call_command("send_scheduled_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert sending_tasks() == [chain]
    assert campaign.deliveries.get().attempts == 1, "the cron run did try to send"


def test_a_campaign_cancelled_while_it_was_being_addressed_shows_nothing_left_to_send():
    """Deliveries a worker adds after staff cancelled are skipped, so the progress never shows 'remaining'."""
    make_subscribers(4)
    campaign = make_campaign(status=Campaign.Status.SENDING, started_at=timezone.now())
    worker_copy = Campaign.objects.get(pk=campaign.pk)  # the worker read the campaign before the cancel

    campaign_cancel(campaign=campaign)
    deliveries_create(campaign=worker_copy)

    assert campaign.progress() == {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "skipped": 4}
    assert campaign.progress().remaining == 0


def test_a_campaign_cancelled_during_a_mail_server_outage_shows_nothing_left_to_send(smtp_server, settings):
    """Messages handed back after the server dropped out are skipped if staff cancelled meanwhile."""
    readers = make_subscribers(4)
    campaign = make_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING, started_at=timezone.now())
    deliveries_create(campaign=campaign)
    settings.MAILERS = {
        "default": {**settings.MAILERS["default"], "BACKEND": "tests.newsletter.campaign_support.HookedBackend"}
    }

    def cancel_then_lose_the_server(message):
        if message.to == [readers[1].email]:
            campaign_cancel(campaign=Campaign.objects.get(pk=campaign.pk))
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    HookedBackend.before_send = cancel_then_lose_the_server
    try:
        run = campaign_deliver(campaign_id=campaign.pk, batch_size=4)
    finally:
        HookedBackend.before_send = None

    assert run.server_error and len(smtp_server.messages) == 1
    assert campaign.progress() == {"queued": 0, "sending": 0, "sent": 1, "failed": 0, "skipped": 3}
