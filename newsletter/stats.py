"""Figures for the staff overview of the newsletter: the list week by week, what people follow, recent campaigns.

A handful of aggregate queries, whatever the size of the list. The list's
size at the end of a week is worked out from each subscriber's latest
spell on the list (from ``consent_at`` to ``unsubscribed_at`` or
``bounced_at``): exact for everyone who joined once, and for people who
left and came back it counts their current spell only.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, F, Q, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from briefs.models import Series, Topic

from .models import Campaign, Delivery, Subscriber

WEEKS = 52
RECENT_CAMPAIGNS = 8


@dataclass(frozen=True)
class WeekFigures:
    start: date
    confirmed: int
    unsubscribed: int
    bounced: int
    subscribed_at_end: int


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    sent: int
    failed: int
    skipped: int


def _week_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    monday = (local - timedelta(days=local.weekday())).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    return timezone.make_aware(monday)


def _per_week(queryset, field: str, since: datetime) -> dict[date, int]:
    rows = (
        queryset.filter(**{f"{field}__gte": since})
        .annotate(week=TruncWeek(field))
        .order_by()
        .values("week")
        .annotate(count=Count("pk"))
    )
    return {
        timezone.localtime(row["week"]).date() if isinstance(row["week"], datetime) else row["week"]: row["count"]
        for row in rows
    }


def subscriber_weeks(*, now: datetime | None = None, weeks: int = WEEKS) -> list[WeekFigures]:
    """The last ``weeks`` weeks (Monday to Sunday, site time zone), oldest first."""
    now = now or timezone.now()
    first = _week_start(now) - timedelta(weeks=weeks - 1)
    joined = Subscriber.objects.filter(consent_at__isnull=False)
    # When each subscriber's current spell on the list ended, if it has.
    ended = joined.annotate(
        left_at=Case(
            When(status=Subscriber.Status.UNSUBSCRIBED, then=F("unsubscribed_at")),
            When(status=Subscriber.Status.BOUNCED, then=F("bounced_at")),
        )
    ).filter(left_at__isnull=False)
    before = joined.filter(consent_at__lt=first).count() - ended.filter(left_at__lt=first).count()
    confirmed = _per_week(joined, "consent_at", first)
    left = _per_week(ended, "left_at", first)
    unsubscribed = _per_week(Subscriber.objects.filter(unsubscribed_at__isnull=False), "unsubscribed_at", first)
    bounced = _per_week(Subscriber.objects.filter(bounced_at__isnull=False), "bounced_at", first)
    figures, size = [], before
    for number in range(weeks):
        start = timezone.localtime(first + timedelta(weeks=number)).date()
        size += confirmed.get(start, 0) - left.get(start, 0)
        figures.append(
            WeekFigures(
                start=start,
                confirmed=confirmed.get(start, 0),
                unsubscribed=unsubscribed.get(start, 0),
                bounced=bounced.get(start, 0),
                subscribed_at_end=size,
            )
        )
    return figures


def subscribers_by_choice() -> dict[str, list[tuple[str, int]]]:
    """Subscribed people who follow each series and topic, and those who take everything."""
    active = Q(subscribers__status=Subscriber.Status.SUBSCRIBED)
    series = Series.objects.annotate(count=Count("subscribers", filter=active)).values_list("name", "count")
    topics = Topic.objects.annotate(count=Count("subscribers", filter=active)).values_list("name", "count")
    return {
        "everything": [("Everything we publish", Subscriber.objects.active().filter(wants_everything=True).count())],
        "series": sorted(series, key=lambda item: (-item[1], item[0])),
        "topics": sorted(topics, key=lambda item: (-item[1], item[0])),
    }


def campaigns_recent(*, limit: int = RECENT_CAMPAIGNS) -> list[CampaignFigures]:
    """The latest campaigns that were addressed, newest first, with their deliveries by outcome."""
    campaigns = list(
        Campaign.objects.filter(recipients_count__isnull=False, started_at__isnull=False).order_by("-started_at")[
            :limit
        ]
    )
    counts = {
        row["campaign_id"]: row
        for row in Delivery.objects.filter(campaign__in=campaigns)
        .order_by()
        .values("campaign_id")
        .annotate(
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
            skipped=Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
        )
    }
    empty = {"sent": 0, "failed": 0, "skipped": 0}
    return [
        CampaignFigures(campaign=campaign, **{key: counts.get(campaign.pk, empty)[key] for key in empty})
        for campaign in campaigns
    ]
