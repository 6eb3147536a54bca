"""Repair rows that break what the state machines promise, before 0004 makes the database enforce it.

Older code, the admin before the status became read-only, or a hand-edited
database may have left, for example, a subscribed person with no consent
date or a sent campaign with no finishing time. Each repair takes the best
evidence the row has and never sends anyone anything new: a campaign whose
state is unknown and that has deliveries is cancelled, not re-sent; a person
whose state is unknown is pending, not subscribed.
"""

from django.db import migrations
from django.db.models import F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

CAMPAIGN_STATUSES = ["draft", "scheduled", "sending", "sent", "cancelled"]
SUBSCRIBER_STATUSES = ["pending", "subscribed", "unsubscribed", "bounced"]
DELIVERY_STATUSES = ["queued", "sending", "sent", "failed", "skipped"]
INFERRED_CONSENT_NOTE = (
    "No consent date was recorded; the date shown is when they were {}, filled in when the database began to "
    "require one."
)


def repair_campaigns(Campaign, Delivery):
    for campaign in Campaign.objects.exclude(status__in=CAMPAIGN_STATUSES):
        went_out = Delivery.objects.filter(campaign_id=campaign.pk).exists()
        campaign.status = "cancelled" if went_out else "draft"
        campaign.save(update_fields=["status"])
    # A scheduled campaign without a time could never become due: it is a draft, as after "unschedule".
    Campaign.objects.filter(status="scheduled", scheduled_for__isnull=True).update(status="draft")

    unfinished = Q(status__in=["sending", "sent"], started_at__isnull=True) | Q(
        status__in=["sent", "cancelled"], finished_at__isnull=True
    )
    for campaign in Campaign.objects.filter(unfinished | Q(status="sent", recipients_count__isnull=True)):
        sent_at = Delivery.objects.filter(campaign_id=campaign.pk).aggregate(first=Min("sent_at"), last=Max("sent_at"))
        if campaign.started_at is None:
            campaign.started_at = sent_at["first"] or campaign.scheduled_for or campaign.created_at
        if campaign.finished_at is None and campaign.status in {"sent", "cancelled"}:
            campaign.finished_at = sent_at["last"] or campaign.started_at or campaign.created_at
        if campaign.recipients_count is None and campaign.status == "sent":
            campaign.recipients_count = Delivery.objects.filter(campaign_id=campaign.pk).count()
        campaign.save(update_fields=["started_at", "finished_at", "recipients_count"])


def repair_subscribers(Subscriber, now):
    Subscriber.objects.exclude(status__in=SUBSCRIBER_STATUSES).update(status="pending")
    without_consent = Subscriber.objects.filter(status="subscribed", consent_at__isnull=True)
    for evidence, words in [("confirmed_at", "confirmed"), ("created_at", "added")]:
        missing = without_consent.filter(**{f"{evidence}__isnull": False})
        missing.filter(consent_note="").update(consent_note=INFERRED_CONSENT_NOTE.format(words))
        missing.update(consent_at=F(evidence))
    # When they left is unknown: from now on, at least, no older confirmation link subscribes them again.
    Subscriber.objects.filter(status="unsubscribed", unsubscribed_at__isnull=True).update(unsubscribed_at=now)


def repair_deliveries(Campaign, Delivery):
    Delivery.objects.exclude(status__in=DELIVERY_STATUSES).update(
        status="failed", last_error="Not known whether this email was sent: its status was not one we use."
    )
    # A claim without an owner or an end can never run out: give it back to the queue, as an expired claim would be.
    Delivery.objects.filter(status="sending").filter(Q(claimed_by="") | Q(claimed_until__isnull=True)).update(
        status="queued", claimed_by="", claimed_until=None
    )
    campaign_times = Campaign.objects.filter(pk=OuterRef("campaign_id")).values(
        time=Coalesce("finished_at", "started_at", "created_at")
    )
    Delivery.objects.filter(status="sent", sent_at__isnull=True).update(sent_at=Subquery(campaign_times[:1]))


def repair(apps, schema_editor):
    Campaign = apps.get_model("newsletter", "Campaign")
    Delivery = apps.get_model("newsletter", "Delivery")
    Subscriber = apps.get_model("newsletter", "Subscriber")
    repair_campaigns(Campaign, Delivery)
    repair_subscribers(Subscriber, timezone.now())
    repair_deliveries(Campaign, Delivery)


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0002_campaign_sending"),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop),
    ]
