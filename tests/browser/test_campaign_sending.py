"""Staff send a campaign from the admin in real Chromium and watch it go out."""

import pytest

from newsletter.models import Campaign, Delivery
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_send_a_campaign_and_see_it_delivered(live_server, page, screenshot, settings, smtp_server, staff_user):
    """Log in, press "Send now", confirm the number: the panel reports every subscriber sent and the emails arrive."""
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    campaign = make_campaign(subject="Three briefs for the winter")  # its brief goes live before anyone subscribed
    readers = make_subscribers(3, prefix="campaign-reader")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/campaign/{campaign.pk}/change/")
    page.get_by_label("Username").fill(staff_user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Preview and send")).to_be_visible()
    screenshot(page, "admin-campaign-before-sending")

    expect(page.get_by_text("it would reach 3 subscribers")).to_be_visible()
    page.get_by_role("button", name="Send now").click()
    # The second step repeats the number; nothing has gone yet.
    expect(page.get_by_text("will go out now to 3 subscribers")).to_be_visible()
    assert smtp_server.messages == []
    screenshot(page, "admin-campaign-confirm")
    page.get_by_role("button", name="Send to 3 subscribers now").click()

    # Tests run tasks at once, so by the time the page is back the campaign has gone out.
    expect(page.locator("[data-progress=sent]")).to_have_text("3")
    expect(page.locator("[data-progress=remaining]")).to_have_text("0")
    screenshot(page, "admin-campaign-sent")
    smtp_server.wait_for(3, timeout=10)
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(reader.email for reader in readers)
    assert Campaign.objects.get().status == Campaign.Status.SENT
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3


def test_the_panel_follows_a_send_by_itself_from_queued_to_sent(
    live_server, page, screenshot, settings, smtp_server, staff_user
):
    """With a worker sending in the background, the numbers move without a reload and trail the SMTP server
    by one small batch at most; a reload at any point would show the same figures."""
    import threading
    import time

    from django.db import connection
    from playwright.sync_api import expect

    from newsletter.campaigns import campaign_process

    settings.SITE_URL = live_server.url
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # the worker is ours
    settings.NEWSLETTER_BATCH_SIZE = batch = 4
    smtp_server.delay = 0.1  # about 6 s for the whole list
    campaign = make_campaign(subject="Watch it go")
    readers = make_subscribers(60, prefix="progress-reader")
    smtp_server.reject(readers[7].email, 550)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletter/campaign/{campaign.pk}/change/")
    page.get_by_label("Username").fill(staff_user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Send now").click()
    page.get_by_role("button", name="Send to 60 subscribers now").click()
    status = page.locator("[data-progress=status_label]")
    expect(status).to_have_text("Queued")
    page.evaluate("window.notReloaded = true")

    errors = []

    def worker():
        try:
            while Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENDING:
                campaign_process(campaign_id=campaign.pk, follow_up=False)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    samples, shown_while_sending, texts = [], set(), set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        received = len(smtp_server.messages)
        shown = int(page.locator("[data-progress=sent]").text_content())
        label = status.text_content()
        now = time.monotonic()
        samples.append((now, received))
        assert shown <= received, "the panel never shows more than the server received"
        # What the server had 2.5 s ago (more than one poll) must be on the page by now, less one batch.
        earlier = [count for when, count in samples if when <= now - 2.5]
        if earlier:
            assert shown >= earlier[-1] - batch - 1, f"{shown} shown, {earlier[-1]} received 2.5 s before"
        if label == "Sending" and 0 < shown < 59:
            shown_while_sending.add(shown)
            texts.add(page.locator("[data-progress=eta_text]").text_content())
            if len(shown_while_sending) == 3:
                screenshot(page, "admin-campaign-progress-sending")
        if label == "Sent":
            break
        page.wait_for_timeout(250)
    thread.join(timeout=30)

    assert errors == []
    expect(status).to_have_text("Sent")
    expect(page.locator("[data-progress=sent]")).to_have_text("59")
    expect(page.locator("[data-progress=failed]")).to_have_text("1")
    expect(page.locator("[data-progress=remaining]")).to_have_text("0")
    expect(page.locator("[data-failure-groups]")).to_contain_text("550 5.1.1 Mailbox unavailable")
    assert len(shown_while_sending) >= 3, f"the numbers moved while sending: {sorted(shown_while_sending)}"
    assert any(text.endswith("left") for text in texts), texts
    assert page.evaluate("window.notReloaded") is True, "no reload"
    screenshot(page, "admin-campaign-progress-sent")
