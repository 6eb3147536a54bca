"""Queueing the newsletter's background tasks by name (``newsletter.tasks.<name>``), through core.queue.

``newsletter.tasks`` imports the workflows (``campaigns``, ``services``) to
run them; the workflows queue their tasks through here instead of importing
``tasks`` back, so the imports go one way only.
"""

from datetime import datetime

from core.queue import task_enqueue as _task_enqueue


def task_enqueue(name: str, *, run_after: datetime | None = None, **kwargs) -> bool:
    """Queue ``newsletter.tasks.<name>``; see ``core.queue.task_enqueue``."""
    return _task_enqueue(f"newsletter.tasks.{name}", run_after=run_after, **kwargs)
