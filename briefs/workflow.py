"""A brief's editorial workflow: its states, the transitions between them and who may make each.

::

    draft ──submit──▶ in review ──schedule──▶ scheduled ──(its time comes)──▶ published ──archive──▶ archived
      ▲  ◀──back to draft── │ │                 │  ▲                              │
      │                     │ └─request changes─┼──┼──▶ changes requested         │
      │                     └──────publish now──┼──┼──────────────────────────────▶│
      └────── unschedule / unpublish / restore from archive ◀────────────────────┘

An Author (a member of the Authors group on the brief's byline) writes while
the brief is a draft or has changes requested, submits it for review, and
may take it back to draft. An Editor (``briefs.publish_brief``) does every
transition. ``None`` as the actor is the system itself: the scheduler and
imports.

The table below is the single source of what is allowed; ``Brief``'s
transition methods apply it under a row lock, and the admin shows a button
for each transition ``Brief.transitions_for(user)`` returns.
"""

from dataclasses import dataclass

DRAFT = "draft"
IN_REVIEW = "in_review"
CHANGES_REQUESTED = "changes_requested"
SCHEDULED = "scheduled"
PUBLISHED = "published"
ARCHIVED = "archived"

# While a brief is in one of these states its byline authors may edit it.
AUTHOR_EDITABLE = frozenset({DRAFT, CHANGES_REQUESTED})


@dataclass(frozen=True)
class Transition:
    name: str
    button: str  # what the admin button says
    sources: frozenset
    target: str
    editors_only: bool = True
    comment_required: bool = False
    needs_time: bool = False
    # What the timeline says, e.g. "submitted it for review".
    verb: str = ""


TRANSITIONS = {
    transition.name: transition
    for transition in [
        Transition(
            "submit_for_review",
            "Submit for review",
            frozenset({DRAFT, CHANGES_REQUESTED}),
            IN_REVIEW,
            editors_only=False,
            verb="submitted it for review",
        ),
        Transition(
            "return_to_draft",
            "Back to draft",
            frozenset({IN_REVIEW, CHANGES_REQUESTED}),
            DRAFT,
            editors_only=False,
            verb="took it back to draft",
        ),
        Transition(
            "request_changes",
            "Request changes",
            frozenset({IN_REVIEW}),
            CHANGES_REQUESTED,
            comment_required=True,
            verb="asked for changes",
        ),
        Transition(
            "schedule",
            "Schedule",
            frozenset({DRAFT, IN_REVIEW, CHANGES_REQUESTED, SCHEDULED}),
            SCHEDULED,
            needs_time=True,
            verb="scheduled it",
        ),
        Transition("unschedule", "Unschedule", frozenset({SCHEDULED}), IN_REVIEW, verb="unscheduled it"),
        Transition(
            "publish",
            "Publish now",
            frozenset({DRAFT, IN_REVIEW, CHANGES_REQUESTED, SCHEDULED}),
            PUBLISHED,
            verb="published it",
        ),
        Transition("unpublish", "Unpublish", frozenset({PUBLISHED}), DRAFT, verb="unpublished it"),
        Transition(
            "archive",
            "Archive",
            frozenset({DRAFT, IN_REVIEW, CHANGES_REQUESTED, SCHEDULED, PUBLISHED}),
            ARCHIVED,
            verb="archived it",
        ),
        Transition(
            "unarchive", "Restore from archive", frozenset({ARCHIVED}), DRAFT, verb="restored it from the archive"
        ),
    ]
}

# The scheduler's own transition; nobody presses a button for it.
GO_LIVE = Transition("go_live", "", frozenset({SCHEDULED}), PUBLISHED, verb="went live as scheduled")
