"""Loading the demo catalogue into the database: repeatable, and fast enough for ten thousand briefs.

Everything is keyed by slug (or name), so a second run finds what the first
made and adds nothing. Briefs are written as drafts with ``bulk_create``
(section bodies sanitised here, since that skips ``save()``) and then
published the way staff publish them, through ``BriefQuerySet.publish_all``,
which numbers them from each series' counter.

Pictures are drawn once per demo brief; generated benchmark briefs reuse the
pictures of the demo brief whose subject they share.
"""

import datetime
import io
import itertools
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from briefs.models import (
    DEFAULT_SECTION_HEADINGS,
    Author,
    Brief,
    BriefAuthor,
    BriefResource,
    EngagementResource,
    Photo,
    Section,
    SectionPhoto,
    Series,
    Topic,
)
from briefs.search import search_index_refresh
from core.images import make_thumbnail
from core.richtext import sanitise_html

from . import artwork, brief140, prose
from .content import AUTHORS, BRIEFS, PHOTO_CREDITS, RESOURCES, SERIES, TOPICS, BriefSpec

SUMMARY_HEADING, ANALYSIS_HEADING = DEFAULT_SECTION_HEADINGS
HEADER_SIZE = (1600, 900)
SECTION_PHOTO_SIZE = (1200, 800)
# Generated briefs are spread over roughly the last three years.
SPREAD_DAYS = 3 * 365
BATCH_SIZE = 1000


def demo_slug(spec: BriefSpec) -> str:
    return slugify(spec.title)


# The hand-written briefs: the #140-like one (brief140.py) and the 24 of content.py.
DEMO_BRIEFS = len(BRIEFS) + 1

# Demo briefs in the order they are made: one from each series in turn, so
# that even ``--briefs 3`` shows every series.
DEMO_ORDER = sorted(range(len(BRIEFS)), key=lambda k: (k % 8, k // 8))


@dataclass
class SeedReport:
    """What a run found and made, for the command to print."""

    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    existing: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    numbers: dict[str, tuple[int, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        kinds = ("series", "topics", "authors", "engagement resources", "photos", "briefs")
        lines = [
            f"{kind.capitalize()}: {self.created[kind]} created, {self.existing[kind]} already there."
            for kind in kinds
            if kind != "photos" or self.created[kind]
        ]
        lines += [f"  {series} #{first}–#{last}" for series, (first, last) in sorted(self.numbers.items())]
        lines.append(f"Done in {self.seconds:.1f} s.")
        return lines


@dataclass
class PlannedBrief:
    """A brief about to be written, with everything that hangs off it."""

    brief: Brief
    author_ids: list[int]
    topic_ids: list[int]
    resource_ids: list[int]
    # (heading, sanitised html with any photos placed in it), in order.
    sections: list[tuple[str, str]]


def existing_by(model, specs, *, keys=("slug", "name")) -> dict[str, object]:
    """Rows of ``model`` matching any spec by slug or name, keyed by the spec's first key."""
    query = Q()
    for key in keys:
        query |= Q(**{f"{key}__in": [getattr(spec, key) for spec in specs]})
    rows = list(model.objects.filter(query))
    found = {}
    for spec in specs:
        for row in rows:
            if any(getattr(row, key) == getattr(spec, key) for key in keys):
                found[getattr(spec, keys[0])] = row
                break
    return found


def series_ensure(report: SeedReport) -> dict[str, Series]:
    found = existing_by(Series, SERIES)
    for spec in SERIES:
        if spec.slug in found:
            report.existing["series"] += 1
            continue
        found[spec.slug] = Series.objects.create(
            slug=spec.slug, name=spec.name, description=spec.description, last_number=spec.starting_number
        )
        report.created["series"] += 1
    return found


def topics_ensure(report: SeedReport) -> dict[str, Topic]:
    found = existing_by(Topic, TOPICS)
    for spec in TOPICS:
        if spec.slug in found:
            report.existing["topics"] += 1
            continue
        found[spec.slug] = Topic.objects.create(slug=spec.slug, name=spec.name, description=spec.description)
        report.created["topics"] += 1
    return found


def authors_ensure(report: SeedReport) -> dict[str, Author]:
    found = existing_by(Author, AUTHORS, keys=("slug",))
    for index, spec in enumerate(AUTHORS):
        if spec.slug in found:
            report.existing["authors"] += 1
            continue
        picture = artwork.portrait_artwork(name=spec.name, seed=1000 + index)
        author = Author(
            slug=spec.slug,
            name=spec.name,
            role=spec.role,
            bio=spec.bio,
            website=spec.website,
            x_url=spec.x_url,
            linkedin_url=spec.linkedin_url,
            portrait=ContentFile(picture.data, name=f"portrait.{picture.extension}"),
        )
        author.save()
        found[spec.slug] = author
        report.created["authors"] += 1
    return found


def resources_ensure(report: SeedReport) -> dict[str, EngagementResource]:
    found = existing_by(EngagementResource, RESOURCES, keys=("name",))
    for index, spec in enumerate(RESOURCES):
        if spec.name in found:
            report.existing["engagement resources"] += 1
            continue
        logo = artwork.logo_artwork(name=spec.name, seed=2000 + index)
        resource = EngagementResource(
            name=spec.name,
            url=spec.url,
            description=spec.description,
            logo=ContentFile(logo.data, name=f"logo.{logo.extension}"),
        )
        resource.save()
        found[spec.name] = resource
        report.created["engagement resources"] += 1
    return found


def photo_build(
    picture: artwork.Artwork,
    *,
    caption: str = "",
    credit: str,
    source_url: str,
    licence: str = "",
    licence_url: str = "",
    focal_point: tuple[float, float] = (0.5, 0.5),
) -> Photo:
    """An unsaved Photo whose file is already in storage.

    The picture was drawn here, so it carries no metadata to strip and is
    already the right size: writing the file directly skips the re-encoding
    that ``Photo.save`` gives uploads, which keeps seeding quick.
    """
    image_field = Photo._meta.get_field("image")
    name = image_field.generate_filename(None, f"demo.{picture.extension}")
    stored_name = image_field.storage.save(name, ContentFile(picture.data))
    thumbnail_field = Photo._meta.get_field("thumbnail")
    thumbnail = make_thumbnail(io.BytesIO(picture.data), max_side=Photo.THUMBNAIL_SIDE)
    thumbnail_name = thumbnail_field.storage.save(thumbnail_field.generate_filename(None, thumbnail.name), thumbnail)
    return Photo(
        image=stored_name,
        thumbnail=thumbnail_name,
        width=picture.width,
        height=picture.height,
        alt_text=picture.alt_text,
        caption=caption,
        credit=credit,
        source_url=source_url,
        licence=licence,
        licence_url=licence_url,
        focal_x=focal_point[0],
        focal_y=focal_point[1],
    )


def photos_write(photos: list[Photo], report: SeedReport) -> list[Photo]:
    """Insert drawn photos in bulk, with their ids, and queue their renditions as an upload would."""
    created = Photo.objects.bulk_create(photos, batch_size=BATCH_SIZE)
    report.created["photos"] += len(created)
    ids_missing = any(photo.pk is None for photo in created)
    if ids_missing:  # databases that cannot return ids from a bulk insert
        names = [photo.image.name for photo in created]
        by_name = dict(Photo.objects.filter(image__in=names).values_list("image", "pk"))
        for photo in created:
            photo.pk = by_name[photo.image.name]
    for photo in created:
        photo.renditions_queue()
    return created


def photo_into_text(html: str, photo_id: int | None, *, after_paragraph: int = 3) -> str:
    """The analysis with its photo placed inside the text, after the third paragraph as in the group's own briefs."""
    if photo_id is None:
        return html
    figure = f'<figure data-photo-id="{photo_id}"></figure>'
    position = -1
    for _ in range(after_paragraph):
        position = html.find("</p>", position + 1)
        if position < 0:
            return html + figure
    position += len("</p>")
    return html[:position] + figure + html[position:]


def demo_pictures_ensure(
    wanted: list[int], existing_slugs: set[str], report: SeedReport
) -> dict[int, tuple[int | None, int | None]]:
    """Header and analysis photo ids for each wanted demo brief, drawing pictures for the new ones."""
    pictures: dict[int, tuple[int | None, int | None]] = {}
    already = [k for k in wanted if demo_slug(BRIEFS[k]) in existing_slugs]
    if already:
        slugs = {demo_slug(BRIEFS[k]): k for k in already}
        for slug, header_id in Brief.objects.filter(slug__in=slugs).values_list("slug", "header_photo_id"):
            pictures[slugs[slug]] = (header_id, None)
        placed = SectionPhoto.objects.filter(section__brief__slug__in=slugs, section__heading=ANALYSIS_HEADING)
        for slug, photo_id in placed.values_list("section__brief__slug", "photo_id"):
            pictures[slugs[slug]] = (pictures.get(slugs[slug], (None, None))[0], photo_id)

    new = [k for k in wanted if k not in pictures]
    photos = []
    for k in new:
        spec = BRIEFS[k]
        credit, base_url = PHOTO_CREDITS[k % len(PHOTO_CREDITS)]
        header = artwork.scene_artwork(seed=k * 7919 + 17, scene=spec.header_scene, size=HEADER_SIZE)
        section = artwork.scene_artwork(seed=k * 104729 + 3, scene=spec.analysis_scene, size=SECTION_PHOTO_SIZE)
        photos.append(photo_build(header, credit=credit, source_url=f"{base_url}{demo_slug(spec)}"))
        photos.append(
            photo_build(
                section,
                caption=prose.caption(spec),
                credit="Meridian Image Desk",
                source_url=f"https://images.example.org/meridian/{demo_slug(spec)}-analysis",
            )
        )
    created = photos_write(photos, report)
    for position, k in enumerate(new):
        pictures[k] = (created[2 * position].pk, created[2 * position + 1].pk)
    return pictures


def brief_plan(
    *,
    spec: BriefSpec,
    title: str,
    slug: str,
    summary: str,
    published_at: datetime.datetime,
    pictures: tuple[int | None, int | None],
    rng: random.Random,
    lookups: dict,
    site_name: str,
) -> PlannedBrief:
    series = lookups["series"][spec.series]
    resources = [lookups["resources"][name] for name in spec.resources]
    header_id, analysis_photo_id = pictures
    brief = Brief(
        title=title,
        slug=slug,
        series=series,
        published_at=published_at,
        summary=summary,
        header_photo_id=header_id,
    )
    first = resources[0] if resources else None
    return PlannedBrief(
        brief=brief,
        author_ids=[lookups["authors"][slug].pk for slug in spec.authors],
        topic_ids=[lookups["topics"][slug].pk for slug in spec.topics],
        resource_ids=[resource.pk for resource in resources],
        sections=[
            (SUMMARY_HEADING, sanitise_html(prose.summary_html(spec, rng))),
            (
                ANALYSIS_HEADING,
                photo_into_text(
                    sanitise_html(
                        prose.analysis_html(
                            spec, rng, site_name=site_name, resource=(first.name, first.url) if first else None
                        )
                    ),
                    analysis_photo_id,
                ),
            ),
        ],
    )


def brief140_plan(*, lookups: dict, now: datetime.datetime, report: SeedReport) -> PlannedBrief:
    """The brief shaped like the group's Foreign Policy Brief #140 (brief140.py), with its three photos drawn.

    Its header has a caption burned in near the lower left corner and a focal
    point on it, so the caption stays readable where the header is cropped.
    """

    def build(picture: artwork.Artwork, spec: brief140.PhotoSpec, **extra) -> Photo:
        return photo_build(
            picture,
            caption=spec.caption,
            credit=spec.credit,
            source_url=spec.source_url,
            licence=spec.licence,
            licence_url=spec.licence_url,
            **extra,
        )

    header = artwork.captioned_header_artwork(seed=140, caption=brief140.HEADER_CAPTION)
    in_summary = artwork.scene_artwork(seed=14_001, scene=brief140.SUMMARY_PHOTO.scene, size=HEADER_SIZE)
    in_text = artwork.scene_artwork(seed=14_002, scene=brief140.ANALYSIS_PHOTO.scene, size=SECTION_PHOTO_SIZE)
    header_photo, summary_photo, text_photo = photos_write(
        [
            build(header, brief140.HEADER_PHOTO, focal_point=artwork.CAPTION_FOCAL_POINT),
            build(in_summary, brief140.SUMMARY_PHOTO),
            build(in_text, brief140.ANALYSIS_PHOTO),
        ],
        report,
    )
    day = now - datetime.timedelta(days=brief140.DAYS_AGO)
    brief = Brief(
        title=brief140.TITLE,
        slug=brief140.SLUG,
        series=lookups["series"][brief140.SERIES],
        published_at=day.replace(hour=9, minute=0, second=0, microsecond=0),
        summary=brief140.SUMMARY,
        header_photo_id=header_photo.pk,
    )
    analysis = [prose.paragraph(text) for text in brief140.ANALYSIS_PARAGRAPHS]
    # The library photo sits between the third and fourth paragraphs, as editors place it in the text.
    analysis.insert(3, f'<figure data-photo-id="{text_photo.pk}"></figure>')
    return PlannedBrief(
        brief=brief,
        author_ids=[lookups["authors"][brief140.AUTHOR].pk],
        topic_ids=[lookups["topics"][slug].pk for slug in brief140.TOPICS],
        resource_ids=[lookups["resources"][name].pk for name in brief140.RESOURCES],
        sections=[
            (
                SUMMARY_HEADING,
                # The first photo opens the summary, above its text, as on the group's page.
                sanitise_html(
                    f'<figure data-photo-id="{summary_photo.pk}"></figure>'
                    + "".join(prose.paragraph(text) for text in brief140.SUMMARY_PARAGRAPHS)
                ),
            ),
            (ANALYSIS_HEADING, sanitise_html("".join(analysis))),
        ],
    )


def briefs_publish(briefs: list[Brief], report: SeedReport) -> None:
    """Publish the new drafts the way staff do: ``publish_all`` numbers each series in order of date.

    Oldest first, a chunk at a time per series (a query can name only so
    many ids), so the numbers still follow the dates across chunks.
    """
    by_series = defaultdict(list)
    for brief in sorted(briefs, key=lambda brief: (brief.published_at, brief.pk)):
        by_series[brief.series].append(brief.pk)
    for series, ids in by_series.items():
        numbers = []
        for chunk in itertools.batched(ids, BATCH_SIZE):
            numbers += [brief.number for brief in Brief.objects.filter(pk__in=chunk).publish_all(by=None)]
        report.numbers[series.name] = (min(numbers), max(numbers))


def briefs_write(plans: list[PlannedBrief]) -> None:
    briefs = Brief.objects.bulk_create([plan.brief for plan in plans], batch_size=BATCH_SIZE)
    if not connection.features.can_return_rows_from_bulk_insert:
        ids = dict(Brief.objects.filter(slug__in=[b.slug for b in briefs]).values_list("slug", "pk"))
        for brief in briefs:
            brief.pk = ids[brief.slug]

    sections, bylines, topic_links, resource_links = [], [], [], []
    topic_link = Brief.topics.through
    for plan in plans:
        brief_id = plan.brief.pk
        sections += [
            Section(brief_id=brief_id, heading=heading, body=body, sort_order=position)
            for position, (heading, body) in enumerate(plan.sections)
        ]
        bylines += [BriefAuthor(brief_id=brief_id, author_id=a, sort_order=n) for n, a in enumerate(plan.author_ids)]
        topic_links += [topic_link(brief_id=brief_id, topic_id=topic_id) for topic_id in plan.topic_ids]
        resource_links += [
            BriefResource(brief_id=brief_id, resource_id=r, sort_order=n) for n, r in enumerate(plan.resource_ids)
        ]
    sections = Section.objects.bulk_create(sections, batch_size=BATCH_SIZE)
    with_photos = [section for section in sections if "<figure" in section.body]
    if with_photos:
        # bulk_create skips Section.save(), which records the photos placed in the text.
        if any(section.pk is None for section in with_photos):
            ids = {
                (brief_id, order): pk
                for pk, brief_id, order in Section.objects.filter(
                    brief_id__in={section.brief_id for section in with_photos}
                ).values_list("pk", "brief_id", "sort_order")
            }
            for section in with_photos:
                section.pk = ids[(section.brief_id, section.sort_order)]
        Section.text_photos_sync_bulk(with_photos)
    BriefAuthor.objects.bulk_create(bylines, batch_size=BATCH_SIZE)
    topic_link.objects.bulk_create(topic_links, batch_size=BATCH_SIZE)
    BriefResource.objects.bulk_create(resource_links, batch_size=BATCH_SIZE)
    # bulk_create sends no signals, so the search index and reading times are brought up to date here.
    search_index_refresh(brief_ids=[plan.brief.pk for plan in plans])
    Brief.objects.filter(pk__in=[plan.brief.pk for plan in plans]).reading_minutes_refresh()


def demo_seed(*, briefs: int = DEMO_BRIEFS, site_name: str = "Meridian Policy Forum", now=None) -> SeedReport:
    """Make sure the demo catalogue and ``briefs`` published briefs exist; return what was done.

    The first 25 briefs are the hand-written demo briefs (the #140-like one
    and 24 more); any beyond that are generated variations on their subjects,
    for benchmarks.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    report = SeedReport()
    with transaction.atomic():
        lookups = {
            "series": series_ensure(report),
            "topics": topics_ensure(report),
            "authors": authors_ensure(report),
            "resources": resources_ensure(report),
        }
        existing_slugs = set(Brief.objects.values_list("slug", flat=True))
        plans = []
        # The #140-like brief comes first; the 24 demo briefs and any generated ones fill the other places.
        if briefs >= 1 and brief140.SLUG in existing_slugs:
            report.existing["briefs"] += 1
        elif briefs >= 1:
            plans.append(brief140_plan(lookups=lookups, now=now, report=report))
        wanted_demo = DEMO_ORDER[: min(max(briefs - 1, 0), len(BRIEFS))]
        # Generated briefs borrow the pictures of the demo brief on their subject.
        wanted_pictures = list(range(len(BRIEFS))) if briefs > DEMO_BRIEFS else wanted_demo
        pictures = demo_pictures_ensure(wanted_pictures, existing_slugs, report)

        for k in wanted_demo:
            spec = BRIEFS[k]
            slug = demo_slug(spec)
            if slug in existing_slugs:
                report.existing["briefs"] += 1
                continue
            day = now - datetime.timedelta(days=spec.days_ago)
            plans.append(
                brief_plan(
                    spec=spec,
                    title=spec.title,
                    slug=slug,
                    summary=spec.summary,
                    published_at=day.replace(hour=8 + k % 4, minute=0, second=0, microsecond=0),
                    pictures=pictures[k],
                    rng=random.Random(f"demo-{k}"),
                    lookups=lookups,
                    site_name=site_name,
                )
            )
        for index in range(len(BRIEFS), briefs - 1):
            rng = random.Random(index)
            spec = BRIEFS[index % len(BRIEFS)]
            title = prose.generated_title(spec, rng)
            slug = f"{slugify(title)[:180]}-{index + 1}"
            if slug in existing_slugs:
                report.existing["briefs"] += 1
                continue
            published_at = now - datetime.timedelta(seconds=rng.uniform(86_400, SPREAD_DAYS * 86_400))
            plans.append(
                brief_plan(
                    spec=spec,
                    title=title,
                    slug=slug,
                    summary=prose.generated_summary(spec, rng),
                    published_at=published_at.replace(microsecond=0),
                    pictures=pictures[index % len(BRIEFS)],
                    rng=rng,
                    lookups=lookups,
                    site_name=site_name,
                )
            )
        briefs_write(plans)
        briefs_publish([plan.brief for plan in plans], report)
        report.created["briefs"] = len(plans)
    report.seconds = time.perf_counter() - started
    return report
