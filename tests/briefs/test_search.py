"""Search: what a reader finds at /search/?q=….

Every test here runs on the backend the run uses, and CI runs the suite on
both: SQLite (FTS5, the embedded default) and PostgreSQL (tsvector, with
DATABASE_URL). The few tests about one backend's own index say so in their
name and skip on the other.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from briefs.models import Brief, BriefAuthor, Section
from briefs.search import parse_query, search_index_refresh
from tests.factories import AuthorFactory, BriefFactory, SeriesFactory, TopicFactory, published_brief

pytestmark = pytest.mark.django_db

SEARCH = reverse("briefs:search")
ON_POSTGRES = connection.vendor == "postgresql"


def search(client, q="", **filters):
    response = client.get(SEARCH, {"q": q, **filters})
    assert response.status_code == 200
    return response


def titles_found(response) -> list[str]:
    """The result titles, best first, as a reader sees them."""
    page = response.content.decode()
    return [html.unescape(title) for title in re.findall(r'class="search-result-title"><a [^>]*>([^<]*)</a>', page)]


def brief_with_text(title, text, **kwargs) -> Brief:
    brief = published_brief(title=title, sections=0, **kwargs)
    Section.objects.create(brief=brief, heading="Analysis", body=f"<p>{text}</p>", sort_order=0)
    return brief


# --- Finding and ranking ---------------------------------------------------------------------------------------------


def test_a_phrase_from_the_body_finds_the_brief(client):
    """A reader who remembers a sentence from the analysis finds the brief by it."""
    brief_with_text("Keeping ports open", "Dredging schedules slipped after the <strong>estuary</strong> silted up.")
    brief_with_text("Fisheries quotas", "Quotas were cut for the third year running.")

    assert titles_found(search(client, "estuary silted")) == ["Keeping ports open"]


def test_a_title_match_outranks_a_match_in_the_body(client):
    """The brief called "Desalination …" comes before one that mentions desalination in passing, even when newer."""
    brief_with_text(
        "Water for coastal cities",
        "Desalination is one option among many.",
        published_at=timezone.now() - datetime.timedelta(days=1),
    )
    brief_with_text(
        "Desalination without the energy bill",
        "Plants can run on surplus power.",
        published_at=timezone.now() - datetime.timedelta(days=30),
    )

    assert titles_found(search(client, "desalination")) == [
        "Desalination without the energy bill",
        "Water for coastal cities",
    ]


def test_summary_outranks_section_text_which_outranks_author_names(client):
    """Weights run title > summary > sections > authors: the same word ranks by where it appears."""
    published_brief(title="One", summary="Harbour pilots are scarce.", sections=0)
    brief_with_text("Two", "Harbour pilots are scarce.")
    published_brief(title="Three", sections=0, authors=[AuthorFactory(name="Jonas Harbour")])

    assert titles_found(search(client, "harbour")) == ["One", "Two", "Three"]


def test_matches_are_highlighted_in_a_passage_of_the_text(client):
    """Each result shows the words around the match, the matched word marked."""
    brief_with_text("Grid links", "Neighbouring grids trade power through congested interconnectors every winter.")

    page = search(client, "interconnectors").content.decode()

    assert re.search(r"<mark>interconnectors</mark>", page, re.IGNORECASE)
    assert "congested" in page


def test_quoted_phrases_prefixes_or_and_minus_work_like_web_search(client):
    """ "a phrase", word*, either OR other, and -word behave as readers expect from web search engines."""
    brief_with_text("Corridor A", "The grain corridor reopened in spring.")
    brief_with_text("Corridor B", "A corridor for grain was never agreed.")
    brief_with_text("Tariffs C", "Tariffs on steel rose sharply.")

    assert titles_found(search(client, '"grain corridor"')) == ["Corridor A"]
    assert set(titles_found(search(client, "corrid*"))) == {"Corridor A", "Corridor B"}
    assert set(titles_found(search(client, "reopened or tariffs"))) == {"Corridor A", "Tariffs C"}
    assert titles_found(search(client, "corridor -spring")) == ["Corridor B"]


def test_search_ignores_case_and_finds_other_forms_of_a_word(client):
    """ "SANCTION" finds a brief about sanctions: case and plurals do not matter (stemming on both backends)."""
    brief_with_text("Enforcement", "Sanctions are easy to announce.")

    assert titles_found(search(client, "SANCTION")) == ["Enforcement"]


# --- Filters and pages -----------------------------------------------------------------------------------------------


def test_filters_narrow_a_search_and_combine(client):
    """Series, topic, author and year filters apply on top of the words, together."""
    energy, foreign = SeriesFactory(slug="energy"), SeriesFactory(slug="foreign")
    climate = TopicFactory(slug="climate")
    okafor = AuthorFactory(slug="okafor")
    last_year = timezone.now().replace(year=timezone.now().year - 1)
    brief_with_text("Energy climate Okafor", "Storage helps.", series=energy, topics=[climate], authors=[okafor])
    brief_with_text("Energy climate other", "Storage helps.", series=energy, topics=[climate])
    brief_with_text("Foreign climate Okafor", "Storage helps.", series=foreign, topics=[climate], authors=[okafor])
    brief_with_text("Energy old", "Storage helps.", series=energy, published_at=last_year)

    assert len(titles_found(search(client, "storage"))) == 4
    assert set(titles_found(search(client, "storage", series="energy"))) == {
        "Energy climate Okafor",
        "Energy climate other",
        "Energy old",
    }
    assert titles_found(search(client, "storage", series="energy", topic="climate", author="okafor")) == [
        "Energy climate Okafor"
    ]
    assert titles_found(search(client, "storage", year=last_year.year)) == ["Energy old"]


def test_filters_alone_list_the_matching_briefs_newest_first(client):
    """With no words but a filter, the search page lists that series' briefs, newest first."""
    energy = SeriesFactory(slug="energy")
    published_brief(title="Older", series=energy, published_at=timezone.now() - datetime.timedelta(days=9))
    published_brief(title="Newer", series=energy, published_at=timezone.now() - datetime.timedelta(days=1))
    published_brief(title="Elsewhere")

    assert titles_found(search(client, series="energy")) == ["Newer", "Older"]


def test_results_are_paginated_and_page_links_keep_the_query(client):
    """Fifteen matches: twelve on page one, three on page two, the query and filters kept in the links."""
    series = SeriesFactory(slug="energy")
    for index in range(15):
        brief_with_text(f"Battery brief {index}", "Battery storage.", series=series)

    first = search(client, "battery", series="energy")
    second = search(client, "battery", series="energy", page=2)

    assert len(titles_found(first)) == 12
    assert len(titles_found(second)) == 3
    assert "15 briefs found" in first.content.decode()
    assert "?page=2&amp;q=battery&amp;series=energy" in first.content.decode()


def test_nothing_found_suggests_topics_and_the_newest_briefs(client):
    """A search with no results says so and offers every topic and the newest briefs instead of a dead end."""
    topic = TopicFactory(name="Maritime security")
    newest = published_brief(title="The newest brief", topics=[topic])

    page = search(client, "xylophone").content.decode()

    assert "No briefs match “xylophone”" in page
    assert topic.get_absolute_url() in page
    assert newest.get_absolute_url() in page


def test_an_empty_search_offers_the_form_and_suggestions(client):
    """/search/ with nothing typed shows the form, topics and newest briefs, not an error or an empty list."""
    published_brief(title="Something to read", topics=[TopicFactory(name="Trade")])

    page = search(client).content.decode()

    assert 'id="search-q"' in page
    assert "Trade" in page and "Something to read" in page
    assert "No briefs match" not in page


# --- What never appears, whatever is typed ---------------------------------------------------------------------------


def test_drafts_and_future_briefs_are_never_found(client):
    """Only published briefs whose date has come are searchable; a draft or an embargoed brief is not."""
    brief_with_text("Published pelican", "Pelicans nest here.")
    draft = BriefFactory(title="Draft pelican")
    Section.objects.create(brief=draft, heading="Text", body="<p>Pelicans nest here.</p>")
    brief_with_text(
        "Embargoed pelican", "Pelicans nest here.", published_at=timezone.now() + datetime.timedelta(days=3)
    )

    assert titles_found(search(client, "pelican")) == ["Published pelican"]
    assert titles_found(search(client, "draft")) == []


HOSTILE_QUERIES = [
    "ünïcödé 中文 العربية 🚢",
    '"unterminated phrase',
    '"\'"\'"',
    "a & b | !c <-> d:* (e)",
    "' OR 1=1; DROP TABLE briefs_brief; --",
    "NEAR(a b) AND OR NOT *",
    "- -- --- * ** ()",
    "\x01abc\x7f",
    "x" * 10_000,
    "word " * 2_000,
    "%",
    "\\",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda query: repr(query[:20]))
def test_any_query_answers_with_results_or_no_results_never_an_error(client, query):
    """Unicode, quotes, operators, SQL, 10,000 characters or NUL bytes: the page answers 200 every time."""
    brief_with_text("Visible brief", "Some abc text about words.")

    response = client.get(SEARCH, {"q": query, "series": "x" * 300, "year": "'; --", "page": "-1"})

    assert response.status_code == 200
    assert "\x00" not in response.content.decode()


def test_a_nul_in_the_query_is_refused_before_the_search(client):
    """PostgreSQL cannot hold a NUL in text: such a query is a plain 400 (core/hostile_input.py), never a 500."""
    response = Client(raise_request_exception=False).get(SEARCH, {"q": "\x00abc\x00"})
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_very_long_query_is_shortened_and_the_reader_is_told(client):
    """Typing 10,000 characters searches the first 200 and says so."""
    brief_with_text("Storage brief", "Battery storage.")

    page = search(client, "battery " + "y" * 10_000).content.decode()

    assert "limited to 200 characters" in page


def test_parse_query_never_passes_syntax_through():
    """The parser keeps only words: operators and punctuation cannot reach the database as syntax."""
    query = parse_query("\"grain corridor\" OR tariff* -steel 'x'; DROP")

    words = [word for group in query.groups for term in group for word in term.words]
    assert words == ["grain", "corridor", "tariff", "x", "drop"]
    assert [term.words for term in query.excluded] == [("steel",)]
    assert not parse_query("-only -exclusions")
    assert not parse_query("!!! ::: ***")


# --- The index follows every change ----------------------------------------------------------------------------------


def test_editing_a_section_updates_the_index_at_once(client):
    """Text added to a section is found on the next search; text removed is no longer found."""
    brief = brief_with_text("Ports", "Cranes are old.")
    section = brief.sections.get()

    section.body = "<p>Automated gantries arrived.</p>"
    section.save()

    assert titles_found(search(client, "gantries")) == ["Ports"]
    assert titles_found(search(client, "cranes")) == []


def test_adding_and_deleting_sections_updates_the_index(client):
    brief = brief_with_text("Ports", "Cranes are old.")
    extra = Section.objects.create(brief=brief, heading="Outlook", body="<p>Tugboats next.</p>", sort_order=5)
    assert titles_found(search(client, "tugboats")) == ["Ports"]

    extra.delete()

    assert titles_found(search(client, "tugboats")) == []


def test_renaming_an_author_updates_the_index_of_their_briefs(client):
    """After an author changes their name, searching the new name finds their briefs and the old one does not."""
    author = AuthorFactory(name="Mara Quill")
    published_brief(title="By Mara", authors=[author])

    author.name = "Mara Quillon-Vance"
    author.save()

    assert titles_found(search(client, "Quillon")) == ["By Mara"]
    assert titles_found(search(client, "Quill")) == []


def test_adding_an_author_to_a_byline_updates_the_index(client):
    brief = published_brief(title="Shared work")
    BriefAuthor.objects.create(brief=brief, author=AuthorFactory(name="Ottilie Brennan"), sort_order=5)

    assert titles_found(search(client, "Brennan")) == ["Shared work"]


def test_retitling_a_brief_updates_the_index(client):
    brief = published_brief(title="Old name")
    brief.title = "Lighthouse keepers"
    brief.save_edits()

    assert titles_found(search(client, "lighthouse")) == ["Lighthouse keepers"]


def test_briefs_written_in_bulk_are_indexed_by_search_index_refresh(client):
    """bulk_create sends no signals; the demo seeding calls search_index_refresh, and then they are found."""
    series = SeriesFactory()
    [brief] = Brief.objects.bulk_create([Brief(title="Bulk written beacon", slug="bulk", series=series, summary="S.")])
    Brief.objects.filter(pk=brief.pk).publish_all(by=None)
    assert titles_found(search(client, "beacon")) == []

    search_index_refresh(brief_ids=[brief.pk])

    assert titles_found(search(client, "beacon")) == ["Bulk written beacon"]


# --- Cost ------------------------------------------------------------------------------------------------------------


def count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(SEARCH, params).status_code == 200
    return len(context.captured_queries)


def test_a_search_costs_the_same_few_queries_for_3_or_40_matches(client, django_assert_max_num_queries):
    """Results, snippets, authors and filter options come in a fixed number of queries (at most 8)."""
    topic = TopicFactory(slug="climate")
    for index in range(3):
        brief_with_text(f"Solar {index}", "Solar panels.", topics=[topic], authors=[AuthorFactory(), AuthorFactory()])
    few = count_queries(client, {"q": "solar", "topic": "climate"})

    for index in range(37):
        brief_with_text(f"Solar more {index}", "Solar panels.", topics=[topic], authors=[AuthorFactory()])

    with django_assert_max_num_queries(8):
        client.get(SEARCH, {"q": "solar", "topic": "climate"})
    assert count_queries(client, {"q": "solar", "topic": "climate"}) == few
    assert count_queries(client, {"q": "solar", "topic": "climate", "page": 3}) == few


# --- The search box --------------------------------------------------------------------------------------------------


def test_every_page_has_the_search_box_in_the_top_navigation(client):
    """The dashboard, a brief, a listing, the subscribe page and a 404 all carry the same GET search form."""
    brief = published_brief()
    for url in ["/", brief.get_absolute_url(), brief.series.get_absolute_url(), "/newsletter/subscribe/", "/nope/"]:
        page = client.get(url).content.decode()
        form = re.search(r'<form class="site-search"[^>]*>', page)
        assert form, url
        assert 'method="get"' in form.group(0) and f'action="{SEARCH}"' in form.group(0)
        assert 'name="q"' in page


# --- Each backend's own index ----------------------------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's stored search vector; run with DATABASE_URL=postgres://...")
def test_postgres_stores_a_weighted_vector_with_a_gin_index():
    """PostgreSQL: title words carry weight A, author names weight D, and the column has a GIN index."""
    published_brief(title="Lighthouse", authors=[AuthorFactory(name="Quentin Marsh")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM briefs_brief")
        [vector] = cursor.fetchone()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'briefs_brief_search_vector_gin'")
        [index] = cursor.fetchone()
    assert "'lighthous':1A" in vector
    assert re.search(r"'marsh':\d+(?!A|B|C)", vector)
    assert "USING gin (search_vector)" in index


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's FTS5 table; runs on the SQLite suite")
def test_sqlite_keeps_one_fts5_row_per_brief_with_the_text_not_the_markup():
    """SQLite: the FTS5 row holds the sections as plain text (no tags, entities decoded) and the names."""
    brief = brief_with_text("Lighthouse", "Salt &amp; <em>spray</em>", authors=[AuthorFactory(name="Quentin Marsh")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, body, authors FROM briefs_brief_fts WHERE rowid = %s", [brief.pk])
        rows = cursor.fetchall()
    assert rows == [("Lighthouse", "Analysis. Salt & spray", "Quentin Marsh")]
