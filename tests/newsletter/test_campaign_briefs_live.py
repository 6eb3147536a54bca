"""A campaign never sends readers to a brief they cannot open yet (issue 7, newsletter safety).

Sending now and scheduling are refused while a brief is not live; a campaign
for a scheduled brief is sent "when the brief goes live", and waits for it
if the brief's go-live task is late.
"""

import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from briefs.models import Brief
from newsletter.campaigns import campaign_schedule, campaign_send_now, campaign_send_when_live
from newsletter.models import Campaign
from tests.briefs.newsroom_support import brief_in_state, change_form_data, change_url, people  # noqa: F401
from tests.factories import BriefFactory, published_brief
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC)
NINE_TOMORROW = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def scheduled_brief(time_machine):
    time_machine.move_to(NOON, tick=False)
    return published_brief(title="Talks on the crisis", published_at=NINE_TOMORROW)


def test_a_campaign_with_a_draft_brief_cannot_be_sent_or_scheduled(smtp_server, time_machine):
    """Readers would follow the link to a 404: both are refused with the reason, and nothing is sent."""
    make_subscribers(2)
    campaign = make_campaign(briefs=[BriefFactory(title="Unfinished")])
    with pytest.raises(ValidationError, match="“Unfinished” is not published"):
        campaign_send_now(campaign=campaign)
    with pytest.raises(ValidationError, match="“Unfinished” is not published"):
        campaign_schedule(campaign=campaign, when=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1))
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
    assert smtp_server.messages == []


def test_a_campaign_cannot_go_before_its_scheduled_brief(smtp_server, scheduled_brief):
    """Now, or at 8:59 for a brief going live at 9:00, is refused; 9:00 or later is fine."""
    make_subscribers(2)
    campaign = make_campaign(briefs=[scheduled_brief])
    with pytest.raises(ValidationError, match="goes live on 4 Dec 2026, 09:00"):
        campaign_send_now(campaign=campaign)
    with pytest.raises(ValidationError, match="goes live on"):
        campaign_schedule(campaign=campaign, when=NINE_TOMORROW - datetime.timedelta(minutes=1))
    campaign_schedule(campaign=campaign, when=NINE_TOMORROW + datetime.timedelta(minutes=30))
    assert smtp_server.messages == []


def test_send_when_live_waits_for_a_late_brief_and_goes_right_after_it(
    smtp_server, scheduled_brief, time_machine, django_capture_on_commit_callbacks
):
    """At 9:00 the campaign's task runs before the brief's: the campaign waits, then follows the brief out."""
    readers = make_subscribers(3)
    campaign = make_campaign(briefs=[scheduled_brief])
    campaign_send_when_live(campaign=campaign)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_for) == (Campaign.Status.SCHEDULED, NINE_TOMORROW)

    time_machine.move_to(NINE_TOMORROW + datetime.timedelta(seconds=10), tick=False)
    call_command("send_scheduled_campaigns", stdout=io.StringIO())  # the campaign's turn comes first
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SCHEDULED
    assert smtp_server.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_due_briefs", stdout=io.StringIO())  # the brief goes live; brief_went_live fires

    assert Brief.objects.get(pk=scheduled_brief.pk).is_live
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT
    assert {message["To"] for message in smtp_server.messages} == {reader.email for reader in readers}


def test_a_campaign_whose_brief_was_unscheduled_goes_back_to_draft(smtp_server, scheduled_brief, time_machine):
    make_subscribers(1)
    campaign = make_campaign(briefs=[scheduled_brief])
    campaign_send_when_live(campaign=campaign)
    scheduled_brief.unschedule(by=None)
    time_machine.move_to(NINE_TOMORROW + datetime.timedelta(minutes=1), tick=False)
    call_command("send_scheduled_campaigns", stdout=io.StringIO())
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
    assert smtp_server.messages == []


def test_scheduling_a_brief_offers_a_campaign_sent_when_it_goes_live(people, time_machine):  # noqa: F811
    """After "Schedule", the admin offers a campaign and says it goes out when the brief does."""
    brief = brief_in_state("in_review", author=people["own_profile"])
    people["editor"].user_permissions.add(
        *Permission.objects.filter(codename__in=["add_campaign", "change_campaign", "view_campaign"])
    )
    client = Client()
    client.force_login(people["editor"])
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    data = change_form_data(
        brief, **{"workflow-transition": "schedule", "workflow-schedule_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    page = client.post(change_url(brief), data, follow=True).content.decode()
    assert "send it when the brief goes live" in page
    assert reverse("admin:newsletter_campaign_add") + f"?brief={brief.pk}" in page
