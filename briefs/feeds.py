"""Feeds for readers and aggregators: RSS 2.0, Atom and JSON Feed 1.1.

All published briefs (``/feed/``, ``/feed/atom/``, ``/feed/json/``), and each
series, topic and author (``/series/<slug>/feed/`` and ``…/feed/atom/``), so
a reader can follow exactly what interests them and an older brief is still in
its series', topics' and authors' feeds. Every item carries the full summary,
every author (with their page), the series and topics as categories, and the
header photo as an enclosure and a Media RSS element, with absolute addresses.
"""

import mimetypes
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed

from core.caching import cache_tags_add

from .cache_tags import feed_tags
from .models import Author, Brief, Series, Topic

ITEMS_PER_FEED = 30
MEDIA_RSS = "http://search.yahoo.com/mrss/"
DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"


def briefs_for_feed(briefs):
    """The newest published briefs with what an item shows, in a fixed number of queries."""
    return list(briefs.published().for_listing().prefetch_related("topics")[:ITEMS_PER_FEED])


def brief_updated(brief: Brief):
    """When readers last saw the brief change: its correction, else its publication."""
    return brief.corrected_at or brief.published_at


def brief_image(brief: Brief, request: HttpRequest) -> dict | None:
    """The header photo as a feed shows it, or None. Its size in bytes is read from storage when it can be."""
    photo = brief.header_photo
    if photo is None:
        return None
    try:
        length = photo.image.size
    except OSError:
        length = None
    return {
        "url": request.build_absolute_uri(photo.image.url),
        "type": mimetypes.guess_type(photo.image.name)[0] or "image/jpeg",
        "length": length,
        "width": photo.width,
        "height": photo.height,
        "alt": photo.alt_text,
        "credit": photo.credit,
    }


class BriefRssFeed(Rss201rev2Feed):
    """RSS 2.0 with every author as dc:creator and the header photo as media:content."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": DUBLIN_CORE, "xmlns:media": MEDIA_RSS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["brief_authors"]:
            handler.addQuickElement("dc:creator", author["name"])
        add_media_elements(handler, item["image"])


class BriefAtomFeed(Atom1Feed):
    """Atom with one <author> (name and page) per author and the header photo as media:content."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_RSS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["brief_authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", author["name"])
            handler.addQuickElement("uri", author["url"])
            handler.endElement("author")
        add_media_elements(handler, item["image"])


def add_media_elements(handler, image: dict | None) -> None:
    if image is None:
        return
    attributes = {"url": image["url"], "medium": "image", "type": image["type"]}
    if image["width"]:
        attributes |= {"width": str(image["width"]), "height": str(image["height"])}
    handler.startElement("media:content", attributes)
    handler.addQuickElement("media:description", image["alt"])
    if image["credit"]:
        handler.addQuickElement("media:credit", image["credit"])
    handler.endElement("media:content")


@dataclass
class FeedSubject:
    """What one feed request is about: everything, or one series, topic or author."""

    request: HttpRequest
    instance: Series | Topic | Author | None = None

    @property
    def briefs(self):
        match self.instance:
            case Series():
                return Brief.objects.filter(series=self.instance)
            case Topic():
                return Brief.objects.filter(topics=self.instance)
            case Author():
                return Brief.objects.filter(brief_authors__author=self.instance)
        return Brief.objects.all()


class LatestBriefsFeed(Feed):
    """RSS of every published brief, newest first; the subclasses below narrow it or switch to Atom."""

    feed_type = BriefRssFeed
    model = None

    def get_object(self, request, slug=None):
        instance = get_object_or_404(self.model, slug=slug) if self.model else None
        return FeedSubject(request=request, instance=instance)

    def title(self, subject):
        about = subject.instance.name if subject.instance else "latest briefs"
        return f"{settings.SITE_NAME}: {about}"

    def link(self, subject):
        return subject.instance.get_absolute_url() if subject.instance else reverse("briefs:dashboard")

    def description(self, subject):
        match subject.instance:
            case Author(name=name):
                return f"Policy briefs by {name} from {settings.SITE_NAME}."
            case None:
                return settings.SITE_TAGLINE
        return subject.instance.description or f"{subject.instance.name}: policy briefs from {settings.SITE_NAME}."

    def author_name(self):
        return settings.SITE_NAME

    def items(self, subject):
        briefs = briefs_for_feed(subject.briefs)
        cache_tags_add(subject.request, feed_tags(subject.instance, briefs))
        # Feeds are built per request; each item keeps what absolute addresses need.
        for brief in briefs:
            brief.feed_request = subject.request
        return briefs

    def item_title(self, item):
        return f"{item.label}: {item.title}"

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return brief_updated(item)

    def item_categories(self, item):
        return [item.series.name, *(topic.name for topic in item.topics.all())]

    def item_enclosures(self, item):
        image = brief_image(item, item.feed_request)
        if image is None or image["length"] is None:
            return []
        return [Enclosure(image["url"], str(image["length"]), image["type"])]

    def item_extra_kwargs(self, item):
        request = item.feed_request
        return {
            "brief_authors": [
                {"name": author.name, "url": request.build_absolute_uri(author.get_absolute_url())}
                for author in item.authors
            ],
            "image": brief_image(item, request),
        }


class LatestBriefsAtomFeed(LatestBriefsFeed):
    feed_type = BriefAtomFeed

    def subtitle(self, subject):
        return self.description(subject)


class SeriesFeed(LatestBriefsFeed):
    model = Series


class SeriesAtomFeed(LatestBriefsAtomFeed):
    model = Series


class TopicFeed(LatestBriefsFeed):
    model = Topic


class TopicAtomFeed(LatestBriefsAtomFeed):
    model = Topic


class AuthorFeed(LatestBriefsFeed):
    model = Author


class AuthorAtomFeed(LatestBriefsAtomFeed):
    model = Author


def json_feed(request):
    """JSON Feed 1.1 (jsonfeed.org) of every published brief, newest first."""
    absolute = request.build_absolute_uri
    items = []
    briefs = briefs_for_feed(Brief.objects.all())
    cache_tags_add(request, feed_tags(None, briefs))
    for brief in briefs:
        image = brief_image(brief, request)
        url = absolute(brief.get_absolute_url())
        item = {
            "id": url,
            "url": url,
            "title": f"{brief.label}: {brief.title}",
            "summary": brief.summary,
            "content_text": brief.summary,
            "date_published": brief.published_at.isoformat(),
            "date_modified": brief_updated(brief).isoformat(),
            "authors": [{"name": author.name, "url": absolute(author.get_absolute_url())} for author in brief.authors],
            "tags": [brief.series.name, *(topic.name for topic in brief.topics.all())],
        }
        if image:
            item["image"] = image["url"]
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{settings.SITE_NAME}: latest briefs",
        "home_page_url": absolute(reverse("briefs:dashboard")),
        "feed_url": absolute(reverse("briefs:feed-json")),
        "description": settings.SITE_TAGLINE,
        "language": settings.LANGUAGE_CODE,
        "authors": [{"name": settings.SITE_NAME, "url": absolute(reverse("briefs:dashboard"))}],
        "items": items,
    }
    return JsonResponse(feed, content_type="application/feed+json", json_dumps_params={"ensure_ascii": False})
