"""Brief numbering and visibility: what readers and editors rely on whatever the database."""

import datetime
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from briefs.models import Brief, Section, Series
from tests.factories import BriefFactory, SeriesFactory, published_brief

pytestmark = pytest.mark.django_db


def test_briefs_are_numbered_one_after_another_within_their_series():
    """Each series counts its own briefs: #1, #2, #3, whatever happens in other series."""
    foreign = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    energy = SeriesFactory(name="Energy Brief", slug="energy")

    first = published_brief(series=foreign)
    energy_first = published_brief(series=energy)
    second = published_brief(series=foreign)
    third = published_brief(series=foreign)
    energy_second = published_brief(series=energy)

    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert [energy_first.number, energy_second.number] == [1, 2]
    assert third.label == "Foreign Policy Brief #3"
    assert energy_second.label == "Energy Brief #2"


def test_a_draft_has_no_number_until_it_is_published():
    """Drafts are not numbered, so abandoned drafts never leave gaps in a series."""
    series = SeriesFactory()
    draft = BriefFactory(series=series)

    assert draft.number is None
    assert draft.label == series.name
    draft.publish(by=None)
    assert draft.number == 1


def test_a_deleted_brief_number_is_never_given_to_another_brief():
    """Deleting the latest brief does not free its number: the next brief gets a new one."""
    series = SeriesFactory()
    published_brief(series=series)
    latest = published_brief(series=series)
    assert latest.number == 2

    latest.delete()
    replacement = published_brief(series=series)

    assert replacement.number == 3


def test_unpublishing_and_republishing_keeps_the_number():
    """A brief taken down and put back keeps its number, so citations stay right."""
    series = SeriesFactory()
    brief = published_brief(series=series)
    published_brief(series=series)

    brief.unpublish(by=None)
    brief.refresh_from_db()
    assert brief.status == Brief.Status.DRAFT
    assert brief.number == 1

    brief.publish(by=None)
    brief.refresh_from_db()
    assert brief.number == 1
    assert Series.objects.get(pk=series.pk).last_number == 2


def test_a_series_moved_here_at_139_continues_at_140():
    """An editor who sets the series counter to 139 sees the next brief published as #140."""
    series = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy", last_number=139)

    brief = published_brief(series=series)

    assert brief.number == 140
    assert brief.label == "Foreign Policy Brief #140"


def test_the_database_refuses_two_briefs_with_one_number_in_a_series():
    """Even bypassing publish(), the database will not store a second #1 in the same series."""
    series = SeriesFactory()
    published_brief(series=series)
    other_series_brief = published_brief()

    with pytest.raises(IntegrityError), transaction.atomic():
        BriefFactory(series=series, number=1, status=Brief.Status.PUBLISHED, published_at=timezone.now())

    # The same number in another series is fine.
    assert other_series_brief.number == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_editors_publishing_at_the_same_moment_get_different_numbers():
    """Eight editors pressing "publish" at once in one series get #1 to #8, no number twice."""
    series = SeriesFactory()
    draft_ids = [BriefFactory(series=series).pk for _ in range(8)]
    start = threading.Barrier(len(draft_ids), timeout=30)
    errors = []

    def publish(brief_id):
        try:
            brief = Brief.objects.get(pk=brief_id)
            start.wait()
            brief.publish(by=None)
        except Exception as error:  # reported by the main thread, where pytest sees it
            errors.append(error)
        finally:
            # Each thread has its own connection; leaving it open would block
            # the test database from being flushed afterwards.
            connection.close()

    threads = [threading.Thread(target=publish, args=(brief_id,)) for brief_id in draft_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    numbers = sorted(Brief.objects.filter(series=series).values_list("number", flat=True))
    assert numbers == list(range(1, 9))
    assert Series.objects.get(pk=series.pk).last_number == 8


def test_published_never_includes_drafts_or_briefs_dated_in_the_future(time_machine):
    """The public only sees a scheduled brief once its date has come, and never a draft."""
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    live = published_brief(title="Out now")
    BriefFactory(title="Still a draft")
    scheduled = published_brief(
        title="Embargoed", published_at=datetime.datetime(2026, 3, 5, 6, 0, tzinfo=datetime.UTC)
    )

    assert list(Brief.objects.published()) == [live]
    assert not scheduled.is_live

    time_machine.move_to(datetime.datetime(2026, 3, 5, 6, 0, 1, tzinfo=datetime.UTC), tick=False)
    # Its time has come, but until the go-live task (or the safety net) has run it has no number: still hidden.
    assert list(Brief.objects.published()) == [live]
    call_command("publish_due_briefs", stdout=io.StringIO())

    assert list(Brief.objects.published().order_by("published_at")) == [live, scheduled]
    assert set(Brief.objects.published().values_list("title", flat=True)) == {"Out now", "Embargoed"}


def test_an_unpublished_brief_leaves_the_public_list():
    """Unpublishing hides a brief from every public page at once."""
    brief = published_brief()
    assert brief in Brief.objects.published()

    brief.unpublish(by=None)

    assert brief not in Brief.objects.published()


def test_publishing_keeps_a_date_the_editor_chose():
    """A brief scheduled for a date keeps it; one without a date is dated when published."""
    chosen = timezone.now() + datetime.timedelta(days=3)
    scheduled = published_brief(published_at=chosen)
    immediate = published_brief()

    assert scheduled.published_at == chosen
    assert immediate.published_at is not None
    assert immediate.published_at <= timezone.now()


def test_someone_without_permission_cannot_publish(django_user_model):
    """A logged-in user who may not edit briefs cannot publish one, and it keeps no number."""
    from django.core.exceptions import PermissionDenied

    reader = django_user_model.objects.create_user(username="reader", password="pw")
    draft = BriefFactory()

    with pytest.raises(PermissionDenied):
        draft.publish(by=reader)

    draft.refresh_from_db()
    assert draft.status == Brief.Status.DRAFT
    assert draft.number is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_editors_publishing_the_same_draft_at_once_use_one_number():
    """A draft published twice at the same moment (a double click, two editors) becomes #1 and leaves no gap."""
    series = SeriesFactory()
    draft_id = BriefFactory(series=series).pk
    start = threading.Barrier(4, timeout=30)
    errors = []

    def publish():
        try:
            brief = Brief.objects.get(pk=draft_id)
            start.wait()
            brief.publish(by=None)
        except Exception as error:  # reported by the main thread, where pytest sees it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # One publishes; the other three are told it is published already.
    assert len(errors) == 3
    assert all(isinstance(error, ValidationError) and "is published, so" in str(error) for error in errors)
    assert Brief.objects.get(pk=draft_id).number == 1
    assert Series.objects.get(pk=series.pk).last_number == 1
    assert published_brief(series=series).number == 2


def test_publishing_many_drafts_at_once_numbers_them_in_date_order():
    """An import of old briefs gets numbers that follow their dates, per series, continuing each counter."""
    foreign = SeriesFactory(slug="foreign", last_number=139)
    energy = SeriesFactory(slug="energy")
    now = timezone.now()
    newest = BriefFactory(series=foreign, published_at=now - datetime.timedelta(days=1))
    oldest = BriefFactory(series=foreign, published_at=now - datetime.timedelta(days=300))
    energy_brief = BriefFactory(series=energy, published_at=now - datetime.timedelta(days=5))
    undated = BriefFactory(series=foreign)

    published = Brief.objects.filter(series__in=[foreign, energy]).publish_all(by=None)

    assert len(published) == 4
    numbers = dict(Brief.objects.values_list("pk", "number"))
    assert [numbers[b.pk] for b in (oldest, newest, undated)] == [140, 141, 142]
    assert numbers[energy_brief.pk] == 1
    assert set(Brief.objects.values_list("status", flat=True)) == {Brief.Status.PUBLISHED}
    assert Brief.objects.get(pk=undated.pk).published_at is not None


def test_publishing_many_leaves_published_briefs_alone():
    """A bulk publish skips what is already published: no new number, no new date."""
    live = published_brief(published_at=timezone.now() - datetime.timedelta(days=3))
    draft = BriefFactory(series=live.series)

    Brief.objects.filter(pk__in=[live.pk, draft.pk]).publish_all(by=None)

    assert Brief.objects.get(pk=live.pk).number == 1
    assert Brief.objects.get(pk=draft.pk).number == 2


def test_a_counter_lowered_in_the_database_never_hands_out_a_number_twice():
    """If someone lowers a series' counter behind the admin's back, the next brief still gets a new number."""
    first = published_brief()
    published_brief(series=first.series)
    Series.objects.filter(pk=first.series_id).update(last_number=0)

    assert published_brief(series=first.series).number == 3


def test_publishing_a_published_brief_again_is_refused():
    """A second "publish" says the brief is already published and changes nothing."""
    brief = published_brief()
    with pytest.raises(ValidationError, match="is published, so"):
        Brief.objects.get(pk=brief.pk).publish(by=None)
    assert Brief.objects.get(pk=brief.pk).number == 1
    assert brief.series.briefs.count() == 1


def test_the_reading_time_follows_the_sections_as_they_are_written_changed_and_removed(client):
    """Readers see "N min read" for the text as it is now: adding, editing or removing a section changes it."""
    brief = published_brief(sections=0, summary="A short summary.")
    assert Brief.objects.get(pk=brief.pk).reading_minutes == 1

    long_text = "<p>" + "word " * 900 + "</p>"
    section = brief.sections.create(heading="Analysis", body=long_text, sort_order=0)
    assert Brief.objects.get(pk=brief.pk).reading_minutes == 5  # 903 words at 220 a minute
    assert "5 min read" in client.get(brief.get_absolute_url()).content.decode()

    section.body = "<p>" + "word " * 2000 + "</p>"
    section.save()
    assert Brief.objects.get(pk=brief.pk).reading_minutes == 10

    section.delete()
    assert Brief.objects.get(pk=brief.pk).reading_minutes == 1


def test_reading_times_of_bulk_written_briefs_are_brought_up_to_date_in_three_queries(django_assert_num_queries):
    """Briefs imported with bulk writes (the demo seeding) still show the right reading time."""
    briefs = [published_brief(sections=0) for _ in range(3)]

    Section.objects.bulk_create(
        [Section(brief=brief, heading="Body", body="<p>" + "word " * 700 + "</p>") for brief in briefs]
    )
    Brief.objects.filter(pk__in=[brief.pk for brief in briefs]).update(reading_minutes=1)

    with django_assert_num_queries(3):  # the briefs, their sections, one UPDATE
        Brief.objects.filter(pk__in=[brief.pk for brief in briefs]).reading_minutes_refresh()

    assert set(
        Brief.objects.filter(pk__in=[brief.pk for brief in briefs]).values_list("reading_minutes", flat=True)
    ) == {4}
