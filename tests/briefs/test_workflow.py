"""A brief's editorial workflow: who may move it where, the timeline, scheduling without cron, and the signals."""

import datetime
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from briefs.models import Brief, BriefTransition
from briefs.services import brief_go_live
from briefs.signals import brief_went_live, brief_withdrawn
from tests.briefs.newsroom_support import STATES, brief_in_state
from tests.factories import BriefFactory, SeriesFactory, published_brief

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC)
NINE_TOMORROW = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)

# transition -> (the state it starts from, the state it leads to, who may make it)
MATRIX = {
    "submit_for_review": ("draft", "in_review", {"own_author", "editor", "superuser"}),
    "return_to_draft": ("in_review", "draft", {"own_author", "editor", "superuser"}),
    "request_changes": ("in_review", "changes_requested", {"editor", "superuser"}),
    "schedule": ("in_review", "scheduled", {"editor", "superuser"}),
    "unschedule": ("scheduled", "in_review", {"editor", "superuser"}),
    "publish": ("in_review", "published", {"editor", "superuser"}),
    "unpublish": ("published", "draft", {"editor", "superuser"}),
    "archive": ("published", "archived", {"editor", "superuser"}),
    "unarchive": ("archived", "draft", {"editor", "superuser"}),
}
ACTORS = ["own_author", "other_author", "editor", "superuser"]


@pytest.fixture
def signals_heard():
    heard = []

    def went_live(sender, brief, by, **kwargs):
        heard.append(("went_live", brief.pk, by))

    def withdrawn(sender, brief, by, **kwargs):
        heard.append(("withdrawn", brief.pk, by))

    brief_went_live.connect(went_live)
    brief_withdrawn.connect(withdrawn)
    yield heard
    brief_went_live.disconnect(went_live)
    brief_withdrawn.disconnect(withdrawn)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(MATRIX))
def test_every_transition_is_refused_to_those_who_may_not_make_it(
    people, name, actor, django_capture_on_commit_callbacks
):
    """Each transition works for the people allowed to make it and, for everyone else, changes nothing."""
    source, target, allowed = MATRIX[name]
    brief = brief_in_state(source, author=people["own_profile"])
    before = Brief.objects.values().get(pk=brief.pk)
    steps_before = BriefTransition.objects.filter(brief=brief).count()
    at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)

    with django_capture_on_commit_callbacks(execute=True):
        if actor in allowed:
            brief.transition(name, by=people[actor], comment="Looks right to me.", at=at)
        else:
            with pytest.raises(PermissionDenied):
                brief.transition(name, by=people[actor], comment="Trying anyway.", at=at)

    stored = Brief.objects.get(pk=brief.pk)
    if actor in allowed:
        assert stored.status == STATES[target]
        step = BriefTransition.objects.filter(brief=brief).last()
        assert (step.by, step.source, step.target, step.comment) == (
            people[actor],
            STATES[source],
            STATES[target],
            "Looks right to me.",
        )
    else:
        assert Brief.objects.values().get(pk=brief.pk) == before
        assert BriefTransition.objects.filter(brief=brief).count() == steps_before


def test_a_transition_from_the_wrong_state_is_refused_with_a_reason(people):
    """Publishing an archived brief, or asking for changes on a draft, says why not and changes nothing."""
    archived = brief_in_state("archived", author=people["own_profile"])
    with pytest.raises(ValidationError, match="archived"):
        archived.publish(by=people["editor"])
    draft = brief_in_state("draft", author=people["own_profile"])
    with pytest.raises(ValidationError, match="draft"):
        draft.request_changes(by=people["editor"], comment="More sources.")
    assert Brief.objects.get(pk=archived.pk).status == Brief.Status.ARCHIVED


def test_asking_for_changes_needs_a_comment(people):
    """An editor who sends a brief back must say what to change."""
    brief = brief_in_state("in_review", author=people["own_profile"])
    with pytest.raises(ValidationError, match="comment"):
        brief.request_changes(by=people["editor"], comment="  ")
    brief.request_changes(by=people["editor"], comment="Add the 2021 figures.")
    assert brief.status == Brief.Status.CHANGES_REQUESTED


def test_scheduling_needs_a_time_in_the_future(people, time_machine):
    """A time in the past, or none, is refused: publish now instead."""
    time_machine.move_to(NOON, tick=False)
    brief = brief_in_state("in_review", author=people["own_profile"])
    for when in (None, NOON - datetime.timedelta(minutes=1), NOON):
        with pytest.raises(ValidationError):
            brief.schedule(by=people["editor"], at=when)
    assert Brief.objects.get(pk=brief.pk).status == Brief.Status.IN_REVIEW


class TestScheduling:
    def test_a_scheduled_brief_is_hidden_and_unnumbered_until_its_time(self, people, time_machine):
        """Scheduled for 9:00: not public and without a number at 8:59, live as #140 at 9:00."""
        time_machine.move_to(NOON, tick=False)
        series = SeriesFactory(name="Foreign Policy Brief", last_number=139)
        brief = brief_in_state("in_review", author=people["own_profile"], series=series)
        brief.schedule(by=people["editor"], at=NINE_TOMORROW)

        time_machine.move_to(NINE_TOMORROW - datetime.timedelta(minutes=1), tick=False)
        assert not brief_go_live(brief_id=brief.pk)
        call_command("publish_due_briefs", stdout=io.StringIO())
        assert not Brief.objects.published().exists()
        assert Brief.objects.get(pk=brief.pk).number is None

        time_machine.move_to(NINE_TOMORROW, tick=False)
        call_command("publish_due_briefs", stdout=io.StringIO())

        live = Brief.objects.published().get()
        assert (live.pk, live.number, live.published_at, live.label) == (
            brief.pk,
            140,
            NINE_TOMORROW,
            "Foreign Policy Brief #140",
        )
        assert live.transitions.last().name == "go_live"

    def test_the_task_and_the_safety_net_both_running_number_it_once(
        self, people, time_machine, signals_heard, django_capture_on_commit_callbacks
    ):
        """The go-live task and publish_due_briefs each run at 9:00: one number, one transition, one signal."""
        time_machine.move_to(NOON, tick=False)
        series = SeriesFactory(last_number=139)
        brief = brief_in_state("in_review", author=people["own_profile"], series=series)
        brief.schedule(by=people["editor"], at=NINE_TOMORROW)
        time_machine.move_to(NINE_TOMORROW + datetime.timedelta(seconds=30), tick=False)

        with django_capture_on_commit_callbacks(execute=True):
            assert brief_go_live(brief_id=brief.pk) is True
            call_command("publish_due_briefs", stdout=io.StringIO())
            assert brief_go_live(brief_id=brief.pk) is False

        brief.refresh_from_db()
        assert (brief.number, series.__class__.objects.get(pk=series.pk).last_number) == (140, 140)
        assert brief.transitions.filter(name="go_live").count() == 1
        assert signals_heard == [("went_live", brief.pk, None)]

    @pytest.mark.django_db(transaction=True)  # the worker closes its database connection when it stops
    def test_scheduling_queues_the_go_live_task_for_the_chosen_time(
        self, people, time_machine, django_capture_on_commit_callbacks
    ):
        """With the production task queue, scheduling leaves one task that may run only from 9:00."""
        from django_tasks_db.models import DBTaskResult

        time_machine.move_to(NOON, tick=False)
        brief = brief_in_state("in_review", author=people["own_profile"])
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
            with django_capture_on_commit_callbacks(execute=True):
                brief.schedule(by=people["editor"], at=NINE_TOMORROW)
            [queued] = DBTaskResult.objects.all()
            assert queued.run_after == NINE_TOMORROW
            assert queued.args_kwargs["kwargs"] == {"brief_id": brief.pk}

            call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=io.StringIO())
            assert Brief.objects.get(pk=brief.pk).status == Brief.Status.SCHEDULED
            time_machine.move_to(NINE_TOMORROW, tick=False)
            call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=io.StringIO())
        assert Brief.objects.get(pk=brief.pk).status == Brief.Status.PUBLISHED

    def test_a_rescheduled_brief_ignores_its_earlier_task(self, people, time_machine):
        """Moved from 9:00 to 11:00: the 9:00 task finds nothing to do, and the brief goes live at 11:00."""
        time_machine.move_to(NOON, tick=False)
        brief = brief_in_state("in_review", author=people["own_profile"])
        brief.schedule(by=people["editor"], at=NINE_TOMORROW)
        brief.schedule(by=people["editor"], at=NINE_TOMORROW + datetime.timedelta(hours=2))

        time_machine.move_to(NINE_TOMORROW, tick=False)
        assert brief_go_live(brief_id=brief.pk) is False
        time_machine.move_to(NINE_TOMORROW + datetime.timedelta(hours=2), tick=False)
        assert brief_go_live(brief_id=brief.pk) is True

    def test_an_unscheduled_brief_never_goes_live(self, people, time_machine):
        time_machine.move_to(NOON, tick=False)
        brief = brief_in_state("in_review", author=people["own_profile"])
        brief.schedule(by=people["editor"], at=NINE_TOMORROW)
        brief.unschedule(by=people["editor"])
        time_machine.move_to(NINE_TOMORROW, tick=False)
        assert brief_go_live(brief_id=brief.pk) is False
        assert Brief.objects.get(pk=brief.pk).status == Brief.Status.IN_REVIEW


class TestSignals:
    def test_publishing_now_announces_the_brief_once_after_commit(
        self, people, signals_heard, django_capture_on_commit_callbacks
    ):
        brief = brief_in_state("in_review", author=people["own_profile"])
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            brief.publish(by=people["editor"])
            assert signals_heard == []  # nothing is heard before the change is committed
        for callback in callbacks:
            callback()
        assert signals_heard == [("went_live", brief.pk, people["editor"])]

    @pytest.mark.parametrize("how", ["unpublish", "archive"])
    def test_taking_a_live_brief_down_is_announced(
        self, people, signals_heard, how, django_capture_on_commit_callbacks
    ):
        brief = brief_in_state("published", author=people["own_profile"])
        with django_capture_on_commit_callbacks(execute=True):
            getattr(brief, how)(by=people["editor"])
        assert signals_heard == [("withdrawn", brief.pk, people["editor"])]

    def test_archiving_a_brief_that_was_never_live_is_not_a_withdrawal(
        self, people, signals_heard, django_capture_on_commit_callbacks
    ):
        brief = brief_in_state("draft", author=people["own_profile"])
        with django_capture_on_commit_callbacks(execute=True):
            brief.archive(by=people["editor"])
        assert signals_heard == []

    def test_a_refused_transition_sends_nothing(self, people, signals_heard, django_capture_on_commit_callbacks):
        brief = brief_in_state("in_review", author=people["own_profile"])
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
            brief.publish(by=people["own_author"])
        assert signals_heard == []


class TestCorrections:
    def test_republishing_a_changed_brief_shows_updated_and_keeps_number_and_address(self, people, time_machine):
        """Unpublished, corrected and published again: same number and address, "Updated" with today's date."""
        time_machine.move_to(NOON, tick=False)
        brief = brief_in_state("published", author=people["own_profile"])
        number, slug, first_date = brief.number, brief.slug, brief.published_at
        brief.unpublish(by=people["editor"])
        time_machine.move_to(NOON + datetime.timedelta(days=1), tick=False)
        Brief.objects.filter(pk=brief.pk).update(
            title="A corrected title", correction_note="The 2021 figure was wrong."
        )
        brief.refresh_from_db()
        brief.publish(by=people["editor"])

        assert (brief.number, brief.slug, brief.published_at) == (number, slug, first_date)
        assert brief.corrected_at == NOON + datetime.timedelta(days=1)

    def test_republishing_an_unchanged_brief_is_not_a_correction(self, people):
        brief = brief_in_state("published", author=people["own_profile"])
        brief.unpublish(by=people["editor"])
        brief.publish(by=people["editor"])
        assert brief.corrected_at is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_task_and_the_safety_net_racing_on_postgresql_publish_once(people, time_machine):
    """Two workers taking the same due brief live at the same moment: one number, one signal."""
    series = SeriesFactory(last_number=139)
    brief = brief_in_state("in_review", author=people["own_profile"], series=series)
    brief.schedule(by=people["editor"], at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1))
    time_machine.move_to(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2), tick=True)
    heard, results, barrier = [], [], threading.Barrier(4)

    def listen(sender, brief, by, **kwargs):
        heard.append(brief.pk)

    brief_went_live.connect(listen)

    def worker():
        barrier.wait()
        try:
            results.append(brief_go_live(brief_id=brief.pk))
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        brief_went_live.disconnect(listen)

    assert sorted(results) == [False, False, False, True]
    assert heard == [brief.pk]
    stored = Brief.objects.get(pk=brief.pk)
    assert (stored.number, stored.transitions.filter(name="go_live").count()) == (140, 1)


def test_publish_all_numbers_past_drafts_and_leaves_future_ones_to_be_scheduled(time_machine):
    time_machine.move_to(NOON, tick=False)
    series = SeriesFactory()
    past = BriefFactory(series=series, published_at=NOON - datetime.timedelta(days=1))
    future = BriefFactory(series=series, published_at=NOON + datetime.timedelta(days=1))
    published = Brief.objects.filter(series=series).publish_all(by=None)
    assert [brief.pk for brief in published] == [past.pk]
    assert Brief.objects.get(pk=future.pk).status == Brief.Status.DRAFT


def test_drafts_are_not_live(people):
    assert not BriefFactory().is_live
    assert published_brief().is_live


def test_publish_all_announces_each_brief_it_publishes(signals_heard, django_capture_on_commit_callbacks):
    """Imports go live through publish_all; each brief is announced once, like one published by hand."""
    series = SeriesFactory()
    drafts = [BriefFactory(series=series) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        Brief.objects.filter(series=series).publish_all(by=None)
    assert sorted(heard[1] for heard in signals_heard) == sorted(brief.pk for brief in drafts)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_saves_from_the_same_version_at_once_on_postgresql_keep_one(people):
    """Two editors press Save on version 1 at the same moment: one save wins, the other is refused."""
    from briefs.models import StaleEditError

    brief = brief_in_state("draft", author=people["own_profile"])
    barrier, outcomes = threading.Barrier(2), []

    def save(title):
        copy = Brief.objects.get(pk=brief.pk)
        copy.title = title
        barrier.wait()
        try:
            copy.save_edits(base_version=1)
            outcomes.append(("saved", title))
        except StaleEditError:
            outcomes.append(("refused", title))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(title,)) for title in ("First title", "Second title")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(kind for kind, _ in outcomes) == ["refused", "saved"]
    [winner] = [title for kind, title in outcomes if kind == "saved"]
    stored = Brief.objects.get(pk=brief.pk)
    assert (stored.title, stored.version) == (winner, 2)
