"""Publish scheduled briefs whose time has come: the safety net for go-live tasks that were lost.

Scheduling a brief queues a task for its time, and the task worker normally
publishes it then. Run this from cron every few minutes in case a task was
lost (a task database restored from an old backup, a worker that was down).
Running it while the worker publishes the same brief is safe: the brief goes
live, gets its number and is announced once.
"""

from django.core.management.base import BaseCommand

from briefs.services import briefs_go_live_due


class Command(BaseCommand):
    help = "Publish scheduled briefs whose time has come."

    def handle(self, *args, **options):
        published = briefs_go_live_due()
        self.stdout.write(f"Published {len(published)} scheduled brief(s).")
