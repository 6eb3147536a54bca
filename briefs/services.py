"""Workflows that the scheduler and the command line start: taking scheduled briefs live.

Each is a keyword-only ``brief_<action>`` function that guards state inside a
transaction through the model's own transition methods, so the go-live task
and the ``publish_due_briefs`` safety net can run at the same moment and a
brief still goes live, is numbered and is announced (``brief_went_live``)
exactly once.
"""

from .models import Brief


def brief_go_live(*, brief_id: int) -> bool:
    """Publish brief ``brief_id`` if it is scheduled and its time has come. True if this call did it.

    A task that finds the brief unscheduled, rescheduled to later, or
    already live does nothing: a rescheduled brief has a newer task of its
    own.
    """
    brief = Brief.objects.filter(pk=brief_id).first()
    return brief is not None and brief.go_live() is not None


def briefs_go_live_due() -> list[int]:
    """Publish every scheduled brief whose time has come (the safety net for lost tasks); their ids."""
    due = list(Brief.objects.due_to_go_live().values_list("pk", flat=True))
    return [brief_id for brief_id in due if brief_go_live(brief_id=brief_id)]
