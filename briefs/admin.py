"""Staff authoring: every model of the briefs app, with a brief form an editor can live in."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html

from .models import Author, Brief, BriefAuthor, BriefResource, EngagementResource, Photo, Section, Series, Topic


def thumbnail(image_field, *, size=80, alt=""):
    if not image_field:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" class="admin-thumbnail" style="max-width:{}px;max-height:{}px">',
        image_field.url,
        alt,
        size,
        size,
    )


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "last_number"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["preview", "alt_text", "credit", "width", "height", "created_at"]
    list_display_links = ["preview", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    readonly_fields = ["preview_large", "width", "height"]
    fields = ["image", "preview_large", "alt_text", "caption", "credit", "source_url", "width", "height"]

    @admin.display(description="Photo")
    def preview(self, obj):
        return thumbnail(obj.image, alt=obj.alt_text)

    @admin.display(description="Current image")
    def preview_large(self, obj):
        return thumbnail(obj.image, size=320, alt=obj.alt_text)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "preview"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "role"]

    @admin.display(description="Portrait")
    def preview(self, obj):
        return thumbnail(obj.portrait, size=48, alt=obj.name)


@admin.register(EngagementResource)
class EngagementResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "preview", "url"]
    search_fields = ["name", "description"]

    @admin.display(description="Logo")
    def preview(self, obj):
        return thumbnail(obj.logo, size=48, alt=f"{obj.name} logo")


class SortableInline:
    """Inlines ordered by ``sort_order``; admin/js/sortable-inlines.js adds drag and keyboard reordering."""

    class Media:
        js = ["admin/js/sortable-inlines.js"]
        css = {"all": ["admin/css/briefs-admin.css"]}


class BriefAuthorInline(SortableInline, admin.TabularInline):
    model = BriefAuthor
    autocomplete_fields = ["author"]
    extra = 0
    min_num = 1
    fields = ["author", "sort_order"]


class SectionInline(SortableInline, admin.StackedInline):
    model = Section
    autocomplete_fields = ["photo"]
    extra = 0
    fields = ["heading", "body", "photo", "photo_preview", "photo_placement", "sort_order"]
    readonly_fields = ["photo_preview"]

    @admin.display(description="Selected photo")
    def photo_preview(self, obj):
        return thumbnail(obj.photo.image if obj.photo else None, size=160, alt=obj.photo.alt_text if obj.photo else "")


class BriefResourceInline(SortableInline, admin.TabularInline):
    model = BriefResource
    autocomplete_fields = ["resource"]
    extra = 0
    fields = ["resource", "sort_order"]


@admin.register(Brief)
class BriefAdmin(admin.ModelAdmin):
    list_display = ["label_display", "title", "author_names", "status", "published_at"]
    list_display_links = ["label_display", "title"]
    list_filter = ["status", "series", "topics", "brief_authors__author"]
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["header_photo", "topics"]
    readonly_fields = ["number", "header_photo_preview"]
    inlines = [BriefAuthorInline, SectionInline, BriefResourceInline]
    actions = ["publish_selected", "unpublish_selected"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "series", "number", "summary"]}),
        ("Header photo", {"fields": ["header_photo", "header_photo_preview"]}),
        ("Topics", {"fields": ["topics"]}),
        ("Publication", {"fields": ["status", "published_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("series").prefetch_related("brief_authors__author")

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """A new brief starts with the two sections every brief has."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, SectionInline) and obj.pk is None and request.method == "GET":
            kwargs["initial"] = [
                {"heading": "Policy Summary", "sort_order": 0},
                {"heading": "Policy Analysis", "sort_order": 1},
            ]
        return kwargs

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if isinstance(inline, SectionInline) and obj is None and request.method == "GET":
                formset.extra = 2
            yield formset, inline

    @admin.display(description="Brief", ordering="number")
    def label_display(self, obj):
        return obj.label

    @admin.display(description="Authors")
    def author_names(self, obj):
        return ", ".join(author.name for author in obj.authors)

    @admin.display(description="Selected header photo")
    def header_photo_preview(self, obj):
        return thumbnail(
            obj.header_photo.image if obj.header_photo else None,
            size=240,
            alt=obj.header_photo.alt_text if obj.header_photo else "",
        )

    def save_model(self, request, obj, form, change):
        # Publishing goes through Brief.publish() so numbering happens in one
        # place, whichever way the status is changed.
        wants_published = obj.status == Brief.Status.PUBLISHED
        if wants_published and (obj.number is None or "status" in form.changed_data):
            obj.status = Brief.Status.DRAFT
            with transaction.atomic():
                super().save_model(request, obj, form, change)
                obj.publish(by=request.user)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Publish selected briefs", permissions=["change"])
    def publish_selected(self, request, queryset):
        count = 0
        for brief in queryset.filter(status=Brief.Status.DRAFT):
            brief.publish(by=request.user)
            count += 1
        self.message_user(request, f"Published {count} brief(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected briefs", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        count = 0
        for brief in queryset.filter(status=Brief.Status.PUBLISHED):
            brief.unpublish(by=request.user)
            count += 1
        self.message_user(request, f"Unpublished {count} brief(s).", messages.SUCCESS)
