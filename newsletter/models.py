"""Subscribers, campaigns and the deliveries that connect them."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, Min, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from core.richtext import RichTextField, sanitise_html


def normalise_email(address: str) -> str:
    """Trim the address and lower-case its domain (the local part is case-sensitive by the RFC)."""
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}" if at else address


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subscriber.Status.SUBSCRIBED)

    def by_email(self, address: str):
        # LOWER(email), as in the unique index, so the lookup can use it (iexact is UPPER on PostgreSQL).
        return self.alias(email_lower=Lower("email")).filter(email_lower=normalise_email(address).lower())

    def in_audience(self, *, everyone: bool = False, series_ids=(), topic_ids=()):
        """Active subscribers a campaign reaches: all of them, or those who want these series/topics.

        A subscriber with no preferences wants everything; one with
        preferences wants a campaign that matches any of them. A segment
        with no series and no topics reaches nobody: an empty choice must
        never turn into "everyone".
        """
        condition = audience_condition(everyone=everyone, series_ids=series_ids, topic_ids=topic_ids)
        return self.active().filter(condition) if condition is not None else self.none()


def audience_condition(*, everyone: bool = False, series_ids=(), topic_ids=()) -> Q | None:
    """Which subscribers (whatever their status) want a campaign for these series and topics; None for nobody.

    Uncorrelated IN subqueries rather than joins: no DISTINCT to sort away,
    and PostgreSQL hashes each subquery once, so counting 100,000
    subscribers stays a single scan.
    """
    if everyone:
        return Q()
    if not series_ids and not topic_ids:
        return None
    follows_series = Subscriber.series.through.objects.filter(series_id__in=list(series_ids))
    follows_topic = Subscriber.topics.through.objects.filter(topic_id__in=list(topic_ids))
    return (
        Q(wants_everything=True)
        | Q(pk__in=follows_series.values("subscriber_id"))
        | Q(pk__in=follows_topic.values("subscriber_id"))
    )


# Each model's statuses are defined outside it so that its Meta can name them in constraints.
class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Pending confirmation"
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"


class AlertFrequency(models.TextChoices):
    """How a subscriber hears about new briefs in the series and topics they follow."""

    EACH = "each", "Each new brief, as it goes live"
    WEEKLY = "weekly", "A weekly digest of the new briefs"
    CAMPAIGNS = "campaigns", "Only the newsletters our staff send"


class Subscriber(models.Model):
    Status = SubscriberStatus
    AlertFrequency = AlertFrequency

    class Source(models.TextChoices):
        DASHBOARD = "dashboard", "Dashboard form"
        BRIEF = "brief", "Brief page form"
        SUBSCRIBE_PAGE = "subscribe_page", "Subscribe page"
        IMPORT = "import", "CSV import"
        ADMIN = "admin", "Added by staff"

    email = models.EmailField(max_length=254, help_text="Stored trimmed with the domain in lower case.")
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING, db_index=True)
    wants_everything = models.BooleanField(
        default=True,
        help_text="Receives every campaign. When off, only campaigns for the chosen series and topics.",
    )
    series = models.ManyToManyField("briefs.Series", blank=True, related_name="subscribers")
    topics = models.ManyToManyField("briefs.Topic", blank=True, related_name="subscribers")
    # A random, unguessable key for the personal preferences and unsubscribe
    # links; rotating it invalidates every link already sent.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=20, choices=Source, default=Source.SUBSCRIBE_PAGE)
    consent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the subscriber confirmed (or staff recorded consent)."
    )
    consent_wording = models.CharField(
        max_length=20, blank=True, help_text="Version of the consent text the subscriber agreed to."
    )
    consent_note = models.CharField(
        max_length=300, blank=True, help_text="For imports: who recorded the consent, and how."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    hard_bounces = models.PositiveIntegerField(default=0, help_text="Permanent delivery failures in a row.")
    # The sending engine marks an address bounced; the campaign task stamps the time right after
    # (newsletter.campaigns.subscribers_stamp_bounced), for the newsletter overview.
    bounced_at = models.DateTimeField(null=True, blank=True, help_text="When the address was marked bounced.")
    alert_frequency = models.CharField(
        "new briefs",
        max_length=10,
        choices=AlertFrequency,
        default=AlertFrequency.EACH,
        help_text=(
            "How they hear about new briefs in the series and topics they follow. Newsletters written by staff "
            "reach them whatever they choose here."
        ),
    )

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_unique_ci"),
            models.CheckConstraint(condition=Q(status__in=SubscriberStatus.values), name="subscriber_status_known"),
            # Nobody receives campaigns without a record of when they agreed to.
            models.CheckConstraint(
                condition=~Q(status=SubscriberStatus.SUBSCRIBED) | Q(consent_at__isnull=False),
                name="subscriber_subscribed_has_consent",
            ),
            # A confirmation link sent before that moment must not subscribe them again.
            models.CheckConstraint(
                condition=~Q(status=SubscriberStatus.UNSUBSCRIBED) | Q(unsubscribed_at__isnull=False),
                name="subscriber_unsubscribed_has_time",
            ),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_preferences_url(self) -> str:
        return settings.SITE_URL + reverse("newsletter:preferences", kwargs={"token": self.token})

    def get_unsubscribe_url(self) -> str:
        return settings.SITE_URL + reverse("newsletter:unsubscribe", kwargs={"token": self.token})


class NewsletterSettings(models.Model):
    """The site-wide newsletter switches staff set in the admin: one row (``NewsletterSettings.load()``).

    The weekly digest's day and hour are in the site's time zone. The last
    three fields belong to the digest's self-rescheduling task
    (newsletter/alerts.py): which chain of tasks is the current one, when it
    runs next, and since when the schedule holds (no digest is made for a
    time before that).
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    alerts_enabled = models.BooleanField(
        "send alerts and digests",
        default=True,
        help_text=(
            "When on, subscribers get an email about each new brief in what they follow, or a weekly digest, "
            "as each of them chose. When off, nobody gets either; newsletters written by staff still go out."
        ),
    )
    digest_weekday = models.PositiveSmallIntegerField(
        "digest day", choices=Weekday, default=Weekday.MONDAY, help_text="The day the weekly digest goes out."
    )
    digest_hour = models.PositiveSmallIntegerField(
        "digest hour",
        default=8,
        validators=[MaxValueValidator(23)],
        help_text="The hour (0 to 23, in the site's time zone) the weekly digest goes out.",
    )
    digest_chain = models.CharField(max_length=32, blank=True, editable=False)
    next_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    schedule_changed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "newsletter settings"
        verbose_name_plural = "newsletter settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="newsletter_settings_single_row"),
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="newsletter_settings_digest_hour"),
        ]

    def __str__(self):
        return "Newsletter settings"

    @classmethod
    def load(cls) -> "NewsletterSettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row

    @property
    def digest_when(self) -> str:
        """The digest's time in words, e.g. "Mondays at 08:00"."""
        return f"{self.get_digest_weekday_display()}s at {self.digest_hour:02d}:00"


class Digest(models.Model):
    """One weekly digest: the briefs that went live in its period, sent as one campaign per set of briefs.

    ``period_end`` is unique, so the digest task and the safety-net command
    make each digest once however often they run.
    """

    period_start = models.DateTimeField()
    period_end = models.DateTimeField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    subscribers_count = models.PositiveIntegerField(default=0, help_text="Weekly subscribers it was addressed to.")
    skipped_count = models.PositiveIntegerField(
        default=0, help_text="Weekly subscribers with nothing new in what they follow: they got no digest."
    )

    class Meta:
        ordering = ["-period_end"]

    def __str__(self):
        return f"Digest of {timezone.localtime(self.period_end):%d %b %Y}"


class CampaignQuerySet(models.QuerySet):
    def due(self, now):
        """Scheduled campaigns whose time has come."""
        return self.filter(status=Campaign.Status.SCHEDULED, scheduled_for__lte=now)

    def sending(self):
        return self.filter(status=Campaign.Status.SENDING)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class CampaignKind(models.TextChoices):
    NEWSLETTER = "newsletter", "Newsletter"
    ALERT = "alert", "New-brief alert"
    DIGEST = "digest", "Weekly digest"


class Campaign(models.Model):
    """An email to many subscribers: a newsletter staff write, or one the site sends by itself.

    Alerts (one per brief, when it goes live) and weekly digests are made by
    newsletter/alerts.py and go through the same sending engine.
    """

    Status = CampaignStatus
    Kind = CampaignKind

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Every subscriber"
        SEGMENT = "segment", "Subscribers of the chosen series or topics"

    kind = models.CharField(max_length=12, choices=Kind, default=Kind.NEWSLETTER, editable=False)
    alert_brief = models.ForeignKey(
        "briefs.Brief", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    digest = models.ForeignKey(
        "newsletter.Digest", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="campaigns"
    )

    subject = models.CharField(max_length=200, help_text="The email's subject line.")
    intro = RichTextField(blank=True, help_text="A short note above the briefs.")
    briefs = models.ManyToManyField("briefs.Brief", through="newsletter.CampaignBrief", related_name="campaigns")
    audience = models.CharField(max_length=20, choices=Audience, default=Audience.EVERYONE)
    audience_series = models.ManyToManyField("briefs.Series", blank=True, related_name="+")
    audience_topics = models.ManyToManyField("briefs.Topic", blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT, db_index=True)
    scheduled_for = models.DateTimeField(null=True, blank=True, help_text="When a scheduled campaign goes out.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once every Delivery row exists: the audience is frozen at that
    # moment, and a resumed send does not recompute it.
    recipients_count = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Subscribers the campaign was addressed to."
    )
    # The one sending task that may carry the campaign on (newsletter.campaigns:
    # older tasks find another token and stop), and until when it counts as
    # alive: renewed while it sends, set past its start while it waits. Once that
    # time passes, its watch task queues a new one (docs/delivery.md).
    task_token = models.CharField(max_length=32, blank=True, editable=False)
    task_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # What campaigns.py's state diagram promises at each step.
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_known"),
            models.CheckConstraint(
                condition=~Q(status=CampaignStatus.SCHEDULED) | Q(scheduled_for__isnull=False),
                name="campaign_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[CampaignStatus.SENDING, CampaignStatus.SENT]) | Q(started_at__isnull=False),
                name="campaign_started_has_start_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[CampaignStatus.SENT, CampaignStatus.CANCELLED]) | Q(finished_at__isnull=False),
                name="campaign_finished_has_end_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=CampaignStatus.SENT) | Q(recipients_count__isnull=False),
                name="campaign_sent_has_recipients",
            ),
            # An alert is about one brief, and there is one alert per brief however often it goes live.
            models.CheckConstraint(
                condition=Q(kind=CampaignKind.ALERT, alert_brief__isnull=False)
                | (~Q(kind=CampaignKind.ALERT) & Q(alert_brief__isnull=True)),
                name="campaign_alert_has_brief",
            ),
            models.UniqueConstraint(
                fields=["alert_brief"], condition=Q(kind=CampaignKind.ALERT), name="campaign_one_alert_per_brief"
            ),
            models.CheckConstraint(
                condition=Q(kind=CampaignKind.DIGEST, digest__isnull=False)
                | (~Q(kind=CampaignKind.DIGEST) & Q(digest__isnull=True)),
                name="campaign_digest_has_digest",
            ),
        ]

    def __str__(self):
        return self.subject

    def save(self, *args, **kwargs):
        self.intro = sanitise_html(self.intro)
        super().save(*args, **kwargs)

    @property
    def is_editable(self) -> bool:
        """Content and audience can change until the first email goes out."""
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}

    @property
    def is_automatic(self) -> bool:
        """Made and sent by the site itself (an alert or a digest), not written by staff."""
        return self.kind != self.Kind.NEWSLETTER

    def audience_subscribers(self) -> SubscriberQuerySet:
        """The subscribers this campaign goes to, as of now.

        A digest is addressed when it is made (each subscriber gets the one
        digest with their briefs); an alert goes to those who follow the
        brief's series or topics and asked for each new brief.
        """
        condition = self.audience_condition()
        return Subscriber.objects.active().filter(condition) if condition is not None else Subscriber.objects.none()

    def audience_condition(self) -> Q | None:
        """Which subscribers, whatever their status, the campaign is meant for; None for nobody."""
        if self.kind == self.Kind.DIGEST:
            return Q(pk__in=self.deliveries.values("subscriber_id"))
        if self.audience == self.Audience.EVERYONE:
            condition = audience_condition(everyone=True)
        else:
            condition = audience_condition(
                series_ids=list(self.audience_series.values_list("pk", flat=True)),
                topic_ids=list(self.audience_topics.values_list("pk", flat=True)),
            )
        if condition is not None and self.kind == self.Kind.ALERT:
            condition &= Q(alert_frequency=AlertFrequency.EACH)
        return condition

    def ordered_briefs(self) -> list:
        """The campaign's briefs in the editor's order, with what the email shows."""
        return [
            link.brief
            for link in self.campaign_briefs.select_related("brief__series", "brief__header_photo").prefetch_related(
                "brief__brief_authors__author"
            )
        ]

    def progress(self) -> "DeliveryProgress":
        return self.deliveries.progress()


class CampaignBrief(models.Model):
    campaign = models.ForeignKey("newsletter.Campaign", on_delete=models.CASCADE, related_name="campaign_briefs")
    brief = models.ForeignKey("briefs.Brief", on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "brief"], name="brief_once_per_campaign")]
        verbose_name = "brief"

    def __str__(self):
        return str(self.brief)


class DeliveryProgress(dict):
    """Counts of a campaign's deliveries by outcome; ``remaining`` is queued plus in flight.

    Also, as attributes, for the estimate of the time left:
    ``waiting_retry`` (queued, but not before a later ``next_attempt_at``),
    and ``recent_sent``, how many were sent in the last ``RECENT`` seconds,
    the first of them at ``recent_first_sent_at``.
    """

    RECENT = 60

    def __init__(self, counts: dict):
        self.waiting_retry = counts.pop("waiting_retry", 0)
        self.recent_sent = counts.pop("recent_sent", 0)
        self.recent_first_sent_at = counts.pop("recent_first_sent_at", None)
        super().__init__(counts)

    @property
    def total(self) -> int:
        return sum(self[status] for status in Delivery.Status.values)

    @property
    def remaining(self) -> int:
        return self[Delivery.Status.QUEUED] + self[Delivery.Status.SENDING]

    @property
    def done(self) -> int:
        return self.total - self.remaining

    @property
    def percent_done(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    def as_json(self) -> dict:
        return {**self, "total": self.total, "remaining": self.remaining, "percent_done": self.percent_done}


class DeliveryQuerySet(models.QuerySet):
    def due(self, now):
        """Queued deliveries that may be tried now (a retry waits for its ``next_attempt_at``)."""
        return self.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=Delivery.Status.QUEUED)

    def abandoned(self, now):
        """Deliveries claimed by a worker whose lease ran out: it died, and another may take them over."""
        return self.filter(status=Delivery.Status.SENDING, claimed_until__lte=now)

    def claimable(self, now):
        """Deliveries a worker may take now: queued and due, or abandoned."""
        return self.due(now) | self.abandoned(now)

    def progress(self, now: datetime | None = None) -> DeliveryProgress:
        """One query: how many deliveries are in each status, and how fast they have been going out lately."""
        now = now or timezone.now()
        recent = Q(status=Delivery.Status.SENT, sent_at__gte=now - timedelta(seconds=DeliveryProgress.RECENT))
        counts = self.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in Delivery.Status.values},
            waiting_retry=Count("pk", filter=Q(status=Delivery.Status.QUEUED, next_attempt_at__gt=now)),
            recent_sent=Count("pk", filter=recent),
            recent_first_sent_at=Min("sent_at", filter=recent),
        )
        return DeliveryProgress(counts)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Delivery(models.Model):
    """One campaign email to one subscriber: the unit of sending, retrying and reporting.

    ``queued`` → ``sending`` (claimed by one worker until ``claimed_until``) →
    ``sent`` / ``failed`` / ``skipped``, or back to ``queued`` with a later
    ``next_attempt_at`` after a temporary failure.
    """

    Status = DeliveryStatus

    campaign = models.ForeignKey("newsletter.Campaign", on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey("newsletter.Subscriber", on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not tried again before this time.")
    message_id = models.CharField(max_length=250, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The worker that claimed the delivery, and until when the claim holds. A
    # claim that outlives its lease belongs to a worker that died; another
    # worker may take it over.
    claimed_by = models.CharField(max_length=40, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "subscriber"], name="one_delivery_per_subscriber"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="delivery_status_known"),
            # A claim without an owner or an end could never be taken over if its worker died.
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENDING) | (~Q(claimed_by="") & Q(claimed_until__isnull=False)),
                name="delivery_sending_is_claimed",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]
        # With the id last, a worker reads a campaign's queue in order and stops after one batch,
        # instead of sorting everything still to send for every batch.
        indexes = [models.Index(fields=["campaign", "status", "id"], name="delivery_campaign_queue_idx")]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.campaign} → {self.subscriber}"
