"""The campaign admin: write, preview, test, schedule, send and follow a campaign as staff do."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from briefs.models import Brief
from newsletter.models import Campaign, CampaignBrief
from tests.factories import BriefFactory, published_brief
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db


def change_url(campaign):
    return reverse("admin:newsletter_campaign_change", args=[campaign.pk])


def action_url(campaign, name):
    return reverse(f"admin:newsletter_campaign_{name}", args=[campaign.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def send_confirmed(client, campaign, name="send_now", data=None, **kwargs):
    """Press the button, then confirm on the page that follows with the number it shows (as staff do)."""
    first = client.post(action_url(campaign, name), data or {})
    assert first.status_code == 200, "the first press only shows the confirmation page"
    reach = first.context["audience"].reach
    return client.post(action_url(campaign, name), {**(data or {}), "confirm_recipients": str(reach)}, **kwargs)


def test_staff_create_a_campaign_with_briefs_and_a_sanitised_intro(staff_client, staff_user):
    """The add form saves subject, intro (cleaned of scripts) and ordered briefs, and records who made it."""
    first, second = published_brief(title="First"), published_brief(title="Second")
    response = staff_client.post(
        reverse("admin:newsletter_campaign_add"),
        {
            "subject": "Two new briefs",
            "intro": "<p>Hello <script>alert(1)</script>readers</p>",
            "audience": "everyone",
            "campaign_briefs-TOTAL_FORMS": "2",
            "campaign_briefs-INITIAL_FORMS": "0",
            "campaign_briefs-MIN_NUM_FORMS": "1",
            "campaign_briefs-MAX_NUM_FORMS": "1000",
            "campaign_briefs-0-brief": str(second.pk),
            "campaign_briefs-0-sort_order": "0",
            "campaign_briefs-1-brief": str(first.pk),
            "campaign_briefs-1-sort_order": "1",
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    campaign = Campaign.objects.get()
    assert campaign.intro == "<p>Hello readers</p>"
    assert campaign.created_by == staff_user
    assert [brief.title for brief in campaign.ordered_briefs()] == ["Second", "First"]


def test_add_form_for_a_just_published_brief_is_filled_in(staff_client):
    """Following 'Create a newsletter campaign for this brief' opens a form with the brief and a subject."""
    brief = published_brief(title="Grain corridors")
    response = staff_client.get(reverse("admin:newsletter_campaign_add") + f"?brief={brief.pk}")
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["subject"] == f"{brief.label}: Grain corridors"
    [inline] = response.context["inline_admin_formsets"]
    assert inline.formset.forms[0].initial["brief"] == brief.pk


def test_add_form_ignores_a_brief_that_does_not_exist(staff_client):
    """A broken ?brief= link still opens an empty add form."""
    response = staff_client.get(reverse("admin:newsletter_campaign_add") + "?brief=99999")
    assert response.status_code == 200
    response = staff_client.get(reverse("admin:newsletter_campaign_add") + "?brief=abc")
    assert response.status_code == 200


def test_publishing_a_brief_offers_a_campaign_for_it(staff_client):
    """After publishing a brief, the admin links to a new campaign for it."""
    brief = BriefFactory(title="Water and borders")
    response = staff_client.post(
        reverse("admin:briefs_brief_changelist"),
        {"action": "publish_selected", "_selected_action": [brief.pk]},
        follow=True,
    )
    link = reverse("admin:newsletter_campaign_add") + f"?brief={brief.pk}"
    assert link in response.content.decode()
    assert Brief.objects.get(pk=brief.pk).status == Brief.Status.PUBLISHED


def test_preview_shows_the_html_and_the_plain_text(staff_client):
    """Staff can open the email as HTML and as plain text."""
    campaign = make_campaign()
    page = staff_client.get(change_url(campaign))
    assert action_url(campaign, "preview") in page.content.decode()

    html = staff_client.get(action_url(campaign, "preview"))
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert "Ports and power" in html.content.decode()

    text = staff_client.get(action_url(campaign, "preview_text"))
    assert text["Content-Type"].startswith("text/plain")
    assert text.content.decode().startswith("Subject: This week's briefs")


def test_visitors_cannot_preview_or_send(client):
    """Without a staff login, preview and sending URLs lead to the login page and change nothing."""
    campaign = make_campaign()
    assert client.get(action_url(campaign, "preview")).status_code == 302
    assert client.post(action_url(campaign, "send_now")).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_send_test_to_myself(staff_client, smtp_server):
    """'Send a test' emails the signed-in editor only."""
    make_subscribers(2)
    campaign = make_campaign()
    response = staff_client.post(action_url(campaign, "send_test"), follow=True)
    assert "A test email is on its way to editor@example.org." in messages_of(response)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "editor@example.org" and message["Subject"].startswith("[Test]")


def test_send_test_reports_a_mail_server_that_is_down(staff_client, smtp_server):
    """If the test cannot be sent, staff are told so; nothing breaks."""
    smtp_server.stop()
    response = staff_client.post(action_url(campaign := make_campaign(), "send_test"), follow=True)
    assert response.status_code == 200
    assert any(message.startswith("The test email could not be sent") for message in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_schedule_through_the_admin(staff_client):
    """Choosing a time and pressing Schedule schedules the campaign."""
    make_subscribers(2)
    campaign = make_campaign()
    when = timezone.localtime() + timedelta(days=1)
    response = send_confirmed(
        staff_client, campaign, "schedule", {"scheduled_for": when.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    assert any(message.startswith("Scheduled to go out on") for message in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert campaign.scheduled_for == when.replace(second=0, microsecond=0)
    assert "Reschedule" in response.content.decode()


@pytest.mark.parametrize("value", ["", "tomorrow", "2020-01-01T10:00"])
def test_schedule_with_a_bad_time_explains_and_changes_nothing(staff_client, value):
    """A missing, unreadable or past time is refused with a message."""
    campaign = make_campaign()
    response = staff_client.post(action_url(campaign, "schedule"), {"scheduled_for": value}, follow=True)
    assert response.status_code == 200
    assert any("time" in message for message in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_send_now_through_the_admin_then_follow_progress(staff_client, smtp_server):
    """Send now delivers to every subscriber; the page and the JSON endpoint show the counts."""
    readers = make_subscribers(4)
    smtp_server.reject(readers[0].email, 550)
    campaign = make_campaign()

    response = send_confirmed(staff_client, campaign, follow=True)

    assert any(message.startswith("Sending has started") for message in messages_of(response))
    assert len(smtp_server.messages) == 3
    page = response.content.decode()
    assert 'data-progress="sent">3<' in page and 'data-progress="failed">1<' in page
    progress = staff_client.get(action_url(campaign, "progress")).json()
    assert progress["status"] == "sent"
    assert (progress["sent"], progress["failed"], progress["remaining"], progress["total"]) == (3, 1, 0, 4)
    # Once it has gone out the content is read-only and the send buttons are gone.
    assert 'name="subject"' not in page
    assert action_url(campaign, "send_now") not in page


def test_sending_a_campaign_without_briefs_explains_why_not(staff_client, smtp_server):
    """A campaign that is not ready shows what is missing and is not sent."""
    make_subscribers(1)
    campaign = make_campaign()
    CampaignBrief.objects.filter(campaign=campaign).delete()
    page = staff_client.get(change_url(campaign)).content.decode()
    assert "Add at least one brief." in page
    response = staff_client.post(action_url(campaign, "send_now"), follow=True)
    assert "Add at least one brief." in messages_of(response)
    assert smtp_server.messages == []


def test_cancel_a_scheduled_campaign(staff_client):
    """Cancel stops a scheduled campaign for good."""
    campaign = make_campaign(status=Campaign.Status.SCHEDULED, scheduled_for=timezone.now() + timedelta(hours=3))
    response = staff_client.post(action_url(campaign, "cancel"), follow=True)
    assert any(message.startswith("The campaign is cancelled") for message in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED


def test_campaign_list_shows_status_and_progress(staff_client, smtp_server):
    """The list of campaigns shows each one's status and how far sending got."""
    make_subscribers(2)
    campaign = make_campaign()
    send_confirmed(staff_client, campaign)
    page = staff_client.get(reverse("admin:newsletter_campaign_changelist")).content.decode()
    assert "2 sent, 0 failed, 0 to go" in page


def test_a_sent_campaign_shows_its_intro_as_readers_saw_it(staff_client, smtp_server):
    """After sending, the intro is shown formatted (and read-only), not as HTML source."""
    make_subscribers(1)
    campaign = make_campaign(intro="<p>Hello <strong>readers</strong></p>")
    send_confirmed(staff_client, campaign)
    page = staff_client.get(change_url(campaign)).content.decode()
    assert "<p>Hello <strong>readers</strong></p>" in page
    assert "&lt;strong&gt;" not in page


def test_a_campaign_waiting_for_the_worker_says_so(staff_client, settings):
    """Right after Send now, before the worker has started, the page says the campaign is queued."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_subscribers(1)
    campaign = make_campaign()
    response = send_confirmed(staff_client, campaign, follow=True)
    assert "Queued: the background worker is about to address and send it." in response.content.decode()


def test_staff_can_see_why_deliveries_failed(staff_client, smtp_server):
    """From the campaign page, staff reach the failed deliveries with the server's reason."""
    [refused, _] = make_subscribers(2)
    smtp_server.reject(refused.email, 550)
    campaign = make_campaign()
    send_confirmed(staff_client, campaign)

    page = staff_client.get(change_url(campaign)).content.decode()
    deliveries = reverse("admin:newsletter_delivery_changelist")
    failed_url = f"{deliveries}?campaign__id__exact={campaign.pk}&status__exact=failed"
    assert failed_url.replace("&", "&amp;") in page
    listing = staff_client.get(failed_url).content.decode()
    assert refused.email in listing and "550 5.1.1 Mailbox unavailable" in listing


def test_a_segment_without_series_or_topics_cannot_be_saved(staff_client):
    """Choosing 'subscribers of the chosen series or topics' and choosing none is explained, and nothing is saved."""
    campaign = make_campaign(status=Campaign.Status.SCHEDULED, scheduled_for=timezone.now() + timedelta(hours=3))
    link = campaign.campaign_briefs.get()
    response = staff_client.post(
        change_url(campaign),
        {
            "subject": campaign.subject,
            "intro": campaign.intro,
            "audience": "segment",
            "campaign_briefs-TOTAL_FORMS": "1",
            "campaign_briefs-INITIAL_FORMS": "1",
            "campaign_briefs-MIN_NUM_FORMS": "1",
            "campaign_briefs-MAX_NUM_FORMS": "1000",
            "campaign_briefs-0-id": str(link.pk),
            "campaign_briefs-0-campaign": str(campaign.pk),
            "campaign_briefs-0-brief": str(link.brief_id),
            "campaign_briefs-0-sort_order": "0",
        },
    )
    assert response.status_code == 200
    assert "Choose at least one series or topic" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.audience == Campaign.Audience.EVERYONE
