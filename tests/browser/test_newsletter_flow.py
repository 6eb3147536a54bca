"""Subscribing in a real browser: the form, the email, the confirm button and the preferences page.

Chromium is driven through Playwright against pytest-django's live server;
the confirmation email is read from the in-process SMTP server, so the link
the test opens is the one a subscriber would click. The browser itself
is the session's shared one from tests/chromium.py.
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from newsletter.models import Subscriber
from newsletter.tokens import SubscriptionRequest, confirmation_token_make
from tests.chromium import ARTIFACTS
from tests.factories import SeriesFactory, TopicFactory, published_brief
from tests.newsletter.smtp import links_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_page(chromium):
    """Opens pages at a given width; console errors (CSP violations included) fail the test."""
    contexts, problems = [], []
    # Pages that answer 404 or 410 on purpose; Chromium logs those as errors.
    error_pages: set[str] = set()

    def on_console(message):
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and message.location.get("url") in error_pages:
            return
        problems.append(f"{message.text} ({message.location.get('url')})")

    def open_at(width: int = 1280):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    open_at.error_pages = error_pages
    yield open_at
    for context in contexts:
        context.close()
    connections.close_all()  # see tests/chromium.py: PostgreSQL must be able to drop the test database
    assert not problems, f"The browser reported errors: {problems}"


def snap(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def site(live_server, settings, smtp_server):
    # Emails build their links from SITE_URL; here that must be the live server.
    settings.SITE_URL = live_server.url
    SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    TopicFactory(name="Climate", slug="climate")
    TopicFactory(name="Trade", slug="trade")
    return live_server


def test_subscribe_confirm_choose_topics_and_leave_in_a_browser(site, smtp_server, open_page):
    """A visitor subscribes, clicks the emailed link, confirms, picks a topic and sees it saved, then leaves."""
    from playwright.sync_api import expect

    page = open_page(1280)
    page.goto(f"{site.url}/newsletter/subscribe/")
    expect(page.get_by_role("heading", name="Subscribe to our news service")).to_be_visible()
    page.get_by_label("Email address").fill("browser.reader@example.org")
    snap(page, "newsletter-subscribe-1280")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    snap(page, "newsletter-check-inbox-1280")
    assert not Subscriber.objects.exists()

    [message] = smtp_server.wait_for(1, timeout=10)
    [link] = [link for link in links_in(message) if "/newsletter/confirm/" in link]
    assert link.startswith(site.url)

    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
    snap(page, "newsletter-confirm-1280")
    assert not Subscriber.objects.exists(), "opening the link alone subscribes nobody"
    page.get_by_role("button", name="Confirm subscription").click()
    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
    snap(page, "newsletter-confirmed-1280")
    assert Subscriber.objects.get().status == Subscriber.Status.SUBSCRIBED

    page.get_by_role("link", name="Choose what you receive").click()
    expect(page.get_by_role("heading", name="Your newsletter choices")).to_be_visible()
    expect(page.get_by_text("Everything we publish.", exact=True)).to_be_visible()
    page.get_by_label("Climate").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status").filter(has_text="Your choices are saved")).to_be_visible()
    expect(page.get_by_text("Topic: Climate")).to_be_visible()
    expect(page.get_by_label("Climate")).to_be_checked()
    expect(page.get_by_label("Trade")).not_to_be_checked()
    snap(page, "newsletter-preferences-1280")
    subscriber = Subscriber.objects.get()
    assert [topic.name for topic in subscriber.topics.all()] == ["Climate"]
    assert not subscriber.wants_everything

    # ...and later leaves from the same page: a one-button page, then done.
    page.get_by_role("link", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.SUBSCRIBED, "opening the page alone changes nothing"
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    snap(page, "newsletter-unsubscribed-1280")
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize("width", [1280, 375])
def test_newsletter_pages_fit_phone_and_desktop_screens(site, smtp_server, open_page, width):
    """Every newsletter page fits the screen without sideways scrolling, at desktop and phone widths."""
    brief = published_brief(published_at=timezone.now() - timedelta(days=1))  # before anyone could get its alert
    subscriber = Subscriber.objects.create(
        email="fits@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        expired = confirmation_token_make(
            request=SubscriptionRequest(email="late@example.org", source="subscribe_page", consent_wording="2026-11")
        )
    page = open_page(width)
    page.goto(f"{site.url}/newsletter/subscribe/")
    page.get_by_label("Email address").fill("phone@example.org")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    [link] = [link for link in links_in(smtp_server.wait_for(1)[0]) if "/newsletter/confirm/" in link]

    pages = {
        "subscribe": "/newsletter/subscribe/",
        "confirm": link.removeprefix(site.url),
        "expired": f"/newsletter/confirm/{expired}/",
        "broken": "/newsletter/confirm/broken/",
        "preferences": f"/newsletter/preferences/{subscriber.token}/",
        "unsubscribe": f"/newsletter/unsubscribe/{subscriber.token}/",
        "dashboard-box": "/",
        "brief-box": brief.get_absolute_url(),
    }
    open_page.error_pages.update({site.url + pages["expired"], site.url + pages["broken"]})
    for name, path in pages.items():
        page.goto(site.url + path)
        snap(page, f"newsletter-{name}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if name == "expired":
            assert page.get_by_role("heading", name="This confirmation link has expired").is_visible()
        if name in ("dashboard-box", "brief-box"):
            assert page.get_by_role("heading", name="Subscribe to our news service").is_visible()
