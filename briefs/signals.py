"""Signals other apps build on when a brief becomes public or stops being public.

``brief_went_live`` (kwargs ``brief``, ``by``)
    Sent once each time a brief becomes publicly visible: an editor pressed
    "Publish now", or a scheduled brief's time came and the go-live task or
    the ``publish_due_briefs`` safety net moved it (whichever ran first;
    the other finds nothing to do). ``by`` is the member of staff who
    published, or ``None`` for the scheduler and imports.

``brief_withdrawn`` (kwargs ``brief``, ``by``)
    Sent once when a brief that readers could see is unpublished or
    archived. Not sent for briefs that were never live.

Both are sent from ``transaction.on_commit`` after the state change is
stored, so a receiver sees the committed brief and never hears of a change
that was rolled back. Each state change is a conditional update under a row
lock (``Brief`` transition methods), so two workers racing to publish the
same scheduled brief produce one change and one signal, on SQLite and on
PostgreSQL alike. Receivers should be quick or queue a task; an exception
in one is logged and does not stop the others (``send_robust``).

``sender`` is the ``Brief`` class.
"""

from django.dispatch import Signal

brief_went_live = Signal()
brief_withdrawn = Signal()
