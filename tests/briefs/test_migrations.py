"""A site that ran an earlier release upgrades with ``migrate`` and keeps its briefs and their numbers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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
