"""The sending engine: a campaign's deliveries, claimed in batches and sent over one SMTP connection.

How a worker sends a campaign (``campaign_deliver``):

1. **Claim** up to ``batch_size`` due deliveries in one short transaction:
   ``queued`` → ``sending``, stamped with the worker's id and a lease
   (``claimed_until``). On PostgreSQL the candidates are read with
   ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers never claim the same
   row and neither waits for the other; on SQLite the transaction takes the
   write lock when it begins (``transaction_mode=IMMEDIATE`` in settings), so
   claims are serialised. The UPDATE re-checks the status either way, and the
   worker then reads back only the rows carrying its own id.
2. **Check** each subscriber right before their message is sent: anyone
   no longer subscribed (unsubscribed or bounced since the campaign
   started, even while the batch was going out) is ``skipped``.
3. **Send** over one open SMTP connection, one message per subscriber,
   personalised from an email rendered once per campaign (``CampaignEmail``).
4. **Record** the batch's outcomes in one transaction (one ``bulk_update``
   plus at most three UPDATEs of subscribers) right after the batch, and also
   when the loop is interrupted by an exception, a second Ctrl+C or SIGTERM
   (``SystemExit``): whatever was handed to the SMTP server is marked sent,
   whatever was not goes back to ``queued``.

The one window that cannot be closed: if the process is killed outright
(SIGKILL, power loss) after the SMTP server accepted messages but before the
batch was recorded, those deliveries stay ``sending``. When their lease runs
out (``LEASE``) another run takes them over and sends them again, so at most
one batch of subscribers can receive the email twice. Nobody is skipped.
Keep ``NEWSLETTER_BATCH_SIZE`` small to keep that window small. A batch
that is merely slow (a server taking long over each message) never gets
there: it stops once half its lease has passed and puts the rest back in
the queue.

Failures:

- The SMTP server cannot be reached, refuses the login or STARTTLS, times
  out, drops the connection or answers 421: nothing is counted against the deliveries; the rest of the
  batch is released and the run stops with ``server_error`` set. The task
  (``newsletter.tasks``) tries again later with growing back-off, for as long
  as the outage lasts.
- A 4xx for one address: that delivery is retried after a back-off
  (``next_attempt_at``), and fails after ``MAX_ATTEMPTS`` tries.
- A 5xx for one address (a refused recipient, or 550/551/553 after DATA),
  or an address that cannot be encoded: that delivery fails with
  ``last_error``; the others carry on. The subscriber's ``hard_bounces``
  goes up by one (a sent message resets it), and at ``HARD_BOUNCE_LIMIT`` in
  a row the subscriber is marked bounced and gets no more campaigns. Other
  5xx replies after DATA (552, 554: usually the content) fail the delivery
  without counting against the address.
"""

import binascii
import email.policy
import html
import logging
import re
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.html import strip_tags

from .emails import render_email
from .models import Campaign, Delivery, Subscriber

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
# Tries for an address that keeps answering 4xx: about ten hours with the back-off below.
MAX_ATTEMPTS = 8
HARD_BOUNCE_LIMIT = 3
# Replies after DATA that refuse the mailbox rather than the message.
MAILBOX_REFUSED = {550, 551, 553}
RETRY_FIRST = timedelta(minutes=5)
RETRY_LONGEST = timedelta(hours=6)
CANCELLED_NOTE = "Not sent: the campaign was cancelled."

_RECORDED_FIELDS = [
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "message_id",
    "sent_at",
    "claimed_by",
    "claimed_until",
]


def retry_delay(attempt: int) -> timedelta:
    """Back-off before try number ``attempt + 1``: 5, 10, 20, 40 minutes … at most 6 hours."""
    return min(RETRY_FIRST * 2 ** max(attempt - 1, 0), RETRY_LONGEST)


def message_id_domain() -> str:
    """The domain for Message-IDs: the sender's, or the site's if the sender has none worth using."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
    if not domain or domain == "localhost":
        domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return domain


def html_to_text(markup: str) -> str:
    """Plain text for the sanitised rich text of an intro: paragraphs, list items and links kept readable."""
    if not markup:
        return ""

    def link(match):
        # Both stay HTML-escaped until the end, where everything is unescaped once.
        href, label = match[1], strip_tags(match[2]).strip()
        return label if href in label or href.removeprefix("mailto:") == label else f"{label} ({href})"

    text = re.sub(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', link, markup, flags=re.DOTALL)
    text = re.sub(r"<li[^>]*>", "\n- ", text)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</(p|h3|h4|blockquote|ul|ol)>", "\n\n", text)
    text = html.unescape(strip_tags(text))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _SerialisedMultipart(MIMEMultipart):
    """A multipart message whose ``as_bytes()`` is a plain join of what is already encoded.

    Every header is ASCII and every part is quoted-printable with CRLF line
    ends, and the boundary starts with ``=_``, which quoted-printable text
    can never contain. So the generic generator, which re-examines the
    message line by line (most of the cost of building a message), has
    nothing to do. It still is an ordinary ``Message`` for anything that
    walks the parts (the console and in-memory mail backends, tests).
    """

    def as_bytes(self, unixfrom=False, policy=None):
        def block(message):
            return "".join(f"{name}: {value}\r\n" for name, value in message._headers)

        boundary = self.get_boundary()
        body = "".join(f"--{boundary}\r\n{block(part)}\r\n{part.get_payload()}\r\n" for part in self.get_payload())
        return f"{block(self)}\r\n{body}--{boundary}--\r\n".encode("ascii")


class CampaignMessage(EmailMultiAlternatives):
    """A text + HTML campaign message, built cheaply and with headers kept on one line.

    Django's ``message()`` goes through the email package's header registry,
    which parses every header value and encodes bodies in pure Python: more
    time per message than the SMTP dialogue itself. Campaign messages have a
    known shape (two text parts, a handful of ASCII headers), so they are
    built with the plain ``compat32`` classes, quoted-printable from
    ``binascii`` (C) and a direct serialisation instead. Anything outside
    that shape (a non-ASCII address, say) goes through Django's own
    ``message()``.

    Headers are not folded: RFC 5322 allows lines up to 998 characters (78
    is a recommendation), and folding a long ``List-Unsubscribe`` the usual
    way turns its two URLs into RFC 2047 encoded words, which mail clients
    do not decode for that header, so the unsubscribe button would vanish.
    """

    def message(self, *, policy=email.policy.default):
        values = [self.subject, self.from_email, *self.to, *map(str, self.extra_headers.values())]
        if (
            self.cc
            or self.reply_to
            or self.attachments
            or not all(value.isascii() and "\n" not in value and "\r" not in value for value in values[1:])
        ):
            message = super().message(policy=policy)
            message.policy = message.policy.clone(max_line_length=998)
            return message
        plain = email.policy.compat32.clone(linesep="\r\n", max_line_length=998, mangle_from_=False)
        message = _SerialisedMultipart("alternative", boundary=f"=_{uuid.uuid4().hex}", policy=plain)
        del message["MIME-Version"]  # Set again below, among the top-level headers.
        for content, subtype in [(self.body, "plain"), *((alt.content, "html") for alt in self.alternatives)]:
            part = MIMENonMultipart("text", subtype, charset="utf-8", policy=plain)
            del part["MIME-Version"]  # Belongs on the message, not on each part.
            part["Content-Transfer-Encoding"] = "quoted-printable"
            crlf_text = content.replace("\r\n", "\n").replace("\n", "\r\n").encode()
            part.set_payload(binascii.b2a_qp(crlf_text, istext=True).decode("ascii"))
            message.attach(part)
        subject = " ".join(self.subject.split())
        message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode(linesep="\r\n")
        message["From"] = self.from_email
        message["To"] = ", ".join(self.to)
        message["Date"] = formatdate(usegmt=True)
        for name, value in self.extra_headers.items():
            message[name] = str(value)
        message["MIME-Version"] = "1.0"
        return message


class CampaignEmail:
    """A campaign's email, rendered once and personalised per subscriber.

    Templates are rendered (and the HTML inlined) once, with placeholders
    where each subscriber's own links go; personalising is then two string
    replacements per part. That keeps the per-message cost close to the cost
    of the SMTP dialogue itself.
    """

    UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
    _SAMPLE_TOKEN = "00000000-0000-4000-8000-000000000000"
    PREFERENCES_URL = "%%preferences_url%%"

    def __init__(self, campaign: Campaign, *, subject_prefix: str = ""):
        self.campaign = campaign
        rendered = render_email(
            "campaign",
            {
                "campaign": campaign,
                "briefs": campaign.ordered_briefs(),
                "intro_html": campaign.intro,
                "intro_text": html_to_text(campaign.intro),
                "site_tagline": settings.SITE_TAGLINE,
                "unsubscribe_url": self.UNSUBSCRIBE_URL,
                "preferences_url": self.PREFERENCES_URL,
            },
        )
        self.subject = subject_prefix + rendered.subject
        self.text = rendered.text
        self.html = rendered.html
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.domain = message_id_domain()
        self.list_id = f"{settings.SITE_NAME} <newsletter.{self.domain}>"
        self.unsubscribe_mailto = settings.NEWSLETTER_UNSUBSCRIBE_MAILTO
        sample = Subscriber(token=uuid.UUID(self._SAMPLE_TOKEN))
        self._unsubscribe_url = sample.get_unsubscribe_url()
        self._preferences_url = sample.get_preferences_url()

    def personalised(self, *, unsubscribe_url: str, preferences_url: str) -> tuple[str, str]:
        """The text and HTML bodies with one subscriber's links filled in."""

        def fill(body: str, *, escape: bool) -> str:
            unsubscribe, preferences = unsubscribe_url, preferences_url
            if escape:
                unsubscribe, preferences = html.escape(unsubscribe), html.escape(preferences)
            return body.replace(self.UNSUBSCRIBE_URL, unsubscribe).replace(self.PREFERENCES_URL, preferences)

        return fill(self.text, escape=False), fill(self.html, escape=True)

    def sample(self) -> tuple[str, str]:
        """The text and HTML bodies with example personal links (the sample token), for a preview."""
        return self.personalised(unsubscribe_url=self._unsubscribe_url, preferences_url=self._preferences_url)

    def new_message_id(self) -> str:
        return make_msgid(idstring=f"campaign{self.campaign.pk}", domain=self.domain)

    def message(
        self,
        *,
        to: str,
        unsubscribe_url: str,
        preferences_url: str,
        unsubscribe_key: str,
        message_id: str,
    ) -> EmailMultiAlternatives:
        """The multipart message for one recipient, with one-click unsubscribe headers (RFC 8058)."""
        text, html_body = self.personalised(unsubscribe_url=unsubscribe_url, preferences_url=preferences_url)
        mailto = f"mailto:{self.unsubscribe_mailto}?subject={quote(f'unsubscribe {unsubscribe_key}')}"
        message = CampaignMessage(
            subject=self.subject,
            body=text,
            from_email=self.from_email,
            to=[to],
            headers={
                "Message-ID": message_id,
                "List-Id": self.list_id,
                "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(html_body, "text/html")
        return message

    def message_for(self, subscriber: Subscriber, *, message_id: str) -> EmailMultiAlternatives:
        # The subscriber's links are Subscriber.get_*_url() for a sample token,
        # with their own token swapped in: the same URLs without resolving
        # two routes per message.
        token = str(subscriber.token)
        return self.message(
            to=subscriber.email,
            unsubscribe_url=self._unsubscribe_url.replace(self._SAMPLE_TOKEN, token),
            preferences_url=self._preferences_url.replace(self._SAMPLE_TOKEN, token),
            unsubscribe_key=token,
            message_id=message_id,
        )


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
    next_due: datetime | None = None

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.skipped + self.deferred


@dataclass
class _Batch:
    """Outcomes of one claimed batch, kept until they are recorded."""

    deliveries: list
    done: set = field(default_factory=set)
    bounce_reset: list = field(default_factory=list)
    bounced_subscribers: list = field(default_factory=list)


class _ServerUnavailableError(Exception):
    """The SMTP server as a whole is unreachable or refusing service: stop and try later."""


def _claim(*, campaign_id: int, token: str, size: int) -> list[Delivery]:
    """Take up to ``size`` due deliveries of a campaign that is sending, marked with this batch's ``token``.

    The rows are picked (and on PostgreSQL locked, skipping rows another
    worker is claiming) and then updated in one short transaction; they are
    read back by their token, so only what this worker really claimed is
    returned. (A single UPDATE with a LIMIT … FOR UPDATE SKIP LOCKED subquery
    is not safe: PostgreSQL may run the subquery more than once and claim
    more rows than asked for.)
    """
    now = timezone.now()
    candidates = (
        Delivery.objects.filter(campaign_id=campaign_id, campaign__status=Campaign.Status.SENDING)
        .claimable(now)
        .order_by("pk")
    )
    if db_connection.features.has_select_for_update_skip_locked:
        # Lock only the delivery rows: locking the shared campaign row would
        # make every other worker skip the whole campaign.
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    with transaction.atomic():
        ids = list(candidates.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).claimable(now).update(
            status=Delivery.Status.SENDING, claimed_by=token, claimed_until=now + LEASE
        )
    return list(
        Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING)
        .select_related("subscriber")
        .only(
            *_RECORDED_FIELDS,
            "subscriber__id",
            "subscriber__email",
            "subscriber__token",
            "subscriber__hard_bounces",
        )
        .order_by("pk")
    )


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


def _send_batch(batch: _Batch, *, email: CampaignEmail, mailer, run: DeliveryRun) -> None:
    """Send each claimed delivery, noting the outcome on the in-memory row."""
    now = timezone.now()
    # The status is read with one prepared primary-key query per message:
    # building an ORM query each time would cost more than the lookup.
    status_sql, _ = Subscriber.objects.filter(pk=0).order_by().values_list("status").query.sql_with_params()
    # A slow server (each message up to the SMTP timeout) could make a batch
    # outlive its lease, and another worker would send the rest again: past
    # half the lease, stop and hand what is left back to the queue.
    hand_back_at = batch.deliveries[0].claimed_until - LEASE / 2 if batch.deliveries else None
    for position, delivery in enumerate(batch.deliveries):
        if position and timezone.now() >= hand_back_at:
            logger.info("Batch slow to send: %s deliveries go back to the queue.", len(batch.deliveries) - position)
            break
        subscriber = delivery.subscriber
        # Read again right before sending (one primary-key lookup): someone
        # who unsubscribed while this batch was going out gets nothing.
        with db_connection.cursor() as cursor:
            cursor.execute(status_sql, [subscriber.pk])
            row = cursor.fetchall()  # all, so the statement is finished and holds no read snapshot
        subscriber.status = row[0][0] if row else None
        if subscriber.status != Subscriber.Status.SUBSCRIBED:
            delivery.status = Delivery.Status.SKIPPED
            left = subscriber.get_status_display().lower() if subscriber.status else "deleted"
            delivery.last_error = f"Not sent: subscriber is {left}."
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
            if subscriber.hard_bounces:
                # Bounces count only in a row: a delivered email clears them.
                batch.bounce_reset.append(subscriber.pk)
            run.sent += 1
        batch.done.add(delivery.pk)


def _campaign_status_locked(campaign_id: int) -> str | None:
    """The campaign's status, with its row locked until the transaction ends (PostgreSQL).

    ``campaign_cancel`` changes that row first, so a cancel in progress
    either commits before this read (and is seen) or waits until the caller
    has committed (and then skips what the caller queued).
    """
    return Campaign.objects.select_for_update().filter(pk=campaign_id).values_list("status", flat=True).first()


def deliveries_skip_if_cancelled(*, campaign_id: int) -> int:
    """Skip every queued delivery of a cancelled campaign, so nothing shows as still to send."""
    with transaction.atomic():
        if _campaign_status_locked(campaign_id) != Campaign.Status.CANCELLED:
            return 0
        return Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SKIPPED, last_error=CANCELLED_NOTE
        )


def _record(batch: _Batch, *, campaign_id: int) -> None:
    """Write a batch's outcomes; deliveries not attempted go back to the queue untouched.

    Unless the campaign was cancelled meanwhile: then they are skipped, as
    ``campaign_cancel`` did with the rest.

    Rows differ in Message-ID and time sent, so each needs its own values: one
    prepared UPDATE run with ``executemany`` does that in a fraction of the
    time ``bulk_update`` needs to build its CASE expressions.
    """
    released = [delivery for delivery in batch.deliveries if delivery.pk not in batch.done]
    fields = [Delivery._meta.get_field(name) for name in _RECORDED_FIELDS]
    quote = db_connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(Delivery._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(Delivery._meta.pk.column),
    )
    with transaction.atomic():
        cancelled = bool(released) and _campaign_status_locked(campaign_id) == Campaign.Status.CANCELLED
        for delivery in batch.deliveries:
            delivery.claimed_by = ""
            delivery.claimed_until = None
        for delivery in released:
            delivery.status = Delivery.Status.SKIPPED if cancelled else Delivery.Status.QUEUED
            if cancelled:
                delivery.last_error = CANCELLED_NOTE
        rows = [
            [field.get_db_prep_save(getattr(delivery, field.attname), db_connection) for field in fields]
            + [delivery.pk]
            for delivery in batch.deliveries
        ]
        with db_connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        if batch.bounce_reset:
            Subscriber.objects.filter(pk__in=batch.bounce_reset).update(hard_bounces=0)
        if batch.bounced_subscribers:
            Subscriber.objects.filter(pk__in=batch.bounced_subscribers).update(hard_bounces=F("hard_bounces") + 1)
            Subscriber.objects.filter(
                pk__in=batch.bounced_subscribers,
                status=Subscriber.Status.SUBSCRIBED,
                hard_bounces__gte=HARD_BOUNCE_LIMIT,
            ).update(status=Subscriber.Status.BOUNCED)


def campaign_deliver(
    *,
    campaign_id: int,
    limit: int | None = None,
    batch_size: int | None = None,
    max_seconds: float | None = None,
    worker: str | None = None,
) -> DeliveryRun:
    """Send the due deliveries of a sending campaign; safe to run in several workers at once.

    Stops when nothing is due, after ``limit`` deliveries or ``max_seconds``
    (so a task hands the worker back now and then), or when the SMTP server
    is unavailable. Marks the campaign sent once every delivery is settled.
    """
    worker = worker or uuid.uuid4().hex
    batch_size = batch_size or settings.NEWSLETTER_BATCH_SIZE
    run = DeliveryRun()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.SENDING:
        run.finished = campaign is not None and campaign.status == Campaign.Status.SENT
        return run
    email = CampaignEmail(campaign)
    mailer = mailers.default
    started = time.monotonic()
    batches = 0
    try:
        while True:
            size = batch_size if limit is None else min(batch_size, limit - run.handled)
            if size <= 0 or (max_seconds is not None and time.monotonic() - started >= max_seconds):
                run.stopped_early = True
                break
            batches += 1
            deliveries = _claim(campaign_id=campaign_id, token=f"{worker[:28]}:{batches}", size=size)
            if not deliveries:
                break
            batch = _Batch(deliveries)
            try:
                _send_batch(batch, email=email, mailer=mailer, run=run)
            except _ServerUnavailableError as error:
                run.server_error = str(error)
                logger.warning("Campaign %s: SMTP server unavailable, will retry: %s", campaign_id, error)
                break
            finally:
                # Also on SystemExit/KeyboardInterrupt: what was sent is recorded as sent.
                _record(batch, campaign_id=campaign_id)
    finally:
        try:
            mailer.close()
        except Exception:  # an already broken connection needs no goodbye
            logger.debug("Closing the SMTP connection failed", exc_info=True)
    run.finished = campaign_finish_if_done(campaign_id=campaign_id)
    if not run.finished:
        run.next_due = deliveries_next_due(campaign_id=campaign_id)
    return run


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
