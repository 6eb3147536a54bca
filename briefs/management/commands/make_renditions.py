"""``manage.py make_renditions``: queue renditions for photos that do not have them yet (or, with --all, every photo).

For photos uploaded before renditions existed, or whose renditions failed
(a file since restored). The task worker makes them; safe to repeat.
"""

from django.core.management.base import BaseCommand

from briefs.models import Photo


class Command(BaseCommand):
    help = "Queue the making of page renditions (AVIF and JPEG sizes) for photos without them."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Remake the renditions of every photo.")

    def handle(self, *args, **options):
        photos = (
            Photo.objects.all() if options["all"] else Photo.objects.exclude(renditions_status=Photo.Renditions.READY)
        )
        queued = 0
        for photo in photos.only("pk"):
            photo.renditions_queue()
            queued += 1
        self.stdout.write(f"Queued renditions for {queued} photo(s).")
