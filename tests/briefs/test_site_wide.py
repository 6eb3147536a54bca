"""Site-wide pages: the RSS feed, sitemap and robots.txt list only what is published."""

import datetime

import pytest
from django.utils import timezone

from briefs.models import BriefAuthor
from tests.factories import AuthorFactory, BriefFactory, published_brief

pytestmark = pytest.mark.django_db


def test_feed_lists_published_briefs_with_their_number_but_not_drafts(client):
    """A feed reader sees "Series #n: title" for published briefs; drafts and future briefs stay out."""
    live = published_brief(title="Grain corridors after the ceasefire")
    BriefFactory(title="A draft nobody should see")
    published_brief(title="Embargoed until next week", published_at=timezone.now() + datetime.timedelta(days=7))

    response = client.get("/feed/")

    assert response.status_code == 200
    body = response.content.decode()
    assert f"{live.label}: Grain corridors after the ceasefire" in body
    assert f"http://testserver{live.get_absolute_url()}" in body
    assert "A draft nobody should see" not in body
    assert "Embargoed until next week" not in body


def test_sitemap_lists_published_briefs_and_listing_pages(client):
    """Search engines find every published brief and the series/topic/author pages, never drafts."""
    live = published_brief()
    draft = BriefFactory()

    body = client.get("/sitemap.xml").content.decode()

    assert live.get_absolute_url() in body
    assert live.series.get_absolute_url() in body
    assert draft.get_absolute_url() not in body


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    """robots.txt names the sitemap and disallows /admin/."""
    response = client.get("/robots.txt")

    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


def test_an_author_with_only_drafts_is_not_listed_publicly(client):
    """Someone added to an unpublished brief appears in neither the author filter nor the sitemap yet."""
    published_brief(authors=[AuthorFactory(name="Nadia Published", slug="nadia")])
    hidden = AuthorFactory(name="Oren Unpublished", slug="oren")
    BriefAuthor.objects.create(brief=BriefFactory(), author=hidden)

    dashboard = client.get("/").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()

    assert "Nadia Published" in dashboard and "/authors/nadia/" in sitemap
    assert "Oren Unpublished" not in dashboard and "/authors/oren/" not in sitemap
