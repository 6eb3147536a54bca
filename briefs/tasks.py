"""Background tasks for briefs. They take ids and call the model's own transition methods.

In production they run in ``manage.py db_worker`` (django-tasks-db), which
holds a scheduled brief's task until its time (``run_after``). Where the
backend cannot wait (the immediate backend in tests), scheduling queues
nothing and ``manage.py publish_due_briefs`` publishes due briefs instead.
"""

from django.tasks import task

from .services import brief_go_live


@task()
def publish_scheduled_brief(brief_id: int) -> bool:
    """Publish a scheduled brief whose time has come; False if it was unscheduled, moved or already live."""
    return brief_go_live(brief_id=brief_id)
