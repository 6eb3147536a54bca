"""Staff send a campaign from the admin in real Chromium and watch it go out."""

import pytest

from newsletter.models import Campaign, Delivery
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_send_a_campaign_and_see_it_delivered(live_server, page, screenshot, settings, smtp_server, staff_user):
    """Log in, preview, press "Send now": the panel reports every subscriber sent and the emails arrive."""
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    readers = make_subscribers(3, prefix="campaign-reader")
    campaign = make_campaign(subject="Three briefs for the winter")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/campaign/{campaign.pk}/change/")
    page.get_by_label("Username").fill(staff_user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Preview and send")).to_be_visible()
    screenshot(page, "admin-campaign-before-sending")

    page.once("dialog", lambda dialog: dialog.accept())  # a confirm() guard, if the page asks
    page.get_by_role("button", name="Send now").click()

    # Tests run tasks at once, so by the time the page is back the campaign has gone out.
    expect(page.locator("[data-progress=sent]")).to_have_text("3")
    expect(page.locator("[data-progress=remaining]")).to_have_text("0")
    screenshot(page, "admin-campaign-sent")
    smtp_server.wait_for(3, timeout=10)
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(reader.email for reader in readers)
    assert Campaign.objects.get().status == Campaign.Status.SENT
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3
