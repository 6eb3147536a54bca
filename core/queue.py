"""Queueing background tasks by their dotted path.

Each app's ``tasks`` module imports the workflows it runs; the workflows and
models queue their tasks through here instead of importing ``tasks`` back,
so imports go one way only.
"""

import logging
from datetime import datetime

from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def task_enqueue(path: str, *, run_after: datetime | None = None, **kwargs) -> bool:
    """Queue the task at ``path`` (e.g. "briefs.tasks.make_photo_renditions") with ``kwargs``.

    With ``run_after`` it runs no earlier than that. Returns False, queueing
    nothing, when the task has to wait but the task backend cannot defer
    work: the immediate backend used in tests would run it at once, too
    early. Whoever calls decides what happens then (a safety-net command
    picks such work up later).
    """
    task = import_string(path)
    if run_after is not None:
        if not task.get_backend().supports_defer:
            logger.info("Task %s %s is due at %s; the task backend cannot wait for it.", path, kwargs, run_after)
            return False
        task = task.using(run_after=run_after)
    task.enqueue(**kwargs)
    return True
