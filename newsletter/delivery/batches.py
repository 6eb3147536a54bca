"""Claiming a batch of deliveries and recording what became of it, in short transactions.

Part of the sending engine; see docs/delivery.md.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import Campaign, Delivery, Subscriber

# How long a claim holds; a claim older than this belongs to a worker that died.
LEASE = timedelta(minutes=15)
# Refused campaigns in a row after which a subscriber is marked bounced.
HARD_BOUNCE_LIMIT = 3
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


@dataclass
class Batch:
    """Outcomes of one claimed batch, kept until they are recorded."""

    deliveries: list
    done: set = field(default_factory=set)
    bounce_reset: list = field(default_factory=list)
    bounced_subscribers: list = field(default_factory=list)


def batch_claim(*, campaign_id: int, token: str, size: int) -> list[Delivery]:
    """Take up to ``size`` due deliveries of a campaign that is sending, marked with this batch's ``token``.

    The rows are picked (and on PostgreSQL locked, skipping rows another
    worker is claiming) and then updated in one short transaction; they are
    read back by their token, so only what this worker really claimed is
    returned. (A single UPDATE with a LIMIT … FOR UPDATE SKIP LOCKED subquery
    is not safe: PostgreSQL may run the subquery more than once and claim
    more rows than asked for.)
    """
    now = timezone.now()
    queue = Delivery.objects.filter(campaign_id=campaign_id).order_by("pk")
    if db_connection.features.has_select_for_update_skip_locked:
        queue = queue.select_for_update(skip_locked=True)
    with transaction.atomic():
        # Read, not locked: a lock on the shared campaign row would make the other workers wait.
        if not Campaign.objects.sending().filter(pk=campaign_id).exists():
            return []
        # Abandoned claims (rare) first, then the queue in order: each query walks the
        # (campaign, status, id) index and stops at ``size`` rows.
        ids = list(queue.abandoned(now).values_list("pk", flat=True)[:size])
        ids += queue.due(now).values_list("pk", flat=True)[: size - len(ids)]
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


def batch_record(*, batch: Batch, campaign_id: int) -> None:
    """Write a batch's outcomes; deliveries not attempted go back to the queue untouched.

    Unless the campaign was cancelled meanwhile: then they are skipped, as
    ``campaign_cancel`` did with the rest.

    Rows differ in Message-ID and time sent, so each needs its own values
    (``_update_each``).
    """
    released = [delivery for delivery in batch.deliveries if delivery.pk not in batch.done]
    fields = [Delivery._meta.get_field(name) for name in _RECORDED_FIELDS]
    with transaction.atomic():
        cancelled = bool(released) and _campaign_status_locked(campaign_id) == Campaign.Status.CANCELLED
        for delivery in batch.deliveries:
            delivery.claimed_by = ""
            delivery.claimed_until = None
        for delivery in released:
            delivery.status = Delivery.Status.SKIPPED if cancelled else Delivery.Status.QUEUED
            if cancelled:
                delivery.last_error = CANCELLED_NOTE
        _update_each(
            fields,
            [
                [field.get_db_prep_save(getattr(delivery, field.attname), db_connection) for field in fields]
                + [delivery.pk]
                for delivery in batch.deliveries
            ],
        )
        if batch.bounce_reset:
            Subscriber.objects.filter(pk__in=batch.bounce_reset).update(hard_bounces=0)
        if batch.bounced_subscribers:
            Subscriber.objects.filter(pk__in=batch.bounced_subscribers).update(hard_bounces=F("hard_bounces") + 1)
            Subscriber.objects.filter(
                pk__in=batch.bounced_subscribers,
                status=Subscriber.Status.SUBSCRIBED,
                hard_bounces__gte=HARD_BOUNCE_LIMIT,
            ).update(status=Subscriber.Status.BOUNCED)


def _update_each(fields: list, rows: list[list]) -> None:
    """Give each delivery its own values of ``fields``; each row is those values, then the delivery's id.

    SQLite runs one prepared UPDATE per row in this process
    (``executemany``). A PostgreSQL driver would send each of those as a
    round trip of its own, so there the whole batch is one UPDATE joined to
    a VALUES list. Either way it takes a fraction of the time
    ``bulk_update`` needs to build its CASE expressions.
    """
    quote = db_connection.ops.quote_name
    table, pk = quote(Delivery._meta.db_table), quote(Delivery._meta.pk.column)
    columns = [quote(field.column) for field in fields]
    with db_connection.cursor() as cursor:
        if db_connection.vendor != "postgresql":
            assignments = ", ".join(f"{column} = %s" for column in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", rows)
            return
        # Cast to each column's type: a column that is NULL in every row (claimed_until always is) would be text.
        assignments = ", ".join(
            f"{column} = CAST(v.{column} AS {field.db_type(db_connection)})"
            for column, field in zip(columns, fields, strict=True)
        )
        row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(rows))})"
            f" AS v({', '.join(columns)}, delivery_id) WHERE {table}.{pk} = v.delivery_id",
            [value for row in rows for value in row],
        )
