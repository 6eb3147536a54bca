"""Background tasks for the newsletter. They take ids and call the workflow functions in ``campaigns`` and ``services``.

Those modules queue the tasks by name through ``newsletter.queue`` and never
import this one, so imports run one way: tasks → workflows. In production the
tasks run in ``manage.py db_worker`` (django-tasks-db); in tests the
immediate backend runs them inside the call that queues them.
"""

import logging

from django.tasks import TaskResultStatus, task
from django.utils import timezone

from .alerts import digest_run
from .campaigns import campaign_process, campaign_watch
from .services import subscribers_send_confirmations

logger = logging.getLogger(__name__)


@task()
def send_campaign(campaign_id: int, retry: int = 0, token: str = "") -> dict | None:
    """Send (or continue sending) a campaign; queues its own follow-up while work remains."""
    run = campaign_process(campaign_id=campaign_id, retry=retry, token=token)
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


class WorkerDiedError(Exception):
    """What a send task that died with its worker shows as its error."""


# Ahead of other queued work: a campaign whose worker died waits for this.
@task(priority=10)
def watch_campaign(campaign_id: int, token: str) -> str:
    """Queue the campaign's sending task again if the one holding ``token`` died (see campaigns.campaign_watch)."""
    found = campaign_watch(campaign_id=campaign_id, token=token)
    if found == "replaced":
        _mark_dead_task_failed(token=token)
    return found


def _mark_dead_task_failed(*, token: str) -> None:
    """Show the dead task as failed rather than running for ever (django-tasks-db has no such recovery itself)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend
        return
    DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        task_path=send_campaign.module_path,
        args_kwargs__kwargs__token=token,
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{WorkerDiedError.__module__}.{WorkerDiedError.__qualname__}",
        traceback="The worker running this task stopped without a word (killed, or its machine lost); "
        "the campaign's watch queued another task to carry on.",
    )


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
