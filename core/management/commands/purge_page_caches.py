"""Empty every cache of public pages: after deploying new code, whose pages may look different."""

from django.conf import settings
from django.core.management.base import BaseCommand

from core.caching import EVERY_PAGE
from core.purge import cache_purge_now


class Command(BaseCommand):
    help = (
        "Makes every cached public page stale: the app's page cache at once, and the proxies in "
        "CACHE_PURGE_URLS through the task worker. Run it after deploying new code."
    )

    def handle(self, *args, **options):
        cache_purge_now(keys={EVERY_PAGE})
        proxies = ", ".join(settings.CACHE_PURGE_URLS) or "no proxy configured"
        self.stdout.write(f"Page cache emptied; purge of every page queued for: {proxies}.")
