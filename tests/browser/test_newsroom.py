"""The newsroom in real Chromium: an Author writes "Foreign Policy Brief #140" and an Editor schedules it.

From an empty database (only the accounts and the series an administrator
sets up once), an Author writes the brief the group published as its #140
(/work/shared/seed-brief-140.md: header photo with its credit, a Policy
Summary, a Policy Analysis with a photo between its third and fourth
paragraphs, two engagement resources with logos) and submits it for review;
an outside reviewer opens the preview link without an account; an Editor
schedules it; the go-live task runs at its time; and the public page has the
original's structure. Every click of the Author and the Editor is counted:
the issue's budget is 30, with no pop-up window.

The paragraphs are our own text of about the original's lengths.
"""

import datetime
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from briefs.models import Author, Brief, Series
from tests.briefs.newsroom_support import roles_ensure
from tests.chromium import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLICK_BUDGET = 30

TITLE = "Update on US-Russian Diplomatic Talks on Ukraine Crisis"
SUMMARY_LINE = "Where the talks between Washington and Moscow stand, and what the next round could change."
POLICY_SUMMARY = [
    # about 65 words
    "Negotiators from the United States and Russia met again this week without a breakthrough, but both sides "
    "agreed to keep talking. The meetings covered troop movements near the border, the future of arms control "
    "and the demands each capital has put in writing. Allies in Europe followed closely, asking to be consulted "
    "before any commitment that touches their own security is made.",
    # about 115 words
    "For policymakers the lesson of the week is that diplomacy is slow but still open. Washington offered talks "
    "on missile placement and on the scale of military exercises, while refusing to close the door to new "
    "members of the alliance. Moscow repeated that it wants binding guarantees and described the written "
    "answers as disappointing, yet it did not walk away. Markets reacted calmly, energy prices held steady and "
    "European governments prepared sanctions packages in case the situation worsens. The coming weeks will show "
    "whether the two sides can turn general statements into a sequence of verifiable steps, starting with "
    "smaller confidence-building measures that both sides have tried before and know how to check on the ground.",
]
POLICY_ANALYSIS = [
    # about 80 words
    "The talks follow months of rising tension. Satellite images show large formations gathered near the "
    "border, and both sides accuse each other of provocation. In this climate even agreeing on an agenda counts "
    "as progress. American officials have tried to separate questions that can be negotiated, such as exercise "
    "notifications, from those they consider settled, such as the right of states to choose their alliances. "
    "Russian officials, by contrast, present their proposals as one package to be accepted whole.",
    # about 70 words
    "This difference in method matters. A package approach leaves little room for partial agreements, while a "
    "step-by-step approach needs a minimum of trust that is currently missing. Europe's position adds another "
    "layer: governments in the east push for firmness, those in the west stress dialogue, and all of them want "
    "a voice in decisions about their continent rather than learning of them afterwards.",
    # about 65 words
    "Energy is the quiet factor in every conversation. Many European states still depend on Russian gas, and a "
    "winter crisis would raise prices for households already under strain. That dependence limits how far some "
    "capitals are willing to go, and Moscow knows it. Washington has been talking to other suppliers about "
    "extra shipments in case deliveries through the pipelines stop.",
    # about 55 words
    "Sanctions are the other lever. Officials describe measures far stronger than those of previous years, "
    "aimed at banks and technology exports. Their threat is meant to deter, but deterrence only works if it "
    "is credible and coordinated. Disagreement among allies about the details would weaken the message before "
    "any measure is adopted.",
    # about 20 words
    "The next round will test whether both sides prefer a difficult compromise to an open confrontation.",
]
PHOTO_CAPTION = "“We remain ready to talk, but not at any price,” a spokesperson said after the meeting."
RESOURCES = [
    (
        "NATO",
        "https://www.nato.int/",
        "A political and military alliance of North American and European countries.",
    ),
    (
        "U.S. Department of State",
        "https://www.state.gov/",
        "The United States government department that leads the country's foreign policy.",
    ),
]


def picture(path, *, size, color, format="JPEG"):
    """A real image file made with Pillow: a plain field with a darker band, like a photo's horizon."""
    image = Image.new("RGB", size, color)
    band = Image.new("RGB", (size[0], size[1] // 3), tuple(max(0, c - 60) for c in color))
    image.paste(band, (0, size[1] // 2))
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    path.write_bytes(buffer.getvalue())
    return str(path)


class Person:
    """One person at one browser: every click and every typed field is counted, and no pop-up may open."""

    def __init__(self, chromium, name, *, tally, **context_options):
        self.name = name
        self.tally = tally
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900}, **context_options)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("popup", lambda popup: tally["popups"].append(popup.url))
        self.context.on("page", lambda page: page is self.page or tally["popups"].append(page.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    def click(self, target):
        self.tally["clicks"].append(f"{self.name}: {target}")
        locator = self.page.locator(target) if isinstance(target, str) else target
        locator.click()

    def choose_file(self, selector, path):
        # Opening the file chooser is a click; the chooser itself is the operating system's.
        self.tally["clicks"].append(f"{self.name}: choose {selector}")
        self.page.set_input_files(selector, path)

    def type_into(self, selector, text):
        self.tally["typed"] += 1
        self.page.fill(selector, text)

    def write(self, paragraphs):
        """Type paragraphs into the focused rich-text editor, Enter between them."""
        self.tally["typed"] += 1
        for position, paragraph in enumerate(paragraphs):
            if position:
                self.page.keyboard.press("Enter")
            self.page.keyboard.insert_text(paragraph)

    def log_in(self, live_server, username):
        self.page.goto(live_server.url + reverse("admin:login"))
        self.type_into("#id_username", username)
        self.type_into("#id_password", "pw")
        self.click("input[type=submit]")
        self.page.wait_for_url(f"**{reverse('admin:index')}")

    def close(self):
        self.context.close()


@pytest.fixture
def newsroom(django_user_model):
    """What an administrator sets up once: the series and its history, an Author with a profile, an Editor."""
    roles_ensure()
    Series.objects.create(name="Foreign Policy Brief", slug="foreign-policy", last_number=139)
    writer = django_user_model.objects.create_user(username="ibrahim", password="pw", is_staff=True)
    writer.groups.add(Group.objects.get(name="Authors"))
    Author.objects.create(name="Ibrahim Sultan", slug="ibrahim-sultan", user=writer)
    editor = django_user_model.objects.create_user(username="editor", password="pw", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    return writer, editor


def editor_for(page, heading):
    """The ProseMirror area of the section whose heading is ``heading``."""
    section = page.locator("#sections-group .inline-related:not(.empty-form)").filter(
        has=page.locator(f"input[name$='-heading'][value='{heading}']")
    )
    return section, section.locator(".ProseMirror[contenteditable=true]")


def test_an_author_and_an_editor_take_brief_140_from_first_words_to_published_at_a_set_time(
    live_server, chromium, newsroom, tmp_path, settings, time_machine
):
    """Brief #140 is written, reviewed by link, scheduled and live with the original's structure in ≤ 30 clicks."""
    # Deferred tasks need a backend that can wait: the database queue the production worker uses.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    header_file = picture(tmp_path / "talks.jpg", size=(1600, 900), color=(70, 90, 130))
    analysis_file = picture(tmp_path / "spokesperson.jpg", size=(1200, 800), color=(120, 80, 60))
    logos = [
        picture(tmp_path / "nato.png", size=(200, 200), color=(0, 50, 120), format="PNG"),
        picture(tmp_path / "state.png", size=(200, 200), color=(20, 40, 90), format="PNG"),
    ]
    tally = {"clicks": [], "typed": 0, "popups": []}

    # -- The Author writes ---------------------------------------------------------------------------------------
    author = Person(chromium, "author", tally=tally)
    page = author.page
    author.log_in(live_server, "ibrahim")
    author.click("a.addlink[href$='/briefs/brief/add/']")
    page.wait_for_selector("#sections-group .inline-related:not(.empty-form) .ProseMirror[contenteditable=true]")

    author.type_into("#id_title", TITLE)
    author.type_into("#id_summary", SUMMARY_LINE)
    author.choose_file("#id_header_photo_file", header_file)
    author.type_into("#id_header_photo_alt", "Delegations seated across a long negotiating table")
    author.type_into("#id_header_photo_credit", "The New York Times")

    _, summary_editor = editor_for(page, "Policy Summary")
    author.click(summary_editor)
    author.write(POLICY_SUMMARY)

    analysis_section, analysis_editor = editor_for(page, "Policy Analysis")
    author.click(analysis_editor)
    author.write(POLICY_ANALYSIS[:3])
    author.click(analysis_section.get_by_role("button", name="Add a photo"))
    block = analysis_section.locator(".photo-block__panel")
    author.choose_file(f"#{block.locator('input[type=file]').get_attribute('id')}", analysis_file)
    block.get_by_label("Alt text (required)").fill("A government spokesperson at a podium in front of flags")
    block.get_by_label("Caption").fill(PHOTO_CAPTION)
    block.get_by_label("Credit", exact=True).fill("The Sun")
    tally["typed"] += 3
    author.click(block.get_by_role("button", name="Add photo"))
    analysis_section.locator(".photo-block__card img").wait_for()
    author.write(POLICY_ANALYSIS[3:])

    for index, ((name, url, description), logo) in enumerate(zip(RESOURCES, logos, strict=True)):
        author.click("#brief_resources-group .add-row a")
        author.type_into(f"#id_brief_resources-{index}-new_name", name)
        author.type_into(f"#id_brief_resources-{index}-new_url", url)
        author.type_into(f"#id_brief_resources-{index}-new_description", description)
        author.choose_file(f"#id_brief_resources-{index}-new_logo", logo)
    page.screenshot(path=str(ARTIFACTS / "newsroom-author-writing.png"), full_page=True)

    author.click("button[name='workflow-transition'][value='submit_for_review'] >> nth=-1")
    page.wait_for_url(re.compile(r"/admin/briefs/brief/\d+/change/$"))
    assert "is with the editors for review" in page.locator(".messagelist").inner_text()
    brief = Brief.objects.get()
    assert (brief.status, brief.number) == (Brief.Status.IN_REVIEW, None)
    author.click("button.newsroom-copy")
    preview_link = page.locator("#newsroom-preview-link").input_value()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "newsroom-author-submitted.png"), full_page=True)
    assert not author.errors, author.errors
    author.close()

    # -- An outside reviewer opens the preview link without an account -------------------------------------------
    reviewer = Person(chromium, "reviewer", tally={"clicks": [], "typed": 0, "popups": tally["popups"]})
    response = reviewer.page.goto(preview_link)
    assert response.status == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert reviewer.page.locator("meta[name=robots]").get_attribute("content").startswith("noindex")
    assert "Preview." in reviewer.page.locator(".preview-banner").inner_text()
    assert reviewer.page.get_by_role("heading", level=1).inner_text() == TITLE
    reviewer.page.screenshot(path=str(ARTIFACTS / "newsroom-preview-link.png"), full_page=True)
    reviewer.close()

    # -- The Editor schedules it -----------------------------------------------------------------------------------
    go_live_at = (timezone.localtime() + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    editor = Person(chromium, "editor", tally=tally)
    editor.log_in(live_server, "editor")
    editor.click("#content-main a[href$='/briefs/brief/'] >> nth=0")
    editor.click(f"a[href$='/briefs/brief/{brief.pk}/change/'] >> nth=0")
    editor.page.wait_for_selector("#id_workflow-schedule_at")
    editor.type_into("#id_workflow-schedule_at", go_live_at.strftime("%Y-%m-%dT%H:%M"))
    editor.click("button[name='workflow-transition'][value='schedule'] >> nth=-1")
    editor.page.wait_for_url(re.compile(r"/admin/briefs/brief/\d+/change/$"))
    assert "is scheduled for" in editor.page.locator(".messagelist").inner_text()
    editor.page.screenshot(path=str(ARTIFACTS / "newsroom-editor-scheduled.png"), full_page=True)
    assert not editor.errors, editor.errors
    editor.close()

    brief.refresh_from_db()
    assert (brief.status, brief.number) == (Brief.Status.SCHEDULED, None)
    assert live_server_status(chromium, live_server.url + brief.get_absolute_url()) == 404

    # -- Its time comes: the worker runs the go-live task queued for then ------------------------------------------
    call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=io.StringIO())
    assert Brief.objects.get().status == Brief.Status.SCHEDULED  # not before its time
    time_machine.move_to(go_live_at + datetime.timedelta(seconds=5), tick=True)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=io.StringIO())
    brief.refresh_from_db()
    assert (brief.status, brief.number) == (Brief.Status.PUBLISHED, 140)

    # -- The public page has the original's structure ---------------------------------------------------------------
    reader = chromium.new_context(viewport={"width": 1280, "height": 900})
    public = reader.new_page()
    public.goto(live_server.url + brief.get_absolute_url())
    assert public.get_by_role("heading", level=1).inner_text() == TITLE
    meta = public.locator(".brief-meta").inner_text()
    assert "FOREIGN POLICY BRIEF #140" in meta.upper()
    assert "By: Ibrahim Sultan" in " ".join(meta.split())
    assert go_live_at.strftime("%B %-d, %Y") in meta
    assert "Header photo taken from: The New York Times" in " ".join(
        public.locator("figure.brief-hero figcaption").inner_text().split()
    )
    headings = public.locator("h2.brief-section-title").all_inner_texts()
    assert headings[:2] == ["Policy Summary", "Policy Analysis"]
    summary_text, analysis_prose = public.locator(".brief-section .prose").all()
    assert summary_text.locator("> p").count() == 2
    layout = analysis_prose.evaluate("prose => Array.from(prose.children).map(child => child.tagName.toLowerCase())")
    assert layout == ["p", "p", "p", "figure", "p", "p"], layout
    figure = analysis_prose.locator("figure")
    caption = " ".join(figure.locator("figcaption").inner_text().split())
    assert PHOTO_CAPTION in caption
    assert "Photo taken from: The Sun" in caption
    assert figure.locator("img").get_attribute("alt") == "A government spokesperson at a podium in front of flags"
    cards = public.locator(".resource-card")
    assert cards.count() == 2
    for card, (name, url, description) in zip(cards.all(), RESOURCES, strict=True):
        assert card.locator("img.resource-logo").get_attribute("alt") == f"{name} logo"
        assert card.get_by_role("link", name=name).get_attribute("href") == url
        assert description in card.inner_text()
    public.screenshot(path=str(ARTIFACTS / "newsroom-brief-140.png"), full_page=True)
    reader.close()

    clicks = len(tally["clicks"])
    print(f"\nBrief #140: {clicks} clicks (Author and Editor), {tally['typed']} typed fields, "
          f"{len(tally['popups'])} pop-up windows.")  # fmt: skip
    for click in tally["clicks"]:
        print("  ", click)
    assert tally["popups"] == []
    assert clicks <= CLICK_BUDGET


def live_server_status(chromium, url) -> int:
    context = chromium.new_context()
    try:
        return context.new_page().goto(url).status
    finally:
        context.close()
