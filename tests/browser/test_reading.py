"""A reader's path through the site in real Chromium: dashboard, brief, lightbox, phone width."""

import pytest

from tests.factories import AuthorFactory, EngagementResourceFactory, PhotoFactory, TopicFactory, published_brief

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def brief_with_photos():
    header = PhotoFactory(alt_text="Harbour cranes at dawn", credit="Harbour Photo Desk")
    analysis_photo = PhotoFactory(alt_text="Delegates at a long table", caption="“We will not wait,” said the envoy.")
    brief = published_brief(
        title="Keeping Baltic shipping lanes open through the winter",
        header_photo=header,
        authors=[AuthorFactory(name="Ines Marlow")],
        topics=[TopicFactory(name="Maritime security", slug="maritime-security")],
        resources=[EngagementResourceFactory(name="Open Seas Coalition"), EngagementResourceFactory()],
    )
    section = brief.sections.last()
    section.body += f'<figure data-photo-id="{analysis_photo.pk}"></figure><p>After the photo.</p>'
    section.save()
    return brief


def test_reader_opens_a_brief_from_the_dashboard_and_enlarges_a_photo_with_the_keyboard(
    live_server, page, screenshot, brief_with_photos
):
    """From the dashboard a reader opens the brief; Enter enlarges a photo, Escape closes it, focus comes back."""
    page.goto(live_server.url + "/")
    screenshot(page, "dashboard-desktop")
    page.get_by_role("link", name=brief_with_photos.title).first.click()
    page.wait_for_url(f"**{brief_with_photos.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == brief_with_photos.title

    opener = page.locator("a[data-lightbox]").last
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[open]")
    dialog.wait_for(state="visible")
    assert "Delegates at a long table" in dialog.locator("img").get_attribute("alt")
    screenshot(page, "brief-lightbox-open")

    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.hasAttribute('data-lightbox')")
    screenshot(page, "brief-desktop")


def test_pages_fit_a_phone_screen_without_sideways_scrolling(live_server, chromium, screenshot, brief_with_photos):
    """At 375 px wide the brief page and the dashboard have no horizontal scroll."""
    context = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        for path, name in [(brief_with_photos.get_absolute_url(), "brief-mobile"), ("/", "dashboard-mobile")]:
            page.goto(live_server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            screenshot(page, name)
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px wide"
    finally:
        context.close()
