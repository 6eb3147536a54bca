"""Background tasks for briefs. They take ids and call the functions that do the work.

In production they run in ``manage.py db_worker`` (django-tasks-db), which
holds a scheduled brief's task until its time (``run_after``). Where the
backend cannot wait (the immediate backend in tests), scheduling queues
nothing and ``manage.py publish_due_briefs`` publishes due briefs instead.
"""

from django.tasks import task

from .renditions import photo_renditions_make
from .services import brief_go_live


@task()
def publish_scheduled_brief(brief_id: int) -> bool:
    """Publish a scheduled brief whose time has come; False if it was unscheduled, moved or already live."""
    return brief_go_live(brief_id=brief_id)


@task()
def make_photo_renditions(photo_id: int) -> str:
    """Make the sizes and formats pages load for a photo just uploaded (see briefs/renditions.py)."""
    return photo_renditions_make(photo_id=photo_id)
