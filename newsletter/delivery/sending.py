"""The loop a worker runs to send a campaign, and what counts as finished.

Part of the sending engine; see docs/delivery.md for the whole story:
claiming, sending, recording, and what each kind of failure does.
"""

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mailers
from django.db import Error as DatabaseDriverError
from django.db.models import Min, Q
from django.utils import timezone

from ..models import Campaign, Delivery, Subscriber
from .batches import (
    Batch,
    DeliveryNotes,
    batch_read,
    batch_record,
    batch_renew,
    batch_take,
    lease_length,
    notes_session_reset,
)
from .messages import CampaignEmail
from .outages import db_retry

logger = logging.getLogger(__name__)

# Tries for an address that keeps answering 4xx: about ten hours with the back-off below.
MAX_ATTEMPTS = 8
# Replies after DATA that refuse the mailbox rather than the message.
MAILBOX_REFUSED = {550, 551, 553}
RETRY_FIRST = timedelta(minutes=5)
RETRY_LONGEST = timedelta(hours=6)


def retry_delay(attempt: int) -> timedelta:
    """Back-off before try number ``attempt + 1``: 5, 10, 20, 40 minutes … at most 6 hours."""
    return min(RETRY_FIRST * 2 ** max(attempt - 1, 0), RETRY_LONGEST)


@dataclass
class DeliveryRun:
    """What one call of ``campaign_deliver`` did, and whether there is more to do."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    server_error: str = ""
    finished: bool = False
    stopped_early: bool = False
    superseded: bool = False
    next_due: datetime | None = None

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.skipped + self.deferred


class _ServerUnavailableError(Exception):
    """The SMTP server as a whole is unreachable or refusing service: stop and try later."""


def _classify(error: Exception) -> tuple[str, str]:
    """How sending one message failed, and the reason to record.

    "bounce": the address is refused for good (counts towards marking the
    subscriber bounced); "permanent": this message will not go, but the
    address may be fine (content refused at DATA, say); "temporary": try
    this address again later; "server": the server itself is unavailable.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        text = f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        if code == 421:
            return "server", text
        return ("bounce" if code >= 500 else "temporary"), text
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return "server", str(error)
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"
        if error.smtp_code == 421:
            return "server", text
        if error.smtp_code in MAILBOX_REFUSED:
            return "bounce", text
        # A 552/554 after DATA usually refuses the content, which every
        # subscriber would get: not a reason to give up on the address.
        return ("permanent" if error.smtp_code >= 500 else "temporary"), text
    if isinstance(error, ValueError | UnicodeError):
        # Django refuses addresses it cannot put on the wire.
        return "bounce", f"Address refused before sending: {error}"
    if isinstance(error, smtplib.SMTPException):
        return "temporary", str(error) or error.__class__.__name__
    # Connection refused, reset, timed out: the server, not this address.
    return "server", str(error) or error.__class__.__name__


def _open(mailer) -> None:
    """Make sure the SMTP connection is open; any failure here is the server's, never an address's.

    Connecting, STARTTLS and logging in (a 535 for wrong credentials, a 454)
    happen before any recipient is named, so no delivery is to blame.
    """
    try:
        mailer.open()
    except Exception as error:  # whatever stops the connection stops the whole run
        if isinstance(error, smtplib.SMTPResponseException):
            text = f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"
        else:
            text = str(error) or error.__class__.__name__
        raise _ServerUnavailableError(f"Could not open the SMTP connection: {text}") from error


class _Leases:
    """Keeps a live worker's claims (its batch, and the campaign's task lease) from running out.

    Each is renewed once a third of the lease has passed, by the wall clock
    the claims are written in, and before each message, so a claim never
    lapses while its worker is alive and sending. ``superseded`` turns true
    when the campaign's task lease was given to another task (this one was
    taken for dead): that run stops after its batch.
    """

    def __init__(self, *, campaign_id: int, task_token: str):
        self.campaign_id = campaign_id
        self.task_token = task_token
        self.batch_token = ""
        self.renew_at = None
        self.superseded = False

    def held(self, batch_token: str) -> None:
        """A new batch was claimed just now (with a full lease)."""
        self.batch_token = batch_token
        self.renew_at = self.renew_at or timezone.now() + lease_length() / 3

    def renew_if_due(self) -> None:
        now = timezone.now()
        if self.renew_at is not None and now < self.renew_at:
            return
        until = now + lease_length()
        if self.batch_token:
            db_retry(lambda: batch_renew(token=self.batch_token, until=until), what="renewing a batch's claims")
        if self.task_token:
            renewed = db_retry(
                lambda: Campaign.objects.filter(pk=self.campaign_id, task_token=self.task_token).update(
                    task_lease_until=until
                ),
                what="renewing the campaign's task lease",
            )
            if not renewed and not self.superseded:
                logger.warning("Campaign %s: another task carries it on now; this one stops.", self.campaign_id)
                self.superseded = True
        self.renew_at = now + lease_length() / 3


def _send_batch(batch: Batch, *, email: CampaignEmail, mailer, run: DeliveryRun, notes: DeliveryNotes, leases) -> None:
    """Send each claimed delivery, noting each sent message at once and the other outcomes on the in-memory row."""
    now = timezone.now()
    for delivery in batch.deliveries:
        leases.renew_if_due()
        subscriber = delivery.subscriber
        # Read again right before sending (one primary-key lookup, which also
        # writes the previous message's note): someone who unsubscribed while
        # this batch was going out gets nothing, and a delivery another worker
        # took over (this one stalled past its lease) is left to it.
        status = db_retry(lambda delivery=delivery: notes.check(delivery), what="checking a subscriber")
        if status is None:
            batch.lost.add(delivery.pk)
            continue
        subscriber.status = status
        if subscriber.status != Subscriber.Status.SUBSCRIBED:
            delivery.status = Delivery.Status.SKIPPED
            delivery.last_error = f"Not sent: subscriber is {subscriber.get_status_display().lower()}."
            batch.done.add(delivery.pk)
            run.skipped += 1
            continue
        _open(mailer)
        message_id = email.new_message_id()
        try:
            mailer.send_messages([email.message_for(subscriber, message_id=message_id)])
        except Exception as error:  # every SMTP failure is classified and recorded
            kind, text = _classify(error)
            delivery.last_error = text[:2000]
            if kind == "server":
                raise _ServerUnavailableError(text) from error
            delivery.attempts += 1
            if kind in {"bounce", "permanent"} or delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                if kind == "bounce":
                    batch.bounced_subscribers.append(subscriber.pk)
                run.failed += 1
            else:
                delivery.status = Delivery.Status.QUEUED
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
                run.deferred += 1
        else:
            delivery.status = Delivery.Status.SENT
            delivery.attempts += 1
            delivery.message_id = message_id
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            notes.sent(delivery)
            if subscriber.hard_bounces:
                # Bounces count only in a row: a delivered email clears them.
                batch.bounce_reset.append(subscriber.pk)
            run.sent += 1
        batch.done.add(delivery.pk)


def campaign_deliver(
    *,
    campaign_id: int,
    limit: int | None = None,
    batch_size: int | None = None,
    max_seconds: float | None = None,
    worker: str | None = None,
    task_token: str = "",
) -> DeliveryRun:
    """Send the due deliveries of a sending campaign; safe to run in several workers at once.

    Stops when nothing is due, after ``limit`` deliveries or ``max_seconds``
    (so a task hands the worker back now and then), when the SMTP server is
    unavailable, or when the campaign's task lease (held with
    ``task_token``, if given) passed to another task. Marks the campaign
    sent once every delivery is settled. Database errors are waited out
    (``db_retry``).
    """
    worker = worker or uuid.uuid4().hex
    batch_size = batch_size or settings.NEWSLETTER_BATCH_SIZE
    run = DeliveryRun()
    campaign = db_retry(lambda: Campaign.objects.filter(pk=campaign_id).first(), what="reading the campaign")
    if campaign is None or campaign.status != Campaign.Status.SENDING:
        run.finished = campaign is not None and campaign.status == Campaign.Status.SENT
        return run
    email = CampaignEmail(campaign)
    mailer = mailers.default
    started = time.monotonic()
    batches = 0
    leases = _Leases(campaign_id=campaign_id, task_token=task_token)
    try:
        while True:
            size = batch_size if limit is None else min(batch_size, limit - run.handled)
            if size <= 0 or (max_seconds is not None and time.monotonic() - started >= max_seconds):
                run.stopped_early = True
                break
            leases.renew_if_due()
            if leases.superseded:
                break
            batches += 1
            token = f"{worker[:28]}:{batches}"
            claimed = db_retry(
                lambda token=token, size=size: batch_take(campaign_id=campaign_id, token=token, size=size),
                what="claiming a batch",
            )
            if not claimed:
                break
            deliveries = db_retry(lambda token=token: batch_read(token=token), what="reading a batch")
            batch = Batch(deliveries, token=token)
            notes = DeliveryNotes(batch)
            leases.held(token)
            try:
                _send_batch(batch, email=email, mailer=mailer, run=run, notes=notes, leases=leases)
            except _ServerUnavailableError as error:
                run.server_error = str(error)
                logger.warning("Campaign %s: SMTP server unavailable, will retry: %s", campaign_id, error)
                break
            finally:
                # Also on SystemExit/KeyboardInterrupt: what was sent is recorded as sent.
                _batch_close(batch, notes=notes, campaign_id=campaign_id)
    finally:
        try:
            mailer.close()
        except Exception:  # an already broken connection needs no goodbye
            logger.debug("Closing the SMTP connection failed", exc_info=True)
        try:
            notes_session_reset()
        except DatabaseDriverError:  # a broken connection is dropped anyway
            logger.debug("Resetting the database session failed", exc_info=True)
    run.superseded = leases.superseded
    run.finished = db_retry(lambda: campaign_finish_if_done(campaign_id=campaign_id), what="finishing the campaign")
    if not run.finished:
        run.next_due = db_retry(lambda: deliveries_next_due(campaign_id=campaign_id), what="finding the next due time")
    return run


def _batch_close(batch: Batch, *, notes: DeliveryNotes, campaign_id: int) -> None:
    """Write the last note and the batch's other outcomes, and give back what was not attempted."""
    db_retry(notes.flush, what="noting a sent message")
    db_retry(lambda: batch_record(batch=batch, campaign_id=campaign_id), what="recording a batch")


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark a sending campaign sent once no delivery is queued or in flight."""
    unsettled = Delivery.objects.filter(
        campaign_id=campaign_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    if unsettled.exists():
        return False
    finished = Campaign.objects.filter(
        pk=campaign_id, status=Campaign.Status.SENDING, recipients_count__isnull=False
    ).update(status=Campaign.Status.SENT, finished_at=timezone.now())
    return bool(finished) or Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENT).exists()


def deliveries_next_due(*, campaign_id: int) -> datetime | None:
    """When the next unsettled delivery of a campaign can be tried (now, if one is due already)."""
    now = timezone.now()
    deliveries = Delivery.objects.filter(campaign_id=campaign_id)
    if deliveries.claimable(now).exists():
        return now
    later = deliveries.aggregate(
        retry=Min("next_attempt_at", filter=Q(status=Delivery.Status.QUEUED)),
        lease=Min("claimed_until", filter=Q(status=Delivery.Status.SENDING)),
    )
    times = [value for value in later.values() if value is not None]
    return min(times) if times else None
