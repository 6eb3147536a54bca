"""``manage.py seed_demo``: fill the site with the fictional demo catalogue, safely repeatable.

``make run`` calls this on every start: the first run makes the demo series,
topics, authors, partner organisations and 25 published briefs with generated
pictures (one shaped like the group's Foreign Policy Brief #140, see
demo/brief140.py); later runs find them by slug and change nothing.
``--briefs N`` makes N briefs in all (the 25 demo briefs, then generated
variations), for benchmarks.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seeding import DEMO_BRIEFS, demo_seed

MAX_BRIEFS = 1_000_000


class Command(BaseCommand):
    help = "Create the fictional demo content (series, topics, authors, resources and published briefs). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--briefs",
            type=int,
            default=DEMO_BRIEFS,
            help=f"How many published demo briefs there should be in all (default {DEMO_BRIEFS}).",
        )

    def handle(self, *args, briefs, **options):
        if not 0 <= briefs <= MAX_BRIEFS:
            raise CommandError(f"--briefs must be between 0 and {MAX_BRIEFS:,}; got {briefs}.")
        report = demo_seed(briefs=briefs, site_name=settings.SITE_NAME)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS("Demo content is in place."))
            for line in report.lines():
                self.stdout.write(line)
