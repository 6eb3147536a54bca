"""The weekly digest: each weekly subscriber gets the week's briefs in what they follow, or nothing if none."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from newsletter.alerts import digest_chain_start, digest_latest_time, digest_run
from newsletter.models import Campaign, Digest, NewsletterSettings, Subscriber
from tests.factories import SeriesFactory, TopicFactory, published_brief
from tests.newsletter.campaign_support import make_subscribers
from tests.newsletter.smtp import body_text

pytestmark = pytest.mark.django_db

WEEKLY = Subscriber.AlertFrequency.WEEKLY
# Monday 7 December 2026, 08:00 UTC: the digest's time (tests run in UTC).
DIGEST_TIME = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def week(time_machine):
    """Staff chose Mondays at 08:00 a fortnight ago; two briefs went live last week, one the week before."""
    time_machine.move_to(DIGEST_TIME - datetime.timedelta(days=14), tick=False)
    NewsletterSettings.objects.update_or_create(pk=1, defaults={"digest_weekday": 0, "digest_hour": 8})
    trade, health = SeriesFactory(name="Trade Policy Brief", slug="trade"), SeriesFactory(name="Health", slug="health")
    ports, water = TopicFactory(name="Ports", slug="ports"), TopicFactory(name="Water", slug="water")
    day = datetime.timedelta(days=1)
    time_machine.move_to(DIGEST_TIME - datetime.timedelta(hours=1), tick=False)  # briefs dated in the past go live
    briefs = {
        "old": published_brief(title="Last fortnight's brief", series=trade, published_at=DIGEST_TIME - 9 * day),
        "ports": published_brief(title="Who runs the ports", series=trade, published_at=DIGEST_TIME - 5 * day),
        "water": published_brief(
            title="Rivers across borders", series=health, topics=[water], published_at=DIGEST_TIME - 2 * day
        ),
    }

    def one(prefix, *, series=(), topics=(), frequency=WEEKLY):
        [subscriber] = make_subscribers(
            1, prefix=prefix, wants_everything=not series and not topics, alert_frequency=frequency
        )
        subscriber.series.set(series)
        subscriber.topics.set(topics)
        return subscriber

    readers = {
        "everything": one("weekly-everything"),
        "trade": one("weekly-trade", series=[trade]),
        "water": one("weekly-water", topics=[water]),
        "ports only": one("weekly-ports", topics=[ports]),  # no new brief on ports this week
        "each": one("each-brief", frequency=Subscriber.AlertFrequency.EACH),
    }
    time_machine.move_to(DIGEST_TIME + datetime.timedelta(seconds=30), tick=False)
    return briefs, readers


def titles_in(message) -> list[str]:
    text = body_text(message)
    return [
        title for title in ("Last fortnight's brief", "Who runs the ports", "Rivers across borders") if title in text
    ]


def test_each_weekly_subscriber_gets_the_weeks_briefs_they_follow_and_nobody_else_gets_a_digest(
    week, smtp_server, django_capture_on_commit_callbacks
):
    """Everything-readers get both new briefs; followers get theirs; nothing new means no email at all."""
    _, readers = week
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_weekly_digest", stdout=io.StringIO())

    received = {message["To"]: message for message in smtp_server.messages}
    assert sorted(received) == sorted(readers[name].email for name in ("everything", "trade", "water"))
    assert titles_in(received[readers["everything"].email]) == ["Who runs the ports", "Rivers across borders"]
    assert titles_in(received[readers["trade"].email]) == ["Who runs the ports"]
    assert titles_in(received[readers["water"].email]) == ["Rivers across borders"]
    assert received[readers["everything"].email]["Subject"] == "This week: 2 new briefs in what you follow"
    assert received[readers["trade"].email]["Subject"] == "This week: 1 new brief in what you follow"
    assert "weekly digest" in body_text(received[readers["trade"].email])
    digest = Digest.objects.get()
    assert (digest.subscribers_count, digest.skipped_count) == (3, 1)
    assert digest.campaigns.count() == 3
    assert set(digest.campaigns.values_list("status", flat=True)) == {Campaign.Status.SENT}


def test_the_digest_task_and_the_safety_net_make_each_digest_once(
    week, smtp_server, django_capture_on_commit_callbacks
):
    """The task at 08:00 and the cron command after it: one digest, one email each."""
    NewsletterSettings.objects.filter(pk=1).update(digest_chain="current")
    with django_capture_on_commit_callbacks(execute=True):
        digest_run(chain="current")
        call_command("send_weekly_digest", stdout=io.StringIO())
        digest_run(chain="current")
    assert Digest.objects.count() == 1
    assert len(smtp_server.messages) == 3


def test_a_replaced_task_chain_does_nothing(week, smtp_server):
    """A digest task queued before staff changed the schedule finds it is not the current one, and stops."""
    NewsletterSettings.objects.filter(pk=1).update(digest_chain="current")
    assert digest_run(chain="an-older-chain") is None
    assert smtp_server.messages == []


def test_no_digest_for_a_time_before_the_schedule_was_set(week, smtp_server):
    """Staff set the digest up after this Monday's time: the first digest is next Monday's, not one at once."""
    NewsletterSettings.objects.filter(pk=1).update(schedule_changed_at=DIGEST_TIME + datetime.timedelta(seconds=10))
    call_command("send_weekly_digest", stdout=io.StringIO())
    assert not Digest.objects.exists() and smtp_server.messages == []


def test_the_digest_time_follows_the_staff_settings():
    """Fridays at 17:00: on a Saturday the last digest time is the day before at 17:00."""
    site = NewsletterSettings(digest_weekday=4, digest_hour=17)
    saturday = datetime.datetime(2026, 12, 12, 10, 0, tzinfo=datetime.UTC)
    assert digest_latest_time(now=saturday, site=site) == datetime.datetime(2026, 12, 11, 17, 0, tzinfo=datetime.UTC)


def test_the_chain_is_queued_once_a_subscriber_asks_for_the_digest(settings):
    """Nothing is queued while nobody wants a digest; one weekly subscriber starts the chain, and only one."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert not digest_chain_start()
    make_subscribers(1, prefix="weekly", alert_frequency=WEEKLY)
    assert digest_chain_start()
    assert not digest_chain_start()
    site = NewsletterSettings.load()
    assert site.digest_chain and site.next_digest_at


def test_subscribers_choose_how_often_in_their_preferences(settings):
    """The preferences page offers each brief, the weekly digest (with its day) or staff newsletters only."""
    [subscriber] = make_subscribers(1, prefix="chooser")
    client = Client()
    url = reverse("newsletter:preferences", kwargs={"token": subscriber.token})
    page = client.get(url).content.decode()
    assert "How would you like to hear about new briefs?" in page
    assert "A weekly digest of the new briefs (Mondays at 08:00)" in page
    client.post(url, {"alert_frequency": "weekly"})
    subscriber.refresh_from_db()
    assert subscriber.alert_frequency == WEEKLY
    assert "New briefs: a weekly digest of the new briefs." in " ".join(client.get(url).content.decode().split())

    NewsletterSettings.objects.filter(pk=1).update(alerts_enabled=False)
    assert "How would you like to hear" not in client.get(url).content.decode()


def test_staff_set_the_digest_day_and_see_each_digest_with_its_campaigns(
    week, smtp_server, staff_client, settings, django_capture_on_commit_callbacks
):
    """Newsletter settings: changing the day starts a new schedule; the digest list links to its campaigns."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_weekly_digest", stdout=io.StringIO())
    digest = Digest.objects.get()
    listing = staff_client.get("/admin/newsletter/digest/").content.decode()
    assert f"?digest__id__exact={digest.pk}" in listing and "3 campaign(s)" in listing
    campaigns = staff_client.get(f"/admin/newsletter/campaign/?digest__id__exact={digest.pk}")
    assert campaigns.status_code == 200 and campaigns.context["cl"].result_count == 3

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert staff_client.get("/admin/newsletter/newslettersettings/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/newsletter/newslettersettings/1/change/",
            {"alerts_enabled": "on", "digest_weekday": "4", "digest_hour": "17"},
        )
    assert response.status_code == 302
    site = NewsletterSettings.load()
    assert (site.digest_weekday, site.digest_hour, site.digest_when) == (4, 17, "Fridays at 17:00")
    assert site.next_digest_at == datetime.datetime(2026, 12, 11, 17, 0, tzinfo=datetime.UTC)
    assert site.schedule_changed_at == DIGEST_TIME + datetime.timedelta(seconds=30)
