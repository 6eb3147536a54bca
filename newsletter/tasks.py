"""Background tasks for the newsletter. They take ids and call the workflow functions in ``campaigns`` and ``services``.

Those modules queue the tasks by name through ``newsletter.queue`` and never
import this one, so imports run one way: tasks → workflows. In production the
tasks run in ``manage.py db_worker`` (django-tasks-db); in tests the
immediate backend runs them inside the call that queues them.
"""

import logging

from django.tasks import task

from .alerts import digest_run
from .campaigns import campaign_process
from .services import subscribers_send_confirmations

logger = logging.getLogger(__name__)


@task()
def send_campaign(campaign_id: int, retry: int = 0) -> dict | None:
    """Send (or continue sending) a campaign; queues its own follow-up while work remains."""
    run = campaign_process(campaign_id=campaign_id, retry=retry)
    if run is None:
        return None
    return {
        "sent": run.sent,
        "failed": run.failed,
        "skipped": run.skipped,
        "deferred": run.deferred,
        "server_error": run.server_error,
        "finished": run.finished,
    }


@task()
def send_import_confirmations(subscriber_ids: list[int]) -> dict:
    """Send the confirmation links for a CSV import of people who have not consented yet."""
    sent, failed = subscribers_send_confirmations(subscriber_ids=subscriber_ids)
    for line in failed:
        logger.warning("Import confirmation not sent: %s", line)
    return {"sent": sent, "failed": failed}


@task()
def send_weekly_digest(chain: str) -> dict | None:
    """Make the weekly digest that is due and queue this task again for the next one (see newsletter/alerts.py)."""
    digest = digest_run(chain=chain)
    if digest is None:
        return None
    return {"digest": digest.pk, "subscribers": digest.subscribers_count, "skipped": digest.skipped_count}
