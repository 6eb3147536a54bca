"""Subscribers, campaigns and the deliveries that connect them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from briefs.richtext import RichTextField, sanitise_html


def normalise_email(address: str) -> str:
    """Trim the address and lower-case its domain (the local part is case-sensitive by the RFC)."""
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}" if at else address


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subscriber.Status.SUBSCRIBED)

    def by_email(self, address: str):
        return self.filter(email__iexact=normalise_email(address))

    def in_audience(self, *, series_ids=(), topic_ids=()):
        """Active subscribers who want a campaign about these series/topics.

        A subscriber with no preferences wants everything; one with
        preferences wants a campaign that matches any of them.
        """
        queryset = self.active()
        if not series_ids and not topic_ids:
            return queryset
        wants_everything = Q(wants_everything=True)
        matches = Q(series__in=series_ids) | Q(topics__in=topic_ids)
        return queryset.filter(wants_everything | matches).distinct()


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        SUBSCRIBED = "subscribed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

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
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_unique_ci")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_preferences_url(self) -> str:
        return settings.SITE_URL + reverse("newsletter:preferences", kwargs={"token": self.token})

    def get_unsubscribe_url(self) -> str:
        return settings.SITE_URL + reverse("newsletter:unsubscribe", kwargs={"token": self.token})


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject

    def save(self, *args, **kwargs):
        self.intro = sanitise_html(self.intro)
        super().save(*args, **kwargs)


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


class Delivery(models.Model):
    """One campaign email to one subscriber: the unit of sending, retrying and reporting."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    campaign = models.ForeignKey("newsletter.Campaign", on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey("newsletter.Subscriber", on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not tried again before this time.")
    message_id = models.CharField(max_length=250, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "subscriber"], name="one_delivery_per_subscriber")]
        indexes = [models.Index(fields=["campaign", "status"], name="delivery_campaign_status_idx")]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.campaign} → {self.subscriber}"
