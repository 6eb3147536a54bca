"""Emails the site sends by itself: an alert when a brief goes live, and the weekly digest.

Each subscriber chooses how they hear about new briefs in the series and
topics they follow (``Subscriber.alert_frequency``): each brief as it goes
live, a weekly digest, or only the newsletters staff write. Staff switch
both off site-wide, and set the digest's day and hour, in
``NewsletterSettings``. Both are ordinary campaigns (``Campaign.kind``), so
they go through the same sending engine (batches, retries, exactly once,
one-click unsubscribe) and show in the admin's campaign list.

Alerts (``alert_for_brief``): ``brief_went_live`` (newsletter/receivers.py)
makes one alert campaign per brief; a unique constraint holds that, so a
brief unpublished and published again, or announced by two processes at
once, is alerted once. The alert is scheduled for now, so the campaign task
checks again that the brief is live before addressing it; one whose brief
was withdrawn first goes back to draft and is sent if the brief comes back.

The weekly digest (``digest_send``): one ``Digest`` per period (unique end
time) holding the briefs that went live since the last one. Each weekly
subscriber gets the briefs among them that match what they follow, and
nothing at all if none does: subscribers with the same set of briefs share
one campaign, addressed when the digest is made. No cron is needed: a task
(``newsletter.tasks.send_weekly_digest``) runs at the digest's time and
queues itself for the next one; ``manage.py send_weekly_digest`` is the
idempotent safety net, and restarts the chain if its task was lost.
"""

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import batched

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from briefs.models import Brief

from .campaigns import DELIVERY_INSERT_BATCH, SENDABLE, campaign_enqueue
from .models import Campaign, CampaignBrief, Delivery, Digest, NewsletterSettings, Subscriber
from .queue import task_enqueue

logger = logging.getLogger(__name__)

# A brief that went live longer ago than this is not news: published again after a
# correction (or for the first time since alerts exist), it gets no alert.
ALERT_WINDOW = timedelta(days=3)
# A digest task this late is taken for lost, and the chain is started again.
CHAIN_GRACE = timedelta(hours=1)
WEEK = timedelta(days=7)


# -- Alerts -----------------------------------------------------------------------------------------------------------


def alert_for_brief(*, brief_id: int) -> Campaign | None:
    """Make and queue the alert for a brief that just went live; None if there is none to send.

    Safe to call any number of times for the same brief: the first call
    makes the alert, later ones find it (sent, sending or cancelled) and do
    nothing, except for an alert put back to draft because its brief was
    withdrawn before it went out, which is queued again.
    """
    if not NewsletterSettings.load().alerts_enabled:
        return None
    brief = Brief.objects.select_related("series").filter(pk=brief_id).first()
    now = timezone.now()
    if brief is None or not brief.is_live or brief.published_at < now - ALERT_WINDOW:
        return None
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(kind=Campaign.Kind.ALERT, alert_brief=brief).first()
        if campaign is None:
            if not _alert_audience(brief).exists():
                return None  # nobody to tell: no empty alert in the campaign list
            try:
                with transaction.atomic():
                    campaign = _alert_create(brief, now=now)
            except IntegrityError:
                # Another process made this brief's alert at the same moment.
                return None
        elif campaign.status == Campaign.Status.DRAFT:
            updated = Campaign.objects.filter(pk=campaign.pk, status__in=SENDABLE).update(
                status=Campaign.Status.SCHEDULED, scheduled_for=now
            )
            if not updated:
                return None
        else:
            return None
        transaction.on_commit(lambda: campaign_enqueue(campaign_id=campaign.pk))
    logger.info("Alert %s queued for brief %s.", campaign.pk, brief_id)
    return campaign


def _alert_audience(brief: Brief):
    topic_ids = list(brief.topics.values_list("pk", flat=True))
    return Subscriber.objects.in_audience(series_ids=[brief.series_id], topic_ids=topic_ids).filter(
        alert_frequency=Subscriber.AlertFrequency.EACH
    )


def _alert_create(brief: Brief, *, now: datetime) -> Campaign:
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.ALERT,
        alert_brief=brief,
        subject=f"New: {brief.label}: {brief.title}"[:200],
        intro=f"<p>A new brief in {escape(brief.series.name)}, one of the series and topics you follow.</p>",
        audience=Campaign.Audience.SEGMENT,
        status=Campaign.Status.SCHEDULED,
        scheduled_for=now,
    )
    CampaignBrief.objects.create(campaign=campaign, brief=brief)
    campaign.audience_series.set([brief.series_id])
    campaign.audience_topics.set(brief.topics.all())
    return campaign


# -- The weekly digest ------------------------------------------------------------------------------------------------


def digest_latest_time(*, now: datetime, site: NewsletterSettings) -> datetime:
    """The last digest time (weekday and hour in the site's time zone) at or before ``now``."""
    local = timezone.localtime(now)
    naive = local.replace(tzinfo=None, hour=site.digest_hour, minute=0, second=0, microsecond=0)
    naive -= timedelta(days=(naive.weekday() - site.digest_weekday) % 7)
    if naive > local.replace(tzinfo=None):
        naive -= WEEK
    return timezone.make_aware(naive)


def digest_next_time(*, now: datetime, site: NewsletterSettings) -> datetime:
    """The first digest time after ``now``."""
    latest = timezone.localtime(digest_latest_time(now=now, site=site)).replace(tzinfo=None)
    return timezone.make_aware(latest + WEEK)


def digest_send(*, period_end: datetime) -> Digest | None:
    """Make the digest for the period ending at ``period_end`` and queue its campaigns; once per period.

    Returns None when alerts are off or the digest exists already (the
    task and the safety net may both get here).
    """
    if not NewsletterSettings.load().alerts_enabled:
        return None
    previous = Digest.objects.filter(period_end__lt=period_end).order_by("-period_end").first()
    period_start = period_end - WEEK
    if previous is not None and previous.period_end > period_start:
        period_start = previous.period_end  # the schedule moved: never repeat a brief
    briefs = list(
        Brief.objects.published()
        .filter(published_at__gte=period_start, published_at__lt=period_end)
        .order_by("-published_at", "-pk")
    )
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                digest = Digest.objects.create(period_start=period_start, period_end=period_end)
        except IntegrityError:
            return None
        weekly = Subscriber.objects.active().filter(alert_frequency=Subscriber.AlertFrequency.WEEKLY)
        groups = _digest_groups(briefs, weekly)
        campaign_ids = [
            _digest_campaign(digest, [brief for brief in briefs if brief.pk in brief_ids], subscriber_ids, now=now)
            for brief_ids, subscriber_ids in groups.items()
        ]
        digest.subscribers_count = sum(len(ids) for ids in groups.values())
        digest.skipped_count = max(weekly.count() - digest.subscribers_count, 0)
        digest.save(update_fields=["subscribers_count", "skipped_count"])
        for campaign_id in campaign_ids:
            transaction.on_commit(lambda campaign_id=campaign_id: campaign_enqueue(campaign_id=campaign_id))
    logger.info(
        "Digest %s: %s briefs, %s campaigns, %s subscribers (%s with nothing new).",
        digest.pk,
        len(briefs),
        len(campaign_ids),
        digest.subscribers_count,
        digest.skipped_count,
    )
    return digest


def _digest_groups(briefs: list[Brief], subscribers) -> dict[frozenset, list[int]]:
    """Subscribers by the set of ``briefs`` that match what they follow; those matching none are left out."""
    matches: dict[int, set[int]] = defaultdict(set)
    for brief in briefs:
        topic_ids = list(brief.topics.values_list("pk", flat=True))
        audience = subscribers.in_audience(series_ids=[brief.series_id], topic_ids=topic_ids)
        for subscriber_id in audience.values_list("pk", flat=True).iterator(chunk_size=DELIVERY_INSERT_BATCH):
            matches[subscriber_id].add(brief.pk)
    groups: dict[frozenset, list[int]] = defaultdict(list)
    for subscriber_id, brief_ids in matches.items():
        groups[frozenset(brief_ids)].append(subscriber_id)
    return groups


def _digest_campaign(digest: Digest, briefs: list[Brief], subscriber_ids: list[int], *, now: datetime) -> int:
    """One digest campaign, addressed at once to ``subscriber_ids`` and ready for the task to send."""
    count = len(briefs)
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.DIGEST,
        digest=digest,
        subject=f"This week: {count} new brief{'s' if count != 1 else ''} in what you follow",
        intro="<p>The briefs that went live this week in the series and topics you follow.</p>",
        audience=Campaign.Audience.SEGMENT,
        status=Campaign.Status.SENDING,
        started_at=now,
        recipients_count=len(subscriber_ids),
    )
    CampaignBrief.objects.bulk_create(
        CampaignBrief(campaign=campaign, brief=brief, sort_order=position) for position, brief in enumerate(briefs)
    )
    for chunk in batched(subscriber_ids, DELIVERY_INSERT_BATCH):
        Delivery.objects.bulk_create([Delivery(campaign=campaign, subscriber_id=pk) for pk in chunk])
    return campaign.pk


# -- Running the digest without cron ----------------------------------------------------------------------------------


def digest_chain_start(*, restart: bool = False) -> bool:
    """Queue the digest task for the next digest time, unless a chain of tasks is already waiting for it.

    ``restart`` (the schedule changed) starts a new chain whatever the old
    one was doing; the old chain's task finds it is no longer the current
    one when it runs, and stops. Without anyone asking for a digest there is
    nothing to queue. True if a task was queued.
    """
    if not Subscriber.objects.active().filter(alert_frequency=Subscriber.AlertFrequency.WEEKLY).exists():
        return False
    now = timezone.now()
    with transaction.atomic():
        site = NewsletterSettings.objects.select_for_update().filter(pk=1).first() or NewsletterSettings.load()
        alive = site.digest_chain and site.next_digest_at and site.next_digest_at > now - CHAIN_GRACE
        if alive and not restart:
            return False
        site.digest_chain = uuid.uuid4().hex
        site.next_digest_at = digest_next_time(now=now, site=site)
        site.save(update_fields=["digest_chain", "next_digest_at"])
        chain, when = site.digest_chain, site.next_digest_at
        transaction.on_commit(lambda: task_enqueue("send_weekly_digest", run_after=when, chain=chain))
    return True


def digest_run(*, chain: str) -> Digest | None:
    """The digest task: make the digest that is due, if this task's chain is the current one, and queue the next.

    A task from a replaced chain (the schedule changed since it was
    queued) does nothing and queues nothing.
    """
    site = NewsletterSettings.load()
    if chain != site.digest_chain:
        return None
    now = timezone.now()
    digest = digests_make_due(site=site, now=now)
    next_time = digest_next_time(now=now, site=site)
    NewsletterSettings.objects.filter(pk=1, digest_chain=chain).update(next_digest_at=next_time)
    task_enqueue("send_weekly_digest", run_after=next_time, chain=chain)
    return digest


def digests_make_due(*, site: NewsletterSettings | None = None, now: datetime | None = None) -> Digest | None:
    """Make the latest digest whose time has come, unless it exists or its time is before the schedule was set."""
    site = site or NewsletterSettings.load()
    now = now or timezone.now()
    due = digest_latest_time(now=now, site=site)
    if due <= site.schedule_changed_at:
        return None
    return digest_send(period_end=due)


def digests_process_due() -> Digest | None:
    """The safety net (``manage.py send_weekly_digest``): the due digest if it is missing, and a live task chain."""
    digest = digests_make_due()
    digest_chain_start()
    return digest


def newsletter_settings_changed(*, site: NewsletterSettings, schedule_changed: bool) -> None:
    """After staff saved the settings: a new digest schedule holds from now, with a new chain of tasks."""
    if schedule_changed:
        NewsletterSettings.objects.filter(pk=site.pk).update(schedule_changed_at=timezone.now())
        digest_chain_start(restart=True)
