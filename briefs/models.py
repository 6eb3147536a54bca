"""Briefs and what they are made of: series, topics, authors, photos, resources."""

import math
import re
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
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
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags

from core.images import RandomFilename, make_thumbnail, replace_with_sanitised, validate_image_file
from core.richtext import RichTextField, photo_ids_in, sanitise_html

WORDS_PER_MINUTE = 220

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
        return (
            Exists(Brief.objects.filter(header_photo=OuterRef("pk")))
            | Exists(Section.objects.filter(photo=OuterRef("pk")))
            | Exists(SectionPhoto.objects.filter(photo=OuterRef("pk")))
        )

    def in_use(self):
        """Photos some brief shows: as its header, as a section's photo or inside a section's text."""
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
            from .renditions import photo_renditions_queue, storage_files_delete

            storage_files_delete(self.image.storage, stale)
            photo_renditions_queue(photo_id=self.pk)

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
        """Every brief that shows this photo and how, in three queries."""
        usages = [PhotoUsage("Header photo", brief) for brief in Brief.objects.filter(header_photo=self)]
        usages += [
            PhotoUsage(f"Photo of the section “{section.heading}”", section.brief)
            for section in Section.objects.filter(photo=self).select_related("brief")
        ]
        usages += [
            PhotoUsage(f"In the text of “{placement.section.heading}”", placement.section.brief)
            for placement in SectionPhoto.objects.filter(photo=self).select_related("section__brief")
        ]
        return usages


@receiver(post_delete, sender=Photo)
def photo_files_delete(sender, instance, **kwargs):
    """A deleted photo takes its original, thumbnail and renditions with it, once the deletion is committed."""
    from .renditions import storage_files_delete

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
                queryset=Section.objects.select_related("photo").prefetch_related(
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

    def publish_all(self, *, by) -> list["Brief"]:
        """Publish every draft in the queryset at once (imports, demo content); returns them, numbered.

        Numbers are taken per series in order of publication date, as one
        ``Brief.publish`` after another would give them; briefs without a date
        get the current time.
        """
        Brief.check_may_publish(by)
        now = timezone.now()
        with transaction.atomic():
            drafts = list(
                self.select_for_update()
                .filter(status=Brief.Status.DRAFT)
                .order_by(F("published_at").asc(nulls_last=True), "id")
                .only("id", "series_id", "number", "published_at")
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
            brief.status, brief.published_at, brief.published_by = Brief.Status.PUBLISHED, brief.published_at or now, by
        return drafts


class Brief(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

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
        help_text="The brief is numbered within its series when it is first published.",
    )
    number = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Given once, at first publication, and never reused.",
    )
    # Changed only by publish() and unpublish(), never in a form.
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
        help_text="Set automatically on publishing if empty. A future date keeps the brief hidden until then.",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Who last published the brief (empty for demo content and imports).",
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
        help_text="Optional. A short note for readers on what changed when a published brief is corrected.",
    )
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
                condition=Q(status="draft") | Q(number__isnull=False, published_at__isnull=False),
                name="published_brief_has_number_and_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "-published_at"], name="brief_status_published_idx")]

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
        if self.status == self.Status.PUBLISHED and stored["status"] == self.Status.PUBLISHED and not self.published_at:
            errors["published_at"] = ValidationError(
                "A published brief needs its publication date. Enter a date, or unpublish the brief first.",
                code="published_brief_date",
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

    @property
    def reading_minutes(self) -> int:
        text = " ".join(strip_tags(section.body) for section in self.sections.all())
        words = len(re.findall(r"\w+", f"{self.summary} {text}"))
        return max(1, math.ceil(words / WORDS_PER_MINUTE))

    # Written only by the transition methods below; saving an edit never writes them back.
    TRANSITION_FIELDS = frozenset({"status", "number", "published_by"})

    def save_edits(self) -> None:
        """Save what an editor changed, leaving status, number and publisher to the transition methods.

        A form loaded before a colleague published or unpublished the brief
        must not write the old state back over the new one.
        """
        self.save(
            update_fields=[
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.TRANSITION_FIELDS
            ]
        )

    @staticmethod
    def check_may_publish(by) -> None:
        """Refuse a member of staff who may not publish; ``None`` is the system itself (demo content, imports)."""
        if by is not None and not by.has_perm("briefs.change_brief"):
            raise PermissionDenied("You do not have permission to publish or unpublish briefs.")

    def publish(self, *, by) -> None:
        """Publish the draft, numbering it in its series the first time, and record who did.

        The stored row is read again under a lock, so two people publishing
        the same draft at once (a double click, a colleague) give it one
        number; the second is told it is published already. Numbers come
        from ``Series.numbers_take``; the unique constraint backs it up.
        """
        self.check_may_publish(by)
        with transaction.atomic():
            stored = Brief.objects.select_for_update().filter(pk=self.pk).values("status", "number").first()
            if stored is not None:
                if stored["status"] == self.Status.PUBLISHED:
                    raise ValidationError("“%(title)s” is already published.", params={"title": self.title})
                self.number = stored["number"]
            if self.number is None:
                [self.number] = Series.numbers_take(self.series_id)
            self.status = self.Status.PUBLISHED
            if self.published_at is None:
                self.published_at = timezone.now()
            self.published_by = by
            self.save()

    def unpublish(self, *, by) -> None:
        """Hide the brief again; it keeps its number so links and citations stay right."""
        self.check_may_publish(by)
        with transaction.atomic():
            updated = Brief.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).update(
                status=self.Status.DRAFT, updated_at=timezone.now()
            )
            if not updated:
                raise ValidationError("“%(title)s” is not published.", params={"title": self.title})
            self.status = self.Status.DRAFT

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
    """One titled part of a brief's body, with an optional photo."""

    class Placement(models.TextChoices):
        TOP = "top", "Before the text, full width"
        BOTTOM = "bottom", "After the text, full width"
        ASIDE = "aside", "Beside the text (on wide screens)"

    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="sections")
    heading = models.CharField(max_length=200, help_text="Shown as the section's title and in the brief's contents.")
    body = RichTextField(blank=True)
    photo = models.ForeignKey(
        "briefs.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Optional. Readers can click or tap it to enlarge.",
    )
    photo_placement = models.CharField(
        max_length=10, choices=Placement, default=Placement.ASIDE, help_text="Where the photo sits in the section."
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
