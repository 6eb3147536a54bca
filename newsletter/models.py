"""Subscribers, campaigns and the deliveries that connect them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.urls import reverse

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
        queryset = self.active()
        if everyone:
            return queryset
        if not series_ids and not topic_ids:
            return queryset.none()
        wants_everything = Q(wants_everything=True)
        matches = Q(series__in=series_ids) | Q(topics__in=topic_ids)
        return queryset.filter(wants_everything | matches).distinct()


# Each model's statuses are defined outside it so that its Meta can name them in constraints.
class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Pending confirmation"
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"


class Subscriber(models.Model):
    Status = SubscriberStatus

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


class Campaign(models.Model):
    Status = CampaignStatus

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Every subscriber"
        SEGMENT = "segment", "Subscribers of the chosen series or topics"

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

    def audience_subscribers(self) -> SubscriberQuerySet:
        """The subscribers this campaign goes to, as of now."""
        if self.audience == self.Audience.EVERYONE:
            return Subscriber.objects.in_audience(everyone=True)
        return Subscriber.objects.in_audience(
            series_ids=list(self.audience_series.values_list("pk", flat=True)),
            topic_ids=list(self.audience_topics.values_list("pk", flat=True)),
        )

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
    """Counts of a campaign's deliveries by outcome; ``remaining`` is queued plus in flight."""

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

    def progress(self) -> DeliveryProgress:
        """One query: how many deliveries are in each status."""
        counts = self.aggregate(**{status: Count("pk", filter=Q(status=status)) for status in Delivery.Status.values})
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
