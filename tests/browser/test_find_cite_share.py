"""Finding, citing, sharing and printing a brief in real Chromium, by keyboard."""

import pytest
from playwright.sync_api import expect

from tests.factories import AuthorFactory, PhotoFactory, SeriesFactory, TopicFactory, published_brief

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def brief():
    topic = TopicFactory(name="Maritime security")
    author = AuthorFactory(name="Ines Marlow")
    series = SeriesFactory(name="Foreign Policy Brief", last_number=139)
    published_brief(title="Ice-class tankers and insurance", series=series, topics=[topic], authors=[author])
    brief = published_brief(
        title="Keeping Baltic shipping lanes open",
        series=series,
        header_photo=PhotoFactory(alt_text="Harbour cranes at dawn", credit="Harbour Photo Desk"),
        authors=[author],
        topics=[topic],
    )
    section = brief.sections.first()
    section.body = '<p>Icebreakers escort convoys. See <a href="https://ice.example.org/report">the ice report</a>.</p>'
    section.save()
    return brief


def has_visible_focus(page) -> bool:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"
    )


def test_a_reader_searches_from_the_header_with_the_keyboard(live_server, page, screenshot, brief):
    """Tab to the search box, type a phrase from the body, press Enter: the brief is found, the match marked."""
    page.goto(live_server.url + "/")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "site-search-q":
            break
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    assert has_visible_focus(page)

    page.keyboard.type("icebreakers escort")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=icebreakers+escort")

    result = page.locator(".search-result").first
    assert "Keeping Baltic shipping lanes open" in result.inner_text()
    assert result.locator("mark").first.inner_text().lower() == "icebreakers"
    screenshot(page, "search-results-desktop")


def test_a_citation_is_copied_with_the_keyboard(live_server, chromium, screenshot, brief):
    """The Copy button beside the APA citation works with Enter and says so; the clipboard holds the citation."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(live_server.url + brief.get_absolute_url())
        button = page.get_by_role("button", name="Copy the APA 7 citation")
        button.focus()
        assert has_visible_focus(page)
        page.keyboard.press("Enter")

        expect(page.locator(".citation-status")).to_have_text("APA 7 citation copied to your clipboard.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("Marlow, I. (") and "(Foreign Policy Brief No. 141)" in copied
        screenshot(page, "brief-cite-desktop")
    finally:
        context.close()


def test_the_native_share_sheet_opens_from_the_keyboard_where_the_browser_has_one(live_server, chromium, brief):
    """Where navigator.share exists (phones), a Share… button appears beside the links and hands over the URL."""
    context = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    # Headless Chromium has no share sheet; this stands in for the phone's and records what it was given.
    context.add_init_script("navigator.share = (data) => { window.sharedWith = data; return Promise.resolve(); };")
    page = context.new_page()
    try:
        page.goto(live_server.url + brief.get_absolute_url())
        button = page.get_by_role("button", name="Share…")
        button.focus()
        page.keyboard.press("Enter")

        shared = page.evaluate("window.sharedWith")
        assert shared == {"title": brief.title, "url": live_server.url + brief.get_absolute_url()}
    finally:
        context.close()


def test_no_share_button_where_the_browser_has_no_share_sheet(live_server, page, brief):
    page.goto(live_server.url + brief.get_absolute_url())

    assert page.evaluate("typeof navigator.share") == "undefined"
    assert not page.get_by_role("button", name="Share…").is_visible()
    assert page.get_by_role("link", name="Share on X (opens in a new tab)").is_visible()


def test_the_printed_brief_keeps_the_reading_and_drops_the_controls(live_server, page, screenshot, brief):
    """Printing shows the label, authors, date, the brief's address and link addresses; no nav, subscribe or share."""
    page.goto(live_server.url + brief.get_absolute_url())
    page.emulate_media(media="print")

    for hidden in [".site-nav", ".subscribe-slot", ".brief-share", ".site-search", ".citation-copy"]:
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".brief-address").is_visible()
    assert "Online at " + live_server.url + brief.get_absolute_url() in page.locator(".brief-address").inner_text()
    link_after = page.evaluate(
        "getComputedStyle(document.querySelector('.prose a[href^=\"https\"]'), '::after').content"
    )
    assert "https://ice.example.org/report" in link_after
    assert page.locator(".brief-meta").inner_text().upper().startswith("FOREIGN POLICY BRIEF #141")
    screenshot(page, "brief-print")


def test_motion_is_reduced_when_the_reader_asks(live_server, chromium, brief):
    context = chromium.new_context(reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        duration = page.evaluate("getComputedStyle(document.querySelector('.brief-card')).transitionDuration")
        assert all(float(part.strip().rstrip("s")) < 0.001 for part in duration.split(","))
    finally:
        context.close()
