"""Alerts when a brief goes live, through a real SMTP server: who gets one, and that nobody gets it twice."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from briefs.models import Brief
from briefs.services import brief_go_live
from newsletter.alerts import alert_for_brief
from newsletter.campaigns import campaign_process
from newsletter.models import Campaign, Delivery, NewsletterSettings, Subscriber
from newsletter.services import subscriber_unsubscribe
from tests.factories import PhotoFactory, SeriesFactory, TopicFactory, published_brief
from tests.newsletter.campaign_support import make_subscribers
from tests.newsletter.smtp import body_html, body_text

pytestmark = pytest.mark.django_db

EACH = Subscriber.AlertFrequency.EACH


@pytest.fixture
def readers():
    """Subscribers of every kind around one series ("Trade") and one topic ("Ports")."""
    trade, other = SeriesFactory(name="Trade Policy Brief", slug="trade"), SeriesFactory(name="Health", slug="health")
    ports = TopicFactory(name="Ports", slug="ports")

    def one(prefix, *, series=(), topics=(), **fields):
        [subscriber] = make_subscribers(1, prefix=prefix, wants_everything=not series and not topics, **fields)
        subscriber.series.set(series)
        subscriber.topics.set(topics)
        return subscriber

    return {
        "everything": one("everything"),
        "trade": one("trade-follower", series=[trade]),
        "ports": one("ports-follower", topics=[ports]),
        "health": one("health-follower", series=[other]),
        "weekly": one("weekly", alert_frequency=Subscriber.AlertFrequency.WEEKLY),
        "campaigns only": one("campaigns-only", alert_frequency=Subscriber.AlertFrequency.CAMPAIGNS),
        "unsubscribed": one("gone", status=Subscriber.Status.UNSUBSCRIBED),
        "series": trade,
        "topic": ports,
    }


def alerted(smtp_server) -> list[str]:
    return sorted(message["To"] for message in smtp_server.messages)


def test_a_brief_going_live_alerts_exactly_its_followers_once(readers, smtp_server, django_capture_on_commit_callbacks):
    """Publishing a brief emails those who follow its series or topic and asked for each brief: once, with its photo."""
    photo = PhotoFactory(alt_text="Cranes over the harbour")
    with django_capture_on_commit_callbacks(execute=True):
        brief = published_brief(
            title="Who runs the ports",
            summary="Port concessions decide trade routes.",
            series=readers["series"],
            topics=[readers["topic"]],
            header_photo=photo,
        )

    expected = sorted(readers[name].email for name in ("everything", "trade", "ports"))
    assert alerted(smtp_server) == expected
    message = smtp_server.messages[0]
    assert message["Subject"] == f"New: {brief.label}: Who runs the ports"
    assert "Port concessions decide trade routes." in body_text(message)
    assert "each new brief" in body_text(message)
    html = body_html(message)
    assert photo.card_image.url in html and 'alt="Cranes over the harbour"' in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [alert] = Campaign.objects.filter(kind=Campaign.Kind.ALERT)
    assert (alert.status, alert.alert_brief, alert.recipients_count) == (Campaign.Status.SENT, brief, 3)

    # Unpublished and published again, or corrected and published again: no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        brief.unpublish(by=None)
        brief.publish(by=None)
        Brief.objects.filter(pk=brief.pk).update(summary="Corrected summary.")
        brief.refresh_from_db()
        brief.unpublish(by=None)
        brief.publish(by=None)
    assert alerted(smtp_server) == expected
    assert Campaign.objects.filter(kind=Campaign.Kind.ALERT).count() == 1


def test_staff_can_switch_alerts_off_for_the_whole_site(readers, smtp_server, django_capture_on_commit_callbacks):
    """With alerts off, a brief going live emails nobody and makes no alert."""
    NewsletterSettings.objects.update_or_create(pk=1, defaults={"alerts_enabled": False})
    with django_capture_on_commit_callbacks(execute=True):
        published_brief(series=readers["series"])
    assert smtp_server.messages == []
    assert not Campaign.objects.filter(kind=Campaign.Kind.ALERT).exists()


def test_an_old_brief_published_again_is_not_news(readers, smtp_server, django_capture_on_commit_callbacks):
    """A brief first published a month ago and published again today after a correction sends no alert."""
    with django_capture_on_commit_callbacks(execute=True):
        published_brief(series=readers["series"], published_at=timezone.now() - datetime.timedelta(days=30))
    assert smtp_server.messages == []


def test_a_scheduled_brief_announced_by_its_task_and_the_safety_net_alerts_once(
    readers, smtp_server, time_machine, django_capture_on_commit_callbacks
):
    """At 9:00 the go-live task and `publish_due_briefs` both run: one alert, one email each."""
    time_machine.move_to(datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC), tick=False)
    brief = published_brief(
        series=readers["series"], published_at=datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
    )
    assert smtp_server.messages == []
    time_machine.move_to(datetime.datetime(2026, 12, 4, 9, 0, 5, tzinfo=datetime.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert brief_go_live(brief_id=brief.pk)
        call_command("publish_due_briefs", stdout=io.StringIO())
        alert_for_brief(brief_id=brief.pk)  # announced a third time, say by a receiver retried by hand
    assert alerted(smtp_server) == sorted(readers[name].email for name in ("everything", "trade"))


def test_alert_due_while_the_mail_server_is_down_waits_and_reaches_nobody_twice(
    readers, smtp_server, django_capture_on_commit_callbacks
):
    """SMTP down at go-live: nothing is lost; once it is back everyone gets one email, except who left meanwhile."""
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        published_brief(series=readers["series"], topics=[readers["topic"]])
    alert = Campaign.objects.get(kind=Campaign.Kind.ALERT)
    assert alert.status == Campaign.Status.SENDING
    assert alert.deliveries.filter(status=Delivery.Status.QUEUED).count() == 3

    subscriber_unsubscribe(subscriber=readers["ports"])
    smtp_server.start()
    call_command("send_scheduled_campaigns", stdout=io.StringIO())  # the retry (or the safety net) runs
    call_command("send_scheduled_campaigns", stdout=io.StringIO())

    assert alerted(smtp_server) == sorted(readers[name].email for name in ("everything", "trade"))
    alert.refresh_from_db()
    assert alert.status == Campaign.Status.SENT
    assert alert.deliveries.get(subscriber=readers["ports"]).status == Delivery.Status.SKIPPED


def test_an_alert_whose_brief_was_withdrawn_before_it_went_out_waits_for_the_brief(
    readers, smtp_server, settings, django_capture_on_commit_callbacks
):
    """Unpublished before the worker ran: the alert goes back to draft, and goes out when the brief is back."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        brief = published_brief(series=readers["series"])
    brief.unpublish(by=None)
    alert = Campaign.objects.get(kind=Campaign.Kind.ALERT)
    assert campaign_process(campaign_id=alert.pk) is None
    alert.refresh_from_db()
    assert alert.status == Campaign.Status.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        brief.publish(by=None)
    campaign_process(campaign_id=alert.pk)
    assert alerted(smtp_server) == sorted(readers[name].email for name in ("everything", "trade"))


def test_each_alert_is_a_campaign_staff_can_open(
    readers, smtp_server, staff_client, django_capture_on_commit_callbacks
):
    """The campaign list shows alerts (filterable by kind) and an alert's page says what it was."""
    with django_capture_on_commit_callbacks(execute=True):
        brief = published_brief(title="Grain and war", series=readers["series"])
    alert = Campaign.objects.get(kind=Campaign.Kind.ALERT)
    listing = staff_client.get("/admin/newsletter/campaign/?kind__exact=alert").content.decode()
    assert "New-brief alert" in listing and brief.title in listing
    page = staff_client.get(f"/admin/newsletter/campaign/{alert.pk}/change/").content.decode()
    assert "An alert the site sent by itself when “Grain and war” went live" in page


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_announcing_and_sending_one_alert_reach_everyone_exactly_once(smtp_server, settings):
    """PostgreSQL: two workers take the brief live at once and then send its alert together: one email each."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.NEWSLETTER_BATCH_SIZE = 4
    series = SeriesFactory()
    readers = make_subscribers(40, prefix="alert-reader")
    now = timezone.now()
    brief = published_brief(series=series, published_at=now + datetime.timedelta(seconds=2))
    Brief.objects.filter(pk=brief.pk).update(published_at=now - datetime.timedelta(seconds=1))
    errors, barrier = [], threading.Barrier(2)

    def in_parallel(work):
        def run():
            try:
                barrier.wait()
                work()
            except Exception as error:  # surfaced by the assertion below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    in_parallel(lambda: brief_go_live(brief_id=brief.pk))  # the task and the safety net
    in_parallel(lambda: alert_for_brief(brief_id=brief.pk))  # and the alert asked for twice at once
    [alert] = Campaign.objects.filter(kind=Campaign.Kind.ALERT)
    in_parallel(lambda: campaign_process(campaign_id=alert.pk, follow_up=False))  # two workers send it
    campaign_process(campaign_id=alert.pk, follow_up=False)

    assert errors == []
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(reader.email for reader in readers)
    alert.refresh_from_db()
    assert alert.status == Campaign.Status.SENT
