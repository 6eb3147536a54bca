"""Campaign workflows: what staff do with a campaign, and what the background task does with it.

Each step is a keyword-only ``campaign_<action>`` function that checks the
campaign's state and moves it on with a conditional UPDATE, so a double click
or two members of staff acting at once cannot send a campaign twice. Steps
that send queue a task (``newsletter.tasks.send_campaign``, by name through
``newsletter.queue``) and return at once; the task does the sending
(``newsletter.delivery``).

    draft ──schedule──▶ scheduled ──(time comes)──▶ sending ──▶ sent
      │  ◀──unschedule──    │                          │
      └──────send now───────┴──────────────────────────┘
    draft / scheduled / sending ──cancel──▶ cancelled

A campaign never goes out before every brief in it is live (readers would
follow links to pages that answer 404): sending now and scheduling are
refused while a brief is not, unless it is scheduled to go live before the
campaign's time. "Send when the briefs go live" schedules the campaign for
its last brief's time; if that brief is late (its go-live task has not run
yet) the campaign waits, and ``brief_went_live`` sends it right after
(newsletter/receivers.py).
"""

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.core.mail import mailers
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format

from briefs.models import Brief

from .delivery import (
    CampaignEmail,
    DeliveryRun,
    campaign_deliver,
    db_retry,
    deliveries_skip_if_cancelled,
    lease_length,
)
from .models import Campaign, Delivery, DeliveryProgress, Subscriber
from .queue import task_enqueue

logger = logging.getLogger(__name__)

# Rows per INSERT when a digest addresses its campaigns: large enough to be quick for
# 100,000 subscribers, small enough for SQLite's limit on query parameters.
DELIVERY_INSERT_BATCH = 2000
# A task sends for at most this long, then queues its own continuation, so a
# worker asked to stop (SIGTERM) is free within about this time.
TASK_SECONDS = 120
# Waits before trying an unreachable SMTP server again: 30 s, 1, 2, 4 … minutes, at most 15.
SERVER_RETRY_FIRST = timedelta(seconds=30)
SERVER_RETRY_LONGEST = timedelta(minutes=15)
# A campaign's watch looks this long after its task's lease ends, so that a live task has renewed it by then.
WATCH_SLACK = timedelta(seconds=2)

SENDABLE = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)


def _check_permission(by) -> None:
    if by is not None and not by.has_perm("newsletter.change_campaign"):
        raise PermissionDenied("You do not have permission to send campaigns.")


NO_AUDIENCE_CHOSEN = "Choose at least one series or topic for the audience, or send to every subscriber."


def campaign_problems(*, campaign: Campaign) -> list[str]:
    """What stops this campaign from being sent, in words an editor can act on."""
    problems = []
    if not campaign.subject.strip():
        problems.append("Give the campaign a subject.")
    if not campaign.campaign_briefs.exists():
        problems.append("Add at least one brief.")
    if (
        campaign.audience == Campaign.Audience.SEGMENT
        and not campaign.audience_series.exists()
        and not campaign.audience_topics.exists()
    ):
        problems.append(NO_AUDIENCE_CHOSEN)
    return problems


@dataclass(frozen=True)
class AudienceCount:
    """Whom a campaign would reach if it went out now, and who is left out and why."""

    reach: int
    unsubscribed: int
    bounced: int
    pending: int
    not_matching: int
    alert: bool = False

    @property
    def excluded(self) -> int:
        return self.unsubscribed + self.bounced + self.pending + self.not_matching

    @property
    def excluded_reasons(self) -> list[str]:
        """Who is left out, in words: "4 unsubscribed", "1 bounced (…)" …"""
        not_matching = (
            "not following this brief's series or topics, or not asking for each new brief"
            if self.alert
            else "not following the chosen series or topics"
        )
        reasons = [
            (self.not_matching, f"subscribed but {not_matching}"),
            (self.unsubscribed, "unsubscribed"),
            (self.bounced, "bounced (their address refused our emails)"),
            (self.pending, "who have not confirmed their subscription"),
        ]
        return [f"{number_format(count, force_grouping=True)} {words}" for count, words in reasons if count]

    @property
    def needs_typing(self) -> bool:
        """Above NEWSLETTER_CONFIRM_TYPED_ABOVE recipients staff type the number, rather than press a button."""
        return self.reach > settings.NEWSLETTER_CONFIRM_TYPED_ABOVE


def campaign_audience_count(*, campaign: Campaign) -> AudienceCount:
    """One scan of the subscribers: how many there are by status, and how many the campaign reaches.

    The reach uses the campaign's own audience condition, as addressing it does.
    """
    condition = campaign.audience_condition()
    subscribed = Q(status=Subscriber.Status.SUBSCRIBED)
    reach_count = {"reach": Count("pk", filter=subscribed & condition)} if condition is not None else {}
    counts = Subscriber.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Subscriber.Status.values}, **reach_count
    )
    reach = counts.get("reach", 0)
    return AudienceCount(
        reach=reach,
        unsubscribed=counts[Subscriber.Status.UNSUBSCRIBED],
        bounced=counts[Subscriber.Status.BOUNCED],
        pending=counts[Subscriber.Status.PENDING],
        not_matching=max(counts[Subscriber.Status.SUBSCRIBED] - reach, 0),
        alert=campaign.kind == Campaign.Kind.ALERT,
    )


def campaign_confirmation_check(*, campaign: Campaign, confirmed: str | None) -> AudienceCount:
    """The audience, if ``confirmed`` (what staff pressed or typed) repeats its size; otherwise ValidationError.

    Staff confirm the number they were shown. If it changed since (someone
    subscribed or left), they are asked again with the new number rather
    than sending to a list they have not seen.
    """
    audience = campaign_audience_count(campaign=campaign)
    if audience.reach == 0:
        raise ValidationError("Nobody would receive this campaign: no subscriber is in its audience.")
    given = re.sub(r"[\s,.'’_]", "", confirmed or "")
    if not given:
        raise ValidationError(
            f"Confirm that the campaign goes to {number_format(audience.reach, force_grouping=True)} subscribers."
        )
    if given != str(audience.reach):
        raise ValidationError(
            f"The number does not match: this campaign goes to "
            f"{number_format(audience.reach, force_grouping=True)} subscribers now. Check it and confirm again."
        )
    return audience


def campaign_require_sendable(*, campaign: Campaign, when: datetime | None = None) -> None:
    """Raise ValidationError, in words staff can act on, if the campaign could not go out (now or at ``when``)."""
    if campaign.status not in SENDABLE:
        raise ValidationError(f"This campaign is {campaign.get_status_display().lower()}; it cannot be sent again.")
    problems = campaign_problems(campaign=campaign) + campaign_briefs_not_live_problems(
        campaign=campaign, when=when or timezone.now()
    )
    if problems:
        raise ValidationError(problems)


def _move(campaign: Campaign, *, allowed, **changes) -> None:
    """Apply ``changes`` only if the campaign is still in one of the ``allowed`` states."""
    updated = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(**changes)
    if not updated:
        campaign.refresh_from_db(fields=["status"])
        raise ValidationError(f"This campaign is now {campaign.get_status_display().lower()}; nothing was changed.")
    for name, value in changes.items():
        setattr(campaign, name, value)


def campaign_schedule(*, campaign: Campaign, when: datetime, by=None) -> Campaign:
    """Send the campaign at ``when`` (a future time). Rescheduling a scheduled campaign moves it."""
    _check_permission(by)
    if when <= timezone.now():
        raise ValidationError("Choose a time in the future.")
    campaign_require_sendable(campaign=campaign, when=when)
    with transaction.atomic():
        _move(campaign, allowed=SENDABLE, status=Campaign.Status.SCHEDULED, scheduled_for=when)
        campaign_enqueue(campaign_id=campaign.pk, at=when)
    return campaign


def campaign_unschedule(*, campaign: Campaign, by=None) -> Campaign:
    """Take a scheduled campaign back to draft, to edit it or send it another time."""
    _check_permission(by)
    _move(campaign, allowed=[Campaign.Status.SCHEDULED], status=Campaign.Status.DRAFT, scheduled_for=None)
    return campaign


def campaign_send_now(*, campaign: Campaign, by=None) -> Campaign:
    """Start sending at once; the request returns as soon as the task is queued."""
    _check_permission(by)
    campaign_require_sendable(campaign=campaign)
    with transaction.atomic():
        _move(campaign, allowed=SENDABLE, status=Campaign.Status.SENDING, started_at=timezone.now())
        campaign_enqueue(campaign_id=campaign.pk)
    return campaign


def campaign_cancel(*, campaign: Campaign, by=None) -> Campaign:
    """Stop a campaign for good. Messages already sent stay sent; the rest are skipped."""
    _check_permission(by)
    with transaction.atomic():
        _move(
            campaign,
            allowed=[*SENDABLE, Campaign.Status.SENDING],
            status=Campaign.Status.CANCELLED,
            finished_at=timezone.now(),
        )
        # Deliveries a worker holds right now finish their batch, and what it
        # hands back is skipped then (as is anything still being addressed);
        # workers claim nothing more from a campaign that is not sending.
        deliveries_skip_if_cancelled(campaign_id=campaign.pk)
    return campaign


def campaign_start(*, campaign_id: int) -> bool:
    """Move a scheduled campaign whose time has come to sending. True if this call did it.

    The campaign is checked again first: it could be edited, or lose the
    series its audience was chosen by, after it was scheduled. One that is
    no longer ready goes back to draft, where the admin lists what to fix,
    rather than going out to the wrong people.
    """
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.due(now).select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            return False
        if campaign_briefs_waiting(campaign=campaign):
            # A brief due by now whose go-live task is late: brief_went_live sends the campaign after it.
            logger.info("Campaign %s waits for its briefs to go live.", campaign_id)
            return False
        problems = campaign_problems(campaign=campaign) + campaign_briefs_not_live_problems(campaign=campaign, when=now)
        if problems:
            Campaign.objects.filter(pk=campaign_id).update(status=Campaign.Status.DRAFT, scheduled_for=None)
            logger.warning("Campaign %s was due but is not ready, so it is a draft again: %s", campaign_id, problems)
            return False
        Campaign.objects.filter(pk=campaign_id).update(status=Campaign.Status.SENDING, started_at=now)
    return True


def deliveries_create(*, campaign: Campaign) -> int:
    """Address the campaign: one queued Delivery per subscriber in its audience, frozen from now on.

    Safe to run again after an interruption: existing rows are left alone
    (the unique campaign-subscriber pair), so nobody is addressed twice.
    """
    deliveries_insert(campaign_id=campaign.pk, subscribers=campaign.audience_subscribers())
    campaign.recipients_count = campaign.deliveries.count()
    Campaign.objects.filter(pk=campaign.pk).update(recipients_count=campaign.recipients_count)
    # Staff may have cancelled while the rows were being added.
    deliveries_skip_if_cancelled(campaign_id=campaign.pk)
    return campaign.recipients_count


def deliveries_insert(*, campaign_id: int, subscribers) -> None:
    """One queued Delivery of the campaign for each of ``subscribers`` who has none yet: one INSERT … SELECT.

    The database copies the ids itself, so addressing 100,000 subscribers
    takes about a second rather than the many seconds of reading the ids
    into Python and writing them back in batches.
    """
    try:
        select, audience_params = subscribers.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # an audience that is nobody, e.g. a segment with nothing chosen
        return
    queued = Delivery(campaign_id=campaign_id, subscriber_id=0)  # the model's defaults for every other column
    columns = [column for column in Delivery._meta.concrete_fields if not column.primary_key]
    values, params = [], []
    for column in columns:
        if column.attname == "subscriber_id":
            values.append(f"audience.{connection.ops.quote_name('pk')}")
        else:
            values.append("%s")
            params.append(column.get_db_prep_save(getattr(queued, column.attname), connection))
    quote = connection.ops.quote_name
    head = "INSERT OR IGNORE INTO" if connection.vendor == "sqlite" else "INSERT INTO"
    tail = "" if connection.vendor == "sqlite" else " ON CONFLICT DO NOTHING"
    sql = (
        f"{head} {quote(Delivery._meta.db_table)} ({', '.join(quote(column.column) for column in columns)}) "
        f"SELECT {', '.join(values)} FROM ({select}) AS audience WHERE true{tail}"
    )
    params += list(audience_params)  # the SELECT list's placeholders come before the audience's
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@dataclass(frozen=True)
class Preview:
    subject: str
    text: str
    html: str


def campaign_preview(*, campaign: Campaign) -> Preview:
    """The email as a subscriber will see it, with example personal links."""
    email = CampaignEmail(campaign)
    text, html = email.sample()
    return Preview(subject=email.subject, text=text, html=html)


_TEST_LINK_SALT = "newsletter.test-email-link"
TEST_LINK_KINDS = ("unsubscribe", "preferences")


def test_link_url(*, kind: str, campaign: Campaign) -> str:
    """A signed link for a test email's personal links: it opens a page saying it came from a test."""
    token = signing.dumps({"k": kind, "c": campaign.pk}, salt=_TEST_LINK_SALT, compress=True)
    return settings.SITE_URL + reverse("newsletter:test_link", kwargs={"token": token})


def test_link_read(token: str) -> tuple[str, Campaign | None] | None:
    """What a test link stands for (the kind of link, and its campaign if it still exists); None if not ours."""
    try:
        payload = signing.loads(token, salt=_TEST_LINK_SALT)
        kind, campaign_id = payload["k"], int(payload["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if kind not in TEST_LINK_KINDS:
        return None
    return kind, Campaign.objects.filter(pk=campaign_id).first()


def campaign_send_test(*, campaign: Campaign, to: str, by=None) -> str:
    """Send the campaign to one address now, marked as a test; returns its Message-ID.

    Its unsubscribe and preferences links (and the one-click header) are
    signed test links that open a page saying the email was a test: never a
    404, and never a way to unsubscribe someone. Not even the staff member's
    own subscription: test emails get forwarded to colleagues.
    """
    _check_permission(by)
    if not to:
        raise ValidationError("Add an email address to your account to receive test emails.")
    email = CampaignEmail(campaign, subject_prefix="[Test] ")
    message_id = email.new_message_id()
    message = email.message(
        to=to,
        unsubscribe_url=test_link_url(kind="unsubscribe", campaign=campaign),
        preferences_url=test_link_url(kind="preferences", campaign=campaign),
        unsubscribe_key="test",
        message_id=message_id,
    )
    with mailers.default as mailer:
        mailer.send_messages([message])
    return message_id


# -- What staff watch while a campaign goes out ----------------------------------------------------------------------

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
FAILURE_GROUPS_SHOWN = 6


@dataclass
class ProgressReport:
    """What the sending panel shows, on the page and in its JSON: the same figures either way."""

    phase: str
    phase_label: str
    progress: DeliveryProgress | None
    eta_seconds: int | None = None
    failure_groups: list[tuple[str, int]] = field(default_factory=list)
    finished_at: datetime | None = None

    @property
    def eta_text(self) -> str:
        if self.phase != "sending":
            return ""
        if self.eta_seconds is None:
            return "Estimating the time left…"
        if self.eta_seconds < 60:
            return "Less than a minute left"
        minutes = round(self.eta_seconds / 60)
        if minutes < 60:
            return f"About {minutes} minute{'s' if minutes != 1 else ''} left"
        hours, minutes = divmod(minutes, 60)
        return f"About {hours} h {minutes:02d} min left"

    def as_json(self) -> dict:
        counts = self.progress.as_json() if self.progress is not None else {}
        return {
            "phase": self.phase,
            "status_label": self.phase_label,
            **counts,
            "waiting_retry": self.progress.waiting_retry if self.progress is not None else 0,
            "eta_seconds": self.eta_seconds,
            "eta_text": self.eta_text,
            "failure_groups": [{"reason": reason, "count": count} for reason, count in self.failure_groups],
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def campaign_progress_report(*, campaign: Campaign) -> ProgressReport:
    """How far a campaign has gone, how long the rest should take and why emails failed (three queries at most).

    The counts are read from the deliveries, which the sending engine notes
    as sent one by one (other outcomes after each batch): the sent count
    trails what the SMTP server has received by one message at most.
    """
    phase = campaign.status
    if campaign.status == Campaign.Status.SENDING and campaign.recipients_count is None:
        phase = "queued"
    labels = {"queued": "Queued", **dict(Campaign.Status.choices)}
    report = ProgressReport(phase=phase, phase_label=labels[phase], progress=None, finished_at=campaign.finished_at)
    if campaign.recipients_count is None:
        return report
    now = timezone.now()
    report.progress = progress = campaign.deliveries.progress(now)
    if phase == "sending":
        report.eta_seconds = _eta_seconds(progress, now)
    if progress[Delivery.Status.FAILED]:
        report.failure_groups = deliveries_failure_groups(campaign_id=campaign.pk)
    return report


def _eta_seconds(progress: DeliveryProgress, now: datetime) -> int | None:
    """Seconds until the deliveries due now are sent, at the pace of the last minute; None before there is a pace."""
    due = progress.remaining - progress.waiting_retry
    if due <= 0:
        return 0
    first = progress.recent_first_sent_at
    if progress.recent_sent < 2 or first is None:
        return None
    elapsed = max((now - first).total_seconds(), 1.0)
    return round(due / (progress.recent_sent / elapsed))


def deliveries_failure_groups(*, campaign_id: int) -> list[tuple[str, int]]:
    """Why a campaign's emails failed, most common reason first, with addresses left out so alike reasons group."""
    rows = (
        Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.FAILED)
        .values("last_error")
        .annotate(count=Count("pk"))
        .order_by("-count")[:500]
    )
    groups: dict[str, int] = {}
    for row in rows:
        reason = " ".join(_ADDRESS.sub("<address>", row["last_error"]).split())[:200] or "No reason given"
        groups[reason] = groups.get(reason, 0) + row["count"]
    return sorted(groups.items(), key=lambda item: (-item[1], item[0]))[:FAILURE_GROUPS_SHOWN]


def campaign_process(
    *, campaign_id: int, retry: int = 0, follow_up: bool = True, token: str = ""
) -> DeliveryRun | None:
    """The background step: start a due campaign, address it once, send, and queue the next step.

    Returns what was sent, or None if the campaign had nothing to do (not
    due yet, cancelled, already sent) or this task was replaced by a newer
    one (its ``token`` is no longer the campaign's). With ``follow_up=False``
    (the cron safety net) no next step is queued: the task chain, if any,
    queues its own, and a cron run that queued one every time would start
    another chain on each run.
    """
    if token and not db_retry(lambda: _task_hold(campaign_id=campaign_id, token=token), what="starting a task"):
        logger.info("Campaign %s: task %s was replaced by a newer one; it stops.", campaign_id, token)
        return None
    run = db_retry(lambda: _campaign_prepare(campaign_id=campaign_id), what="preparing the campaign")
    if run is not None:
        run = campaign_deliver(campaign_id=campaign_id, max_seconds=TASK_SECONDS, task_token=token)
        if run.failed:
            db_retry(subscribers_stamp_bounced, what="noting bounced addresses")
    queued = False
    if follow_up and run is not None and not run.superseded:
        queued = db_retry(
            lambda: _enqueue_next_step(campaign_id=campaign_id, run=run, retry=retry), what="queueing the next step"
        )
    if token and not queued and not (run is not None and run.superseded):
        # Nothing more to do for now (sent, cancelled, waiting for a brief): the watch need not look any more.
        db_retry(lambda: _task_release(campaign_id=campaign_id, token=token), what="ending a task")
    return run


def _campaign_prepare(*, campaign_id: int) -> DeliveryRun | None:
    """Start a due scheduled campaign and address a sending one; an empty run if there is sending to do, else None."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return None
    if campaign.status == Campaign.Status.SCHEDULED:
        # A rescheduled campaign has a newer task of its own; an early one just stops.
        if not campaign_start(campaign_id=campaign_id):
            return None
        campaign.refresh_from_db()
    if campaign.status != Campaign.Status.SENDING:
        return None
    if campaign.recipients_count is None:
        deliveries_create(campaign=campaign)
    return DeliveryRun()


def _task_hold(*, campaign_id: int, token: str) -> bool:
    """Start the lease of the task holding ``token``; False if the campaign has passed to a newer task."""
    until = timezone.now() + lease_length()
    return bool(Campaign.objects.filter(pk=campaign_id, task_token=token).update(task_lease_until=until))


def _task_release(*, campaign_id: int, token: str) -> None:
    Campaign.objects.filter(pk=campaign_id, task_token=token).update(task_token="", task_lease_until=None)


def campaign_watch(*, campaign_id: int, token: str) -> str:
    """Make sure the campaign's sending task (the one holding ``token``) is alive; queue a new one if it died.

    A worker killed outright (``kill -9``, a lost machine) leaves its task
    marked running for good, and nothing queues the next step. So every
    sending task is queued with a watch, due just after its lease would end:
    while the task lives it renews its lease and the watch looks again
    later; once the task has queued its next step (a new token) or finished,
    the watch ends; if the lease ran out, the task is taken for dead and a
    new one is queued (``campaign_enqueue``, with a new token, so the old
    task stops if it was only stalled). What the watch found: "ended",
    "alive" or "replaced".
    """
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign_id, task_token=token)
            .values("status", "task_lease_until")
            .first()
        )
        if campaign is None:
            return "ended"  # the task queued its next step, or finished
        if campaign["status"] not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
            _task_release(campaign_id=campaign_id, token=token)
            return "ended"
        lease_until = campaign["task_lease_until"]
        if lease_until is not None and lease_until > timezone.now():
            task_enqueue("watch_campaign", run_after=lease_until + WATCH_SLACK, campaign_id=campaign_id, token=token)
            return "alive"
        logger.warning("Campaign %s: its sending task %s stopped without a word; queueing another.", campaign_id, token)
        campaign_enqueue(campaign_id=campaign_id)
    return "replaced"


def subscribers_stamp_bounced() -> int:
    """Note when addresses were marked bounced: the sending engine changes the status, this adds the time."""
    return Subscriber.objects.filter(status=Subscriber.Status.BOUNCED, bounced_at__isnull=True).update(
        bounced_at=timezone.now()
    )


def _enqueue_next_step(*, campaign_id: int, run: DeliveryRun, retry: int) -> bool:
    """Queue the task's next step, if there is one; True if queued."""
    now = timezone.now()
    if run.server_error:
        wait = min(SERVER_RETRY_FIRST * 2**retry, SERVER_RETRY_LONGEST)
        return campaign_enqueue(campaign_id=campaign_id, at=now + wait, retry=retry + 1)
    if not run.finished and run.next_due is not None:
        # Continue now if the run stopped for time, otherwise when the next retry is due.
        return campaign_enqueue(
            campaign_id=campaign_id, at=run.next_due if run.next_due > now else None, progressed=run.handled > 0
        )
    return False


def campaign_enqueue(*, campaign_id: int, at: datetime | None = None, retry: int = 0, progressed: bool = True) -> bool:
    """Queue the sending task, at a later time where the task backend can defer work, with its watch.

    The database backend (production) can; the immediate backend used in
    tests cannot, and runs the task inside this call. There, a follow-up that
    has to wait is left to ``manage.py send_scheduled_campaigns`` (or a
    test), and a follow-up without progress is not queued, so a campaign
    cannot loop on itself.

    The task gets a new token, which makes it the one task that carries the
    campaign on (an older one still queued stops when it sees another
    token), and a lease until a little after its start; its watch
    (``campaign_watch``) is queued first, for when that lease ends, so a
    worker dying at any point in here or in the task still leaves something
    queued that carries the campaign on. True if the task was queued.
    """
    if at is None and not progressed:
        return False
    token = uuid.uuid4().hex
    start = at or timezone.now()
    task_enqueue("watch_campaign", run_after=start + lease_length() + WATCH_SLACK, campaign_id=campaign_id, token=token)
    Campaign.objects.filter(pk=campaign_id).update(task_token=token, task_lease_until=start + lease_length())
    return task_enqueue("send_campaign", run_after=at, campaign_id=campaign_id, retry=retry, token=token)


def campaigns_process_due() -> list[int]:
    """Start due scheduled campaigns and resume sending ones (the cron safety net for lost tasks).

    Each run sends for a while itself and queues nothing, so repeated runs
    never multiply a campaign's tasks; a campaign whose tasks were lost
    still goes out, one cron run at a time.
    """
    ids = list((Campaign.objects.due(timezone.now()) | Campaign.objects.sending()).values_list("pk", flat=True))
    for campaign_id in ids:
        campaign_process(campaign_id=campaign_id, follow_up=False)
    return ids


# -- A campaign goes out only after its briefs are live (issue 7) ---------------------------------------------------


def _briefs_not_live(campaign: Campaign) -> list[Brief]:
    return [link.brief for link in campaign.campaign_briefs.select_related("brief") if not link.brief.is_live]


def campaign_briefs_not_live_problems(*, campaign: Campaign, when: datetime) -> list[str]:
    """Why the campaign cannot go out at ``when``: briefs readers could not open by then, in words staff can act on.

    A brief scheduled to go live by ``when`` is fine: the campaign waits for
    it if its go-live task is a little late.
    """
    problems = []
    for brief in _briefs_not_live(campaign):
        if brief.status == Brief.Status.SCHEDULED and brief.published_at and brief.published_at <= when:
            continue
        if brief.status == Brief.Status.SCHEDULED and brief.published_at:
            going_live = date_format(timezone.localtime(brief.published_at), "j M Y, H:i")
            problems.append(
                f"“{brief.title}” goes live on {going_live}. Use “Send when the briefs go live”, "
                "or schedule the campaign for that time or later."
            )
        else:
            problems.append(f"“{brief.title}” is not published, so readers could not open it. Publish it first.")
    return problems


def campaign_briefs_waiting(*, campaign: Campaign) -> list[Brief]:
    """The campaign's briefs that are scheduled and not live yet (the campaign waits for them)."""
    return [brief for brief in _briefs_not_live(campaign) if brief.status == Brief.Status.SCHEDULED]


def campaign_send_when_live(*, campaign: Campaign, by=None) -> Campaign:
    """Schedule the campaign for the moment its last scheduled brief goes live; it goes out right after."""
    waiting = campaign_briefs_waiting(campaign=campaign)
    if not waiting:
        raise ValidationError("Every brief in this campaign is live already: send it now or schedule it.")
    return campaign_schedule(campaign=campaign, when=max(brief.published_at for brief in waiting), by=by)


def campaigns_release_for_brief(*, brief_id: int) -> list[int]:
    """After a brief went live: send the due scheduled campaigns that were waiting for it. Their ids."""
    due = Campaign.objects.due(timezone.now()).filter(campaign_briefs__brief_id=brief_id).distinct()
    ids = list(due.values_list("pk", flat=True))
    for campaign_id in ids:
        campaign_enqueue(campaign_id=campaign_id)
    return ids
