"""Subscription workflows: asking, confirming, changing preferences, leaving, importing, exporting.

Views and the admin call these; they hold the rules (double opt-in, no
duplicates, consent records) so that every door into the subscriber list
follows the same ones. Campaign sending lives with the campaigns.
"""

import csv
import email.policy
import io
import smtplib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from briefs.models import Series, Topic
from core.email_address import character_name, refused_character, validate_sendable_email, visible_address
from core.ratelimit import hashed, ratelimit_claim_once, ratelimit_release

from .alerts import digest_chain_start
from .dkim import dkim_signed
from .emails import render_email
from .forms import CONSENT_WORDING_VERSION, consent_wording
from .models import Subscriber, normalise_email
from .queue import task_enqueue
from .tokens import CONFIRM_MAX_AGE, SubscriptionRequest, confirmation_token_make

# At most one confirmation email per address in this many seconds, however
# often the form is sent: the form must not become a way to flood someone.
CONFIRM_EMAIL_INTERVAL = 10 * 60

# Errors that mean "the mail server would not take it", as opposed to bugs.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    # The link was sent before the person unsubscribed: it must not undo that.
    STALE = "stale"


class LinkState(StrEnum):
    """What opening a confirmation link would do, given the address's history."""

    NEW = "new"  # nobody, or someone pending: pressing the button subscribes them
    ALREADY_SUBSCRIBED = "already_subscribed"  # subscribed since the link was sent: nothing to do
    CHANGES_CHOICES = "changes_choices"  # subscribed, and this newer link asks for other choices
    STALE = "stale"  # sent before they unsubscribed: it must not undo that


def subscription_link_state(*, request: SubscriptionRequest, subscriber: Subscriber | None) -> LinkState:
    """Whether a confirmation link is new, already used in effect, a change of choices, or stale."""
    if subscriber is None:
        return LinkState.NEW
    if subscriber.status == Subscriber.Status.SUBSCRIBED:
        agreed_at = subscriber.confirmed_at or subscriber.consent_at or subscriber.created_at
        return LinkState.ALREADY_SUBSCRIBED if request.issued_at <= agreed_at else LinkState.CHANGES_CHOICES
    if (
        subscriber.status == Subscriber.Status.UNSUBSCRIBED
        and subscriber.unsubscribed_at
        and request.issued_at <= subscriber.unsubscribed_at
    ):
        return LinkState.STALE
    return LinkState.NEW


def subscription_request(
    *,
    email: str,
    series_ids: Iterable[int] = (),
    topic_ids: Iterable[int] = (),
    source: str = Subscriber.Source.SUBSCRIBE_PAGE,
    consent_wording_version: str = CONSENT_WORDING_VERSION,
) -> bool:
    """Email a confirmation link to ``email``; stores nothing.

    Returns False, sending nothing, when a link already went to this address
    in the last CONFIRM_EMAIL_INTERVAL seconds. Raises one of MAIL_ERRORS when
    the mail server refuses (the address may then ask again at once).
    """
    request = SubscriptionRequest(
        email=normalise_email(email),
        source=source,
        consent_wording=consent_wording_version,
        series_ids=tuple(sorted(set(series_ids))),
        topic_ids=tuple(sorted(set(topic_ids))),
    )
    claim = _confirmation_claim(request.email)
    if not ratelimit_claim_once(key=claim, window_seconds=CONFIRM_EMAIL_INTERVAL):
        return False
    try:
        mailers.default.send_messages([_confirmation_message(request)])
    except MAIL_ERRORS:
        ratelimit_release(key=claim)
        raise
    return True


def subscription_confirm(*, request: SubscriptionRequest) -> tuple[ConfirmOutcome, Subscriber | None]:
    """Act on a confirmation link's POST: subscribe the address with its choices, once."""
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().by_email(request.email).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=request.email, source=request.source)
            except IntegrityError:
                # A second tab confirmed the same link at the same moment and won.
                return ConfirmOutcome.ALREADY_CONFIRMED, Subscriber.objects.by_email(request.email).first()
        else:
            state = subscription_link_state(request=request, subscriber=subscriber)
            if state == LinkState.ALREADY_SUBSCRIBED:
                return ConfirmOutcome.ALREADY_CONFIRMED, subscriber
            if state == LinkState.STALE:
                return ConfirmOutcome.STALE, subscriber

        subscriber_consent_apply(subscriber=subscriber, at=now, wording=request.consent_wording)
        subscriber.source = request.source
        # They opened an email we sent, so the address works again.
        subscriber.hard_bounces = 0
        subscriber.save()
        _set_choices(
            subscriber, Series.objects.filter(pk__in=request.series_ids), Topic.objects.filter(pk__in=request.topic_ids)
        )
    return ConfirmOutcome.CONFIRMED, subscriber


class SignedEmail(EmailMultiAlternatives):
    """A text + HTML email that carries a DKIM signature when the app signs mail (newsletter/dkim.py)."""

    def message(self, *, policy=email.policy.default):
        return dkim_signed(super().message(policy=policy))


def _confirmation_claim(email: str) -> str:
    return f"newsletter-confirm-email:{hashed(email)}"


def _confirmation_message(request: SubscriptionRequest) -> EmailMultiAlternatives:
    token = confirmation_token_make(request=request)
    rendered = render_email(
        "confirm_subscription",
        {
            "email": request.email,
            "confirm_url": settings.SITE_URL + reverse("newsletter:confirm", kwargs={"token": token}),
            "wants_everything": request.wants_everything,
            "series": list(Series.objects.filter(pk__in=request.series_ids).values_list("name", flat=True)),
            "topics": list(Topic.objects.filter(pk__in=request.topic_ids).values_list("name", flat=True)),
            "valid_days": CONFIRM_MAX_AGE.days,
            "consent_wording": consent_wording(),
        },
    )
    message = SignedEmail(rendered.subject, rendered.text, settings.DEFAULT_FROM_EMAIL, [request.email])
    message.attach_alternative(rendered.html, "text/html")
    # Ask autoresponders not to answer a message nobody reads replies to.
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    return message


def subscriber_update_preferences(
    *, subscriber: Subscriber, series: Iterable[Series], topics: Iterable[Topic], alert_frequency: str | None = None
) -> None:
    """Replace what ``subscriber`` receives (choosing nothing means everything), and how often, if given."""
    with transaction.atomic():
        _set_choices(subscriber, series, topics)
        if alert_frequency is not None and alert_frequency != subscriber.alert_frequency:
            subscriber.alert_frequency = alert_frequency
            subscriber.save(update_fields=["alert_frequency"])
            if alert_frequency == Subscriber.AlertFrequency.WEEKLY:
                # The first weekly subscriber starts the digest's task chain (newsletter/alerts.py).
                transaction.on_commit(digest_chain_start)


def subscriber_unsubscribe(*, subscriber: Subscriber) -> tuple[Subscriber, bool]:
    """Stop all campaigns to ``subscriber``.

    Returns the subscriber as now stored, and False when they had already
    left (nothing changes).
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            return subscriber, False
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at"])
    return subscriber, True


def subscriber_consent_apply(
    *, subscriber: Subscriber, at: datetime, wording: str = "", note: str = "", confirmed: bool = True
) -> Subscriber:
    """Subscribe ``subscriber`` on consent given at ``at``, keeping the record of it; the caller saves.

    Every way in (the person's own confirmation link, the staff add form, a
    CSV import with consent) goes through here, so every subscribed person
    has the record the database insists on: ``consent_at``, plus the version
    of the ``wording`` they agreed to or a ``note`` on how they agreed, and
    no earlier unsubscription left standing. ``confirmed`` also stamps
    ``confirmed_at``, as the link and the add form always have; a CSV import
    leaves it empty. Works on unsaved instances, which the import
    bulk-creates.
    """
    subscriber.status = Subscriber.Status.SUBSCRIBED
    subscriber.consent_at = at
    subscriber.consent_wording = wording
    if note:
        subscriber.consent_note = note[:300]
    if confirmed:
        subscriber.confirmed_at = at
    subscriber.unsubscribed_at = None
    return subscriber


def staff_consent_note(*, note: str, by, at: datetime, via: str = "") -> str:
    """``note`` on how someone agreed, followed by which member of staff recorded it and when."""
    who = by.get_username() if by else "unknown"
    when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")
    return f"{note.strip()} (consent recorded by {who} on {when}{f', {via}' if via else ''})"


def _set_choices(subscriber: Subscriber, series: Iterable[Series], topics: Iterable[Topic]) -> None:
    series, topics = list(series), list(topics)
    subscriber.series.set(series)
    subscriber.topics.set(topics)
    wants_everything = not series and not topics
    if subscriber.wants_everything != wants_everything:
        subscriber.wants_everything = wants_everything
        subscriber.save(update_fields=["wants_everything"])


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportResult:
    """What an import did, or, when ``errors`` is not empty, why it did nothing."""

    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    already_subscribers: int = 0
    repeated_in_file: int = 0
    confirmations_queued: int = 0


@dataclass
class _ImportRow:
    email: str
    series_ids: list[int]
    topic_ids: list[int]


def subscribers_import_csv(*, file: IO[bytes], consented: bool, consent_note: str, imported_by) -> ImportResult:
    """Add the people in a CSV file, all or none.

    Every row is checked first; one bad row means nothing is imported and
    every bad row is reported with its line number. Addresses already on the
    list, or repeated in the file, are skipped (case-insensitively). Without
    ``consented`` people are added as pending and sent a confirmation link;
    with it they are subscribed at once and ``consent_note`` records who
    vouched for their consent and when.
    """
    result = ImportResult()
    rows = _import_rows(file, result)
    if result.errors:
        return result

    existing = _existing_emails([row.email for row in rows])
    seen: set[str] = set()
    new_rows = []
    for row in rows:
        key = row.email.lower()
        if key in existing:
            result.already_subscribers += 1
        elif key in seen:
            result.repeated_in_file += 1
        else:
            seen.add(key)
            new_rows.append(row)

    now = timezone.now()
    who = imported_by.get_username() if imported_by else "unknown"
    when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z")
    subscribers = [
        Subscriber(
            email=row.email,
            source=Subscriber.Source.IMPORT,
            wants_everything=not row.series_ids and not row.topic_ids,
            consent_note=f"Imported by {who} on {when}; confirmation email sent",
        )
        for row in new_rows
    ]
    if consented:
        note = staff_consent_note(note=consent_note, by=imported_by, at=now, via="CSV import")
        for subscriber in subscribers:
            subscriber_consent_apply(subscriber=subscriber, at=now, note=note, confirmed=False)
    try:
        with transaction.atomic():
            created = Subscriber.objects.bulk_create(subscribers, batch_size=500)
            series_links, topic_links = [], []
            for subscriber, row in zip(created, new_rows, strict=True):
                series_links += [
                    Subscriber.series.through(subscriber_id=subscriber.pk, series_id=pk) for pk in row.series_ids
                ]
                topic_links += [
                    Subscriber.topics.through(subscriber_id=subscriber.pk, topic_id=pk) for pk in row.topic_ids
                ]
            Subscriber.series.through.objects.bulk_create(series_links, batch_size=1000)
            Subscriber.topics.through.objects.bulk_create(topic_links, batch_size=1000)
    except IntegrityError:
        result.errors.append(
            RowError(0, "Someone in the file subscribed while it was being imported. Nothing was imported; try again.")
        )
        return result
    result.created = len(created)

    if not consented:
        # Thousands of emails would outlast the request: the worker sends them.
        subscriber_ids = [subscriber.pk for subscriber in created]
        task_enqueue("send_import_confirmations", subscriber_ids=subscriber_ids)
        result.confirmations_queued = len(subscriber_ids)
    return result


def _import_rows(file: IO[bytes], result: ImportResult) -> list[_ImportRow]:
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(RowError(0, "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
        return []
    # Spreadsheets set to some European locales save CSV with semicolons.
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as error:
        result.errors.append(RowError(1, f"The header row cannot be read: {error}."))
        return []
    if "email" not in header:
        result.errors.append(RowError(1, "The first line must be a header row with an “email” column."))
        return []
    reader.fieldnames = header

    series_by_key = _lookup(Series.objects.all())
    topics_by_key = _lookup(Topic.objects.all())
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            values = {key: (value or "").strip() for key, value in record.items() if isinstance(value, str)}
            if not any(values.values()):
                continue
            email = normalise_email(values.get("email", ""))
            problems = []
            if not email:
                problems.append("the email address is missing")
            else:
                try:
                    validate_sendable_email(email)
                except ValidationError as error:
                    if character := refused_character(email):
                        problems.append(
                            f"“{visible_address(email)}” contains {character_name(character)}, "
                            "which cannot be sent by email"
                        )
                    elif error.code == "unsendable":
                        problems.append(f"“{email}” cannot be sent by email: {error.message.rstrip('.')}")
                    else:
                        problems.append(f"“{email}” is not a valid email address")
            series_ids = _resolve(values.get("series", ""), series_by_key, "series", problems)
            topic_ids = _resolve(values.get("topics", ""), topics_by_key, "topic", problems)
            if problems:
                # Only the first letter raised: an address keeps its capitals.
                text = "; ".join(problems)
                result.errors.append(RowError(line, text[:1].upper() + text[1:] + "."))
            else:
                rows.append(_ImportRow(email, series_ids, topic_ids))
    except csv.Error as error:
        result.errors.append(RowError(reader.line_num, f"This line cannot be read as CSV: {error}."))
    if not rows and not result.errors:
        result.errors.append(RowError(0, "The file has no rows to import."))
    return rows


def _lookup(queryset) -> dict[str, int]:
    """Slugs and names, lower-cased, to primary keys."""
    table = {}
    for obj in queryset:
        table[obj.slug.lower()] = obj.pk
        table[obj.name.lower()] = obj.pk
    return table


def _resolve(cell: str, table: dict[str, int], kind: str, problems: list[str]) -> list[int]:
    ids = []
    for part in cell.replace("|", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        if part.lower() in table:
            ids.append(table[part.lower()])
        else:
            problems.append(f"there is no {kind} “{part}”")
    return sorted(set(ids))


def _existing_emails(emails: list[str]) -> set[str]:
    lowered = sorted({email.lower() for email in emails})
    existing: set[str] = set()
    for start in range(0, len(lowered), 1000):
        batch = lowered[start : start + 1000]
        existing.update(
            Subscriber.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=batch)
            .values_list("email_lower", flat=True)
        )
    return existing


def subscribers_send_confirmations(*, subscriber_ids: Iterable[int]) -> tuple[int, list[str]]:
    """Email a confirmation link to each imported subscriber who is still pending.

    One SMTP connection serves them all, and one refused address does not
    stop the rest. Returns how many were sent and a line for each failure.
    """
    pending = (
        Subscriber.objects.filter(pk__in=list(subscriber_ids), status=Subscriber.Status.PENDING)
        .prefetch_related("series", "topics")
        .order_by("pk")
    )
    sent, failed = 0, []
    connection = mailers.default
    try:
        connection.open()
    except MAIL_ERRORS as error:
        return 0, [f"{subscriber.email}: {error}" for subscriber in pending]
    try:
        for subscriber in pending:
            request = SubscriptionRequest(
                email=subscriber.email,
                source=subscriber.source,
                consent_wording=CONSENT_WORDING_VERSION,
                series_ids=tuple(series.pk for series in subscriber.series.all()),
                topic_ids=tuple(topic.pk for topic in subscriber.topics.all()),
            )
            try:
                connection.send_messages([_confirmation_message(request)])
            except (*MAIL_ERRORS, ValueError) as error:
                # ValueError: an address the SMTP backend cannot encode (stored before imports checked for it)
                # is that one person's failure, not the end of everyone else's confirmations.
                failed.append(f"{subscriber.email}: {error}")
            else:
                sent += 1
                # A form request for the same address soon after gets no second email.
                ratelimit_claim_once(key=_confirmation_claim(subscriber.email), window_seconds=CONFIRM_EMAIL_INTERVAL)
    finally:
        connection.close()
    return sent, failed


EXPORT_COLUMNS = [
    "email",
    "status",
    "series",
    "topics",
    "source",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "consent_at",
    "consent_wording",
    "consent_note",
    "hard_bounces",
]


def subscribers_export_csv(*, subscribers: QuerySet[Subscriber], out: IO[str]) -> int:
    """Write ``subscribers`` as CSV to ``out``; returns the number of rows."""
    count = -1  # the header is not a subscriber
    for line in subscribers_csv_lines(subscribers=subscribers):
        out.write(line)
        count += 1
    return count


def subscribers_csv_lines(*, subscribers: QuerySet[Subscriber]) -> Iterator[str]:
    """``subscribers`` as CSV text, one line at a time, so that a long list can be streamed.

    Series and topics are slugs separated by semicolons, so the file can be
    imported again. Cells that a spreadsheet would run as a formula are
    prefixed with an apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_spreadsheet_safe(value) for value in values)
        return buffer.getvalue()

    yield line(EXPORT_COLUMNS)
    for subscriber in subscribers.prefetch_related("series", "topics").iterator(chunk_size=2000):
        yield line(
            [
                subscriber.email,
                subscriber.status,
                ";".join(sorted(series.slug for series in subscriber.series.all())),
                ";".join(sorted(topic.slug for topic in subscriber.topics.all())),
                subscriber.source,
                _iso(subscriber.created_at),
                _iso(subscriber.confirmed_at),
                _iso(subscriber.unsubscribed_at),
                _iso(subscriber.consent_at),
                subscriber.consent_wording,
                subscriber.consent_note,
                subscriber.hard_bounces,
            ]
        )


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _spreadsheet_safe(value) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
