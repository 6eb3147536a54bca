"""Upgrading a live database: rows older code left in an impossible state are repaired before the checks go on."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("newsletter", "0002_campaign_sending")]
AFTER = [("newsletter", "0004_state_constraints")]
T = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def migrate(targets):
    """Migrate the test database to ``targets``; returns the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    """The database as newsletter 0002 left it; migrated to the latest state again afterwards, whatever happens."""
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def seed(apps) -> dict:
    """Rows the code before the constraints could leave behind, the awkward ones beside good ones."""
    Subscriber = apps.get_model("newsletter", "Subscriber")
    Campaign = apps.get_model("newsletter", "Campaign")
    Delivery = apps.get_model("newsletter", "Delivery")

    def subscriber(email, **fields):
        return Subscriber.objects.create(email=email, **fields)

    people = {
        # Subscribed by hand in the old admin, never asked: only the confirmation date is known.
        "confirmed": subscriber("confirmed@example.org", status="subscribed", confirmed_at=T),
        "by_hand": subscriber("by-hand@example.org", status="subscribed", consent_note="Paper form, May fair"),
        "left": subscriber("left@example.org", status="unsubscribed"),
        "odd": subscriber("odd@example.org", status="vip"),
        "good": subscriber("good@example.org", status="subscribed", consent_at=T, consent_wording="2026-11"),
        "gone": subscriber("gone-long-ago@example.org", status="unsubscribed", unsubscribed_at=T),
    }
    campaigns = {
        "scheduled": Campaign.objects.create(subject="No time", status="scheduled"),
        "sending": Campaign.objects.create(subject="Half out", status="sending", recipients_count=2),
        "sent": Campaign.objects.create(subject="All out", status="sent"),
        "cancelled": Campaign.objects.create(subject="Never mind", status="cancelled"),
        "odd": Campaign.objects.create(subject="Paused", status="paused"),
        "draft": Campaign.objects.create(subject="Work in progress"),
    }
    sending, sent = campaigns["sending"], campaigns["sent"]
    deliveries = {
        "half_out": Delivery.objects.create(
            campaign=sending, subscriber=people["good"], status="sent", sent_at=T + timedelta(minutes=1)
        ),
        "lost_claim": Delivery.objects.create(campaign=sending, subscriber=people["confirmed"], status="sending"),
        "first": Delivery.objects.create(campaign=sent, subscriber=people["good"], status="sent", sent_at=T),
        "last": Delivery.objects.create(
            campaign=sent, subscriber=people["confirmed"], status="sent", sent_at=T + timedelta(hours=1)
        ),
        "no_time": Delivery.objects.create(campaign=sent, subscriber=people["by_hand"], status="sent"),
        "odd": Delivery.objects.create(campaign=campaigns["odd"], subscriber=people["good"], status="bounced"),
    }
    return {"people": people, "campaigns": campaigns, "deliveries": deliveries}


@pytest.mark.django_db(transaction=True)
def test_upgrading_repairs_impossible_rows_and_keeps_everything_else(old_apps):
    """After the upgrade every row obeys the new rules; nobody is lost, re-sent to or subscribed who was not."""
    before = seed(old_apps)
    started = datetime.now(tz=UTC)

    apps = migrate(AFTER)

    Subscriber = apps.get_model("newsletter", "Subscriber")
    Campaign = apps.get_model("newsletter", "Campaign")
    Delivery = apps.get_model("newsletter", "Delivery")
    people = {key: Subscriber.objects.get(pk=row.pk) for key, row in before["people"].items()}
    campaigns = {key: Campaign.objects.get(pk=row.pk) for key, row in before["campaigns"].items()}
    deliveries = {key: Delivery.objects.get(pk=row.pk) for key, row in before["deliveries"].items()}

    assert Subscriber.objects.count() == 6 and Campaign.objects.count() == 6 and Delivery.objects.count() == 6

    # Subscribers keep receiving campaigns; the consent date comes from the best evidence, and says so.
    assert (people["confirmed"].status, people["confirmed"].consent_at) == ("subscribed", T)
    assert "when they were confirmed" in people["confirmed"].consent_note
    assert people["by_hand"].status == "subscribed"
    assert people["by_hand"].consent_at == people["by_hand"].created_at
    assert people["by_hand"].consent_note == "Paper form, May fair", "a note staff wrote is kept"
    assert people["left"].status == "unsubscribed" and people["left"].unsubscribed_at >= started
    assert people["odd"].status == "pending", "an unknown state never becomes 'subscribed'"
    good, gone = people["good"], people["gone"]
    assert (good.status, good.consent_at, good.consent_wording, good.consent_note) == ("subscribed", T, "2026-11", "")
    assert (gone.status, gone.unsubscribed_at) == ("unsubscribed", T)

    # Campaigns: times taken from their deliveries, nothing sent again.
    assert (campaigns["scheduled"].status, campaigns["scheduled"].scheduled_for) == ("draft", None)
    assert campaigns["sending"].status == "sending"
    assert campaigns["sending"].started_at == T + timedelta(minutes=1)
    sent = campaigns["sent"]
    assert (sent.status, sent.started_at, sent.finished_at, sent.recipients_count) == (
        "sent",
        T,
        T + timedelta(hours=1),
        3,
    )
    cancelled = campaigns["cancelled"]
    assert cancelled.status == "cancelled" and cancelled.finished_at == cancelled.created_at
    assert campaigns["odd"].status == "cancelled" and campaigns["odd"].finished_at is not None
    assert (campaigns["draft"].status, campaigns["draft"].subject) == ("draft", "Work in progress")

    # Deliveries: a claim nobody can take over goes back to the queue; a sent one gets a time.
    lost = deliveries["lost_claim"]
    assert (lost.status, lost.claimed_by, lost.claimed_until) == ("queued", "", None)
    assert deliveries["half_out"].sent_at == T + timedelta(minutes=1)
    assert deliveries["first"].sent_at == T and deliveries["last"].sent_at == T + timedelta(hours=1)
    assert deliveries["no_time"].status == "sent" and deliveries["no_time"].sent_at == sent.finished_at
    assert deliveries["odd"].status == "failed" and "Not known whether" in deliveries["odd"].last_error

    # From now on the database itself refuses such rows.
    for model, fields in [
        (Subscriber, {"email": "x@example.org", "status": "subscribed"}),
        (Subscriber, {"email": "y@example.org", "status": "unsubscribed"}),
        (Campaign, {"subject": "x", "status": "sent", "started_at": T, "finished_at": T}),
        (Delivery, {"campaign": campaigns["draft"], "subscriber": good, "status": "sending", "claimed_by": "w"}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.create(**fields)
