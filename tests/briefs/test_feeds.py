"""Feeds a reader can follow: RSS and Atom for everything and each series, topic and author; JSON Feed; sitemap."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AuthorFactory, BriefFactory, PhotoFactory, SeriesFactory, TopicFactory, published_brief

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def parsed(client, url) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    return ET.fromstring(response.content)  # raises if the XML is not well formed


def rss_titles(root) -> list[str]:
    return [item.findtext("title") for item in root.iter("item")]


def atom_titles(root) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]


@pytest.fixture
def catalogue():
    """Live briefs in two series, topics and authors; a draft and an embargoed brief that must stay out."""
    energy, foreign = SeriesFactory(name="Energy Brief", slug="energy"), SeriesFactory(slug="foreign")
    climate, trade = TopicFactory(name="Climate", slug="climate"), TopicFactory(name="Trade", slug="trade")
    okafor, fischer = AuthorFactory(name="Amara Okafor", slug="okafor"), AuthorFactory(name="Lena Fischer")
    old = published_brief(
        title="Old wind auctions",
        series=energy,
        topics=[climate],
        authors=[okafor, fischer],
        header_photo=PhotoFactory(alt_text="Turbines at sea", credit="Coast Photo Desk"),
        published_at=timezone.now() - timedelta(days=1200),
    )
    published_brief(title="Tariffs on steel", series=foreign, topics=[trade], authors=[fischer])
    draft = BriefFactory(title="Draft nobody sees", series=energy)
    embargoed = published_brief(title="Embargoed", series=energy, published_at=timezone.now() + timedelta(days=2))
    return {"old": old, "energy": energy, "climate": climate, "okafor": okafor, "hidden": [draft, embargoed]}


def test_the_main_rss_feed_keeps_its_address_and_lists_only_live_briefs(client, catalogue):
    """/feed/ still works: valid RSS with the live briefs and nothing unpublished."""
    root = parsed(client, "/feed/")

    titles = rss_titles(root)
    assert {title.split(": ", 1)[1] for title in titles} == {"Old wind auctions", "Tariffs on steel"}


def test_atom_and_json_feeds_list_only_live_briefs(client, catalogue):
    atom = parsed(client, reverse("briefs:feed-atom"))
    response = client.get(reverse("briefs:feed-json"))

    assert {title.split(": ", 1)[1] for title in atom_titles(atom)} == {"Old wind auctions", "Tariffs on steel"}
    assert response["Content-Type"].startswith("application/feed+json")
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert {item["title"].split(": ", 1)[1] for item in feed["items"]} == {"Old wind auctions", "Tariffs on steel"}
    old = next(item for item in feed["items"] if "Old wind" in item["title"])
    assert old["url"] == f"http://testserver{catalogue['old'].get_absolute_url()}"
    assert [author["name"] for author in old["authors"]] == ["Amara Okafor", "Lena Fischer"]
    assert old["image"].startswith("http://testserver/media/")
    assert old["content_text"] == catalogue["old"].summary


@pytest.mark.parametrize("kind", ["series", "topic", "author"])
def test_each_series_topic_and_author_has_feeds_with_only_its_briefs(client, catalogue, kind):
    """Following a series, topic or author gets its briefs only, however old, in RSS and in Atom."""
    subject = {"series": catalogue["energy"], "topic": catalogue["climate"], "author": catalogue["okafor"]}[kind]

    rss = parsed(client, reverse(f"briefs:{kind}-feed", kwargs={"slug": subject.slug}))
    atom = parsed(client, reverse(f"briefs:{kind}-feed-atom", kwargs={"slug": subject.slug}))

    assert [title.split(": ", 1)[1] for title in rss_titles(rss)] == ["Old wind auctions"]
    assert [title.split(": ", 1)[1] for title in atom_titles(atom)] == ["Old wind auctions"]
    assert subject.name in rss.findtext("channel/title")


def test_an_unknown_series_feed_is_not_found(client):
    assert client.get(reverse("briefs:series-feed", kwargs={"slug": "nope"})).status_code == 404


def test_feed_items_carry_summary_authors_categories_and_the_header_photo(client, catalogue):
    """Each item has the full summary, every author, series and topics, and the photo with absolute addresses."""
    old = catalogue["old"]
    [item] = parsed(client, reverse("briefs:series-feed", kwargs={"slug": "energy"})).iter("item")

    assert item.findtext("description") == old.summary
    assert [creator.text for creator in item.iter(f"{DC}creator")] == ["Amara Okafor", "Lena Fischer"]
    assert [category.text for category in item.iter("category")] == ["Energy Brief", "Climate"]
    enclosure = item.find("enclosure")
    assert enclosure.get("url").startswith("http://testserver/media/") and int(enclosure.get("length")) > 0
    media = item.find(f"{MEDIA}content")
    assert media.get("url") == enclosure.get("url") and media.get("medium") == "image"
    assert media.findtext(f"{MEDIA}description") == "Turbines at sea"
    assert media.findtext(f"{MEDIA}credit") == "Coast Photo Desk"
    assert item.findtext("link") == f"http://testserver{old.get_absolute_url()}"

    [entry] = parsed(client, reverse("briefs:series-feed-atom", kwargs={"slug": "energy"})).iter(f"{ATOM}entry")
    authors = [(a.findtext(f"{ATOM}name"), a.findtext(f"{ATOM}uri")) for a in entry.iter(f"{ATOM}author")]
    assert authors[0] == ("Amara Okafor", "http://testserver/authors/okafor/")
    assert entry.find(f"{ATOM}link[@rel='enclosure']") is not None


def test_listing_pages_announce_their_feeds(client, catalogue):
    """A series page links its own RSS and Atom feeds (for feed readers) beside the site-wide ones."""
    page = client.get(catalogue["energy"].get_absolute_url()).content.decode()
    rss = reverse("briefs:series-feed", kwargs={"slug": "energy"})

    assert f'type="application/rss+xml" title="Meridian Policy Forum: Energy Brief (RSS)" href="{rss}"' in page
    assert reverse("briefs:series-feed-atom", kwargs={"slug": "energy"}) in page
    assert 'type="application/feed+json"' in page
    assert "Follow Energy Brief in a feed reader" in page


def test_feeds_cost_the_same_queries_for_few_or_many_briefs(client, django_assert_max_num_queries):
    series = SeriesFactory(slug="energy")
    for _ in range(3):
        published_brief(series=series, topics=[TopicFactory()], authors=[AuthorFactory(), AuthorFactory()])
    with django_assert_max_num_queries(5):
        client.get(reverse("briefs:series-feed", kwargs={"slug": "energy"}))
    for _ in range(25):
        published_brief(series=series, topics=[TopicFactory()], authors=[AuthorFactory()], header_photo=PhotoFactory())
    with django_assert_max_num_queries(5):
        client.get(reverse("briefs:series-feed", kwargs={"slug": "energy"}))
    with django_assert_max_num_queries(4):
        client.get(reverse("briefs:feed-json"))


def test_the_sitemap_parses_and_lists_only_live_briefs(client, catalogue):
    root = parsed(client, "/sitemap.xml")

    locations = {element.text for element in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert f"http://testserver{catalogue['old'].get_absolute_url()}" in locations
    for hidden in catalogue["hidden"]:
        assert f"http://testserver{hidden.get_absolute_url()}" not in locations
