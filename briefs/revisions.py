"""A brief's revisions: what each held, how two differ word by word, restoring one, and autosaving the form.

Revisions are django-reversion ``Revision`` rows: one per save in the admin,
holding the brief with its sections, byline and resources as they were
(``briefs/apps.py`` registers them), plus a ``BriefRevision`` saying which
version of the brief it is and whether it was a save, an autosave or a
restore. An autosave stores what the open form holds without touching the
brief itself, so a half-written edit of a live brief never reaches readers
and the form's own rows stay valid for the real save.
"""

import difflib
import html
import json
import re
from dataclasses import dataclass, field

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from reversion.models import Revision, Version

from core.richtext import photo_ids_in, sanitise_html

from .models import Author, Brief, BriefAuthor, BriefResource, BriefRevision, EngagementResource, Photo, Section, Topic


@dataclass
class SectionSnapshot:
    key: str  # the section's id, or "new-N" for a section that was not saved yet (autosave)
    heading: str
    body: str
    sort_order: int

    @property
    def pk(self) -> int | None:
        return int(self.key) if self.key.isdecimal() else None


@dataclass
class BriefSnapshot:
    """The editable content of a brief at one revision."""

    title: str = ""
    slug: str = ""
    summary: str = ""
    series_id: int | None = None
    header_photo_id: int | None = None
    correction_note: str = ""
    topic_ids: list[int] = field(default_factory=list)
    sections: list[SectionSnapshot] = field(default_factory=list)
    author_ids: list[int] = field(default_factory=list)
    resource_ids: list[int] = field(default_factory=list)


def revisions_for(brief: Brief):
    """The brief's revisions, newest first, with who made them (one query)."""
    return (
        BriefRevision.objects.filter(brief=brief)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-id")
    )


def snapshot_of(brief_revision: BriefRevision) -> BriefSnapshot:
    """What ``brief_revision`` held (one query for its versions)."""
    snapshot = BriefSnapshot()
    models = {
        ContentType.objects.get_for_model(model).pk: model for model in (Brief, Section, BriefAuthor, BriefResource)
    }
    authors, resources = [], []
    for version in Version.objects.filter(revision_id=brief_revision.revision_id).order_by("pk"):
        model = models.get(version.content_type_id)
        if model is None:
            continue
        data = version.field_dict
        if model is Brief:
            snapshot.title, snapshot.slug, snapshot.summary = data["title"], data["slug"], data["summary"]
            snapshot.series_id, snapshot.header_photo_id = data["series_id"], data["header_photo_id"]
            snapshot.correction_note = data.get("correction_note", "")
            snapshot.topic_ids = [int(pk) for pk in data.get("topics", [])]
        elif model is Section:
            snapshot.sections.append(
                SectionSnapshot(version.object_id, data["heading"], data["body"], data["sort_order"] or 0)
            )
        elif model is BriefAuthor:
            authors.append((data["sort_order"], data["author_id"]))
        else:
            resources.append((data["sort_order"], data["resource_id"]))
    snapshot.sections.sort(key=lambda section: (section.sort_order, section.pk or 0))
    snapshot.author_ids = [author_id for _, author_id in sorted(authors, key=lambda pair: pair[0])]
    snapshot.resource_ids = [resource_id for _, resource_id in sorted(resources, key=lambda pair: pair[0])]
    return snapshot


def revision_record(*, brief: Brief, kind: str = BriefRevision.Kind.SAVED, comment: str = "") -> None:
    """Inside ``reversion.create_revision()``: add the brief (with what it follows) and say what this revision is."""
    reversion.add_to_revision(brief)
    reversion.add_meta(BriefRevision, brief=brief, kind=kind, version=brief.version)
    if comment:
        reversion.set_comment(comment)


def brief_save_revision(*, brief: Brief, user, kind: str = BriefRevision.Kind.SAVED, comment: str = "") -> None:
    """Store the brief as it is now as a new revision (for saves made outside the admin's own revision block)."""
    with reversion.create_revision(manage_manually=True):
        reversion.set_user(user)
        revision_record(brief=brief, kind=kind, comment=comment)


def brief_autosave(*, brief: Brief, user, snapshot: BriefSnapshot) -> BriefRevision:
    """Store what an open form holds as an "Autosave" revision, leaving the brief itself untouched."""
    objects: list[tuple[object, str]] = []
    draft = Brief(
        pk=brief.pk,
        title=snapshot.title,
        slug=snapshot.slug,
        summary=snapshot.summary,
        series_id=snapshot.series_id or brief.series_id,
        header_photo_id=snapshot.header_photo_id,
        correction_note=snapshot.correction_note,
        status=brief.status,
        number=brief.number,
        published_at=brief.published_at,
        version=brief.version,
    )
    objects.append((draft, str(brief.pk)))
    for section in snapshot.sections:
        row = Section(pk=section.pk, brief_id=brief.pk, heading=section.heading, body=section.body)
        row.sort_order = section.sort_order
        objects.append((row, section.key))
    for position, author_id in enumerate(snapshot.author_ids):
        objects.append((BriefAuthor(brief_id=brief.pk, author_id=author_id, sort_order=position), f"new-{position}"))
    for position, resource_id in enumerate(snapshot.resource_ids):
        objects.append(
            (BriefResource(brief_id=brief.pk, resource_id=resource_id, sort_order=position), f"new-{position}")
        )
    with transaction.atomic():
        revision = Revision.objects.create(
            date_created=timezone.now(), user=user if user.is_authenticated else None, comment="Autosave"
        )
        versions = []
        for instance, object_id in objects:
            if isinstance(instance, Brief):
                # The serializer would read the stored topics; the form's own go in by hand.
                fields = [f.name for f in Brief._meta.concrete_fields if f.name != "live_fingerprint"]
                payload = json.loads(serializers.serialize("json", [instance], fields=fields))
                payload[0]["fields"]["topics"] = snapshot.topic_ids
                data = json.dumps(payload)
            else:
                data = serializers.serialize("json", [instance])
            versions.append(
                Version(
                    revision=revision,
                    object_id=object_id,
                    content_type=ContentType.objects.get_for_model(type(instance)),
                    db="default",
                    format="json",
                    serialized_data=data,
                    object_repr=str(instance)[:200],
                )
            )
        Version.objects.bulk_create(versions)
        return BriefRevision.objects.create(
            revision=revision, brief=brief, kind=BriefRevision.Kind.AUTOSAVE, version=brief.version
        )


def brief_restore(*, brief: Brief, brief_revision: BriefRevision, by) -> Brief:
    """Make ``brief_revision``'s content the brief's content again, as a new revision. Never publishes.

    A live brief is refused: restoring would change what readers see
    without anyone pressing "Publish". Photos, authors, topics and
    resources deleted since are left out; a published brief keeps its
    address.
    """
    if brief_revision.brief_id != brief.pk:
        raise ValidationError("That revision belongs to another brief.")
    if not brief.may_edit(by):
        raise PermissionDenied("You cannot change this brief now, so you cannot restore one of its revisions.")
    if brief.is_live:
        raise ValidationError(
            "This brief is live: restoring would change what readers see at once. "
            "Unpublish it first, or copy what you need from the comparison below."
        )
    snapshot = snapshot_of(brief_revision)
    with transaction.atomic(), reversion.create_revision(manage_manually=True):
        brief.title, brief.summary, brief.correction_note = snapshot.title, snapshot.summary, snapshot.correction_note
        if (
            brief.number is None
            and snapshot.slug
            and not Brief.objects.filter(slug=snapshot.slug).exclude(pk=brief.pk).exists()
        ):
            brief.slug = snapshot.slug
        brief.header_photo_id = (
            snapshot.header_photo_id if Photo.objects.filter(pk=snapshot.header_photo_id).exists() else None
        )
        brief.save_edits()
        brief.topics.set(Topic.objects.filter(pk__in=snapshot.topic_ids))

        existing = {section.pk: section for section in brief.sections.all()}
        kept = set()
        for position, wanted in enumerate(snapshot.sections):
            section = existing.get(wanted.pk) or Section(brief=brief)
            section.heading, section.body, section.sort_order = wanted.heading, wanted.body, position
            section.save()
            kept.add(section.pk)
        brief.sections.exclude(pk__in=kept).delete()

        authors = set(Author.objects.filter(pk__in=snapshot.author_ids).values_list("pk", flat=True))
        author_ids = [pk for pk in snapshot.author_ids if pk in authors]
        if author_ids:  # a brief always keeps a byline
            brief.brief_authors.all().delete()
            BriefAuthor.objects.bulk_create(
                BriefAuthor(brief=brief, author_id=pk, sort_order=n) for n, pk in enumerate(author_ids)
            )
        resources = set(EngagementResource.objects.filter(pk__in=snapshot.resource_ids).values_list("pk", flat=True))
        resource_ids = [pk for pk in snapshot.resource_ids if pk in resources]
        brief.brief_resources.all().delete()
        BriefResource.objects.bulk_create(
            BriefResource(brief=brief, resource_id=pk, sort_order=n) for n, pk in enumerate(resource_ids)
        )

        reversion.set_user(by)
        when = brief_revision.revision.date_created
        revision_record(
            brief=brief,
            kind=BriefRevision.Kind.RESTORED,
            comment=f"Restored the revision of {when:%d %b %Y, %H:%M} (version {brief_revision.version}).",
        )
    return brief


# -- word-level comparison -------------------------------------------------------------------------------------------

_BLOCK_END = re.compile(r"</(p|h3|h4|li|blockquote)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile(r'<figure data-photo-id="(\d+)"></figure>')
_TOKEN = re.compile(r"\n+|[^\S\n]+|\w+|[^\w\s]", re.UNICODE)


def readable_text(body: str, photo_names: dict[int, str]) -> str:
    """Rich text as a reader would read it aloud: paragraphs on their own lines, photos named."""
    text = _PLACEHOLDER.sub(lambda match: f"\n[Photo: {photo_names.get(int(match[1]), 'missing photo')}]\n", body)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{2,}", "\n", text).strip()


def word_diff(old: str, new: str) -> SafeString:
    """``old`` and ``new`` as one text, deleted words in <del> and inserted ones in <ins>."""
    before, after = _TOKEN.findall(old), _TOKEN.findall(new)
    parts = []
    for operation, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if operation == "equal":
            parts.append(escape("".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(before[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(after[j1:j2])))
    return mark_safe("".join(parts))


@dataclass
class FieldDiff:
    label: str
    html: SafeString
    changed: bool


def snapshots_compare(old: BriefSnapshot, new: BriefSnapshot) -> list[FieldDiff]:
    """Title, summary and each section (matched by identity, in the newer order) of two snapshots, word by word."""
    photo_ids = {pid for snap in (old, new) for section in snap.sections for pid in photo_ids_in(section.body)}
    photo_names = dict(Photo.objects.filter(pk__in=photo_ids).values_list("pk", "alt_text"))
    diffs = [
        FieldDiff("Title", word_diff(old.title, new.title), old.title != new.title),
        FieldDiff("Summary", word_diff(old.summary, new.summary), old.summary != new.summary),
    ]
    before = {section.key: section for section in old.sections}
    seen = set()
    for section in new.sections:
        previous = before.get(section.key)
        seen.add(section.key)
        old_text = f"{previous.heading}\n{readable_text(previous.body, photo_names)}" if previous else ""
        new_text = f"{section.heading}\n{readable_text(section.body, photo_names)}"
        label = f"Section “{section.heading}”" + ("" if previous else " (added)")
        diffs.append(FieldDiff(label, word_diff(old_text, new_text), old_text != new_text))
    for section in old.sections:
        if section.key not in seen:
            old_text = f"{section.heading}\n{readable_text(section.body, photo_names)}"
            diffs.append(FieldDiff(f"Section “{section.heading}” (removed)", word_diff(old_text, ""), True))
    return diffs


def snapshot_from_post(*, data, brief: Brief) -> BriefSnapshot:
    """What the brief form holds right now, from its posted fields (for autosave); nothing is validated or saved."""

    def number(value) -> int | None:
        return int(value) if str(value or "").isdecimal() else None

    def rows(prefix: str) -> list[int]:
        total = number(data.get(f"{prefix}-TOTAL_FORMS")) or 0
        return [index for index in range(min(total, 200)) if not data.get(f"{prefix}-{index}-DELETE")]

    snapshot = BriefSnapshot(
        title=data.get("title", "")[:200],
        slug=data.get("slug", "")[:200],
        summary=data.get("summary", "")[:400],
        series_id=number(data.get("series")) or brief.series_id,
        header_photo_id=number(data.get("header_photo")),
        correction_note=data.get("correction_note", "")[:300],
        topic_ids=[n for n in (number(v) for v in data.getlist("topics")) if n is not None],
    )
    for index in rows("sections"):
        pk = number(data.get(f"sections-{index}-id"))
        heading = data.get(f"sections-{index}-heading", "")[:200]
        body = sanitise_html(data.get(f"sections-{index}-body", ""))
        if not heading and not body:
            continue
        order = number(data.get(f"sections-{index}-sort_order"))
        snapshot.sections.append(
            SectionSnapshot(str(pk) if pk else f"new-{index}", heading, body, order if order is not None else index)
        )
    snapshot.sections.sort(key=lambda section: section.sort_order)
    ordered = lambda prefix, name: [  # noqa: E731
        value
        for _, value in sorted(
            (number(data.get(f"{prefix}-{i}-sort_order")) or i, number(data.get(f"{prefix}-{i}-{name}")))
            for i in rows(prefix)
        )
        if value is not None
    ]
    snapshot.author_ids = ordered("brief_authors", "author")
    snapshot.resource_ids = ordered("brief_resources", "resource")
    return snapshot
