"""Background tasks for the briefs app. They take ids and call the functions that do the work."""

from django.tasks import task

from .renditions import photo_renditions_make


@task()
def make_photo_renditions(photo_id: int) -> str:
    """Make the sizes and formats pages load for a photo just uploaded (see briefs/renditions.py)."""
    return photo_renditions_make(photo_id=photo_id)
