"""Editing comfort in the brief form: reorderable inlines, photo pickers with thumbnails, previews, list filters.

The last test drives real Chromium: an editor reorders sections with the keyboard and readers see the new order.
"""

import re

import pytest
from django.urls import reverse

from briefs.models import Brief, BriefAuthor
from tests.chromium import ARTIFACTS
from tests.factories import (
    AuthorFactory,
    BriefFactory,
    EngagementResourceFactory,
    PhotoFactory,
    TopicFactory,
    published_brief,
)

PHOTO_AUTOCOMPLETE_URL = reverse("admin:briefs_photo_autocomplete")
ADD_BRIEF_URL = reverse("admin:briefs_brief_add")


def change_url(brief):
    return reverse("admin:briefs_brief_change", args=[brief.pk])


def photo_search(client, *, term="", model_name="brief", field_name="header_photo", **extra):
    return client.get(
        PHOTO_AUTOCOMPLETE_URL,
        {"app_label": "briefs", "model_name": model_name, "field_name": field_name, "term": term, **extra},
    )


@pytest.mark.django_db
class TestPhotoPicker:
    def test_photo_search_results_come_with_a_thumbnail(self, staff_client):
        """Searching for a header photo shows each match with a small picture of it."""
        wanted = PhotoFactory(alt_text="Wind turbines off the coast")
        PhotoFactory(alt_text="Parliament in session")

        response = photo_search(staff_client, term="turbines")

        assert response.status_code == 200
        assert response.json()["results"] == [
            {
                "id": str(wanted.pk),
                "text": "Wind turbines off the coast",
                "thumbnail": wanted.card_image.url,
                "alt": "Wind turbines off the coast",
            }
        ]

    def test_header_photo_search_also_shows_thumbnails(self, staff_client):
        """The header photo picker on the brief itself searches the same library with thumbnails."""
        photo = PhotoFactory(alt_text="Harbour cranes at dawn")

        response = photo_search(staff_client, term="cranes", model_name="brief", field_name="header_photo")

        assert response.status_code == 200
        assert [result["thumbnail"] for result in response.json()["results"]] == [photo.card_image.url]

    def test_one_photo_can_be_looked_up_by_id(self, staff_client):
        """The picker can fetch just one photo's thumbnail by its id."""
        PhotoFactory()
        added = PhotoFactory(alt_text="Freshly uploaded")

        results = photo_search(staff_client, pk=str(added.pk)).json()["results"]
        nonsense = photo_search(staff_client, pk="not-a-number").json()["results"]

        assert [result["id"] for result in results] == [str(added.pk)]
        assert nonsense == []

    def test_the_photo_search_refuses_fields_that_are_not_photos(self, staff_client):
        """The thumbnail search answers only for photo fields, not for authors or anything else."""
        AuthorFactory(name="Amara Okafor")

        response = photo_search(staff_client, term="Amara", model_name="briefauthor", field_name="author")

        assert response.status_code == 403

    def test_people_who_are_not_staff_cannot_search_the_photo_library(self, client, django_user_model):
        """Readers are sent to the login page instead of getting photo search results."""
        PhotoFactory()
        assert photo_search(client).status_code == 302
        client.force_login(django_user_model.objects.create_user(username="reader", password="pw"))
        response = photo_search(client)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]

    def test_the_brief_form_shows_the_chosen_header_photo_with_a_thumbnail(self, staff_client):
        """An editor opening a brief sees its header photo as a picture, in the picker and below it."""
        header = PhotoFactory(alt_text="Harbour cranes at dawn")
        brief = published_brief(header_photo=header, sections=1)

        page = staff_client.get(change_url(brief)).content.decode()

        assert f'data-ajax--url="{PHOTO_AUTOCOMPLETE_URL}"' in page
        assert f'data-thumbnail="{header.card_image.url}"' in page
        # Without JavaScript the server-rendered preview is there too.
        assert f'<img src="{header.card_image.url}" alt="{header.alt_text}" class="admin-thumbnail"' in page
        assert "admin/js/photo-picker.js" in page

    def test_no_picker_on_the_brief_form_opens_a_popup_window(self, staff_client):
        """Header photo, series, topics, authors and resources have no "+", pencil or eye links (pop-up windows)."""
        brief = published_brief(header_photo=PhotoFactory(), resources=[EngagementResourceFactory()])
        for url in (ADD_BRIEF_URL, change_url(brief)):
            page = staff_client.get(url).content.decode()
            assert "_popup=1" not in page, url
            assert 'class="related-widget-wrapper-link' not in page, url


@pytest.mark.django_db
class TestReordering:
    def test_the_brief_form_loads_the_reordering_script(self, staff_client):
        """The add and change pages bring the script that adds drag handles and Move up/down buttons."""
        brief = published_brief()
        for url in (ADD_BRIEF_URL, change_url(brief)):
            page = staff_client.get(url).content.decode()
            assert re.search(r'<script src="[^"]*core/sortable-inlines\.js"', page), url
            assert "core/sortable-inlines.css" in page

    def test_saving_new_sort_orders_reorders_the_sections_readers_see(self, staff_client, client):
        """What the reordering script posts (renumbered sort_order fields) is the order on the public page."""
        brief = published_brief(sections=3)
        author = brief.brief_authors.get()
        sections = list(brief.sections.all())
        new_order = [sections[1], sections[0], sections[2]]
        data = {
            "title": brief.title,
            "slug": brief.slug,
            "series": str(brief.series_id),
            "summary": brief.summary,
            "status": brief.status,
            "published_at_0": brief.published_at.strftime("%Y-%m-%d"),
            "published_at_1": brief.published_at.strftime("%H:%M:%S"),
            "header_photo": "",
            "_save": "Save",
            "brief_authors-TOTAL_FORMS": "1",
            "brief_authors-INITIAL_FORMS": "1",
            "brief_authors-0-id": str(author.pk),
            "brief_authors-0-brief": str(brief.pk),
            "brief_authors-0-author": str(author.author_id),
            "brief_authors-0-sort_order": "0",
            "sections-TOTAL_FORMS": "3",
            "sections-INITIAL_FORMS": "3",
            "brief_resources-TOTAL_FORMS": "0",
            "brief_resources-INITIAL_FORMS": "0",
        }
        for index, section in enumerate(sections):
            data |= {
                f"sections-{index}-id": str(section.pk),
                f"sections-{index}-brief": str(brief.pk),
                f"sections-{index}-heading": section.heading,
                f"sections-{index}-body": section.body,
                f"sections-{index}-sort_order": str(new_order.index(section)),
            }

        response = staff_client.post(change_url(brief), data)

        assert response.status_code == 302, response.context and response.context["errors"]
        assert list(brief.sections.all()) == new_order
        page = client.get(brief.get_absolute_url()).content.decode()
        headings = [section.heading for section in new_order]
        assert [page.index(f">{heading}</h2>") for heading in headings] == sorted(
            page.index(f">{heading}</h2>") for heading in headings
        )

    def test_an_added_row_left_blank_is_ignored_even_though_it_was_numbered(self, staff_client):
        """Clicking "Add another author" and leaving it empty saves the brief instead of demanding an author."""
        brief = BriefFactory()
        author = AuthorFactory()
        data = {
            "title": brief.title,
            "slug": brief.slug,
            "series": str(brief.series_id),
            "summary": brief.summary,
            "status": Brief.Status.DRAFT,
            "published_at_0": "",
            "published_at_1": "",
            "header_photo": "",
            "_save": "Save",
            "brief_authors-TOTAL_FORMS": "2",
            "brief_authors-INITIAL_FORMS": "0",
            "brief_authors-MIN_NUM_FORMS": "1",
            "brief_authors-0-author": str(author.pk),
            "brief_authors-0-sort_order": "0",
            # The blank row: the script numbered it, nothing else.
            "brief_authors-1-author": "",
            "brief_authors-1-sort_order": "1",
            "sections-TOTAL_FORMS": "0",
            "sections-INITIAL_FORMS": "0",
            "brief_resources-TOTAL_FORMS": "0",
            "brief_resources-INITIAL_FORMS": "0",
        }

        response = staff_client.post(change_url(brief), data)

        assert response.status_code == 302
        assert list(BriefAuthor.objects.filter(brief=brief).values_list("author", flat=True)) == [author.pk]


@pytest.mark.django_db
class TestPreviewAndList:
    def test_view_on_site_opens_the_draft_preview_for_staff(self, staff_client):
        """A draft's "View on site" link leads staff to the page readers will see, marked as a preview."""
        draft = BriefFactory(title="Tariffs and the grain trade", slug="tariffs-and-grain")

        page = staff_client.get(change_url(draft)).content.decode()
        link = re.search(r'<a href="([^"]+)" class="viewsitelink"', page)

        assert link, "no View on site link on the draft"
        response = staff_client.get(link.group(1), follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0].endswith(draft.get_absolute_url())
        assert "Tariffs and the grain trade" in response.content.decode()
        assert response["Cache-Control"] == "private, no-store"

    def test_the_brief_list_shows_label_title_authors_status_and_date(self, staff_client):
        """Each row of the brief list reads "Series #n", title, authors, status and publication date."""
        published_brief(
            title="Keeping the grain corridor open",
            authors=[AuthorFactory(name="Amara Okafor"), AuthorFactory(name="Lena Fischer")],
        )

        response = staff_client.get(reverse("admin:briefs_brief_changelist"))

        page = response.content.decode()
        assert re.search(r"Policy Brief #1\b", page)
        assert "Keeping the grain corridor open" in page
        assert "Amara Okafor, Lena Fischer" in page
        assert "Published" in page

    def test_the_author_and_topic_filters_list_only_what_briefs_use(self, staff_client):
        """The filters offer the authors and topics that have briefs, and "No topic" for briefs without one."""
        trade = TopicFactory(name="Trade")
        TopicFactory(name="Unused topic")
        published_brief(authors=[AuthorFactory(name="Amara Okafor")], topics=[trade])
        published_brief(authors=[AuthorFactory(name="Lena Fischer")])
        AuthorFactory(name="Nobody Yet")

        response = staff_client.get(reverse("admin:briefs_brief_changelist"))

        filters = {
            spec.title: [choice["display"] for choice in spec.choices(response.context["cl"])]
            for spec in response.context["cl"].filter_specs
        }
        author_filter = next(choices for title, choices in filters.items() if "author" in str(title))
        topic_filter = next(choices for title, choices in filters.items() if "topic" in str(title))
        assert author_filter[1:] == ["Amara Okafor", "Lena Fischer"]
        assert topic_filter[1:] == ["Trade", "No topic"]


# A real browser ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_page(page):
    """A Chromium page at 1280 px (tests/chromium.py); console errors and script errors fail the test."""
    return page


def section_headings(page):
    return page.locator("#sections-group .inline-related:not(.empty-form) input[name$='-heading']").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_editor_reorders_sections_with_the_keyboard_and_readers_see_the_new_order(
    live_server, admin_page, staff_user
):
    """Text typed in a section, "Move down" by keyboard, Save: the public brief shows the new order and the text."""
    brief = published_brief(title="Keeping the grain corridor open", sections=3)
    page = admin_page

    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.goto(live_server.url + change_url(brief))

    editor = page.locator("#sections-0 [contenteditable=true]")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Typed before the move.")
    assert section_headings(page) == ["Section 1", "Section 2", "Section 3"]
    assert page.locator("#sections-0 input[name$='-sort_order']").is_hidden()

    move_down = page.get_by_role("button", name="Move “Section 1” down")
    move_down.focus()
    page.keyboard.press("Enter")

    assert section_headings(page) == ["Section 2", "Section 1", "Section 3"]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move “Section 1” down"
    page.locator("[aria-live=polite]").filter(has_text="Section 1 moved to position 2 of 3.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-sections-reordered.png"), full_page=True)

    page.click("input[name=_save]")
    page.wait_for_url("**" + reverse("admin:briefs_brief_changelist"))
    assert list(brief.sections.values_list("heading", "sort_order")) == [
        ("Section 2", 0),
        ("Section 1", 1),
        ("Section 3", 2),
    ]

    page.goto(live_server.url + brief.get_absolute_url())
    titles = page.locator("h2.brief-section-title").all_inner_texts()
    assert titles[:3] == ["Section 2", "Section 1", "Section 3"]
    assert "Typed before the move." in page.locator("section.brief-section").nth(1).inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_editor_picks_a_header_photo_seeing_thumbnails(live_server, admin_page, staff_user):
    """Photo search shows thumbnails and the preview under the picker follows the choice."""
    PhotoFactory(alt_text="Harbour cranes at dawn")
    brief = published_brief(sections=1)
    page = admin_page

    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.goto(live_server.url + change_url(brief))

    page.click(".field-header_photo .select2-selection")
    result = page.locator(".select2-results__option", has_text="Harbour cranes at dawn")
    result.locator("img").wait_for()
    result.click()
    preview = page.locator(".field-header_photo_preview .readonly img")
    assert preview.get_attribute("alt") == "Harbour cranes at dawn"
    assert page.locator(".field-header_photo .select2-selection img").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-photo-pickers.png"), full_page=True)

    page.click("input[name=_save]")
    page.wait_for_url("**" + reverse("admin:briefs_brief_changelist"))
    brief.refresh_from_db()
    assert brief.header_photo.alt_text == "Harbour cranes at dawn"
