"""Queueing the newsletter's background tasks by name.

``newsletter.tasks`` imports the workflows (``campaigns``, ``services``) to
run them; the workflows queue their tasks through here instead of importing
``tasks`` back, so the imports go one way only.
"""

import logging
from datetime import datetime

from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def task_enqueue(name: str, *, run_after: datetime | None = None, **kwargs) -> bool:
    """Queue ``newsletter.tasks.<name>`` with ``kwargs``, to run no earlier than ``run_after`` if given.

    Returns False, queueing nothing, when the task has to wait but the task
    backend cannot defer work: the immediate backend used in tests would run
    it at once, too early. Whoever calls decides what happens then (for a
    campaign, ``manage.py send_scheduled_campaigns`` picks it up later).
    """
    task = import_string(f"newsletter.tasks.{name}")
    if run_after is not None:
        if not task.get_backend().supports_defer:
            logger.info("Task %s %s is due at %s; the task backend cannot wait for it.", name, kwargs, run_after)
            return False
        task = task.using(run_after=run_after)
    task.enqueue(**kwargs)
    return True
