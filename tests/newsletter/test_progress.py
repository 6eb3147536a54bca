"""What the sending panel reports: the same figures on the page and in its JSON, the time left, why emails failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from newsletter.campaigns import _eta_seconds, campaign_progress_report
from newsletter.models import DeliveryProgress
from tests.newsletter.campaign_support import make_campaign, make_subscribers
from tests.newsletter.test_send_confirmation import url

pytestmark = pytest.mark.django_db


def test_the_page_and_its_json_show_the_same_figures_with_failures_grouped_by_reason(staff_client, smtp_server):
    """Two addresses refused alike are one reason counted twice; a temporary refusal waits to retry."""
    readers = make_subscribers(6)
    for reader in readers[:2]:
        smtp_server.reject(reader.email, 550, f"5.1.1 <{reader.email}>: Recipient address rejected")
    smtp_server.reject(readers[2].email, 552)
    smtp_server.reject(readers[3].email, 451)
    campaign = make_campaign()
    staff_client.post(url(campaign), {"confirm_recipients": "6"})

    data = staff_client.get(url(campaign, "progress")).json()
    assert (data["phase"], data["sent"], data["failed"], data["remaining"], data["waiting_retry"]) == (
        "sending",
        2,
        3,
        1,
        1,
    )
    assert data["failure_groups"] == [
        {"reason": "550 5.1.1 <address>: Recipient address rejected", "count": 2},
        {"reason": "552 5.2.2 Mailbox full", "count": 1},
    ]
    page = staff_client.get(f"/admin/newsletter/campaign/{campaign.pk}/change/").content.decode()
    for key in ("sent", "failed", "remaining", "waiting_retry"):
        assert f'data-progress="{key}">{data[key]}<' in page
    assert "550 5.1.1 &lt;address&gt;: Recipient address rejected" in page
    assert data["eta_text"] in page


def test_the_time_left_follows_the_pace_of_the_last_minute():
    """20 due at 2 a second (10 sent in the last 5 s) is 10 s left; retries waiting for later do not count."""
    now = timezone.now()
    progress = DeliveryProgress(
        {
            "queued": 25,
            "sending": 0,
            "sent": 10,
            "failed": 0,
            "skipped": 0,
            "waiting_retry": 5,
            "recent_sent": 10,
            "recent_first_sent_at": now - timedelta(seconds=5),
        }
    )
    assert _eta_seconds(progress, now) == 10
    progress.recent_sent = 1
    assert _eta_seconds(progress, now) is None, "one email is no pace yet"


def test_a_queued_campaign_reports_queued_before_the_worker_addresses_it(staff_client, settings):
    """Right after the confirmed Send the worker has not started: "Queued", and the panel polls."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_subscribers(2)
    campaign = make_campaign()
    staff_client.post(url(campaign), {"confirm_recipients": "2"})
    campaign.refresh_from_db()
    report = campaign_progress_report(campaign=campaign)
    assert (report.phase, report.phase_label, report.eta_text) == ("queued", "Queued", "")
    page = staff_client.get(f"/admin/newsletter/campaign/{campaign.pk}/change/").content.decode()
    assert 'data-progress-url="' in page and ">Queued<" in page
