"""Pages of issue 12 in Chromium at desktop and phone widths: the overview's charts, the typed confirmation,
a test email's link, an old confirmation link and the choice of how often."""

import datetime

import pytest
from django.utils import timezone

from newsletter.models import Subscriber
from newsletter.tokens import SubscriptionRequest, confirmation_token_make
from tests.factories import SeriesFactory, TopicFactory
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, staff_user, next_url):
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(staff_user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_overview_draws_charts_and_tables_at_every_width(
    live_server, chromium, screenshot, staff_user, settings, width
):
    """Charts scale to the page and never push it sideways; the week table scrolls inside its box."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    settings.NEWSLETTER_CONFIRM_TYPED_ABOVE = 10
    now = timezone.now()
    trade = SeriesFactory(name="Trade Policy Brief", slug="trade")
    TopicFactory(name="Ports", slug="ports")
    for weeks_ago in range(0, 40, 3):
        readers = make_subscribers(
            3 + weeks_ago % 5, prefix=f"w{weeks_ago}-", consent_at=now - datetime.timedelta(weeks=weeks_ago)
        )
        readers[0].series.add(trade)
    Subscriber.objects.filter(email__startswith="w9-").update(
        status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=now - datetime.timedelta(weeks=2)
    )
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live_server, staff_user, "/admin/newsletter/subscriber/overview/")
    expect(page.get_by_role("heading", name="Joined and left, each week")).to_be_visible()
    expect(
        page.get_by_role("img", name="Subscribers who confirmed, unsubscribed and bounced each week")
    ).to_be_visible()
    # The page must fit the window once laid out. Checked until it settles (this check failed once in one CI run
    # and in no rerun); a page that never fits fails after 5 s and leaves its screenshot to look at.
    try:
        page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth + 1", timeout=5000)
    except PlaywrightTimeoutError:
        screenshot(page, f"admin-newsletter-overview-{width}-too-wide")
        raise
    screenshot(page, f"admin-newsletter-overview-{width}")

    campaign = make_campaign(subject="A campaign to everyone")
    page.goto(f"{live_server.url}/admin/newsletter/campaign/{campaign.pk}/change/")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_label("To confirm, type the number of recipients")).to_be_visible()
    screenshot(page, f"admin-campaign-confirm-typed-{width}")
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_public_pages_for_test_links_old_links_and_how_often(live_server, chromium, screenshot, settings, width):
    """The "this was a test" page, "You're already subscribed" with the actual choices, and the how-often choice."""
    from playwright.sync_api import expect

    from newsletter.campaigns import test_link_url

    settings.SITE_URL = live_server.url
    trade = SeriesFactory(name="Trade Policy Brief", slug="trade")
    request = SubscriptionRequest(email="reader@example.org", source="subscribe_page", consent_wording="2026-11")
    token = confirmation_token_make(request=request)
    subscriber = Subscriber.objects.create(
        email="reader@example.org",
        status=Subscriber.Status.SUBSCRIBED,
        consent_at=timezone.now() + datetime.timedelta(seconds=1),
        confirmed_at=timezone.now() + datetime.timedelta(seconds=1),
        wants_everything=False,
    )
    subscriber.series.add(trade)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    page.goto(test_link_url(kind="unsubscribe", campaign=make_campaign(subject="Winter briefs")))
    expect(page.get_by_role("heading", name="This was a test")).to_be_visible()
    screenshot(page, f"newsletter-test-link-{width}")

    page.goto(f"{live_server.url}/newsletter/confirm/{token}/")
    expect(page.get_by_role("heading", name="You’re already subscribed")).to_be_visible()
    expect(page.get_by_text("Series: Trade Policy Brief")).to_be_visible()
    screenshot(page, f"newsletter-already-subscribed-{width}")

    page.get_by_role("link", name="Choose what you receive").click()
    page.get_by_label("A weekly digest of the new briefs").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved.")).to_be_visible()
    screenshot(page, f"newsletter-preferences-how-often-{width}")
    subscriber.refresh_from_db()
    assert subscriber.alert_frequency == Subscriber.AlertFrequency.WEEKLY
    context.close()
