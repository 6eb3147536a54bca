"""Writing comfort in real Chromium: a photo dropped into the text, refusals in place, autosave, leaving the page."""

import base64

import pytest
from django.urls import reverse

from briefs.models import BriefRevision, Photo
from tests.briefs.newsroom_support import brief_in_state, roles_ensure, staff_member
from tests.chromium import ARTIFACTS
from tests.factories import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP_FILE = """([selector, name, type, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    const target = document.querySelector(selector);
    const box = target.getBoundingClientRect();
    for (const kind of ["dragenter", "dragover", "drop"]) {
        target.dispatchEvent(new DragEvent(kind, {
            bubbles: true, cancelable: true, dataTransfer: transfer,
            clientX: box.left + 20, clientY: box.bottom - 5,
        }));
    }
}"""


@pytest.fixture
def author_page(live_server, chromium, django_user_model):
    roles_ensure()
    user = staff_member(django_user_model, "amara", "Authors")
    from briefs.models import Author

    profile = Author.objects.create(name="Amara Okafor", slug="amara-okafor", user=user)
    brief = brief_in_state("draft", author=profile, title="Water rights upstream")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "amara")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    yield page, brief, live_server.url + reverse("admin:briefs_brief_change", args=[brief.pk])
    context.close()
    assert not errors, errors


def test_an_image_dropped_into_the_text_asks_for_alt_text_in_place_and_is_placed_there(author_page):
    """Dropping a file opens the photo panel where it fell; without alt text it says so; with it, a thumbnail."""
    page, brief, url = author_page
    page.goto(url)
    editor = "#sections-group .inline-related:not(.empty-form) .ProseMirror[contenteditable=true]"
    page.wait_for_selector(editor)
    png = base64.b64encode(image_bytes(size=(400, 300), format="PNG")).decode()
    page.evaluate(DROP_FILE, [editor, "podium.png", "image/png", png])

    panel = page.locator(".photo-block__panel")
    panel.wait_for()
    panel.get_by_role("button", name="Add photo").click()
    assert "alt text is required" in panel.locator("[role=alert]").inner_text()
    assert not Photo.objects.exists()

    panel.get_by_label("Alt text (required)").fill("A spokesperson at a podium")
    panel.get_by_label("Credit", exact=True).fill("The Sun")
    panel.get_by_role("button", name="Add photo").click()
    card = page.locator(".photo-block__card")
    card.locator("img").wait_for()
    assert card.locator("img").get_attribute("alt") == "A spokesperson at a podium"
    assert "Photo taken from: The Sun" in card.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "newsroom-photo-dropped.png"), full_page=True)

    page.click("input[name=_continue]")
    page.wait_for_url(url)
    photo = Photo.objects.get()
    section = brief.sections.get()
    assert f'<figure data-photo-id="{photo.pk}"></figure>' in section.body
    assert list(section.text_photos.values_list("photo_id", flat=True)) == [photo.pk]


def test_the_form_autosaves_at_most_every_30_seconds_and_asks_before_leaving(author_page):
    """Typing starts an autosave within 30 s, not more often; leaving with unsaved changes asks first."""
    page, brief, url = author_page
    page.clock.install()
    page.goto(url)
    editor = page.locator("#sections-group .inline-related:not(.empty-form) .ProseMirror[contenteditable=true]")
    editor.wait_for()
    page.clock.run_for(1000)  # the page's own scripts settle
    editor.click()
    page.keyboard.insert_text(" A second thought.")

    page.clock.run_for(31_000)
    page.locator(".newsroom-autosave", has_text="Autosaved").wait_for()
    assert BriefRevision.objects.filter(brief=brief, kind="autosave").count() == 1

    page.keyboard.insert_text(" And a third.")
    page.clock.run_for(10_000)
    page.wait_for_timeout(300)
    assert BriefRevision.objects.filter(brief=brief, kind="autosave").count() == 1  # not before 30 s have passed
    page.clock.run_for(21_000)
    assert autosaves_reach(page, brief, 2)
    assert brief.sections.get().body == "<p>First words.</p>"  # the brief itself is untouched

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]


def autosaves_reach(page, brief, count: int) -> bool:
    """Wait (up to five seconds of real time) for the autosave request to be stored."""
    for _ in range(50):
        if BriefRevision.objects.filter(brief=brief, kind="autosave").count() >= count:
            return True
        page.wait_for_timeout(100)
    return False
