"""Staff write briefs in the admin: the forms an editor fills in, end to end, and what readers then see."""

import datetime
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from briefs.models import Brief, Photo
from tests.factories import (
    AuthorFactory,
    BriefFactory,
    EngagementResourceFactory,
    PhotoFactory,
    SeriesFactory,
    TopicFactory,
    image_bytes,
    published_brief,
)

pytestmark = pytest.mark.django_db

ADD_BRIEF_URL = reverse("admin:briefs_brief_add")


@pytest.fixture
def reader():
    """A visitor who is not logged in (``client`` is the editor's own browser once ``staff_client`` is used)."""
    return Client()


def management_form(prefix: str, total: int, initial: int = 0, min_num: int = 0) -> dict:
    """The hidden fields every inline formset posts alongside its rows."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": str(min_num),
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def inline_prefixes(response) -> list[str]:
    return [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]


def brief_form_data(
    *, title, slug, series, summary, authors, sections=(), resources=(), button="_save", **extra
) -> dict:
    """What the "Add brief" page posts when an editor has filled it in and pressed ``button``.

    "_save" saves; "_publish" is "Save and publish now", "_unpublish" "Save and unpublish" (workflow buttons).
    """
    data = {
        "title": title,
        "slug": slug,
        "series": str(series.pk),
        "summary": summary,
        "header_photo": "",
        "published_at_0": "",
        "published_at_1": "",
        **({"workflow-transition": button.lstrip("_")} if button in {"_publish", "_unpublish"} else {button: "Save"}),
        **management_form("brief_authors", len(authors), min_num=1),
        **management_form("sections", len(sections)),
        **management_form("brief_resources", len(resources)),
    }
    for index, author in enumerate(authors):
        data[f"brief_authors-{index}-author"] = str(author.pk)
        data[f"brief_authors-{index}-sort_order"] = str(index)
    for index, section in enumerate(sections):
        data[f"sections-{index}-heading"] = section["heading"]
        data[f"sections-{index}-body"] = section.get("body", "")
        data[f"sections-{index}-sort_order"] = str(index)
    for index, resource in enumerate(resources):
        data[f"brief_resources-{index}-resource"] = str(resource.pk)
        data[f"brief_resources-{index}-sort_order"] = str(index)
    data.update(extra)
    return data


def admin_date(moment) -> dict:
    """The publication date as the admin's separate date and time boxes post it."""
    local = timezone.localtime(moment)
    return {"published_at_0": local.strftime("%Y-%m-%d"), "published_at_1": local.strftime("%H:%M:%S")}


def assert_saved(response):
    """The admin redirects after a successful save; on failure it shows the form errors, which we print."""
    if response.status_code != 302:
        context = response.context
        errors = [context["adminform"].form.errors] + [
            (inline.formset.prefix, inline.formset.errors, inline.formset.non_form_errors())
            for inline in context["inline_admin_formsets"]
        ]
        pytest.fail(f"the brief was not saved: {errors}")


def test_the_add_brief_form_starts_with_policy_summary_and_policy_analysis(staff_client):
    """An editor opening "Add brief" finds the two standard sections already there, in order."""
    response = staff_client.get(ADD_BRIEF_URL)

    assert response.status_code == 200
    assert {"brief_authors", "sections", "brief_resources"} <= set(inline_prefixes(response))
    body = response.content.decode()
    assert 'value="Policy Summary"' in body
    assert 'value="Policy Analysis"' in body
    assert body.index('value="Policy Summary"') < body.index('value="Policy Analysis"')


def test_a_brief_saved_with_the_prefilled_sections_keeps_them(staff_client):
    """Saving a new brief without touching the pre-filled sections gives it those two sections."""
    series = SeriesFactory()
    author = AuthorFactory()
    response = staff_client.get(ADD_BRIEF_URL)
    sections = [
        {"heading": form.initial["heading"]}
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "sections"
        for form in inline.formset.forms
    ]

    response = staff_client.post(
        ADD_BRIEF_URL,
        brief_form_data(
            title="Water rights on the upper river",
            slug="water-rights",
            series=series,
            summary="Who gets the water.",
            authors=[author],
            sections=sections,
        ),
    )

    assert_saved(response)
    brief = Brief.objects.get(slug="water-rights")
    assert [section.heading for section in brief.sections.all()] == ["Policy Summary", "Policy Analysis"]
    assert brief.number is None


def test_an_editor_publishes_a_complete_brief_through_the_admin(staff_client, reader):
    """A brief made in the admin forms (sections, photos, authors, resources, topics) is live with its number."""
    series = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy", last_number=139)
    header = PhotoFactory(alt_text="Harbour cranes at dawn", credit="Port Authority Archive")
    map_photo = PhotoFactory(alt_text="Map of the shipping lanes", credit="Cartography Studio")
    chart_photo = PhotoFactory(alt_text="Chart of grain prices", credit="Market Data Office", source_url="")
    first_author = AuthorFactory(name="Amara Okafor", slug="amara-okafor")
    second_author = AuthorFactory(name="Lena Fischer", slug="lena-fischer")
    food = EngagementResourceFactory(name="Grain Trade Observatory", url="https://grain.example.org/")
    ports = EngagementResourceFactory(name="Ports and Shipping Council", url="https://ports.example.org/")
    trade = TopicFactory(name="Trade", slug="trade")
    security = TopicFactory(name="Food Security", slug="food-security")

    assert staff_client.get(ADD_BRIEF_URL).status_code == 200
    response = staff_client.post(
        ADD_BRIEF_URL,
        brief_form_data(
            title="Keeping the grain corridor open",
            slug="grain-corridor",
            series=series,
            summary="Shipping through the strait has halved. Three steps would restore it.",
            button="_publish",
            header_photo=str(header.pk),
            topics=[str(trade.pk), str(security.pk)],
            authors=[first_author, second_author],
            sections=[
                {
                    "heading": "Policy Summary",
                    "body": f'<figure data-photo-id="{map_photo.pk}"></figure>'
                    "<p>Exports fell by <strong>half</strong> in a year.</p>",
                },
                {
                    "heading": "Policy Analysis",
                    "body": '<p>Insurers <em>priced in</em> the risk. See <a href="https://grain.example.org/">data</a>.'
                    f'</p><figure data-photo-id="{chart_photo.pk}"></figure><script>alert(1)</script>',
                },
            ],
            resources=[food, ports],
        ),
    )

    assert_saved(response)
    brief = Brief.objects.get(slug="grain-corridor")
    assert brief.status == Brief.Status.PUBLISHED
    assert brief.number == 140
    assert brief.header_photo == header
    assert brief.authors == [first_author, second_author]
    assert set(brief.topics.all()) == {trade, security}
    assert [resource.resource for resource in brief.brief_resources.all()] == [food, ports]
    assert "<script" not in "".join(section.body for section in brief.sections.all())

    dashboard = reader.get(reverse("briefs:dashboard")).content.decode()
    assert "Keeping the grain corridor open" in dashboard
    assert "Foreign Policy Brief #140" in dashboard

    response = reader.get(brief.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Foreign Policy Brief #140" in page
    for text in [
        "Policy Summary",
        "Exports fell by <strong>half</strong> in a year.",
        "Policy Analysis",
        "<em>priced in</em>",
        "Amara Okafor",
        "Lena Fischer",
        "Grain Trade Observatory",
        "https://grain.example.org/",
        "Ports and Shipping Council",
        "https://ports.example.org/",
        "Trade",
        "Food Security",
    ]:
        assert text in page, text
    for photo in (header, map_photo, chart_photo):
        assert photo.image.url in page
        assert f'alt="{photo.alt_text}"' in page
        assert photo.credit in page
    assert "alert(1)" not in page


def test_publishing_from_the_change_form_numbers_a_draft(staff_client):
    """ "Save and publish" on an existing draft gives it the next number in its series."""
    series = SeriesFactory()
    published_brief(series=series)
    draft = BriefFactory(series=series, title="Second in the series", slug="second")
    author = AuthorFactory()

    response = staff_client.post(
        reverse("admin:briefs_brief_change", args=[draft.pk]),
        brief_form_data(
            title=draft.title,
            slug=draft.slug,
            series=series,
            summary=draft.summary,
            button="_publish",
            authors=[author],
        ),
    )

    assert_saved(response)
    draft.refresh_from_db()
    assert draft.status == Brief.Status.PUBLISHED
    assert draft.number == 2


def test_the_publish_action_numbers_the_selected_drafts(staff_client):
    """Publishing drafts from the list gives each its own number and says how many were published."""
    series = SeriesFactory()
    drafts = [BriefFactory(series=series) for _ in range(2)]

    response = staff_client.post(
        reverse("admin:briefs_brief_changelist"),
        {"action": "publish_selected", "_selected_action": [str(brief.pk) for brief in drafts]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Published 2 brief(s)." in response.content.decode()
    assert sorted(Brief.objects.values_list("number", flat=True)) == [1, 2]


def test_an_editor_uploads_a_photo_to_the_library(staff_client):
    """The "Add photo" form takes an image file with alt text and credit, and the photo is listed."""
    response = staff_client.post(
        reverse("admin:briefs_photo_add"),
        {
            "image": SimpleUploadedFile("harbour.jpg", image_bytes(size=(640, 480)), content_type="image/jpeg"),
            "alt_text": "Container ships waiting outside the harbour",
            "caption": "The queue on 3 March.",
            "credit": "Port Authority Archive",
            "source_url": "https://archive.example.org/harbour",
        },
    )

    assert response.status_code == 302
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (640, 480)
    assert photo.credit == "Port Authority Archive"
    listing = staff_client.get(reverse("admin:briefs_photo_changelist")).content.decode()
    assert "Container ships waiting outside the harbour" in listing
    assert photo.thumbnail.url in listing  # the library grid shows thumbnails
    assert photo.image.storage.exists(photo.image.name)


def test_an_editor_finds_a_header_photo_by_typing_part_of_its_description(staff_client):
    """The header photo picker searches the library by alt text."""
    wanted = PhotoFactory(alt_text="Wind turbines off the coast")
    PhotoFactory(alt_text="Parliament in session")

    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "briefs", "model_name": "brief", "field_name": "header_photo", "term": "turbines"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(wanted.pk)]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status__exact": "published"},
        {"status__exact": "draft"},
        {"q": "grain"},
        {"o": "1"},
    ],
)
def test_the_brief_list_filters_and_search_work(staff_client, query):
    """Every filter and the search box on the brief list answer without an error."""
    published_brief(title="Grain corridor")
    BriefFactory(title="Draft on tariffs")

    response = staff_client.get(reverse("admin:briefs_brief_changelist"), query)

    assert response.status_code == 200


def test_the_brief_list_narrows_by_series_topic_author_and_search(staff_client):
    """Choosing a series, topic or author, or searching, lists only the matching briefs."""
    energy = SeriesFactory(name="Energy Brief", slug="energy")
    trade = TopicFactory(name="Trade", slug="trade")
    author = AuthorFactory(name="Amara Okafor")
    match = published_brief(title="Grain and gas", series=energy, topics=[trade], authors=[author])
    other = published_brief(title="Unrelated question")
    changelist = reverse("admin:briefs_brief_changelist")

    for query in [
        {"series__id__exact": energy.pk},
        {"topics__id__exact": trade.pk},
        {"brief_authors__author__id__exact": author.pk},
        {"q": "gas"},
        {"series__id__exact": energy.pk, "topics__id__exact": trade.pk, "q": "grain"},
    ]:
        response = staff_client.get(changelist, query)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [match], query
        page = response.content.decode()
        assert match.title in page
        assert other.title not in page


@pytest.mark.parametrize("model", ["series", "topic", "photo", "author", "engagementresource"])
def test_every_library_list_and_add_form_opens(staff_client, model):
    """Series, topics, photos, authors and organisations each have a working list and "Add" form."""
    assert staff_client.get(reverse(f"admin:briefs_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:briefs_{model}_changelist"), {"q": "a"}).status_code == 200
    assert staff_client.get(reverse(f"admin:briefs_{model}_add")).status_code == 200


def test_a_saved_brief_has_a_view_on_site_link_to_its_page(staff_client):
    """From a brief's admin page the editor can jump to the page readers see."""
    brief = published_brief(title="Grain corridor", slug="grain-corridor")

    response = staff_client.get(reverse("admin:briefs_brief_change", args=[brief.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    link = re.search(r'<a href="([^"]+)"[^>]*>\s*View on site', page)
    assert link, "no View on site link"
    redirect = staff_client.get(html.unescape(link.group(1)))
    assert redirect.status_code == 302
    assert redirect["Location"].endswith(brief.get_absolute_url())


def test_people_who_are_not_staff_cannot_open_the_brief_admin(client, django_user_model):
    """Readers and logged-in non-staff are sent to the login page instead of the editor."""
    assert client.get(ADD_BRIEF_URL).status_code == 302
    reader = django_user_model.objects.create_user(username="reader", password="pw")
    client.force_login(reader)
    response = client.get(ADD_BRIEF_URL)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_a_numbered_brief_cannot_be_moved_to_another_series(staff_client):
    """Moving Energy Brief #1 into a series that has its own #1 is refused with a message, not an error page."""
    energy = SeriesFactory(name="Energy Brief", slug="energy")
    foreign = SeriesFactory(name="Foreign Policy Brief", slug="foreign")
    brief = published_brief(series=energy, title="Gas storage", slug="gas-storage")
    published_brief(series=foreign)
    author = AuthorFactory()

    response = staff_client.post(
        reverse("admin:briefs_brief_change", args=[brief.pk]),
        brief_form_data(
            title=brief.title,
            slug=brief.slug,
            series=foreign,
            summary=brief.summary,
            authors=[author],
            **admin_date(brief.published_at),
        ),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["series"]
    assert "already has number 1" in errors["series"][0]
    brief.refresh_from_db()
    assert (brief.series, brief.number) == (energy, 1)


def test_clearing_the_date_of_a_published_brief_is_refused(staff_client):
    """Emptying a live brief's publication date asks for a date instead of failing or re-dating it silently."""
    brief = published_brief(published_at=timezone.now() - datetime.timedelta(days=30))
    original_date = brief.published_at

    response = staff_client.post(
        reverse("admin:briefs_brief_change", args=[brief.pk]),
        brief_form_data(
            title=brief.title,
            slug=brief.slug,
            series=brief.series,
            summary=brief.summary,
            authors=brief.authors,
        ),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "A published brief needs its publication date." in errors["published_at"][0]
    brief.refresh_from_db()
    assert brief.published_at == original_date


def test_an_editor_can_still_change_a_published_brief(staff_client):
    """Correcting the title of a live brief saves, keeping its series, number and date."""
    brief = published_brief(published_at=timezone.now() - datetime.timedelta(days=30))
    byline = brief.brief_authors.get()
    data = brief_form_data(
        title="A corrected title",
        slug=brief.slug,
        series=brief.series,
        summary=brief.summary,
        authors=[byline.author],
        **admin_date(brief.published_at),
    )
    # The byline row already exists, so it is posted as an existing row of the inline.
    data.update({"brief_authors-INITIAL_FORMS": "1", "brief_authors-0-id": str(byline.pk)})

    response = staff_client.post(reverse("admin:briefs_brief_change", args=[brief.pk]), data)

    assert_saved(response)
    updated = Brief.objects.get(pk=brief.pk)
    assert updated.title == "A corrected title"
    assert (updated.number, updated.published_at) == (brief.number, brief.published_at.replace(microsecond=0))


def test_lowering_a_series_counter_below_its_briefs_is_refused(staff_client):
    """Setting a series' last number below a number already given is refused, so publishing never fails later."""
    series = SeriesFactory(name="Energy Brief", slug="energy")
    published_brief(series=series)
    published_brief(series=series)

    response = staff_client.post(
        reverse("admin:briefs_series_change", args=[series.pk]),
        {"name": series.name, "slug": series.slug, "description": "", "last_number": "1"},
    )

    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["last_number"])
    assert "#2" in message
    series.refresh_from_db()
    assert series.last_number == 2


def test_a_brief_keeps_at_least_one_author(staff_client):
    """Removing the only author of a brief is refused with a message, so no brief goes out without a byline."""
    brief = published_brief(published_at=timezone.now() - datetime.timedelta(days=2))
    byline = brief.brief_authors.get()
    data = brief_form_data(
        title=brief.title,
        slug=brief.slug,
        series=brief.series,
        summary=brief.summary,
        authors=[byline.author],
        **admin_date(brief.published_at),
    )
    data.update(
        {"brief_authors-INITIAL_FORMS": "1", "brief_authors-0-id": str(byline.pk), "brief_authors-0-DELETE": "on"}
    )

    response = staff_client.post(reverse("admin:briefs_brief_change", args=[brief.pk]), data)

    assert response.status_code == 200
    assert "at least one author" in response.content.decode()
    assert brief.brief_authors.count() == 1


def test_a_new_brief_without_an_author_is_refused(staff_client):
    """A new brief posted with no author row at all is not saved, and the editor is told why."""
    response = staff_client.post(
        ADD_BRIEF_URL,
        brief_form_data(
            title="Anonymous",
            slug="anonymous",
            series=SeriesFactory(),
            summary="Nobody wrote this.",
            button="_publish",
            authors=[],
        ),
    )

    assert response.status_code == 200
    assert "A brief needs at least one author." in response.content.decode()
    assert not Brief.objects.exists()


def test_unpublishing_and_republishing_in_the_admin_keeps_the_number(staff_client, reader):
    """ "Save and unpublish" hides a live brief; "Save and publish" brings it back with the same number."""
    series = SeriesFactory(name="Energy Brief", slug="energy")
    brief = published_brief(series=series, title="Gas storage", published_at=timezone.now() - datetime.timedelta(1))
    published_brief(series=series)
    byline = brief.brief_authors.get()
    change_url = reverse("admin:briefs_brief_change", args=[brief.pk])

    def press(button):
        data = brief_form_data(
            title=brief.title,
            slug=brief.slug,
            series=series,
            summary=brief.summary,
            button=button,
            authors=[byline.author],
            **admin_date(brief.published_at),
        )
        data.update({"brief_authors-INITIAL_FORMS": "1", "brief_authors-0-id": str(byline.pk)})
        assert_saved(staff_client.post(change_url, data))

    assert 'name="workflow-transition" value="unpublish"' in staff_client.get(change_url).content.decode()
    press("_unpublish")
    assert reader.get(brief.get_absolute_url()).status_code == 404
    assert Brief.objects.get(pk=brief.pk).number == 1

    assert 'name="workflow-transition" value="publish"' in staff_client.get(change_url).content.decode()
    press("_publish")
    assert "Energy Brief #1" in reader.get(brief.get_absolute_url()).content.decode()
    assert Brief.objects.get(pk=brief.pk).number == 1
    assert published_brief(series=series).number == 3


def test_a_posted_status_is_ignored_so_saving_never_publishes(staff_client, reader):
    """Only the "Save and publish" button publishes: a status smuggled into the form changes nothing."""
    series = SeriesFactory()
    data = brief_form_data(
        title="Quiet draft", slug="quiet-draft", series=series, summary="Not yet.", authors=[AuthorFactory()]
    )
    data["status"] = Brief.Status.PUBLISHED

    assert_saved(staff_client.post(ADD_BRIEF_URL, data))

    brief = Brief.objects.get(slug="quiet-draft")
    assert (brief.status, brief.number) == (Brief.Status.DRAFT, None)
    assert reader.get(brief.get_absolute_url()).status_code == 404
    page = staff_client.get(reverse("admin:briefs_brief_change", args=[brief.pk])).content.decode()
    assert 'name="status"' not in page
    assert 'name="workflow-transition" value="publish"' in page
