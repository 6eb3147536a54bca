"""Sitemaps so search engines find every published brief and listing page."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Author, Brief, Series, Topic


class BriefSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Brief.objects.published().only("slug", "updated_at").order_by("-published_at", "-id")

    def lastmod(self, item):
        return item.updated_at


class ListingSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return [
            *Series.objects.only("slug"),
            *Topic.objects.only("slug"),
            *Author.objects.with_published_briefs().only("slug"),
        ]


class DashboardSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["briefs:dashboard"]

    def location(self, item):
        return reverse(item)


sitemaps = {"dashboard": DashboardSitemap, "briefs": BriefSitemap, "listings": ListingSitemap}
