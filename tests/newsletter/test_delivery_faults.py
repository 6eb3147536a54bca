"""A campaign survives its worker being killed and its database going away: everyone gets it, at most one twice.

The fault tests run real ``manage.py db_worker`` subprocesses against a
database this test shares with them (PostgreSQL's test database, with
committed transactions; on SQLite a copy of the test database in a file),
sending to the in-process SMTP server, slowed a little so that a fault lands
mid-campaign. Duplicates are counted by recipient (a message sent again gets
a new Message-ID), and each Message-ID the database recorded must be one that
arrived, exactly once.

Below them, unit tests: database errors in claiming, noting and recording
are waited out, and the watch task replaces a dead sending task and nothing
else.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError, connection
from django.tasks import default_task_backend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from newsletter.campaigns import (
    campaign_enqueue,
    campaign_process,
    campaign_send_now,
    campaign_watch,
    deliveries_create,
)
from newsletter.delivery import campaign_deliver, db_retry
from newsletter.delivery.batches import Batch, batch_claim, batch_record
from newsletter.models import Campaign, Delivery
from tests.newsletter.campaign_support import make_campaign, make_subscribers

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 240
LEASE_SECONDS = 3  # the workers' lease in these tests; production's default is 60 (NEWSLETTER_LEASE_SECONDS)
BATCH_SIZE = 20  # so that a kill lands in the middle of a batch of several messages


# -- The database the worker subprocesses share with the test ----------------------------------------------------------


@contextmanager
def _sqlite_file_copy(path: Path):
    """Point this process's connection at a file copy of the (in-memory) SQLite test database, which others can open.

    The in-memory database is set aside, not closed (closing would destroy
    it), and given back afterwards for the rest of the test run.
    """
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        if connection.connection is not None:
            connection.connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """A DATABASE_URL for subprocesses that names the database this test reads and writes."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        yield f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        return
    with _sqlite_file_copy(tmp_path / "shared.sqlite3") as url:
        yield url


class Workers:
    """``manage.py db_worker`` subprocesses, as a supervisor runs them; each one's output goes to a log file."""

    def __init__(self, *, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.started: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.logs / f"worker-{len(self.started) + 1}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log = log
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.log.close()

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
def workers(shared_database, smtp_server, settings, tmp_path):
    """Start task workers for the shared database, sending to the test's SMTP server with short leases."""
    settings.NEWSLETTER_LEASE_SECONDS = LEASE_SECONDS
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_TIMEOUT": "2",
        "NEWSLETTER_LEASE_SECONDS": str(LEASE_SECONDS),
        "NEWSLETTER_BATCH_SIZE": str(BATCH_SIZE),
        "PGAPPNAME": f"fault-worker-{os.getpid()}",  # so the test can cut these connections and no others
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    (tmp_path / "logs").mkdir()
    fleet = Workers(env=env, logs=tmp_path / "logs")
    try:
        yield fleet
    finally:
        fleet.stop_all()


def wait_until(condition, *, timeout: float, what: str, workers: Workers | None = None, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{workers.output() if workers else ''}")
        time.sleep(poll)


def campaign_sent(campaign: Campaign) -> bool:
    return Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENT).exists()


def tally(smtp_server, campaign: Campaign) -> tuple[int, int]:
    """(missing, duplicates) of a finished campaign, checked against what the database recorded."""
    # Only this campaign's messages: publishing its brief also sent readers an alert.
    ours = [
        (message, envelope)
        for message, envelope in zip(smtp_server.messages, smtp_server.envelopes, strict=True)
        if message["Subject"] == campaign.subject
    ]
    received = Counter(rcpt.lower() for _, envelope in ours for rcpt in envelope.rcpt_tos)
    addressed = set(campaign.deliveries.values_list("subscriber__email", flat=True))
    missing = len({email.lower() for email in addressed} - set(received))
    duplicates = sum(count - 1 for count in received.values())
    arrived = Counter(message["Message-ID"] for message, _ in ours)
    assert max(arrived.values()) == 1, "no single message was handed over twice"
    recorded = set(campaign.deliveries.values_list("message_id", flat=True))
    assert recorded <= set(arrived), "every Message-ID the database recorded is one that arrived"
    assert set(campaign.deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}
    return missing, duplicates


def start_campaign(smtp_server, settings) -> Campaign:
    """A campaign to SUBSCRIBERS readers, sending: its task is queued in the shared database for the workers."""
    # Its brief goes live first, while tasks still run at once: its alert finds nobody to go to.
    campaign = make_campaign()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_subscribers(SUBSCRIBERS)
    smtp_server.delay = 0.01  # about 4 s for the whole campaign: a fault lands in its middle
    campaign_send_now(campaign=campaign)  # queues the sending task (and its watch) for the workers
    return campaign


# -- Fault tests ----------------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_campaign_is_taken_over_by_a_new_one_and_nobody_gets_it_twice(
    workers, smtp_server, settings
):
    """kill -9 of the worker mid-campaign: a new worker carries on within seconds (no cron); at most one duplicate."""
    campaign = start_campaign(smtp_server, settings)
    first = workers.start()
    wait_until(lambda: len(smtp_server.messages) >= SUBSCRIBERS // 3, timeout=60, what="sending began", workers=workers)

    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at, at_kill = time.monotonic(), len(smtp_server.messages)
    assert at_kill < SUBSCRIBERS, "the kill landed mid-campaign"
    workers.start()
    # The one message that may have been in flight can still arrive; the next is the new worker's.
    wait_until(lambda: len(smtp_server.messages) >= at_kill + 2, timeout=60, what="sending resumed", workers=workers)
    resumed_after = time.monotonic() - killed_at
    wait_until(lambda: campaign_sent(campaign), timeout=90, what="campaign finished", workers=workers, poll=0.2)
    workers.stop_all()

    missing, duplicates = tally(smtp_server, campaign)
    print(
        f"{connection.vendor}: killed after {at_kill} messages; resumed after {resumed_after:.1f} s; "
        f"missing {missing}, duplicates {duplicates}"
    )
    assert missing == 0
    assert duplicates <= 1, "at most the one message in flight when the worker died"
    # The watch notices once the dead task's lease (3 s here, 60 s by default) has run out, plus its 2 s slack.
    assert resumed_after < LEASE_SECONDS + 10
    assert not DBTaskResult.objects.filter(status="RUNNING").exists(), "the dead task is not shown as running"
    assert DBTaskResult.objects.filter(
        status="FAILED", exception_class_path="newsletter.tasks.WorkerDiedError"
    ).exists(), "the killed worker's task shows what became of it"


@contextmanager
def maintenance_cursor():
    """A cursor on PostgreSQL's "postgres" database, as the same user: from there the test database can be closed."""
    import psycopg2

    db = connection.settings_dict
    server = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            yield cursor
    finally:
        server.close()


@pytest.mark.postgres_only
@pytest.mark.parametrize("refused", [False, True], ids=["connections-killed", "database-unreachable"])
def test_a_worker_whose_database_connections_are_cut_for_20_seconds_finishes_the_campaign(
    workers, smtp_server, settings, refused
):
    """PostgreSQL: the worker's connections killed again and again for 20 s: it waits, goes on, sends nobody twice.

    With ``refused`` the database also refuses new connections meanwhile,
    so the worker cannot get through at all for those 20 s.
    """
    campaign = start_campaign(smtp_server, settings)
    worker = workers.start()
    wait_until(lambda: len(smtp_server.messages) >= SUBSCRIBERS // 4, timeout=60, what="sending began", workers=workers)

    cuts = restarts = 0
    at_cut = None
    database = connection.ops.quote_name(connection.settings_dict["NAME"])
    with maintenance_cursor() as cursor:
        if refused:
            cursor.execute(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false")
        try:
            cut_until = time.monotonic() + 20
            while time.monotonic() < cut_until:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                    [workers.env["PGAPPNAME"]],
                )
                cuts += cursor.fetchone()[0]
                if at_cut is None:
                    # Counted from the first cut: a message that went out just before it is no concern here.
                    at_cut = len(smtp_server.messages)
                if worker.poll() is not None:  # a supervisor (systemd, say) starts it again
                    restarts += 1
                    worker = workers.start()
                time.sleep(0.1)
        finally:
            if refused:
                cursor.execute(f"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true")
    back_at, during_cut = time.monotonic(), len(smtp_server.messages) - at_cut
    wait_until(lambda: len(smtp_server.messages) > at_cut + during_cut, timeout=60, what="sending resumed")
    resumed_after = time.monotonic() - back_at
    wait_until(lambda: campaign_sent(campaign), timeout=120, what="campaign finished", workers=workers, poll=0.2)
    workers.stop_all()

    missing, duplicates = tally(smtp_server, campaign)
    print(
        f"{'refused' if refused else 'killed'}: {cuts} connections cut over 20 s; {during_cut} messages went "
        f"meanwhile; resumed {resumed_after:.1f} s after; worker restarts {restarts}; "
        f"missing {missing}, duplicates {duplicates}"
    )
    assert cuts >= 1, "the worker's connections were really cut"
    assert missing == 0
    assert duplicates <= 1 + restarts, "none while the worker lives; at most the one in flight if it had to exit"
    if refused:
        assert during_cut <= 1, "nothing goes out while the database cannot note it (but the one in flight)"
        assert resumed_after < 15, "the worker tries again at least every 10 s"


# -- Unit tests: database errors are waited out ----------------------------------------------------------------------


# Pieces of SQL that tell the sending engine's statements apart.
# Is the delivery still mine, the subscriber subscribed (on PostgreSQL, prepared; with the previous note if any):
CHECK = (" d INNER JOIN ", "EXECUTE newsletter_check (", "EXECUTE newsletter_note_check (")
NOTE = ('"attempts" = %s, "message_id" = %s', "EXECUTE newsletter_note (")  # a sent message's note
CLAIM = 'SET "status" = %s, "claimed_by" = %s'  # claiming a batch
RECORD = ("= v.claim", 'AND "claimed_by" = %s')  # recording a batch's other outcomes (PostgreSQL, SQLite)


class FailFirst:
    """A database wrapper (``connection.execute_wrapper``) that fails the first ``times`` matching statements.

    The error is what a dropped connection raises; the statement does not reach the database.
    """

    def __init__(self, *fragments: str, times: int = 1):
        self.fragments, self.times, self.failed = fragments, times, 0

    def __call__(self, execute, sql, params, many, context):
        if any(fragment in sql for fragment in self.fragments) and self.failed < self.times:
            self.failed += 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr("newsletter.delivery.outages.FIRST_WAIT", 0.01)


def sending_campaign(count: int) -> Campaign:
    """A campaign sending to ``count`` subscribers, addressed, its task queued but not run (``queued_only``)."""
    make_subscribers(count)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    campaign.refresh_from_db()
    deliveries_create(campaign=campaign)
    return campaign


@pytest.fixture
def queued_only(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.mark.django_db(transaction=True)
def test_a_claim_that_meets_a_dropped_connection_is_tried_again(quick_retries, queued_only, caplog):
    """Claiming a batch while the database connection drops waits and claims it, rather than ending the worker."""
    campaign = sending_campaign(3)
    failing = FailFirst(CLAIM, times=2)
    with connection.execute_wrapper(failing):
        claimed = db_retry(lambda: batch_claim(campaign_id=campaign.pk, token="w:1", size=10), what="claiming")
    assert failing.failed == 2 and len(claimed) == 3
    assert "Database unavailable while claiming" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_recording_a_batch_that_meets_a_dropped_connection_is_tried_again(quick_retries, queued_only):
    """Recording a batch's outcomes survives a dropped connection, and nothing is counted twice."""
    campaign = sending_campaign(3)
    claimed = batch_claim(campaign_id=campaign.pk, token="w:1", size=10)
    batch = Batch(claimed, token="w:1")
    failing = FailFirst(*RECORD, times=1)
    with connection.execute_wrapper(failing):
        db_retry(lambda: batch_record(batch=batch, campaign_id=campaign.pk), what="recording")
    assert failing.failed == 1
    assert set(campaign.deliveries.values_list("status", "claimed_by")) == {(Delivery.Status.QUEUED, "")}


@pytest.mark.django_db(transaction=True)
def test_a_campaign_whose_database_drops_out_while_sending_reaches_everyone_once(
    quick_retries, queued_only, smtp_server
):
    """Connections lost at each kind of step mid-send (check, note, claim, record): everyone gets one email."""
    campaign = sending_campaign(12)
    failing = [FailFirst(*CHECK, times=2), FailFirst(*NOTE, times=2), FailFirst(CLAIM, times=1)]
    with (
        connection.execute_wrapper(failing[0]),
        connection.execute_wrapper(failing[1]),
        connection.execute_wrapper(failing[2]),
    ):
        run = campaign_deliver(campaign_id=campaign.pk, batch_size=5)

    assert run.finished and run.sent == 12
    assert [wrapper.failed for wrapper in failing] == [2, 2, 1]
    received = Counter(rcpt for envelope in smtp_server.envelopes for rcpt in envelope.rcpt_tos)
    assert len(received) == 12 and set(received.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_database_away_longer_than_the_patience_ends_the_task_with_the_error(quick_retries, settings):
    """Past NEWSLETTER_DB_PATIENCE_SECONDS the error is raised (the task fails; its watch carries the campaign on)."""
    settings.NEWSLETTER_DB_PATIENCE_SECONDS = 0.2
    calls = []

    def never():
        calls.append(1)
        raise OperationalError("could not connect to server")

    with pytest.raises(OperationalError):
        db_retry(never, what="testing")
    assert 2 <= len(calls) <= 6


# -- Unit tests: the watch -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_watch_leaves_a_live_task_alone_and_replaces_a_dead_one(queued_only, settings):
    """While the sending task renews its lease the watch only looks again later; once the lease ran out it re-queues."""
    make_subscribers(2)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    campaign.refresh_from_db()
    token, lease_until = campaign.task_token, campaign.task_lease_until
    default_task_backend.clear()

    assert campaign_watch(campaign_id=campaign.pk, token=token) == "alive"
    [look_again] = default_task_backend.results
    assert look_again.task.name == "watch_campaign" and look_again.task.run_after > lease_until
    default_task_backend.clear()

    with time_machine.travel(lease_until + timedelta(seconds=1)):
        assert campaign_watch(campaign_id=campaign.pk, token=token) == "replaced"
    names = sorted(result.task.name for result in default_task_backend.results)
    assert names == ["send_campaign", "watch_campaign"]
    campaign.refresh_from_db()
    assert campaign.task_token != token, "the dead task, should it wake up, finds itself replaced"
    assert campaign_process(campaign_id=campaign.pk, token=token) is None


@pytest.mark.django_db
def test_the_watch_ends_once_the_task_moved_on_or_the_campaign_is_done(queued_only):
    """A watch for a task that queued its next step, or for a cancelled campaign, queues nothing."""
    make_subscribers(2)
    campaign = make_campaign()
    campaign_send_now(campaign=campaign)
    campaign.refresh_from_db()
    old_token = campaign.task_token
    campaign_enqueue(campaign_id=campaign.pk)  # the task's next step
    default_task_backend.clear()

    assert campaign_watch(campaign_id=campaign.pk, token=old_token) == "ended"
    campaign.refresh_from_db()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CANCELLED, finished_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert campaign_watch(campaign_id=campaign.pk, token=campaign.task_token) == "ended"
    assert default_task_backend.results == []


@pytest.mark.django_db
def test_with_the_default_lease_a_campaign_whose_worker_died_is_carried_on_within_two_minutes(queued_only, settings):
    """With the default NEWSLETTER_LEASE_SECONDS, the watch queues a new task under two minutes after a worker dies."""
    assert settings.NEWSLETTER_LEASE_SECONDS == 60, "the default"
    make_subscribers(2)
    campaign = make_campaign()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        campaign_send_now(campaign=campaign)
        campaign.refresh_from_db()
        # The task runs, renews its lease twice, and its worker is killed right after the second renewal.
        for _ in range(2):
            clock.shift(timedelta(seconds=20))
            Campaign.objects.filter(pk=campaign.pk).update(task_lease_until=timezone.now() + timedelta(seconds=60))
        died_at = timezone.now()
        found = ""
        while found != "replaced":
            watch = [result for result in default_task_backend.results if result.task.name == "watch_campaign"][-1]
            clock.move_to(watch.task.run_after)
            found = campaign_watch(campaign_id=campaign.pk, token=campaign.task_token)
        assert timezone.now() - died_at < timedelta(minutes=2)
    assert default_task_backend.results[-1].task.name == "send_campaign"
