"""A site that ran an earlier release upgrades with ``migrate``: briefs, numbers and section photos carried over."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import image_bytes

# The briefs app as it stood before the publishing rework (status editable, no photo placements).
BEFORE = [("briefs", "0005_editor_help_texts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_earlier_database_upgrades_keeping_briefs_numbers_and_sections():
    """Briefs, their numbers, statuses, sections and the series counters survive the upgrade unchanged."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("briefs")
    old = migrate(BEFORE)
    series = old.get_model("briefs", "Series").objects.create(name="Foreign Policy Brief", slug="fp", last_number=140)
    brief_model = old.get_model("briefs", "Brief")
    published = brief_model.objects.create(
        title="Talks resume", slug="talks", series=series, number=140, status="published",
        published_at="2022-01-20T09:00:00Z", summary="Where the talks stand.",
    )  # fmt: skip
    draft = brief_model.objects.create(title="Next steps", slug="next", series=series, summary="Later.")
    old.get_model("briefs", "Section").objects.create(brief=published, heading="Policy Summary", body="<p>Text.</p>")

    try:
        new = migrate(latest)

        brief_model = new.get_model("briefs", "Brief")
        kept = brief_model.objects.get(pk=published.pk)
        assert (kept.number, kept.status, kept.slug) == (140, "published", "talks")
        assert brief_model.objects.get(pk=draft.pk).status == "draft"
        assert new.get_model("briefs", "Series").objects.get(pk=series.pk).last_number == 140
        assert new.get_model("briefs", "Section").objects.get(brief_id=published.pk).body == "<p>Text.</p>"
    finally:
        migrate(latest)


NEWSROOM_BEFORE = [("briefs", "0011_newsroom_workflow")]
NEWSROOM_AFTER = [("briefs", "0013_remove_section_photo_fields")]


@pytest.mark.django_db(transaction=True)
def test_section_photos_move_into_the_text_and_future_briefs_become_scheduled():
    """A photo before, beside or after a section's text is in the text afterwards, and still renders."""
    executor = MigrationExecutor(connection)
    executor.migrate(NEWSROOM_BEFORE)
    old = executor.loader.project_state(NEWSROOM_BEFORE).apps
    Series, Brief, Photo, Section = (old.get_model("briefs", n) for n in ("Series", "Brief", "Photo", "Section"))  # noqa: N806
    series = Series.objects.create(name="Energy Brief", slug="energy", last_number=1)
    brief = Brief.objects.create(title="Gas", slug="gas", series=series, summary="Gas.", status="draft")
    stored = [default_storage.save(f"photos/{n}.jpg", ContentFile(image_bytes())) for n in range(3)]
    photos = [Photo.objects.create(image=name, alt_text=f"Photo {n}") for n, name in enumerate(stored)]
    top, aside, bottom = (
        Section.objects.create(brief=brief, heading=heading, body="<p>Text.</p>", photo=photo, photo_placement=place)
        for heading, photo, place in [("A", photos[0], "top"), ("B", photos[1], "aside"), ("C", photos[2], "bottom")]
    )
    future = Brief.objects.create(
        title="Later", slug="later", series=series, summary="Later.", status="published", number=2,
        published_at=timezone.now() + datetime.timedelta(days=2),
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(NEWSROOM_AFTER)
    new = executor.loader.project_state(NEWSROOM_AFTER).apps
    Section, SectionPhoto, Brief = (new.get_model("briefs", n) for n in ("Section", "SectionPhoto", "Brief"))  # noqa: N806
    figure = '<figure data-photo-id="{}"></figure>'
    assert Section.objects.get(pk=top.pk).body == figure.format(photos[0].pk) + "<p>Text.</p>"
    assert Section.objects.get(pk=aside.pk).body == figure.format(photos[1].pk) + "<p>Text.</p>"
    assert Section.objects.get(pk=bottom.pk).body == "<p>Text.</p>" + figure.format(photos[2].pk)
    assert set(SectionPhoto.objects.values_list("section_id", "photo_id")) == {
        (top.pk, photos[0].pk),
        (aside.pk, photos[1].pk),
        (bottom.pk, photos[2].pk),
    }
    assert (Brief.objects.get(pk=future.pk).status, Brief.objects.get(pk=future.pk).number) == ("scheduled", 2)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
