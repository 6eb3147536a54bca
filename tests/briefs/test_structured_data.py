"""What machines read from the pages: JSON-LD, Highwire citation tags, titles, descriptions, canonical and card tags."""

import datetime
import json
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from briefs.models import Brief
from tests.factories import AuthorFactory, PhotoFactory, SeriesFactory, TopicFactory, published_brief

pytestmark = pytest.mark.django_db


class HeadReader(HTMLParser):
    """Collects <meta>, <link>, <title> and JSON-LD blocks as a crawler would."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.json_ld, self.title = [], [], [], ""
        self._in = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta":
            self.meta.append(attributes)
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "script" and attributes.get("type") == "application/ld+json":
            self._in = "json"
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "json":
            self.json_ld.append(json.loads(data))
        elif self._in == "title":
            self.title += data

    def named(self, name) -> list[str]:
        return [meta["content"] for meta in self.meta if meta.get("name") == name or meta.get("property") == name]


def read(client, url) -> HeadReader:
    response = client.get(url)
    assert response.status_code in (200, 404)
    reader = HeadReader()
    reader.feed(response.content.decode())
    return reader


@pytest.fixture
def brief():
    series = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy", last_number=139)
    header = PhotoFactory(
        alt_text="Harbour cranes at dawn",
        caption="Cranes wait for ships.",
        credit="Port Archive",
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    brief = published_brief(
        title="Keeping the grain corridor open",
        series=series,
        header_photo=header,
        authors=[AuthorFactory(name="Lena Fischer", slug="fischer"), AuthorFactory(name="Amara Okafor")],
        topics=[TopicFactory(name="Food Security")],
        published_at=datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC),
    )
    section = brief.sections.first()
    in_text = PhotoFactory(alt_text="Delegates", caption="", credit="", licence="")
    section.body += f'<figure data-photo-id="{in_text.pk}"></figure>'
    section.save()
    Brief.objects.filter(pk=brief.pk).update(corrected_at=datetime.datetime(2026, 6, 3, 9, 0, tzinfo=datetime.UTC))
    return brief


def test_a_brief_page_describes_itself_as_a_report_in_its_series(client, brief):
    """JSON-LD: a Report, part of its series at its number, by Persons with their pages, with dates and publisher."""
    report = next(data for data in read(client, brief.get_absolute_url()).json_ld if data["@type"] == "Report")

    assert report["name"] == "Keeping the grain corridor open"
    assert report["isPartOf"] == {
        "@type": "CreativeWorkSeries",
        "name": "Foreign Policy Brief",
        "url": "http://testserver/series/foreign-policy/",
    }
    assert report["position"] == 140 and report["reportNumber"] == "140"
    assert [(author["@type"], author["name"]) for author in report["author"]] == [
        ("Person", "Lena Fischer"),
        ("Person", "Amara Okafor"),
    ]
    assert report["author"][0]["url"] == "http://testserver/authors/fischer/"
    assert report["datePublished"].startswith("2026-05-04")
    assert report["dateModified"].startswith("2026-06-03")
    assert report["publisher"]["name"] == "Meridian Policy Forum"
    header, section_photo = report["image"]
    assert header["@type"] == "ImageObject"
    assert header["caption"] == "Cranes wait for ships."
    assert header["creditText"] == "Port Archive"
    assert header["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert header["contentUrl"].startswith("http://testserver/media/")
    assert "license" not in section_photo and "creditText" not in section_photo


def test_text_in_json_ld_cannot_end_the_data_block(client):
    """A title containing </script> stays data: the block parses and no markup escapes from it."""
    brief = published_brief(title="</script><script>alert(1)</script>")

    page = client.get(brief.get_absolute_url()).content.decode()
    reader = read(client, brief.get_absolute_url())

    assert "<script>alert(1)" not in page
    assert any(data.get("name") == "</script><script>alert(1)</script>" for data in reader.json_ld)


def test_highwire_citation_tags_name_the_report_and_its_authors_in_byline_order(client, brief):
    """Zotero and scholarly indexes read title, authors in order, date, series, number and publisher."""
    reader = read(client, brief.get_absolute_url())

    assert reader.named("citation_title") == ["Keeping the grain corridor open"]
    assert reader.named("citation_author") == ["Lena Fischer", "Amara Okafor"]
    assert reader.named("citation_publication_date") == ["2026/05/04"]
    assert reader.named("citation_series_title") == ["Foreign Policy Brief"]
    assert reader.named("citation_technical_report_number") == ["140"]
    assert reader.named("citation_publisher") == ["Meridian Policy Forum"]
    assert reader.named("citation_pdf_url") in ([], [f"http://testserver{brief.get_absolute_url()}pdf/"])


def test_listing_pages_carry_breadcrumbs(client, brief):
    crumbs = next(data for data in read(client, brief.series.get_absolute_url()).json_ld)

    assert crumbs["@type"] == "BreadcrumbList"
    assert [item["name"] for item in crumbs["itemListElement"]] == ["Meridian Policy Forum", "Foreign Policy Brief"]
    assert crumbs["itemListElement"][1]["item"] == "http://testserver/series/foreign-policy/"


def test_every_public_page_has_its_own_title_description_and_canonical_address(client, brief):
    """No two pages share a <title>; each has a description, an absolute canonical URL and card tags."""
    urls = [
        "/",
        "/?series=foreign-policy",
        "/?series=foreign-policy&topic=" + brief.topics.first().slug,
        brief.get_absolute_url(),
        brief.series.get_absolute_url(),
        brief.topics.first().get_absolute_url(),
        brief.authors[0].get_absolute_url(),
        "/search/",
        "/search/?q=grain",
        "/newsletter/subscribe/",
        "/no-such-page/",
    ]
    titles = {}
    for url in urls:
        reader = read(client, url)
        titles[url] = reader.title.strip()
        assert reader.named("description") and reader.named("description")[0].strip(), url
        [canonical] = [link["href"] for link in reader.links if link.get("rel") == "canonical"]
        assert canonical.startswith("http://testserver/"), url
        assert reader.named("twitter:card") and reader.named("og:title"), url
    assert len(set(titles.values())) == len(urls), titles


def test_canonical_addresses_keep_filters_and_pages_but_drop_tracking(client, brief):
    reader = read(client, "/?series=foreign-policy&utm_source=mail&page=1")
    [canonical] = [link["href"] for link in reader.links if link.get("rel") == "canonical"]

    assert canonical == "http://testserver/?series=foreign-policy"


def test_a_brief_has_twitter_card_tags_beside_open_graph(client, brief):
    reader = read(client, brief.get_absolute_url())

    assert reader.named("twitter:card") == ["summary_large_image"]
    assert reader.named("twitter:title") == reader.named("og:title") == ["Keeping the grain corridor open"]
    assert reader.named("twitter:image") == reader.named("og:image")
    assert reader.named("og:url") == [f"http://testserver{brief.get_absolute_url()}"]


def test_social_links_are_in_the_header_as_well_as_the_footer(client):
    page = client.get("/").content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    footer = page[page.index("<footer") :]

    for label, url in [("X", "https://x.com/meridianpolicy"), ("LinkedIn", "https://www.linkedin.com/company/")]:
        assert re.search(rf'href="{re.escape(url)}[^"]*"[^>]*>{label}<', header), label
        assert re.search(rf'href="{re.escape(url)}[^"]*"[^>]*>{label}<', footer), label


def test_the_brief_page_prints_its_address_for_paper_readers(client, brief):
    page = client.get(brief.get_absolute_url()).content.decode()

    assert f'class="print-only brief-address">Online at http://testserver{brief.get_absolute_url()}<' in page
    assert 'href="/static/css/print.css" media="print"' in page


def test_a_draft_preview_carries_no_citation_tags(staff_client):
    draft = published_brief(published_at=timezone.now() + datetime.timedelta(days=3))

    assert read(staff_client, draft.get_absolute_url()).named("citation_title") == []
