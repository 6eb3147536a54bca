"""Citing a brief: APA 7, MLA 9 and Chicago author-date, BibTeX and RIS; related reading beside it."""

import datetime

import pytest
from django.urls import reverse

from briefs.citations import Citation, PersonName, apa, bibtex, chicago, mla, ris
from briefs.models import Brief
from tests.factories import AuthorFactory, SeriesFactory, TopicFactory, published_brief

URL = "https://briefs.example.org/briefs/grain-corridor/"
NAMES = ["Amara Okafor", "Lena Fischer", "Ines van der Berg"]


def citation(authors: int, *, corrected=None) -> Citation:
    return Citation(
        title="Keeping the Grain Corridor Open",
        authors=tuple(PersonName.parse(name) for name in NAMES[:authors]),
        series="Foreign Policy Brief",
        number=140,
        publisher="Meridian Policy Forum",
        published=datetime.date(2026, 5, 4),
        corrected=corrected,
        url=URL,
        slug="grain-corridor",
    )


EXPECTED = {
    ("APA 7", 1): "Okafor, A. (2026). Keeping the Grain Corridor Open (Foreign Policy Brief No. 140). "
    f"Meridian Policy Forum. {URL}",
    ("APA 7", 2): "Okafor, A., & Fischer, L. (2026). Keeping the Grain Corridor Open (Foreign Policy Brief No. 140). "
    f"Meridian Policy Forum. {URL}",
    ("APA 7", 3): "Okafor, A., Fischer, L., & van der Berg, I. (2026). Keeping the Grain Corridor Open "
    f"(Foreign Policy Brief No. 140). Meridian Policy Forum. {URL}",
    ("MLA 9", 1): "Okafor, Amara. Keeping the Grain Corridor Open. Meridian Policy Forum, 4 May 2026, "
    "briefs.example.org/briefs/grain-corridor/. Foreign Policy Brief 140.",
    ("MLA 9", 2): "Okafor, Amara, and Lena Fischer. Keeping the Grain Corridor Open. Meridian Policy Forum, "
    "4 May 2026, briefs.example.org/briefs/grain-corridor/. Foreign Policy Brief 140.",
    ("MLA 9", 3): "Okafor, Amara, et al. Keeping the Grain Corridor Open. Meridian Policy Forum, 4 May 2026, "
    "briefs.example.org/briefs/grain-corridor/. Foreign Policy Brief 140.",
    ("Chicago", 1): "Okafor, Amara. 2026. Keeping the Grain Corridor Open. Foreign Policy Brief 140. "
    f"Meridian Policy Forum. {URL}.",
    ("Chicago", 2): "Okafor, Amara, and Lena Fischer. 2026. Keeping the Grain Corridor Open. Foreign Policy Brief 140. "
    f"Meridian Policy Forum. {URL}.",
    ("Chicago", 3): "Okafor, Amara, Lena Fischer, and Ines van der Berg. 2026. Keeping the Grain Corridor Open. "
    f"Foreign Policy Brief 140. Meridian Policy Forum. {URL}.",
}
STYLES = {"APA 7": apa, "MLA 9": mla, "Chicago": chicago}


@pytest.mark.parametrize(("style", "authors"), list(EXPECTED))
def test_each_style_cites_one_two_and_three_authors_correctly(style, authors):
    """The author list follows each style's rule: "&" in APA, "et al." from three in MLA, all names in Chicago."""
    formatted = STYLES[style](citation(authors))

    assert formatted.text == EXPECTED[style, authors]
    assert "<i>Keeping the Grain Corridor Open</i>" in formatted.html


def test_a_corrected_brief_keeps_its_date_and_adds_the_update_in_every_style():
    fixed = citation(1, corrected=datetime.date(2026, 6, 3))

    assert "(Foreign Policy Brief No. 140; updated June 3, 2026)" in apa(fixed).text
    assert "Meridian Policy Forum, 4 May 2026, updated 3 June 2026, briefs.example.org" in mla(fixed).text
    assert "Meridian Policy Forum. Updated June 3, 2026. https://" in chicago(fixed).text
    assert "note = {Updated 2026-06-03}" in bibtex(fixed)
    assert "N1  - Updated 2026-06-03" in ris(fixed)


def test_apa_lists_twenty_authors_then_shortens_with_an_ellipsis():
    many = Citation(**{**citation(1).__dict__, "authors": tuple(PersonName(f"G{n}", f"F{n}") for n in range(22))})

    text = apa(many).text
    assert text.startswith("F0, G., F1, G.,") and ", . . . F21, G. (2026)" in text
    assert "F19" not in text


@pytest.mark.parametrize(
    ("name", "given", "family", "initials"),
    [
        ("Amara Okafor", "Amara", "Okafor", "A."),
        ("Ines van der Berg", "Ines", "van der Berg", "I."),
        ("Jean-Paul Marie Sartre", "Jean-Paul Marie", "Sartre", "J.-P. M."),
        ("Plato", "", "Plato", ""),
    ],
)
def test_names_split_into_given_and_family_names(name, given, family, initials):
    parsed = PersonName.parse(name)
    assert (parsed.given, parsed.family, parsed.initials) == (given, family, initials)


def test_bibtex_escapes_special_characters_and_names_every_author():
    special = Citation(**{**citation(2).__dict__, "title": "Tariffs & Taxes: 50% of #1_cases"})

    entry = bibtex(special)

    assert entry.startswith("@techreport{okafor2026tariffs,\n")
    assert "author = {Okafor, Amara and Fischer, Lena}," in entry
    assert r"title = {{Tariffs \& Taxes: 50\% of \#1\_cases}}," in entry
    assert "number = {140}," in entry and "type = {Foreign Policy Brief}," in entry
    assert "institution = {Meridian Policy Forum}," in entry and "month = may," in entry


def test_ris_is_a_report_with_its_series_and_number():
    record = ris(citation(2))

    assert record.startswith("TY  - RPRT\r\n")
    assert "AU  - Okafor, Amara\r\nAU  - Fischer, Lena\r\n" in record
    assert "T3  - Foreign Policy Brief\r\nSN  - 140\r\n" in record
    assert "DA  - 2026/05/04\r\n" in record and "PB  - Meridian Policy Forum\r\n" in record
    assert record.endswith("ER  - \r\n")


# --- On the site -----------------------------------------------------------------------------------------------------


@pytest.fixture
def brief(db):
    return published_brief(
        title="Keeping the grain corridor open",
        slug="grain-corridor",
        series=SeriesFactory(name="Foreign Policy Brief", last_number=139),
        authors=[AuthorFactory(name="Amara Okafor"), AuthorFactory(name="Lena Fischer")],
        published_at=datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC),
    )


def test_the_brief_page_offers_three_styles_with_copy_buttons_and_downloads(client, brief):
    page = client.get(brief.get_absolute_url()).content.decode()

    assert "Cite this brief" in page
    assert "Okafor, A., &amp; Fischer, L. (2026). <i>Keeping the grain corridor open</i>" in page
    assert page.count('class="btn btn-sm btn-outline-primary citation-copy"') == 3
    assert reverse("briefs:cite-bibtex", kwargs={"slug": "grain-corridor"}) in page
    assert reverse("briefs:cite-ris", kwargs={"slug": "grain-corridor"}) in page


def test_bibtex_and_ris_download_with_their_types_and_file_names(client, brief):
    bib = client.get(reverse("briefs:cite-bibtex", kwargs={"slug": "grain-corridor"}))
    record = client.get(reverse("briefs:cite-ris", kwargs={"slug": "grain-corridor"}))

    assert bib["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert bib["Content-Disposition"] == 'attachment; filename="grain-corridor.bib"'
    assert "@techreport{okafor2026keeping," in bib.content.decode()
    assert "url = {http://testserver/briefs/grain-corridor/}" in bib.content.decode()
    assert record["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert record["Content-Disposition"] == 'attachment; filename="grain-corridor.ris"'
    assert "SN  - 140" in record.content.decode()


def test_a_draft_has_no_citation_files(client, db):
    draft = published_brief(published_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
    assert client.get(reverse("briefs:cite-ris", kwargs={"slug": draft.slug})).status_code == 404


# --- Related reading -------------------------------------------------------------------------------------------------


def test_related_briefs_share_the_most_topics_then_the_series_newest_first(client, db):
    """Up to three: most shared topics first, then the same series, then the newest; never itself or a draft."""
    energy, other = SeriesFactory(), SeriesFactory()
    climate, trade, water = TopicFactory(), TopicFactory(), TopicFactory()
    day = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    def make(title, series, topics, days):
        return published_brief(title=title, series=series, topics=topics, published_at=day + datetime.timedelta(days))

    brief = make("Subject", energy, [climate, trade, water], 0)
    make("Two topics", other, [climate, trade], 1)
    make("One topic, same series", energy, [climate], 2)
    make("One topic, newer", other, [water], 5)
    make("One topic, older", other, [trade], 3)
    make("Same series only", energy, [], 9)
    make("Unrelated", other, [], 9)
    published_brief(title="Draft on climate", series=energy, topics=[climate, trade, water]).unpublish(by=None)

    related = list(Brief.objects.published().related_to(Brief.objects.for_detail().get(pk=brief.pk)))

    assert [b.title for b in related] == ["Two topics", "One topic, same series", "One topic, newer"]
    page = client.get(brief.get_absolute_url()).content.decode()
    assert "Related briefs" in page and "Two topics" in page and "Unrelated" not in page


def test_more_from_the_author_lists_their_other_briefs(client, db):
    author = AuthorFactory(name="Amara Okafor")
    brief = published_brief(title="Subject", authors=[author])
    published_brief(title="Her earlier brief", authors=[author, AuthorFactory()])
    published_brief(title="Someone else's brief")

    page = client.get(brief.get_absolute_url()).content.decode()

    assert "More from Amara Okafor" in page
    assert "Her earlier brief" in page
    assert "Someone else" not in page
