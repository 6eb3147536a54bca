"""RSS feed of the latest published briefs, for readers and aggregators."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy

from .models import Brief


class LatestBriefsFeed(Feed):
    link = reverse_lazy("briefs:dashboard")

    def title(self):
        return f"{settings.SITE_NAME}: latest briefs"

    def description(self):
        return settings.SITE_TAGLINE

    def items(self):
        return Brief.objects.published().for_listing()[:20]

    def item_title(self, item):
        return f"{item.label}: {item.title}"

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return ", ".join(author.name for author in item.authors)

    def item_categories(self, item):
        return [item.series.name]
