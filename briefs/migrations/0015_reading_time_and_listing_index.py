"""Reading time stored on save, and an index that serves the public listing order with its id tie-breaker."""

from django.conf import settings
from django.db import migrations, models

from briefs.models import reading_minutes_of


def reading_minutes_backfill(apps, schema_editor):
    """Every existing brief gets the reading time the page used to work out on each request."""
    Brief = apps.get_model("briefs", "Brief")
    Section = apps.get_model("briefs", "Section")
    bodies = {}
    for brief_id, body in Section.objects.values_list("brief_id", "body").iterator(chunk_size=2000):
        bodies.setdefault(brief_id, []).append(body)
    briefs = list(Brief.objects.only("summary"))
    for brief in briefs:
        brief.reading_minutes = reading_minutes_of(brief.summary, bodies.get(brief.pk, ()))
    Brief.objects.bulk_update(briefs, ["reading_minutes"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("briefs", "0014_newsroom_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="brief",
            name="brief_status_published_idx",
        ),
        migrations.AddField(
            model_name="brief",
            name="reading_minutes",
            field=models.PositiveSmallIntegerField(
                default=1,
                editable=False,
                help_text="Minutes to read the summary and sections, shown on the brief page.",
            ),
        ),
        migrations.AddIndex(
            model_name="brief",
            index=models.Index(fields=["status", "-published_at", "-id"], name="brief_listing_idx"),
        ),
        migrations.RunPython(reading_minutes_backfill, migrations.RunPython.noop),
    ]
