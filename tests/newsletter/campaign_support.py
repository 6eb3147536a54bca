"""Helpers for campaign tests: subscribers in bulk, a ready-to-send campaign, a backend that dies mid-send."""

import itertools

from django.core.mail.backends.smtp import EmailBackend
from django.utils import timezone

from newsletter.models import Campaign, CampaignBrief, Subscriber
from tests.factories import published_brief

_numbers = itertools.count(1)


def make_subscribers(count: int, *, status=Subscriber.Status.SUBSCRIBED, prefix="reader", **fields) -> list[Subscriber]:
    """``count`` subscribers with distinct addresses (bulk-created: no signals, no emails).

    Subscribed ones have consented and unsubscribed ones have left just now,
    unless ``fields`` say when: the database requires those dates.
    """
    if status == Subscriber.Status.SUBSCRIBED:
        fields.setdefault("consent_at", timezone.now())
    elif status == Subscriber.Status.UNSUBSCRIBED:
        fields.setdefault("unsubscribed_at", timezone.now())
    Subscriber.objects.bulk_create(
        Subscriber(email=f"{prefix}{next(_numbers)}@example.org", status=status, **fields) for _ in range(count)
    )
    return list(Subscriber.objects.filter(email__startswith=prefix).order_by("pk"))


def make_campaign(*, briefs=None, subject="This week's briefs", intro="<p>Three new briefs.</p>", **fields):
    """A draft campaign with one published brief (or the given ones), ready to send."""
    campaign = Campaign.objects.create(subject=subject, intro=intro, **fields)
    for position, brief in enumerate(briefs or [published_brief(title="Ports and power", summary="Who runs ports.")]):
        CampaignBrief.objects.create(campaign=campaign, brief=brief, sort_order=position)
    return campaign


class WorkerStoppedError(KeyboardInterrupt):
    """Stands in for the worker being stopped mid-batch (db_worker raises SystemExit on a second Ctrl+C)."""


class InterruptingBackend(EmailBackend):
    """Real SMTP, but the worker is stopped after ``InterruptingBackend.stop_after`` messages."""

    stop_after = 0
    sent = 0

    def send_messages(self, email_messages):
        if InterruptingBackend.sent >= InterruptingBackend.stop_after:
            raise WorkerStoppedError
        InterruptingBackend.sent += len(email_messages)
        return super().send_messages(email_messages)


class HookedBackend(EmailBackend):
    """Real SMTP, but ``HookedBackend.before_send(message)`` runs first: something happening mid-batch."""

    before_send = None

    def send_messages(self, email_messages):
        if HookedBackend.before_send is not None:
            for message in email_messages:
                HookedBackend.before_send(message)
        return super().send_messages(email_messages)


class SlowBackend(EmailBackend):
    """Real SMTP on a slow server: each message moves the time-machine clock on by ``SlowBackend.step``.

    ``SlowBackend.exposed`` collects recipients whose delivery another worker
    could have taken over (lease run out) while their message was being sent.
    """

    traveller = None
    step = None
    exposed: list = []

    def send_messages(self, email_messages):
        from django.utils import timezone

        from newsletter.models import Delivery

        SlowBackend.traveller.shift(SlowBackend.step)
        for message in email_messages:
            if Delivery.objects.claimable(timezone.now()).filter(subscriber__email__in=message.to).exists():
                SlowBackend.exposed.append(*message.to)
        return super().send_messages(email_messages)
