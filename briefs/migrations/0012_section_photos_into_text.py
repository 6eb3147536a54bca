"""Existing data for the newsroom workflow.

- A section's own photo (``Section.photo`` with a placement) moves into its
  text as a ``<figure data-photo-id>`` placeholder: at the start for "before
  the text" and "beside the text", at the end for "after the text". The
  public page already renders placeholders, so nothing readers see is lost;
  "beside the text" becomes a full-width photo above it. 0011 then drops the
  old fields.
- A published brief dated in the future was how scheduling worked before:
  it becomes a scheduled brief (it keeps a number it already has).
- Live briefs get the fingerprint of what readers read now, so a later
  change shows "Updated …".
"""

import hashlib

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def placeholder(photo_id):
    return f'<figure data-photo-id="{photo_id}"></figure>'


def forwards(apps, schema_editor):
    Section = apps.get_model("briefs", "Section")
    SectionPhoto = apps.get_model("briefs", "SectionPhoto")
    Brief = apps.get_model("briefs", "Brief")

    for section in Section.objects.exclude(photo__isnull=True).only("body", "photo_id", "photo_placement").iterator():
        figure = placeholder(section.photo_id)
        if figure not in section.body:
            section.body = section.body + figure if section.photo_placement == "bottom" else figure + section.body
            Section.objects.filter(pk=section.pk).update(body=section.body)
        SectionPhoto.objects.get_or_create(section_id=section.pk, photo_id=section.photo_id)

    now = timezone.now()
    Brief.objects.filter(status="published", published_at__gt=now).update(status="scheduled")

    live = Brief.objects.filter(Q(status="published"), published_at__lte=now)
    for brief in live.only("title", "summary").iterator():
        parts = [brief.title, brief.summary]
        for heading, body in Section.objects.filter(brief_id=brief.pk).order_by("sort_order", "id").values_list(
            "heading", "body"
        ):
            parts += [heading, body]
        fingerprint = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        Brief.objects.filter(pk=brief.pk).update(live_fingerprint=fingerprint)


def backwards(apps, schema_editor):
    # The placeholders stay in the text, which the earlier code renders too.
    Brief = apps.get_model("briefs", "Brief")
    Brief.objects.filter(status="scheduled", number__isnull=False).update(status="published")
    Brief.objects.filter(status="scheduled").update(status="draft")
    Brief.objects.filter(status__in=["in_review", "changes_requested", "archived"]).update(status="draft")


class Migration(migrations.Migration):
    dependencies = [("briefs", "0011_newsroom_workflow")]

    operations = [migrations.RunPython(forwards, backwards)]
