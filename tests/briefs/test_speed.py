"""Fast without any cache in front: pieces of pages made once per content version, never stale; cost flat with size.

The freshness tests commit for real (``transaction=True``): fragments follow
changes once they are committed, as on a live site. The page cache stays off,
so every request runs the view.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from briefs.models import Author, Brief, BriefAuthor, Series
from tests.factories import AuthorFactory, SeriesFactory, published_brief


@pytest.fixture
def fragments_on(settings):
    settings.FRAGMENT_CACHE = True
    settings.PAGE_CACHE = False


def queries_and_page(client, url, django_assert_max_num_queries, budget) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context, django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_edited_author_name_shows_at_once_on_cards_and_brief_pages(fragments_on):
    """Fragments are reused between readers, yet the name an editor corrects is on the very next page."""
    author = AuthorFactory(name="Amara Okafor")
    briefs = [published_brief(authors=[author]) for _ in range(3)]
    reader = Client()
    assert "Amara Okafor" in reader.get("/").content.decode()
    assert "Amara Okafor" in reader.get(briefs[1].get_absolute_url()).content.decode()
    assert "Amara Okafor" in reader.get("/?author=" + author.slug).content.decode()

    author.name = "Amara Okafor-Reyes"
    author.save()

    for address in ("/", briefs[1].get_absolute_url(), "/?author=" + author.slug):
        page = Client().get(address).content.decode()
        assert "Amara Okafor-Reyes" in page, address


@pytest.mark.django_db(transaction=True)
def test_a_published_brief_is_on_the_dashboard_at_once_with_its_count_menu_and_filters(fragments_on):
    """The dashboard's count, filter lists, menus and featured brief all follow a publish on the next request."""
    series = SeriesFactory(name="Energy Brief")
    published_brief(series=series, title="Grid storage at scale")
    first = Client().get("/").content.decode()
    assert "1 brief published" in first

    newcomer = AuthorFactory(name="Lena Brandt")
    new_series = SeriesFactory(name="Health Brief")
    published_brief(series=new_series, authors=[newcomer], title="Rural clinics that stay open")

    page = Client().get("/").content.decode()
    assert "2 briefs published" in page
    assert page.index("Rural clinics that stay open") < page.index("Grid storage at scale"), "the new one is featured"
    assert "Lena Brandt" in page.split('id="filter-author"')[1].split("</select>")[0], "the author filter lists them"
    assert page.count("Health Brief") >= 3, "the menu, the footer and the series filter name the new series"


@pytest.mark.django_db(transaction=True)
def test_a_brief_withdrawn_or_edited_while_live_is_never_shown_as_it_was(fragments_on):
    """Unpublishing takes a brief off every list and its related links; a live edit shows on its page at once."""
    series = SeriesFactory()
    kept = published_brief(series=series, title="Kept in view")
    leaving = published_brief(series=series, title="Soon withdrawn")
    reader = Client()
    assert "Soon withdrawn" in reader.get("/").content.decode()
    assert "Soon withdrawn" in reader.get(kept.get_absolute_url()).content.decode()

    leaving.unpublish(by=None)
    kept.title = "Kept in view, corrected"
    kept.save_edits()

    assert "Soon withdrawn" not in Client().get("/").content.decode()
    page = Client().get(kept.get_absolute_url()).content.decode()
    assert "Soon withdrawn" not in page
    assert "Kept in view, corrected" in page

    section = kept.sections.first()
    section.body = "<p>A sentence added after publication.</p>"
    section.save()
    assert "A sentence added after publication." in Client().get(kept.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_brief_dated_a_minute_ahead_appears_when_its_minute_comes(fragments_on, time_machine):
    """A brief published with a date slightly ahead (clock slack) joins the cached count and lists on time."""
    published_brief(title="Already out")
    ahead = published_brief(title="Out in a minute")
    Brief.objects.filter(pk=ahead.pk).update(published_at=timezone.now() + datetime.timedelta(minutes=1))
    assert "1 brief published" in Client().get("/").content.decode()

    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=2))

    page = Client().get("/").content.decode()
    assert "2 briefs published" in page
    assert "Out in a minute" in page


@pytest.mark.django_db(transaction=True)
def test_a_reader_after_the_first_gets_the_dashboard_in_one_query(fragments_on, django_assert_max_num_queries):
    """Once the pieces are made, the dashboard reads only which briefs are on the page (one query)."""
    for _ in range(15):
        published_brief()
    Client().get("/")
    Client().get("/?page=2")
    with django_assert_max_num_queries(1):
        assert Client().get("/").status_code == 200
    with django_assert_max_num_queries(1):
        assert Client().get("/?page=2").status_code == 200


def briefs_bulk(count: int, *, series: Series, authors: list[Author], start: int = 0) -> None:
    """``count`` published briefs written in bulk (as an import would), numbered on from ``start``."""
    now = timezone.now()
    briefs = Brief.objects.bulk_create(
        [
            Brief(
                title=f"Brief number {number}",
                slug=f"brief-number-{number}",
                series=series,
                number=number,
                status=Brief.Status.PUBLISHED,
                published_at=now - datetime.timedelta(hours=number),
                summary="A summary of the brief in two plain sentences. It says what the brief argues.",
            )
            for number in range(start + 1, start + count + 1)
        ],
        batch_size=1000,
    )
    if any(brief.pk is None for brief in briefs):  # SQLite before RETURNING
        ids = dict(Brief.objects.filter(series=series).values_list("number", "pk"))
        for brief in briefs:
            brief.pk = ids[brief.number]
    BriefAuthor.objects.bulk_create(
        [BriefAuthor(brief_id=brief.pk, author=authors[brief.number % len(authors)]) for brief in briefs],
        batch_size=1000,
    )


@pytest.mark.parametrize("fragments", [False, True], ids=["fragments off", "fragments on"])
@pytest.mark.django_db
def test_the_dashboard_costs_the_same_with_10000_briefs_as_with_100(
    client, settings, django_assert_max_num_queries, fragments
):
    """The archive growing a hundredfold changes neither the dashboard's queries nor its size (within a fifth).

    Page links are elided (first, last, two either side), filter options and
    counts are kept per content version, and the listing index serves the
    order: nothing on the page grows with the number of briefs.
    """
    settings.FRAGMENT_CACHE = fragments
    series = SeriesFactory()
    authors = [AuthorFactory() for _ in range(12)]
    briefs_bulk(100, series=series, authors=authors)
    # With fragments on, the first reader after a change makes them (a few more queries); later readers need one.
    budget = 9 if fragments else 7
    measures = {}
    for size, address in (("small", "/"), ("small page 5", "/?page=5")):
        measures[size] = queries_and_page(client, address, django_assert_max_num_queries, budget)
        if fragments:
            measures[size] = queries_and_page(client, address, django_assert_max_num_queries, 1)

    briefs_bulk(9_900, series=series, authors=authors, start=100)
    # Written in bulk, so no change was committed to bump the version: start the fragments afresh.
    from core.content_version import content_version_bump

    content_version_bump()
    for size, address in (("large", "/"), ("large page 400", "/?page=400")):
        measures[size] = queries_and_page(client, address, django_assert_max_num_queries, budget)
        if fragments:
            measures[size] = queries_and_page(client, address, django_assert_max_num_queries, 1)

    assert "10000 briefs published" in measures["large"][1]
    for small, large in (("small", "large"), ("small page 5", "large page 400")):
        assert measures[large][0] == measures[small][0], "the same queries"
        ratio = len(measures[large][1]) / len(measures[small][1])
        assert 1 / 1.2 <= ratio <= 1.2, f"{large}: {ratio:.2f}× the size"
