"""Make the weekly digest if its time has come and it was not made: the safety net for a lost digest task.

The task worker normally does this by itself: the digest task runs at the
digest's time (set by staff in Newsletter settings) and queues itself for
the next week. Run this from cron (hourly is plenty) in case that task was
lost; it also starts the task chain again. Running it while the task runs
is safe: each week's digest is made once.
"""

from django.core.management.base import BaseCommand

from newsletter.alerts import digests_process_due


class Command(BaseCommand):
    help = "Make the weekly digest if it is due and missing, and keep its task queued."

    def handle(self, *args, **options):
        digest = digests_process_due()
        if digest is None:
            self.stdout.write("No digest due.")
        else:
            self.stdout.write(
                f"{digest}: {digest.subscribers_count} subscriber(s), {digest.skipped_count} with nothing new."
            )
