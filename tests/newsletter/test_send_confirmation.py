"""Sending with eyes open: staff see whom a campaign reaches and confirm that number before anything goes out."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from newsletter.campaigns import campaign_audience_count
from newsletter.models import Campaign, Delivery, Subscriber
from tests.factories import SeriesFactory
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db


def url(campaign, name="send_now"):
    return reverse(f"admin:newsletter_campaign_{name}", args=[campaign.pk])


@pytest.fixture
def mixed_list():
    """Seven followers of the series, two who take everything, three others, and people who are not subscribed."""
    series = SeriesFactory(name="Trade Policy Brief", slug="trade")
    followers = make_subscribers(7, prefix="follower", wants_everything=False)
    for follower in followers:
        follower.series.add(series)
    make_subscribers(2, prefix="everything")
    others = make_subscribers(3, prefix="other", wants_everything=False)
    for other in others:
        other.topics.create(name=f"Topic of {other.pk}", slug=f"topic-{other.pk}")
    make_subscribers(4, prefix="left", status=Subscriber.Status.UNSUBSCRIBED)
    make_subscribers(1, prefix="bounced", status=Subscriber.Status.BOUNCED)
    make_subscribers(2, prefix="pending", status=Subscriber.Status.PENDING)
    campaign = make_campaign(audience=Campaign.Audience.SEGMENT)
    campaign.audience_series.set([series])
    return campaign


def test_the_campaign_page_says_whom_it_reaches_and_who_is_left_out_and_why(staff_client, mixed_list):
    """Before sending: 9 reached; 3 do not follow, 4 unsubscribed, 1 bounced, 2 not confirmed."""
    page = " ".join(staff_client.get(f"/admin/newsletter/campaign/{mixed_list.pk}/change/").content.decode().split())
    assert "it would reach <strong data-audience-reach>9 subscribers</strong>" in page
    assert "Not included (10): 3 subscribed but not following the chosen series or topics" in page
    assert "4 unsubscribed" in page and "1 bounced" in page and "2 who have not confirmed" in page


def test_send_now_asks_first_and_the_number_confirmed_is_the_number_delivered(staff_client, mixed_list, smtp_server):
    """The first press shows "Send to 9 subscribers now"; a POST without the number sends nothing; then 9 arrive."""
    first = staff_client.post(url(mixed_list))
    assert first.status_code == 200
    assert "Send to 9 subscribers now" in first.content.decode()
    assert 'name="confirm_recipients" value="9"' in first.content.decode()
    mixed_list.refresh_from_db()
    assert mixed_list.status == Campaign.Status.DRAFT and smtp_server.messages == []

    staff_client.post(url(mixed_list), {"confirm_recipients": "9"}, follow=True)

    mixed_list.refresh_from_db()
    assert mixed_list.status == Campaign.Status.SENT
    assert mixed_list.recipients_count == 9 == len(smtp_server.messages)
    assert Delivery.objects.filter(campaign=mixed_list, status=Delivery.Status.SENT).count() == 9


def test_a_wrong_or_outdated_number_sends_nothing_and_shows_the_number_again(staff_client, mixed_list, smtp_server):
    """Confirming 8 when it reaches 9 (someone joined meanwhile) asks again with the right number."""
    response = staff_client.post(url(mixed_list), {"confirm_recipients": "8"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The number does not match: this campaign goes to 9 subscribers now." in page
    mixed_list.refresh_from_db()
    assert mixed_list.status == Campaign.Status.DRAFT and smtp_server.messages == []


def test_scheduling_asks_for_the_same_confirmation(staff_client, mixed_list):
    """Schedule shows the time and the number; only the confirmed POST schedules."""
    data = {"scheduled_for": "2099-01-01T09:00"}
    page = staff_client.post(url(mixed_list, "schedule"), data).content.decode()
    assert "Schedule for 9 subscribers" in page and "Thursday 1 January 2099, 09:00" in page
    assert Campaign.objects.get(pk=mixed_list.pk).status == Campaign.Status.DRAFT
    staff_client.post(url(mixed_list, "schedule"), {**data, "confirm_recipients": "9"})
    assert Campaign.objects.get(pk=mixed_list.pk).status == Campaign.Status.SCHEDULED


def test_above_the_threshold_the_number_must_be_typed(staff_client, settings, smtp_server):
    """Past NEWSLETTER_CONFIRM_TYPED_ABOVE recipients there is a box for the number, and "1,204" is accepted."""
    settings.NEWSLETTER_CONFIRM_TYPED_ABOVE = 1000
    make_subscribers(1204, prefix="many")
    campaign = make_campaign()
    page = staff_client.post(url(campaign)).content.decode()
    assert "To confirm, type the number of recipients, <strong>1,204</strong>" in page
    assert 'type="hidden" name="confirm_recipients"' not in page

    assert staff_client.post(url(campaign), {"confirm_recipients": ""}).status_code == 200
    assert staff_client.post(url(campaign), {"confirm_recipients": "1200"}).status_code == 200
    assert smtp_server.messages == []
    staff_client.post(url(campaign), {"confirm_recipients": "1,204"})
    assert len(smtp_server.messages) == 1204


def test_a_campaign_that_would_reach_nobody_cannot_be_confirmed(staff_client, smtp_server):
    """With nobody in the audience the page says so and offers no button."""
    campaign = make_campaign()
    page = staff_client.post(url(campaign)).content.decode()
    assert "Send to" not in page
    response = staff_client.post(url(campaign), {"confirm_recipients": "0"})
    assert "Nobody would receive this campaign" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_a_double_click_or_a_second_tab_starts_one_send(staff_client, smtp_server):
    """The same confirmed POST twice: one send; the second is told the campaign is already on its way."""
    readers = make_subscribers(3)
    campaign = make_campaign()
    staff_client.post(url(campaign), {"confirm_recipients": "3"})
    second = staff_client.post(url(campaign), {"confirm_recipients": "3"}, follow=True)
    assert "This campaign is sent; it cannot be sent again." in [str(m) for m in second.context["messages"]]
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(r.email for r in readers)


def test_the_audience_count_is_what_addressing_takes(mixed_list):
    """The figure shown is the same query that creates the deliveries."""
    assert campaign_audience_count(campaign=mixed_list).reach == mixed_list.audience_subscribers().count() == 9


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_at_the_same_moment_start_one_send(django_user_model, smtp_server, settings):
    """PostgreSQL: two editors press the confirmed Send at once: one send, every reader one email."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_subscribers(5)
    campaign = make_campaign()
    editors = [
        django_user_model.objects.create_superuser(username=f"editor{n}", email=f"e{n}@example.org", password="pw")
        for n in range(2)
    ]
    barrier, statuses = threading.Barrier(2), []

    def press(editor):
        client = Client()
        client.force_login(editor)
        barrier.wait()
        statuses.append(client.post(url(campaign), {"confirm_recipients": "5"}, follow=True).status_code)
        connection.close()

    threads = [threading.Thread(target=press, args=(editor,)) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    from django.tasks import default_task_backend

    assert statuses == [200, 200]
    sending = [result for result in default_task_backend.results if result.task.name == "send_campaign"]
    assert len(sending) == 1, "one sending task queued"
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENDING
