"""Start scheduled campaigns whose time has come and resume any that are still sending.

The task worker normally does this by itself: scheduling queues a task for
the chosen time, a sending task queues its own follow-ups, and a watch task
replaces a sending task whose worker died (docs/delivery.md). Run this from
cron (every few minutes) as a safety net for tasks that were lost, e.g. a
task database restored from an old backup. Running it while workers are busy
with the same campaign is safe: deliveries are claimed, never shared.
"""

from django.core.management.base import BaseCommand

from newsletter.campaigns import campaigns_process_due


class Command(BaseCommand):
    help = "Send due scheduled campaigns and resume campaigns that are still sending."

    def handle(self, *args, **options):
        ids = campaigns_process_due()
        self.stdout.write(f"Processed {len(ids)} campaign(s).")
