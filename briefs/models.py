"""Briefs and what they are made of: series, topics, authors, photos, resources."""

import datetime
import hashlib
import logging
import math
import re
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags

from core.images import (
    RandomFilename,
    make_thumbnail,
    replace_with_sanitised,
    storage_files_delete,
    validate_image_file,
)
from core.queue import task_enqueue
from core.richtext import RichTextField, photo_ids_in, sanitise_html

from . import workflow
from .signals import brief_went_live, brief_withdrawn

logger = logging.getLogger(__name__)

WORDS_PER_MINUTE = 220


def reading_minutes_of(summary: str, bodies) -> int:
    """Minutes to read a summary and the section bodies (rich text) at WORDS_PER_MINUTE, at least one."""
    text = " ".join(strip_tags(body) for body in bodies)
    words = len(re.findall(r"\w+", f"{summary} {text}"))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


# Every new brief starts with these sections (the admin's add form fills them in).
DEFAULT_SECTION_HEADINGS = ("Policy Summary", "Policy Analysis")


class Series(models.Model):
    name = models.CharField(
        max_length=100, unique=True, help_text='Shown before the number, e.g. "Foreign Policy Brief".'
    )
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The last part of the series page address, /series/…/."
    )
    description = models.TextField(blank=True, help_text="A sentence or two shown on the series page.")
    last_number = models.PositiveIntegerField(
        default=0,
        help_text=(
            "The number given to the most recently published brief in this series. The next brief to be "
            "published gets this plus one. Raise it when moving an existing series here "
            "(set 139 so the next brief is #140); numbers are never reused."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "series"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("briefs:series", kwargs={"slug": self.slug})

    @classmethod
    def numbers_take(cls, series_id: int, count: int = 1) -> range:
        """Reserve the next ``count`` numbers of a series and return them.

        One UPDATE increments the counter; it takes a row lock on PostgreSQL,
        so concurrent callers queue behind each other and never share a
        number. Call it inside a transaction that also saves the briefs. A
        counter lowered below a number already given (by hand, in the
        database) continues above that number instead of failing.
        """
        highest = (
            Brief.objects.filter(series_id=OuterRef("pk")).order_by().values("series_id").annotate(top=Max("number"))
        )
        cls.objects.filter(pk=series_id).update(
            last_number=Greatest(F("last_number"), Coalesce(Subquery(highest.values("top")), 0)) + count
        )
        last = cls.objects.values_list("last_number", flat=True).get(pk=series_id)
        return range(last - count + 1, last + 1)

    def clean(self):
        """Refuse a counter below a number already given: the next brief would need that number again."""
        super().clean()
        if self.pk is None:
            return
        highest = self.briefs.aggregate(highest=Max("number"))["highest"]
        if highest is not None and self.last_number < highest:
            raise ValidationError(
                {
                    "last_number": ValidationError(
                        "Brief #%(highest)d has already been published in this series, so the last number "
                        "cannot be lower than %(highest)d.",
                        code="number_already_given",
                        params={"highest": highest},
                    )
                }
            )


class Topic(models.Model):
    name = models.CharField(
        max_length=100, unique=True, help_text="Shown in the navigation and on briefs' topic links."
    )
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The last part of the topic page address, /topics/…/."
    )
    description = models.TextField(blank=True, help_text="A sentence or two shown on the topic page.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("briefs:topic", kwargs={"slug": self.slug})


class PhotoQuerySet(models.QuerySet):
    def _used(self):
        return Exists(Brief.objects.filter(header_photo=OuterRef("pk"))) | Exists(
            SectionPhoto.objects.filter(photo=OuterRef("pk"))
        )

    def in_use(self):
        """Photos some brief shows: as its header or inside a section's text."""
        return self.filter(self._used())

    def unused(self):
        """Photos no brief shows, which are safe to delete."""
        return self.exclude(self._used())

    def with_use(self):
        """Each photo with ``is_used``: whether any brief shows it (the library grid marks those)."""
        return self.annotate(is_used=ExpressionWrapper(self._used(), output_field=models.BooleanField()))


class PhotoUsage(NamedTuple):
    """One place a photo appears: which brief, and how ("Header photo", "In the text of …")."""

    where: str
    brief: "Brief"


class Photo(models.Model):
    """A reusable picture from the library, always with alt text and a credit."""

    class Renditions(models.TextChoices):
        PENDING = "pending", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be made"

    image = models.ImageField(
        upload_to=RandomFilename("photos"),
        validators=[validate_image_file],
        help_text="JPEG, PNG, WebP or GIF, at most 10 MB and 40 megapixels. Location and camera data are removed.",
    )
    # A small copy for cards and listings, made whenever the image changes.
    thumbnail = models.ImageField(upload_to=RandomFilename("photos/thumbnails"), editable=False, blank=True)
    # Set when an upload is stored, not read back from the file (Django's width_field would open the file
    # whenever the field is assigned: a download from S3, and an error if the file was removed by hand).
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt_text = models.CharField(
        max_length=250,
        help_text="Describes the picture for people who cannot see it. Required; read aloud by screen readers.",
    )
    caption = models.CharField(max_length=400, blank=True, help_text="Shown under the photo, e.g. a quotation.")
    credit = models.CharField(
        max_length=200, blank=True, help_text='Where the photo comes from, shown as "Photo taken from: …".'
    )
    source_url = models.URLField(blank=True, help_text="Optional link to the photo's source; the credit links to it.")
    licence = models.CharField(
        max_length=100,
        blank=True,
        help_text='Optional, shown with the credit, e.g. "CC BY 4.0", "Used with permission", "All rights reserved".',
    )
    licence_url = models.URLField(
        blank=True, help_text="Optional link to the licence's terms; the licence links to it."
    )
    focal_x = models.FloatField(
        "focal point across",
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="What must stay in view when the photo is cropped: 0 is the left edge, 1 the right. "
        "Click the picture to set it.",
    )
    focal_y = models.FloatField(
        "focal point down",
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="0 is the top edge, 1 the bottom. Click the picture to set it.",
    )
    # The smaller copies pages load (briefs/renditions.py), made in the background after an upload.
    renditions = models.JSONField(default=list, blank=True, editable=False)
    renditions_status = models.CharField(max_length=10, choices=Renditions, default=Renditions.PENDING, editable=False)
    renditions_note = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PhotoQuerySet.as_manager()

    MAX_SIDE = 2400
    THUMBNAIL_SIDE = 800

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="photo_focal_point_inside",
            )
        ]

    def __str__(self):
        return self.alt_text[:80]

    def save(self, *args, **kwargs):
        replaced = replace_with_sanitised(self.image, max_side=self.MAX_SIDE)
        if self.image and (replaced or not self.thumbnail):
            with self.image.open("rb") as original:
                small = make_thumbnail(original, max_side=self.THUMBNAIL_SIDE)
            self.thumbnail.save(small.name, small, save=False)
        stale = []
        if replaced:
            self.width, self.height = replaced
            # The old copies show the old picture; new ones are made in the background.
            stale, self.renditions = self.rendition_names(), []
            self.renditions_status, self.renditions_note = self.Renditions.PENDING, ""
        super().save(*args, **kwargs)
        if replaced:
            storage_files_delete(self.image.storage, stale)
            self.renditions_queue()

    def renditions_queue(self) -> None:
        """Queue the renditions (briefs/renditions.py); with the database queue they start once this commits."""
        task_enqueue("briefs.tasks.make_photo_renditions", photo_id=self.pk)

    @property
    def card_image(self):
        """The file to show where the photo is small: the thumbnail, or the photo itself if there is none yet."""
        return self.thumbnail or self.image

    @property
    def focal_point(self) -> tuple[float, float]:
        return (self.focal_x, self.focal_y)

    def rendition_names(self) -> list[str]:
        return [entry["name"] for entry in self.renditions or ()]

    def usages(self) -> list[PhotoUsage]:
        """Every brief that shows this photo and how, in two queries."""
        usages = [PhotoUsage("Header photo", brief) for brief in Brief.objects.filter(header_photo=self)]
        usages += [
            PhotoUsage(f"In the text of “{placement.section.heading}”", placement.section.brief)
            for placement in SectionPhoto.objects.filter(photo=self).select_related("section__brief")
        ]
        return usages


@receiver(post_delete, sender=Photo)
def photo_files_delete(sender, instance, **kwargs):
    """A deleted photo takes its original, thumbnail and renditions with it, once the deletion is committed."""
    names = [instance.image.name, instance.thumbnail.name, *instance.rendition_names()]
    storage = instance.image.storage
    transaction.on_commit(lambda: storage_files_delete(storage, [name for name in names if name]))


class AuthorQuerySet(models.QuerySet):
    def with_published_briefs(self):
        """Authors the public can find: those with at least one published brief."""
        return self.filter(author_briefs__brief__in=Brief.objects.published()).distinct()


class Author(models.Model):
    name = models.CharField(max_length=150, help_text="As it appears in bylines.")
    slug = models.SlugField(
        max_length=150, unique=True, help_text="The last part of the author page address, /authors/…/."
    )
    role = models.CharField(
        max_length=150, blank=True, help_text='Role or title shown with the name, e.g. "Senior Fellow, Energy".'
    )
    bio = models.TextField(
        blank=True, help_text="A short biography for the author page. Plain text; blank lines start paragraphs."
    )
    portrait = models.ImageField(
        upload_to=RandomFilename("portraits"),
        validators=[validate_image_file],
        blank=True,
        help_text="A square head-and-shoulders photo works best. Location and camera data are removed.",
    )
    website = models.URLField(blank=True, help_text="Optional; shown as a link on the author page.")
    x_url = models.URLField("X profile", blank=True, help_text="Optional; shown as a link on the author page.")
    linkedin_url = models.URLField(
        "LinkedIn profile", blank=True, help_text="Optional; shown as a link on the author page."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author_profile",
        help_text=(
            "The staff account that writes as this author. An account has at most one author profile; "
            "members of the Authors group edit the briefs on which their profile is a byline author."
        ),
    )

    objects = AuthorQuerySet.as_manager()

    # Shown at most 160 px wide (the author page); stored at twice that for sharp screens.
    PORTRAIT_SIDE = 320

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("briefs:author", kwargs={"slug": self.slug})

    def save(self, *args, **kwargs):
        replace_with_sanitised(self.portrait, max_side=self.PORTRAIT_SIDE)
        super().save(*args, **kwargs)

    @property
    def links(self) -> list[tuple[str, str]]:
        candidates = [("Website", self.website), ("X", self.x_url), ("LinkedIn", self.linkedin_url)]
        return [(label, url) for label, url in candidates if url]


class EngagementResource(models.Model):
    """An organisation readers can engage with, reused across many briefs."""

    name = models.CharField(max_length=200, unique=True, help_text="The organisation's name, as readers know it.")
    url = models.URLField("website", help_text="The organisation's website; the name links to it.")
    logo = models.ImageField(
        upload_to=RandomFilename("logos"),
        validators=[validate_image_file],
        blank=True,
        help_text="PNG (transparency is kept), JPEG, WebP or GIF, at most 10 MB; not SVG. Shown small beside the "
        "name and stored at 144 px.",
    )
    description = models.CharField(max_length=300, help_text="One sentence on what the organisation does.")

    # Shown in a 72 px box; stored at twice that for sharp screens.
    LOGO_SIDE = 144

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        replace_with_sanitised(self.logo, max_side=self.LOGO_SIDE)
        super().save(*args, **kwargs)


class BriefQuerySet(models.QuerySet):
    def published(self):
        """The only door to briefs for public pages: published and not dated in the future."""
        return self.filter(status=Brief.Status.PUBLISHED, published_at__lte=timezone.now())

    def due_to_go_live(self):
        """Scheduled briefs whose time has come (the go-live task or the safety net publishes them)."""
        return self.filter(status=Brief.Status.SCHEDULED, published_at__lte=timezone.now())

    def visible_to(self, user):
        """The briefs a member of staff may open in the admin: every brief for editors, their own for authors."""
        if user.has_perm("briefs.edit_any_brief"):
            return self
        if not user.has_perm("briefs.view_brief"):
            return self.none()
        return self.filter(brief_authors__author__user=user).distinct() if user.is_authenticated else self.none()

    def for_listing(self):
        """What a card needs: series, header photo and authors, in a fixed number of queries.

        The search index is left in the database: it is as long as the brief.
        """
        return (
            self.defer("search_vector")
            .select_related("series", "header_photo")
            .prefetch_related(Prefetch("brief_authors", queryset=BriefAuthor.objects.select_related("author")))
        )

    def for_detail(self):
        """Everything the brief page shows, in a fixed number of queries."""
        return self.for_listing().prefetch_related(
            Prefetch(
                "sections",
                queryset=Section.objects.prefetch_related(
                    Prefetch("text_photos", queryset=SectionPhoto.objects.select_related("photo"))
                ),
            ),
            Prefetch("brief_resources", queryset=BriefResource.objects.select_related("resource")),
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
        )

    def related_to(self, brief: "Brief", *, limit: int = 3) -> "BriefQuerySet":
        """Briefs sharing the most topics with ``brief`` (then its series), newest first, never ``brief`` itself.

        One query: the topic ids come from the brief's prefetched topics.
        A brief sharing neither a topic nor the series is not related.
        """
        topic_ids = [topic.pk for topic in brief.topics.all()]
        return (
            self.exclude(pk=brief.pk)
            .annotate(
                shared_topics=Count("topics", filter=Q(topics__in=topic_ids), distinct=True),
                same_series=Case(When(series_id=brief.series_id, then=1), default=0, output_field=IntegerField()),
            )
            .filter(Q(shared_topics__gt=0) | Q(same_series=1))
            .order_by("-shared_topics", "-same_series", "-published_at", "-id")[:limit]
        )

    def by_authors_of(self, brief: "Brief", *, exclude=(), limit: int = 3) -> "BriefQuerySet":
        """The newest other briefs by any of ``brief``'s authors (each once), leaving out ``exclude``."""
        author_ids = [author.pk for author in brief.authors]
        shared_byline = BriefAuthor.objects.filter(brief_id=OuterRef("pk"), author_id__in=author_ids)
        return (
            self.exclude(pk__in=[brief.pk, *exclude])
            .filter(Exists(shared_byline))
            .order_by("-published_at", "-id")[:limit]
        )

    def filter_by(self, *, series=None, topic=None, author=None, year=None):
        """Narrow by any combination of series, topic and author slugs and a year."""
        queryset = self
        if series:
            queryset = queryset.filter(series__slug=series)
        if topic:
            queryset = queryset.filter(topics__slug=topic)
        if author:
            queryset = queryset.filter(brief_authors__author__slug=author)
        if year:
            queryset = queryset.filter(published_at__year=year)
        return queryset

    def reading_minutes_refresh(self) -> None:
        """Store each brief's reading time from its summary and its sections as stored (two queries).

        For writes that bypass ``save()`` and the section signals: ``bulk_create``, imports, migrations.
        """
        briefs = list(self.order_by().only("summary", "reading_minutes"))
        bodies = defaultdict(list)
        for brief_id, body in Section.objects.filter(brief__in=[brief.pk for brief in briefs]).values_list(
            "brief_id", "body"
        ):
            bodies[brief_id].append(body)
        for brief in briefs:
            brief.reading_minutes = reading_minutes_of(brief.summary, bodies[brief.pk])
        Brief.objects.bulk_update(briefs, ["reading_minutes"], batch_size=1000)

    def publish_all(self, *, by) -> list["Brief"]:
        """Publish every draft in the queryset at once (imports, demo content); returns them, numbered.

        Numbers are taken per series in order of publication date, as one
        ``Brief.publish`` after another would give them; briefs without a date
        get the current time. Drafts dated in the future are left alone:
        schedule those (``Brief.schedule``), so they are numbered when they
        go live. ``brief_went_live`` is sent for each brief published.
        """
        Brief.check_may_publish(by)
        now = timezone.now()
        with transaction.atomic():
            drafts = list(
                self.select_for_update()
                .filter(status=Brief.Status.DRAFT)
                .filter(Q(published_at__isnull=True) | Q(published_at__lte=now))
                .order_by(F("published_at").asc(nulls_last=True), "id")
                .only("id", "series_id", "number", "published_at", "title", "slug")
            )
            unnumbered = defaultdict(list)
            for brief in drafts:
                if brief.number is None:
                    unnumbered[brief.series_id].append(brief)
            for series_id, in_series in unnumbered.items():
                for number, brief in zip(Series.numbers_take(series_id, len(in_series)), in_series, strict=True):
                    brief.number = number
            # Numbers first: the check constraint wants a published brief numbered at every statement.
            numbered = [brief for in_series in unnumbered.values() for brief in in_series]
            Brief.objects.bulk_update(numbered, ["number"], batch_size=1000)
            Brief.objects.filter(pk__in=[brief.pk for brief in drafts]).update(
                status=Brief.Status.PUBLISHED,
                published_at=Coalesce("published_at", Value(now)),
                published_by=by,
                updated_at=now,
            )
            for brief in drafts:
                brief.status, brief.published_at, brief.published_by = (
                    Brief.Status.PUBLISHED,
                    brief.published_at or now,
                    by,
                )
                _send_on_commit(brief_went_live, brief, by)
        return drafts


def _send_on_commit(signal, brief, by) -> None:
    """Send ``signal`` for ``brief`` once the surrounding transaction has committed."""
    transaction.on_commit(lambda: signal.send_robust(sender=Brief, brief=brief, by=by))


class TransitionRefusedError(Exception):
    """Base for a workflow step that was refused; ``str()`` is the message for the editor."""


class TransitionNotAllowedError(TransitionRefusedError, PermissionDenied):
    """The person may not make this transition on this brief."""


class TransitionInvalidError(TransitionRefusedError, ValidationError):
    """The brief is not in a state (or the input not in a shape) that allows the transition."""

    def __init__(self, message):
        ValidationError.__init__(self, message)

    def __str__(self):
        return " ".join(self.messages)


class StaleEditError(Exception):
    """A save based on an older version of the brief than the one stored."""

    def __init__(self, stored_version: int):
        super().__init__(f"The brief is at version {stored_version}.")
        self.stored_version = stored_version


class Brief(models.Model):
    class Status(models.TextChoices):
        DRAFT = workflow.DRAFT, "Draft"
        IN_REVIEW = workflow.IN_REVIEW, "In review"
        CHANGES_REQUESTED = workflow.CHANGES_REQUESTED, "Changes requested"
        SCHEDULED = workflow.SCHEDULED, "Scheduled"
        PUBLISHED = workflow.PUBLISHED, "Published"
        ARCHIVED = workflow.ARCHIVED, "Archived"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text=(
            "The last part of the brief's address, /briefs/…/. "
            "Keep it stable once published: links and citations use it."
        ),
    )
    series = models.ForeignKey(
        "briefs.Series",
        on_delete=models.PROTECT,
        related_name="briefs",
        help_text="The brief is numbered within its series when it first goes live.",
    )
    number = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Given once, when the brief first goes live, and never reused.",
    )
    # Changed only by the transition methods, never in a form.
    status = models.CharField(
        max_length=20,
        choices=Status,
        default=Status.DRAFT,
        editable=False,
        help_text="Only published briefs whose date has come are shown to the public.",
    )
    published_at = models.DateTimeField(
        "publication date",
        null=True,
        blank=True,
        db_index=True,
        help_text=(
            "Set when the brief is published, or to the chosen time when it is scheduled. "
            "Editors may correct the date of a published brief."
        ),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Who last published or scheduled the brief (empty for demo content and imports).",
    )
    summary = models.TextField(
        max_length=400,
        help_text="Two or three plain sentences, shown on cards, in search results and in link previews.",
    )
    header_photo = models.ForeignKey(
        "briefs.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Shown at the top of the brief and on its card, with its credit.",
    )
    topics = models.ManyToManyField("briefs.Topic", blank=True, related_name="briefs")
    corrected_at = models.DateTimeField(
        "updated on",
        null=True,
        blank=True,
        editable=False,
        help_text='When a published brief was last changed and published again; readers see "Updated …".',
    )
    correction_note = models.CharField(
        max_length=300,
        blank=True,
        help_text=(
            'Optional. A short note for readers on what changed, shown with "Updated …" when a published '
            "brief is changed."
        ),
    )
    # Derived from the summary and the sections whenever either is saved (Brief.save, section_saved), so the
    # brief page does not strip the tags of every section on every request.
    reading_minutes = models.PositiveSmallIntegerField(
        default=1, editable=False, help_text="Minutes to read the summary and sections, shown on the brief page."
    )
    # Optimistic locking: every content save adds one; a form posted with an
    # older number is refused instead of overwriting a colleague's work.
    version = models.PositiveIntegerField(default=1, editable=False)
    # What readers last saw (see content_fingerprint), to tell a correction from a re-publication.
    live_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # PostgreSQL's full-text index of the title, summary, sections and authors, kept current by
    # briefs/search.py in the transaction that changes them (SQLite keeps it in BriefSearchEntry instead).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = BriefQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            # Two staff publishing at once can never give two briefs one number.
            models.UniqueConstraint(fields=["series", "number"], name="brief_number_unique_in_series"),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(number__isnull=False, published_at__isnull=False),
                name="published_brief_has_number_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(published_at__isnull=False),
                name="scheduled_brief_has_a_time",
            ),
        ]
        indexes = [
            # Serves the public listing order (the id breaks ties) straight from the index: a page of the
            # dashboard reads twelve rows whatever the archive's size, where an index without the id had
            # PostgreSQL sort every published row.
            models.Index(fields=["status", "-published_at", "-id"], name="brief_listing_idx"),
        ]
        permissions = [
            ("publish_brief", "Can review, schedule, publish, unpublish and archive briefs"),
            ("edit_any_brief", "Can edit every brief, not only those on which they are a byline author"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("briefs:detail", kwargs={"slug": self.slug})

    def get_pdf_url(self):
        return reverse("briefs:pdf", kwargs={"slug": self.slug})

    def clean(self):
        """Refuse edits that would break a published brief's number or date, with a message for the form."""
        super().clean()
        stored = Brief.objects.filter(pk=self.pk).values("series_id", "status").first() if self.pk else None
        if stored is None:
            return
        errors = {}
        if self.number is not None and self.series_id != stored["series_id"]:
            errors["series"] = ValidationError(
                "This brief already has number %(number)d in its series; the number cannot move to another "
                "series. Make a new brief in the other series instead.",
                code="numbered_brief_series",
                params={"number": self.number},
            )
        if stored["status"] == self.Status.PUBLISHED and not self.published_at:
            errors["published_at"] = ValidationError(
                "A published brief needs its publication date. Enter a date, or unpublish the brief first.",
                code="published_brief_date",
            )
        elif (
            stored["status"] == self.Status.PUBLISHED
            and self.published_at
            and self.published_at > timezone.now() + PUBLISHED_DATE_SLACK
        ):
            errors["published_at"] = ValidationError(
                "A published brief cannot be dated in the future. To publish it later, unpublish it and schedule it.",
                code="published_brief_future_date",
            )
        if errors:
            raise ValidationError(errors)

    @property
    def label(self) -> str:
        """ "Foreign Policy Brief #140", or the series name alone before numbering."""
        return f"{self.series.name} #{self.number}" if self.number else self.series.name

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def authors(self) -> list["Author"]:
        """Authors in byline order (uses the prefetched through rows)."""
        return [link.author for link in self.brief_authors.all()]

    @cached_property
    def page_sections(self) -> list["Section"]:
        """Sections in order, each with an ``anchor`` unique on the page (a repeated heading gets -2, -3, …)."""
        sections, taken = list(self.sections.all()), set()
        for section in sections:
            anchor, suffix = section.anchor, 2
            while anchor in taken:
                anchor, suffix = f"{section.anchor}-{suffix}", suffix + 1
            section.anchor = anchor
            taken.add(anchor)
        return sections

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "summary" in update_fields:
            # Sections are saved after their brief (admin inlines); section_saved brings the figure up to date then.
            bodies = self.sections.values_list("body", flat=True) if self.pk else ()
            self.reading_minutes = reading_minutes_of(self.summary, bodies)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "reading_minutes"}
        super().save(*args, **kwargs)

    # -- editing ---------------------------------------------------------------------------------------------------

    # Written only by the transition methods below; saving an edit never writes them back.
    TRANSITION_FIELDS = frozenset({"status", "number", "published_by", "corrected_at", "live_fingerprint"})

    def save_edits(self, *, base_version: int | None = None) -> None:
        """Save what an editor changed, leaving the workflow's fields to the transition methods.

        A form loaded before a colleague published or unpublished the brief
        must not write the old state back over the new one. With
        ``base_version`` (the version the editor's form was loaded at) a save
        based on an older version than the stored one raises ``StaleEditError``
        and changes nothing; the row stays locked until the surrounding
        transaction ends, so two saves from one version cannot both win.
        """
        with transaction.atomic():
            stored = Brief.objects.select_for_update().values_list("version", flat=True).get(pk=self.pk)
            if base_version is not None and stored != base_version:
                raise StaleEditError(stored)
            self.version = stored + 1
            self.save(
                update_fields=[
                    field.name
                    for field in self._meta.concrete_fields
                    if not field.primary_key and field.name not in self.TRANSITION_FIELDS
                ]
            )

    def may_edit(self, user) -> bool:
        """Editors edit every brief; an author edits their own while it is a draft or has changes requested."""
        if user.has_perm("briefs.edit_any_brief"):
            return True
        return (
            user.has_perm("briefs.change_brief")
            and self.status in workflow.AUTHOR_EDITABLE
            and self.has_byline_author(user)
        )

    def has_byline_author(self, user) -> bool:
        """Whether ``user``'s author profile is on this brief's byline (one query)."""
        if self.pk is None or not user.is_authenticated:
            return False
        return self.brief_authors.filter(author__user=user).exists()

    def content_fingerprint(self) -> str:
        """A digest of what readers read (title, summary, sections), to notice a changed published brief."""
        digest = hashlib.sha256()
        parts = [self.title, self.summary]
        for heading, body in self.sections.order_by("sort_order", "id").values_list("heading", "body"):
            parts += [heading, body]
        digest.update("\x1f".join(parts).encode())
        return digest.hexdigest()

    def live_edit_record(self) -> bool:
        """After an edit of a live brief: mark it "Updated" if what readers read changed. True if it did."""
        if not self.is_live:
            return False
        fingerprint = self.content_fingerprint()
        if fingerprint == self.live_fingerprint:
            return False
        changed = bool(self.live_fingerprint)
        self.live_fingerprint = fingerprint
        if changed:
            self.corrected_at = timezone.now()
        Brief.objects.filter(pk=self.pk).update(live_fingerprint=fingerprint, corrected_at=self.corrected_at)
        return changed

    # What a transition may change (published_at too: scheduling sets it).
    WORKFLOW_FIELDS = ("status", "number", "published_at", "published_by", "corrected_at", "live_fingerprint")

    # -- the workflow ----------------------------------------------------------------------------------------------

    @staticmethod
    def check_may_publish(by) -> None:
        """Refuse a member of staff who may not publish; ``None`` is the system itself (demo content, imports)."""
        if by is not None and not by.has_perm("briefs.publish_brief"):
            raise TransitionNotAllowedError("Only editors can publish, schedule, unpublish or archive briefs.")

    def transition_problem(self, name: str, *, by, at=None, comment: str = "") -> str | None:
        """Why ``by`` may not make transition ``name`` now, in words for the form; None if they may."""
        spec = workflow.TRANSITIONS.get(name)
        if spec is None:
            return "That is not something a brief can do."
        return self._permission_problem(spec, by) or self._state_problem(spec, at=at, comment=comment)

    def _permission_problem(self, spec: workflow.Transition, by) -> str | None:
        if by is None:
            return None
        if spec.editors_only:
            return None if by.has_perm("briefs.publish_brief") else f"Only editors can {spec.button.lower()}."
        if by.has_perm("briefs.edit_any_brief"):
            return None
        if by.has_perm("briefs.change_brief") and (self.pk is None or self.has_byline_author(by)):
            return None
        return "Only the brief's own authors and editors can do that."

    def _state_problem(self, spec: workflow.Transition, *, at, comment: str) -> str | None:
        if self.status not in spec.sources:
            return f"“{self.title}” is {self.get_status_display().lower()}, so “{spec.button}” does not apply to it."
        if spec.comment_required and not comment.strip():
            return "Say what needs changing in the comment box, so the author knows what to do."
        if spec.needs_time:
            if at is None:
                return "Choose the date and time the brief should go live."
            if at <= timezone.now():
                return "Choose a time in the future to schedule the brief, or publish it now."
        return None

    def transitions_for(self, user) -> list[workflow.Transition]:
        """The transitions ``user`` may make on this brief now, in the order the admin shows them."""
        publisher = user.has_perm("briefs.publish_brief")
        own = None
        allowed = []
        for spec in workflow.TRANSITIONS.values():
            if self.status not in spec.sources:
                continue
            if spec.editors_only and not publisher:
                continue
            if not spec.editors_only and not user.has_perm("briefs.edit_any_brief"):
                own = self.has_byline_author(user) if own is None else own
                if not (own and user.has_perm("briefs.change_brief")):
                    continue
            allowed.append(spec)
        return allowed

    def _transition(self, name: str, *, by, comment: str = "", at=None, apply=None) -> "BriefTransition":
        """Check and make transition ``name`` under a row lock, record it, and send the signals it causes.

        The stored row is read again under ``select_for_update``, so two
        people (or the scheduler and the safety net) acting at once make the
        change once; the second is told why not. ``apply(stored)`` sets the
        fields the transition changes besides the status.
        """
        spec = workflow.GO_LIVE if name == workflow.GO_LIVE.name else workflow.TRANSITIONS[name]
        with transaction.atomic():
            stored = Brief.objects.select_for_update().get(pk=self.pk)
            if spec is not workflow.GO_LIVE:
                if problem := stored._permission_problem(spec, by):
                    raise TransitionNotAllowedError(problem)
                if problem := stored._state_problem(spec, at=at, comment=comment):
                    raise TransitionInvalidError(problem)
            was_live = stored.is_live
            source = stored.status
            stored.status = spec.target
            if apply is not None:
                apply(stored)
            stored.save(update_fields=[*self.WORKFLOW_FIELDS, "updated_at"])
            record = BriefTransition.objects.create(
                brief=stored,
                name=spec.name,
                source=source,
                target=spec.target,
                by=by,
                comment=comment.strip(),
                scheduled_for=at if spec.needs_time else None,
            )
            if stored.is_live and not was_live:
                _send_on_commit(brief_went_live, stored, by)
            elif was_live and not stored.is_live:
                _send_on_commit(brief_withdrawn, stored, by)
            if spec.needs_time:
                transaction.on_commit(lambda: _enqueue_go_live(brief_id=stored.pk, at=at))
        for field in self.WORKFLOW_FIELDS:
            setattr(self, field, getattr(stored, field))
        return record

    def _go_live_fields(self, stored: "Brief", *, by, now) -> None:
        """Number the brief the first time it goes live, and mark a changed re-publication as "Updated"."""
        if stored.number is None:
            [stored.number] = Series.numbers_take(stored.series_id)
        if stored.published_at is None or stored.published_at > now:
            stored.published_at = now
        stored.published_by = by if by is not None else stored.published_by
        fingerprint = stored.content_fingerprint()
        if stored.live_fingerprint and fingerprint != stored.live_fingerprint:
            stored.corrected_at = now
        stored.live_fingerprint = fingerprint

    def submit_for_review(self, *, by, comment: str = "") -> "BriefTransition":
        """An author hands the brief to the editors."""
        return self._transition("submit_for_review", by=by, comment=comment)

    def return_to_draft(self, *, by, comment: str = "") -> "BriefTransition":
        """Take the brief out of review (or start on requested changes) so its authors can edit it again."""
        return self._transition("return_to_draft", by=by, comment=comment)

    def request_changes(self, *, by, comment: str) -> "BriefTransition":
        """An editor sends the brief back to its authors, saying what to change."""
        return self._transition("request_changes", by=by, comment=comment)

    def schedule(self, *, by, at, comment: str = "") -> "BriefTransition":
        """Go live at ``at`` with nobody touching it: a task is queued for then; the number is given at go-live."""

        def apply(stored):
            stored.published_at = at
            stored.published_by = by

        return self._transition("schedule", by=by, at=at, comment=comment, apply=apply)

    def unschedule(self, *, by, comment: str = "") -> "BriefTransition":
        """Stop a scheduled brief from going live; it goes back to review."""

        def apply(stored):
            if stored.number is None:
                stored.published_at = None

        return self._transition("unschedule", by=by, comment=comment, apply=apply)

    def publish(self, *, by, comment: str = "") -> "BriefTransition":
        """Make the brief public now, numbering it in its series the first time.

        A brief published before keeps its number, address and date; if what
        readers read changed since, it is marked "Updated" today. Two people
        publishing at once give it one number; the second is told it is
        published already.
        """
        now = timezone.now()
        return self._transition(
            "publish", by=by, comment=comment, apply=lambda stored: self._go_live_fields(stored, by=by, now=now)
        )

    def go_live(self) -> "BriefTransition | None":
        """The scheduler's step: publish a scheduled brief whose time has come. None if there was nothing to do.

        Safe to call from the task and the safety net at once: the first
        makes the change, the others find the brief published already.
        """
        now = timezone.now()
        with transaction.atomic():
            due = Brief.objects.select_for_update().filter(pk=self.pk).due_to_go_live().exists()
            if not due:
                return None
            return self._transition(
                "go_live", by=None, apply=lambda stored: self._go_live_fields(stored, by=None, now=now)
            )

    def unpublish(self, *, by, comment: str = "") -> "BriefTransition":
        """Hide the brief again as a draft; it keeps its number so links and citations stay right."""
        return self._transition("unpublish", by=by, comment=comment)

    def archive(self, *, by, comment: str = "") -> "BriefTransition":
        """Retire the brief: off the site, out of the editors' way, kept with its number."""

        def apply(stored):
            if stored.number is None:
                stored.published_at = None

        return self._transition("archive", by=by, comment=comment, apply=apply)

    def unarchive(self, *, by, comment: str = "") -> "BriefTransition":
        """Bring an archived brief back as a draft."""
        return self._transition("unarchive", by=by, comment=comment)

    def transition(self, name: str, *, by, comment: str = "", at=None) -> "BriefTransition":
        """Make the transition called ``name`` (as the admin's buttons name them)."""
        if name not in workflow.TRANSITIONS:
            raise TransitionInvalidError("That is not something a brief can do.")
        if name == "schedule":
            return self.schedule(by=by, at=at, comment=comment)
        return getattr(self, name)(by=by, comment=comment)

    # -- preview links ---------------------------------------------------------------------------------------------

    def preview_token(self) -> str:
        """A signed token for a preview link; ``Brief.from_preview_token`` accepts it for PREVIEW_LINK_MAX_AGE."""
        return signing.TimestampSigner(salt=PREVIEW_SALT).sign_object({"brief": self.pk})

    @classmethod
    def from_preview_token(cls, token: str, *, queryset=None) -> "Brief | None":
        """The brief a preview token names, or None if the token is tampered with, expired or names no brief."""
        try:
            payload = signing.TimestampSigner(salt=PREVIEW_SALT).unsign_object(token, max_age=preview_link_max_age())
        except (signing.BadSignature, ValueError, TypeError):
            return None
        brief_id = payload.get("brief") if isinstance(payload, dict) else None
        if not isinstance(brief_id, int):
            return None
        return (queryset if queryset is not None else cls.objects).filter(pk=brief_id).first()

    def neighbours(self) -> tuple["Brief | None", "Brief | None"]:
        """The previous and next published briefs in the same series, by number (one query)."""
        if not self.number:
            return None, None
        in_series = Brief.objects.published().filter(series_id=self.series_id).order_by()
        previous = in_series.filter(number__lt=self.number).order_by("-number").values("pk")[:1]
        following = in_series.filter(number__gt=self.number).order_by("number").values("pk")[:1]
        found = {
            brief.number < self.number: brief
            for brief in Brief.objects.filter(Q(pk=Subquery(previous)) | Q(pk=Subquery(following))).only(
                "title", "slug", "number", "series_id"
            )
        }
        return found.get(True), found.get(False)


# A published brief's date may be set this far ahead (clock differences between browser and server).
PUBLISHED_DATE_SLACK = datetime.timedelta(minutes=5)
PREVIEW_SALT = "briefs.preview-link"


def preview_link_max_age() -> datetime.timedelta:
    """How long a preview link works: ``BRIEF_PREVIEW_LINK_DAYS`` (default 7) days."""
    return datetime.timedelta(days=getattr(settings, "BRIEF_PREVIEW_LINK_DAYS", 7))


def _enqueue_go_live(*, brief_id: int, at) -> None:
    """Queue the go-live task for ``at`` where the task backend can wait; otherwise publish_due_briefs does it."""
    task_enqueue("briefs.tasks.publish_scheduled_brief", run_after=at, brief_id=brief_id)


class BriefTransition(models.Model):
    """One step of a brief's workflow: who moved it from which state to which, when, and what they said."""

    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=30)
    source = models.CharField(max_length=20, choices=Brief.Status)
    target = models.CharField(max_length=20, choices=Brief.Status)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    comment = models.TextField(blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "workflow step"

    def __str__(self):
        return f"{self.brief_id}: {self.source} → {self.target}"

    @property
    def verb(self) -> str:
        spec = workflow.GO_LIVE if self.name == workflow.GO_LIVE.name else workflow.TRANSITIONS.get(self.name)
        return spec.verb if spec else self.name

    @property
    def actor(self) -> str:
        if self.by_id is None:
            return "The scheduler" if self.name == workflow.GO_LIVE.name else "The system"
        return self.by.get_full_name() or self.by.get_username()


class BriefRevision(models.Model):
    """What a django-reversion revision of a brief was: a save, an autosave or a restore, at which version."""

    class Kind(models.TextChoices):
        SAVED = "saved", "Saved"
        AUTOSAVE = "autosave", "Autosave"
        RESTORED = "restored", "Restored"

    revision = models.OneToOneField("reversion.Revision", on_delete=models.CASCADE, related_name="brief_revision")
    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.SAVED)
    version = models.PositiveIntegerField(help_text="The brief's version number this revision holds.")

    class Meta:
        ordering = ["-revision__date_created", "-id"]

    def __str__(self):
        return f"{self.brief_id} v{self.version} ({self.kind})"


class BriefAuthor(models.Model):
    """An author on a brief's byline, in order."""

    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="brief_authors")
    author = models.ForeignKey("briefs.Author", on_delete=models.PROTECT, related_name="author_briefs")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["brief", "author"], name="author_once_per_brief")]
        verbose_name = "author"

    def __str__(self):
        return str(self.author)


class Section(models.Model):
    """One titled part of a brief's body. Photos sit inside its text (``<figure data-photo-id>``)."""

    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="sections")
    heading = models.CharField(max_length=200, help_text="Shown as the section's title and in the brief's contents.")
    body = RichTextField(
        photos=True,
        blank=True,
        help_text="Drop, paste or add a photo anywhere in the text; it shows with its caption and credit.",
    )
    sort_order = models.PositiveIntegerField(default=0, help_text="Sections are shown from the lowest number up.")

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self):
        return self.heading

    def save(self, *args, **kwargs):
        self.body = sanitise_html(self.body)
        super().save(*args, **kwargs)
        self.text_photos_sync()

    def text_photos_sync(self) -> None:
        """Record which library photos the text places, so they can be fetched with the brief and not deleted."""
        wanted = set(Photo.objects.filter(pk__in=photo_ids_in(self.body)).values_list("pk", flat=True))
        placed = set(self.text_photos.values_list("photo_id", flat=True))
        if placed - wanted:
            self.text_photos.filter(photo_id__in=placed - wanted).delete()
        if wanted - placed:
            SectionPhoto.objects.bulk_create(
                [SectionPhoto(section=self, photo_id=photo_id) for photo_id in wanted - placed], ignore_conflicts=True
            )

    @classmethod
    def text_photos_sync_bulk(cls, sections: list["Section"]) -> None:
        """What ``save()`` records for one section, for new sections written with ``bulk_create`` (which skips it).

        The sections must have their ids; a placeholder naming no existing
        photo is left out, as ``text_photos_sync`` leaves it out.
        """
        wanted = {(section.pk, photo_id) for section in sections for photo_id in photo_ids_in(section.body)}
        existing = set(Photo.objects.filter(pk__in={photo_id for _, photo_id in wanted}).values_list("pk", flat=True))
        SectionPhoto.objects.bulk_create(
            [
                SectionPhoto(section_id=section_id, photo_id=photo_id)
                for section_id, photo_id in wanted
                if photo_id in existing
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )

    @cached_property
    def anchor(self) -> str:
        """The heading as a fragment for links to this section, e.g. "s-policy-summary".

        The prefix keeps sections clear of the page's own ids (a section
        called "Main" must not take the skip link's target);
        Brief.page_sections makes repeated headings unique.
        """
        return "s-" + (re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-") or str(self.pk))


@receiver(post_save, sender=Section)
@receiver(post_delete, sender=Section)
def section_saved(sender, instance, **kwargs):
    """A section written, restored from a revision or deleted changes its brief's reading time."""
    Brief.objects.filter(pk=instance.brief_id).reading_minutes_refresh()


class SectionPhoto(models.Model):
    """A library photo placed inside a section's text (``<figure data-photo-id>``), kept in step on every save.

    The text is what readers see; these rows let the brief page fetch every
    placed photo in one query and keep a photo in use from being deleted.
    """

    section = models.ForeignKey("briefs.Section", on_delete=models.CASCADE, related_name="text_photos")
    photo = models.ForeignKey("briefs.Photo", on_delete=models.PROTECT, related_name="text_placements")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["section", "photo"], name="photo_once_per_section_text")]
        verbose_name = "photo in the text"
        verbose_name_plural = "photos in the text"

    def __str__(self):
        return str(self.photo)


class BriefResource(models.Model):
    """An engagement resource listed on a brief, in order."""

    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="brief_resources")
    resource = models.ForeignKey("briefs.EngagementResource", on_delete=models.PROTECT, related_name="resource_briefs")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["brief", "resource"], name="resource_once_per_brief")]
        verbose_name = "engagement resource"

    def __str__(self):
        return str(self.resource)


class BriefSearchEntry(models.Model):
    """SQLite only: one brief's row in the FTS5 full-text table ``briefs_brief_fts`` (see briefs/search.py).

    The migration creates the virtual table on SQLite; on PostgreSQL there is
    no such table and ``Brief.search_vector`` does the job. ``document`` is
    FTS5's hidden column named after the table, which ``MATCH`` and the
    ranking and snippet functions take.
    """

    brief = models.OneToOneField(
        "briefs.Brief",
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="search_entry",
    )
    document = models.TextField(db_column="briefs_brief_fts")
    title = models.TextField()
    summary = models.TextField()
    body = models.TextField()
    authors = models.TextField()

    class Meta:
        managed = False
        db_table = "briefs_brief_fts"

    def __str__(self):
        return self.title
