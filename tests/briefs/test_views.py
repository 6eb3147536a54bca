"""Public pages: what a reader sees on the dashboard, brief, series, topic and author pages."""

import datetime
import html
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from briefs.models import Brief
from tests.factories import (
    AuthorFactory,
    BriefFactory,
    EngagementResourceFactory,
    PhotoFactory,
    SeriesFactory,
    TopicFactory,
    published_brief,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("briefs:dashboard")


def page_text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def links(response) -> list[str]:
    """Every link address on the page, as the browser would follow it."""
    return [html.unescape(href) for href in re.findall(r'href="([^"]*)"', response.content.decode())]


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


# --- Every public page renders -------------------------------------------------------------------------------------


def test_the_dashboard_features_the_latest_brief_and_lists_the_others(client):
    """The front page shows the newest brief first, then the rest as cards with number and authors."""
    series = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    author = AuthorFactory(name="Amara Okafor")
    older = published_brief(title="Sanctions that bite", series=series, authors=[author], published_at=days_ago(9))
    newest = published_brief(title="Keeping the grain corridor open", series=series, published_at=days_ago(1))

    response = client.get(DASHBOARD)

    page = page_text(response)
    assert page.index(newest.title) < page.index(older.title)
    assert "Foreign Policy Brief #2" in page
    assert "Foreign Policy Brief #1" in page
    assert "Amara Okafor" in page
    assert newest.get_absolute_url() in links(response)
    assert older.get_absolute_url() in links(response)


def test_the_dashboard_says_so_when_nothing_is_published(client):
    """A new site's front page explains that no briefs are out yet instead of showing an empty grid."""
    BriefFactory(title="Unfinished draft")

    page = page_text(client.get(DASHBOARD))

    assert "No briefs have been published yet." in page
    assert "Unfinished draft" not in page


def test_a_brief_page_shows_everything_the_editor_put_in(client):
    """Title, number, authors, sections, photos with credits, resources and topics all appear on the brief."""
    header = PhotoFactory(alt_text="Harbour cranes at dawn", credit="Port Authority Archive")
    author = AuthorFactory(name="Lena Fischer", role="Senior Fellow, Trade")
    resource = EngagementResourceFactory(name="Grain Trade Observatory", url="https://grain.example.org/")
    topic = TopicFactory(name="Food Security", slug="food-security")
    brief = published_brief(
        title="Keeping the grain corridor open",
        series=SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy", last_number=139),
        header_photo=header,
        authors=[author],
        resources=[resource],
        topics=[topic],
    )

    response = client.get(brief.get_absolute_url())

    page = page_text(response)
    for text in [
        "Keeping the grain corridor open",
        "Foreign Policy Brief #140",
        "Lena Fischer",
        "Section 1",
        "Some analysis of the question.",
        "Harbour cranes at dawn",
        "Port Authority Archive",
        "Grain Trade Observatory",
        "Food Security",
    ]:
        assert text in page, text
    assert header.image.url in page
    assert "https://grain.example.org/" in links(response)
    assert topic.get_absolute_url() in links(response)
    assert author.get_absolute_url() in links(response)
    assert "preview" not in page.lower()


@pytest.mark.parametrize("kind", ["series", "topic", "author"])
def test_series_topic_and_author_pages_list_their_own_published_briefs(client, kind):
    """Each listing page names its subject and shows its published briefs, and nothing else."""
    series = SeriesFactory(name="Energy Brief", slug="energy", description="Briefs on power and fuel.")
    topic = TopicFactory(name="Climate", slug="climate")
    author = AuthorFactory(name="Amara Okafor", slug="amara-okafor", bio="Works on energy markets.")
    mine = published_brief(title="Gas storage before winter", series=series, topics=[topic], authors=[author])
    published_brief(title="Fisheries after the treaty")
    BriefFactory(title="Draft on grid tariffs", series=series)
    subject = {"series": series, "topic": topic, "author": author}[kind]

    response = client.get(subject.get_absolute_url())

    page = page_text(response)
    assert subject.name in page
    assert "Gas storage before winter" in page
    assert mine.get_absolute_url() in links(response)
    assert "Fisheries after the treaty" not in page
    assert "Draft on grid tariffs" not in page


def test_an_author_page_shows_the_biography(client):
    """Readers learn who the author is, not only what they wrote."""
    author = AuthorFactory(name="Amara Okafor", role="Senior Fellow", bio="Works on energy markets.")

    page = page_text(client.get(author.get_absolute_url()))

    assert "Senior Fellow" in page
    assert "Works on energy markets." in page
    assert "No published briefs yet." in page


@pytest.mark.parametrize("name", ["briefs:detail", "briefs:series", "briefs:topic", "briefs:author"])
def test_an_unknown_address_is_not_found(client, name):
    """A mistyped brief, series, topic or author address gives "not found", not an error."""
    assert client.get(reverse(name, kwargs={"slug": "no-such-thing"})).status_code == 404


# --- Drafts and scheduled briefs ---------------------------------------------------------------------------------


@pytest.fixture
def hidden_briefs():
    """A draft and a brief scheduled for next week."""
    return {
        "draft": BriefFactory(title="Unfinished thoughts on tariffs", slug="tariffs-draft"),
        "scheduled": published_brief(
            title="Embargoed until Monday", slug="embargoed", published_at=timezone.now() + datetime.timedelta(days=5)
        ),
    }


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_drafts_and_scheduled_briefs_are_not_found_by_the_public(client, django_user_model, hidden_briefs, which):
    """Someone guessing the address of an unpublished brief, even logged in without staff rights, gets 404."""
    brief = hidden_briefs[which]

    assert client.get(brief.get_absolute_url()).status_code == 404
    client.force_login(django_user_model.objects.create_user(username="reader", password="pw"))
    assert client.get(brief.get_absolute_url()).status_code == 404


def test_drafts_and_scheduled_briefs_stay_off_every_public_list(client, hidden_briefs):
    """Unpublished briefs appear on no dashboard, series, topic or author page."""
    published_brief(title="Visible brief")
    pages = [client.get(DASHBOARD)] + [client.get(brief.series.get_absolute_url()) for brief in hidden_briefs.values()]

    for response in pages:
        page = page_text(response)
        assert "Unfinished thoughts on tariffs" not in page
        assert "Embargoed until Monday" not in page


@pytest.mark.parametrize("which", ["draft", "scheduled"])
def test_staff_preview_drafts_and_scheduled_briefs_with_a_banner(staff_client, hidden_briefs, which):
    """An editor can open an unpublished brief and is told clearly it is a preview, with a link to edit it."""
    brief = hidden_briefs[which]

    response = staff_client.get(brief.get_absolute_url())

    page = page_text(response)
    assert brief.title in page
    assert "Preview." in page
    assert "readers cannot see it yet" in page
    assert reverse("admin:briefs_brief_change", args=[brief.pk]) in links(response)
    # A preview must never be stored by a shared cache or indexed.
    assert "no-store" in response["Cache-Control"]
    assert 'name="robots" content="noindex' in page


def test_staff_see_a_live_brief_without_the_preview_banner(staff_client):
    """Once a brief is published, editors see exactly what readers see."""
    brief = published_brief()

    assert "Preview." not in page_text(staff_client.get(brief.get_absolute_url()))


def test_a_scheduled_brief_appears_when_its_time_comes(client, time_machine):
    """A brief dated for 9:00 is hidden at 8:59 and on the dashboard and its page at 9:00."""
    time_machine.move_to(datetime.datetime(2026, 5, 4, 8, 0, tzinfo=datetime.UTC), tick=False)
    brief = published_brief(
        title="Embargoed budget analysis", published_at=datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
    )
    time_machine.move_to(datetime.datetime(2026, 5, 4, 8, 59, tzinfo=datetime.UTC), tick=False)
    assert client.get(brief.get_absolute_url()).status_code == 404
    assert "Embargoed budget analysis" not in page_text(client.get(DASHBOARD))

    time_machine.move_to(datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC), tick=False)
    call_command("publish_due_briefs", stdout=io.StringIO())  # what the go-live task does at 9:00

    assert "Embargoed budget analysis" in page_text(client.get(brief.get_absolute_url()))
    assert "Embargoed budget analysis" in page_text(client.get(DASHBOARD))


# --- Filters ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def library(time_machine):
    """Six briefs across two series, two topics, two authors and two years (seen from mid-June)."""
    time_machine.move_to(datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC))
    energy = SeriesFactory(name="Energy Brief", slug="energy")
    foreign = SeriesFactory(name="Foreign Policy Brief", slug="foreign")
    climate = TopicFactory(name="Climate", slug="climate")
    trade = TopicFactory(name="Trade", slug="trade")
    okafor = AuthorFactory(name="Amara Okafor", slug="okafor")
    fischer = AuthorFactory(name="Lena Fischer", slug="fischer")
    last_year = timezone.now().year - 1
    this_year = timezone.now().replace(month=1, day=2, hour=12)
    last = this_year.replace(year=last_year)
    specs = [
        ("Alpha wind auctions", energy, [climate], [okafor], last),
        ("Bravo pipeline politics", energy, [climate, trade], [okafor, fischer], this_year),
        ("Charlie gas and tariffs", energy, [trade], [fischer], this_year),
        ("Delta climate diplomacy", foreign, [climate], [okafor], this_year),
        ("Echo trade routes", foreign, [trade], [fischer], last),
        ("Foxtrot carbon borders", energy, [climate], [okafor], this_year),
    ]
    for title, series, topics, authors, when in specs:
        published_brief(title=title, series=series, topics=topics, authors=authors, published_at=when)
    return {"titles": [spec[0] for spec in specs], "this_year": this_year.year, "last_year": last_year}


def titles_shown(response, library) -> set[str]:
    page = page_text(response)
    return {title for title in library["titles"] if title in page}


def test_filters_combine_to_narrow_the_list(client, library):
    """Series, topic, author and year together show only the briefs matching all of them."""
    cases = [
        ({"series": "energy"}, {"Alpha", "Bravo", "Charlie", "Foxtrot"}),
        ({"series": "energy", "topic": "climate"}, {"Alpha", "Bravo", "Foxtrot"}),
        ({"series": "energy", "topic": "climate", "author": "okafor"}, {"Alpha", "Bravo", "Foxtrot"}),
        (
            {"series": "energy", "topic": "climate", "author": "okafor", "year": library["this_year"]},
            {"Bravo", "Foxtrot"},
        ),
        ({"topic": "trade", "author": "fischer"}, {"Bravo", "Charlie", "Echo"}),
        ({"author": "fischer", "year": library["last_year"]}, {"Echo"}),
        ({"year": library["last_year"]}, {"Alpha", "Echo"}),
    ]
    for query, expected in cases:
        shown = {title.split()[0] for title in titles_shown(client.get(DASHBOARD, query), library)}
        assert shown == expected, query


def test_a_brief_matching_several_topics_is_listed_once(client, library):
    """Filtering by author shows a brief with two matching topics and two authors once, not twice."""
    page = page_text(client.get(DASHBOARD, {"author": "okafor"}))

    assert page.count("Bravo pipeline politics") == 1
    assert "4 briefs match these filters" in page


@pytest.mark.parametrize(
    "query",
    [{"series": "no-such-series"}, {"topic": "no-such-topic"}, {"author": "nobody"}, {"year": "1999"}],
)
def test_an_unknown_filter_value_gives_an_empty_list_not_an_error(client, library, query):
    """A stale or mistyped filter link shows "no briefs match" and a way back, never an error page."""
    response = client.get(DASHBOARD, query)

    assert titles_shown(response, library) == set()
    page = page_text(response)
    assert "No briefs match these filters." in page
    assert DASHBOARD in links(response)


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "99999"},
        {"year": "-1"},
        {"year": "2025.5"},
        {"series": "../../etc/passwd"},
        {"topic": "<script>alert(1)</script>"},
        {"page": "abc", "year": "x", "series": ""},
    ],
)
def test_a_malformed_filter_is_ignored_rather_than_failing(client, library, query):
    """Nonsense typed into the address bar leaves the page working, showing every brief."""
    response = client.get(DASHBOARD, query)

    assert titles_shown(response, library) == set(library["titles"])
    assert "<script>alert(1)</script>" not in page_text(response)


# --- Pagination ------------------------------------------------------------------------------------------------------


def make_briefs(count: int, *, series=None, title="Brief", **kwargs) -> list[Brief]:
    """``count`` published briefs, newest first, one day apart."""
    series = series or SeriesFactory()
    return [
        published_brief(
            title=f"{title} {chr(65 + index // 26)}{chr(65 + index % 26)}",
            series=series,
            sections=0,
            published_at=days_ago(index + 1),
            **kwargs,
        )
        for index in range(count)
    ]


def shown(response, briefs) -> list[str]:
    page = page_text(response)
    return [brief.title for brief in briefs if brief.title in page]


def test_the_dashboard_shows_twelve_briefs_a_page_and_the_rest_on_page_two(client):
    """With 15 briefs, page 1 shows the newest 12 (one featured) and page 2 the other 3."""
    briefs = make_briefs(15)

    first = client.get(DASHBOARD)
    second = client.get(DASHBOARD, {"page": 2})

    assert shown(first, briefs) == [brief.title for brief in briefs[:12]]
    assert shown(second, briefs) == [brief.title for brief in briefs[12:]]
    assert "Page 1 of 2" in page_text(first)
    assert "Page 2 of 2" in page_text(second)
    assert "?page=2" in links(first)


@pytest.mark.parametrize(("page", "expected"), [("999", "last"), ("abc", "first"), ("0", "last"), ("-3", "last")])
def test_an_impossible_page_number_shows_a_real_page(client, page, expected):
    """page=999 or page=abc in the address shows the last or first page instead of an error."""
    briefs = make_briefs(14)

    response = client.get(DASHBOARD, {"page": page})

    wanted = briefs[12:] if expected == "last" else briefs[:12]
    assert shown(response, briefs) == [brief.title for brief in wanted]


def test_page_links_keep_the_filters(client):
    """Moving to page 2 of a filtered list stays filtered."""
    energy = SeriesFactory(slug="energy")
    topic = TopicFactory(slug="climate")
    briefs = make_briefs(14, series=energy, topics=[topic])
    make_briefs(3, title="Other series")

    response = client.get(DASHBOARD, {"series": "energy", "topic": "climate"})

    next_links = [href for href in links(response) if "page=2" in href]
    assert next_links
    for href in next_links:
        assert parse_qs(urlsplit(href).query) == {"page": ["2"], "series": ["energy"], "topic": ["climate"]}
    second = client.get(DASHBOARD + next_links[0])
    assert shown(second, briefs) == [brief.title for brief in briefs[12:]]
    assert "Other series" not in page_text(second)


@pytest.mark.parametrize("kind", ["series", "topic", "author"])
def test_listing_pages_are_paginated_too(client, kind):
    """A series, topic or author with 14 briefs shows 12, then 2 on page 2; a bad page number does not fail."""
    series = SeriesFactory()
    topic = TopicFactory()
    author = AuthorFactory()
    briefs = make_briefs(14, series=series, topics=[topic], authors=[author])
    url = {"series": series, "topic": topic, "author": author}[kind].get_absolute_url()

    assert shown(client.get(url), briefs) == [brief.title for brief in briefs[:12]]
    assert shown(client.get(url, {"page": 2}), briefs) == [brief.title for brief in briefs[12:]]
    assert client.get(url, {"page": "abc"}).status_code == 200
    assert client.get(url, {"page": "999"}).status_code == 200


# --- Not found page and series navigation -------------------------------------------------------------------------


def test_the_not_found_page_looks_like_the_site_and_leads_home(client, settings):
    """A reader who follows a dead link sees the site's own page with a way back to the briefs."""
    settings.DEBUG = False

    response = client.get("/this/page/does/not/exist/")

    assert response.status_code == 404
    page = response.content.decode()
    assert settings.SITE_NAME in page
    assert "site.css" in page
    assert DASHBOARD in links(response)


def test_a_brief_links_to_the_previous_and_next_brief_in_its_series(client):
    """Readers move through a series in order; briefs from other series, drafts and scheduled ones are skipped."""
    energy = SeriesFactory(name="Energy Brief", slug="energy")
    first = published_brief(title="Energy one", series=energy, published_at=days_ago(30))
    published_brief(title="Foreign interloper", published_at=days_ago(25))
    second = published_brief(title="Energy two", series=energy, published_at=days_ago(20))
    withdrawn = published_brief(title="Energy withdrawn", series=energy, published_at=days_ago(15))
    withdrawn.unpublish(by=None)
    third = published_brief(title="Energy three", series=energy, published_at=days_ago(10))
    published_brief(title="Energy scheduled", series=energy, published_at=timezone.now() + datetime.timedelta(days=3))

    middle = client.get(second.get_absolute_url())
    start = client.get(first.get_absolute_url())
    end = client.get(third.get_absolute_url())

    assert first.get_absolute_url() in links(middle)
    assert third.get_absolute_url() in links(middle)
    assert "Energy Brief #1" in page_text(middle)
    assert "Energy Brief #4" in page_text(middle)
    for response in (middle, start, end):
        page = page_text(response)
        assert "Foreign interloper" not in page
        assert "Energy withdrawn" not in page
        assert "Energy scheduled" not in page
    assert "Previous brief" not in page_text(start)
    assert second.get_absolute_url() in links(start)
    assert "Next brief" not in page_text(end)
    assert second.get_absolute_url() in links(end)


# --- Query budgets ---------------------------------------------------------------------------------------------------


def count_queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(context.captured_queries)


def rich_briefs(count: int, *, series=None, topics=(), authors=None, **kwargs) -> list[Brief]:
    """Briefs as they really are: header photo, two authors, topics."""
    series = series or SeriesFactory()
    authors = authors or [AuthorFactory(), AuthorFactory()]
    return [
        published_brief(
            series=series,
            header_photo=PhotoFactory(),
            authors=authors,
            topics=topics or [TopicFactory(), TopicFactory()],
            sections=1,
            **kwargs,
        )
        for _ in range(count)
    ]


def test_the_dashboard_needs_the_same_few_queries_for_3_or_60_briefs(client, django_assert_max_num_queries):
    """The front page stays fast as the archive grows: at most 8 queries, however many briefs exist."""
    rich_briefs(3)
    with django_assert_max_num_queries(8):
        client.get(DASHBOARD)
    with_three = count_queries(client, DASHBOARD)

    rich_briefs(57)
    with django_assert_max_num_queries(8):
        client.get(DASHBOARD)

    assert count_queries(client, DASHBOARD) == with_three
    assert count_queries(client, DASHBOARD, {"page": 3}) == with_three


def test_a_filtered_dashboard_needs_no_more_queries_as_briefs_grow(client, django_assert_max_num_queries):
    """Filtering by topic and author costs no extra queries per brief."""
    topic = TopicFactory(slug="climate")
    author = AuthorFactory(slug="okafor")
    query = {"topic": "climate", "author": "okafor", "series": "energy"}
    energy = SeriesFactory(slug="energy")
    rich_briefs(3, series=energy, topics=[topic], authors=[author])
    few = count_queries(client, DASHBOARD, query)

    rich_briefs(20, series=energy, topics=[topic], authors=[author, AuthorFactory()])

    with django_assert_max_num_queries(8):
        client.get(DASHBOARD, query)
    assert count_queries(client, DASHBOARD, query) == few


def test_a_brief_page_needs_the_same_few_queries_however_big_the_brief(client, django_assert_max_num_queries):
    """A brief with many sections, photos, authors and resources loads in no more queries than a small one."""
    small = published_brief(sections=1)
    small_count = count_queries(client, small.get_absolute_url())

    big = published_brief(
        sections=0,
        header_photo=PhotoFactory(),
        authors=[AuthorFactory() for _ in range(4)],
        topics=[TopicFactory() for _ in range(4)],
        resources=[EngagementResourceFactory() for _ in range(4)],
    )
    for position in range(8):
        in_text = (
            f'<figure data-photo-id="{PhotoFactory().pk}"></figure><p>Text.</p>'
            f'<figure data-photo-id="{PhotoFactory().pk}"></figure><p>More.</p>'
        )
        big.sections.create(heading=f"Part {position}", body=in_text, sort_order=position)
    # Neighbours in the series also appear on the page.
    published_brief(series=big.series, published_at=days_ago(5))

    # 9 for the brief itself, then one each for related briefs and more from its authors.
    with django_assert_max_num_queries(11):
        response = client.get(big.get_absolute_url())
    assert "Part 7" in page_text(response)
    assert page_text(response).count("Click or tap to enlarge") >= 16
    assert count_queries(client, big.get_absolute_url()) == small_count


@pytest.mark.parametrize("kind", ["series", "topic", "author"])
def test_listing_pages_need_the_same_queries_for_3_or_30_briefs(client, django_assert_max_num_queries, kind):
    """Series, topic and author pages cost the same number of queries whatever their size."""
    series = SeriesFactory()
    topic = TopicFactory()
    author = AuthorFactory()
    subject = {"series": series, "topic": topic, "author": author}[kind]
    rich_briefs(3, series=series, topics=[topic, TopicFactory()], authors=[author, AuthorFactory()])
    few = count_queries(client, subject.get_absolute_url())

    rich_briefs(27, series=series, topics=[topic, TopicFactory()], authors=[author, AuthorFactory()])

    with django_assert_max_num_queries(8):
        client.get(subject.get_absolute_url())
    assert count_queries(client, subject.get_absolute_url()) == few


def test_text_typed_by_editors_is_shown_as_text_never_run_as_html(client):
    """Markup typed into titles, summaries, credits, names or descriptions appears literally on every page."""
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    series = SeriesFactory(name=f"Series {payload}", slug="tricky", description=payload)
    author = AuthorFactory(name=f"Author {payload}", slug="tricky-author", role=payload, bio=payload)
    topic = TopicFactory(name=f"Topic {payload}", slug="tricky-topic", description=payload)
    photo = PhotoFactory(alt_text=f'A "quoted" alt {payload}', caption=payload, credit=payload)
    resource = EngagementResourceFactory(name=f"Org {payload}", description=payload)
    brief = published_brief(
        title=f"Title {payload}",
        summary=payload,
        series=series,
        authors=[author],
        topics=[topic],
        header_photo=photo,
        resources=[resource],
    )

    for url in [
        DASHBOARD,
        brief.get_absolute_url(),
        series.get_absolute_url(),
        topic.get_absolute_url(),
        author.get_absolute_url(),
    ]:
        page = page_text(client.get(url))
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "&lt;script&gt;" in page, url
