"""Staff authoring: every model of the briefs app, with a brief form an editor can live in."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.images import CheckedImageFormField
from core.sortable import SortableInline

from .models import (
    DEFAULT_SECTION_HEADINGS,
    Author,
    Brief,
    BriefAuthor,
    BriefResource,
    EngagementResource,
    Photo,
    Section,
    Series,
    Topic,
)

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Briefs, library and newsletter"


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


class PhotoAutocompleteJsonView(AutocompleteJsonView):
    """Photo search for the pickers: each result carries a thumbnail URL.

    ``?pk=`` narrows the answer to one photo, so the picker can show the
    thumbnail of a photo just added through the "+" pop-up.
    """

    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if source_field.related_model is not Photo:
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name

    def get_queryset(self):
        queryset = super().get_queryset()
        pk = self.request.GET.get("pk")
        if pk is not None:
            queryset = queryset.filter(pk=pk) if pk.isdecimal() else queryset.none()
        return queryset

    def serialize_result(self, obj, to_field_name):
        return super().serialize_result(obj, to_field_name) | {
            "thumbnail": obj.card_image.url if obj.image else "",
            "alt": obj.alt_text,
        }


class PhotoAutocompleteSelect(AutocompleteSelect):
    """The photo picker: searches through PhotoAdmin's own endpoint and shows thumbnails."""

    url_name = "%s:briefs_photo_autocomplete"

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-photo-picker"] = ""
        return attrs

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        options = [option for _, group, _ in groups for option in group if option["value"] != ""]
        photos = Photo.objects.using(self.db).in_bulk([option["value"] for option in options])
        for option in options:
            photo = photos.get(option["value"])
            if photo and photo.image:
                option["attrs"]["data-thumbnail"] = photo.card_image.url
        return groups

    @property
    def media(self):
        # Django's own list with photo-picker.js placed after select2 and
        # django.jQuery exist and before autocomplete.js starts the widgets.
        extra = "" if settings.DEBUG else ".min"
        i18n = [f"admin/js/vendor/select2/i18n/{self.i18n_name}.js"] if self.i18n_name else []
        return forms.Media(
            js=[
                f"admin/js/vendor/jquery/jquery{extra}.js",
                f"admin/js/vendor/select2/select2.full{extra}.js",
                *i18n,
                "admin/js/jquery.init.js",
                "admin/js/photo-picker.js",
                "admin/js/autocomplete.js",
            ],
            css={
                "screen": [f"admin/css/vendor/select2/select2{extra}.css", "admin/css/autocomplete.css"],
                "all": ["admin/css/briefs-admin.css"],
            },
        )


class PhotoPickerMixin:
    """Photo foreign keys listed in ``autocomplete_fields`` get the thumbnail picker."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Photo and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = PhotoAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CheckedImagesMixin:
    """Image uploads are checked by core.images first, so editors read its clear messages."""

    formfield_overrides = {models.ImageField: {"form_class": CheckedImageFormField}}


class PhotoUseFilter(admin.SimpleListFilter):
    title = "use"
    parameter_name = "use"

    def lookups(self, request, model_admin):
        return [("unused", "Unused"), ("used", "In use")]

    def queryset(self, request, queryset):
        if self.value() == "unused":
            return queryset.unused()
        if self.value() == "used":
            return queryset.in_use()
        return queryset


class CreditFilter(admin.AllValuesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "credit"
        self.empty_value_display = "No credit"


class PhotoForm(forms.ModelForm):
    """The photo form; a form sent without a focal point (an older page, a quick upload) keeps the centre."""

    class Meta:
        model = Photo
        fields = [
            "image", "alt_text", "caption", "credit", "source_url", "licence", "licence_url", "focal_x", "focal_y",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("focal_x", "focal_y"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].widget.attrs.update(step="0.001", min="0", max="1")

    def clean(self):
        cleaned = super().clean()
        for name in ("focal_x", "focal_y"):
            if name in self.fields and cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = 0.5
        return cleaned


@admin.register(Photo)
class PhotoAdmin(CheckedImagesMixin, admin.ModelAdmin):
    form = PhotoForm
    """The photo library: a grid of thumbnails to search and filter, a focal point to click, and where each is used."""

    list_display = ["preview", "alt_text", "credit", "licence", "width", "height", "created_at"]
    list_display_links = ["preview", "alt_text"]
    list_filter = [PhotoUseFilter, ("credit", CreditFilter)]
    search_fields = ["alt_text", "caption", "credit"]
    list_per_page = 48
    readonly_fields = ["focal_point_picker", "width", "height", "renditions_display", "used_in"]
    fieldsets = [
        (None, {"fields": ["image", "alt_text", "caption"]}),
        ("Credit and licence", {"fields": ["credit", "source_url", "licence", "licence_url"]}),
        (
            "Focal point",
            {
                "fields": ["focal_point_picker", "focal_x", "focal_y"],
                "description": "Click the part of the picture that must stay in view wherever it is cropped "
                "(the header on a phone, cards, the dashboard). The centre is used until you choose.",
            },
        ),
        ("Where it is used", {"fields": ["used_in"]}),
        ("Files", {"fields": ["width", "height", "renditions_display"]}),
    ]

    # Other apps add places a photo appears (the newsletter: its campaigns),
    # so that briefs knows nothing of them. Each is called with the photo and
    # returns (where, label, admin URL) triples; any of them refuses deletion.
    usage_finders: list = []

    class Media:
        js = ["admin/js/focal-point.js"]
        css = {"all": ["admin/css/briefs-admin.css"]}

    def get_urls(self):
        # Before the default URLs, whose "<object_id>/" would swallow it.
        autocomplete = self.admin_site.admin_view(PhotoAutocompleteJsonView.as_view(admin_site=self.admin_site))
        return [path("autocomplete/", autocomplete, name="briefs_photo_autocomplete"), *super().get_urls()]

    def get_queryset(self, request):
        return super().get_queryset(request).with_use()

    @admin.display(description="Photo")
    def preview(self, obj):
        return thumbnail(obj.card_image, alt=obj.alt_text)

    @admin.display(description="Picture")
    def focal_point_picker(self, obj):
        if not obj.image:
            return "Upload the picture and save; then click it here to set the focal point."
        return format_html(
            '<div class="focal-picker" data-focal-picker>'
            '<img src="{}" alt="{}" width="{}" height="{}">'
            '<span class="focal-picker-marker" aria-hidden="true" style="left: {}%; top: {}%"></span></div>',
            obj.card_image.url,
            obj.alt_text,
            obj.width or "",
            obj.height or "",
            round(obj.focal_x * 100, 1),
            round(obj.focal_y * 100, 1),
        )

    @admin.display(description="Sizes for pages")
    def renditions_display(self, obj):
        if obj.renditions_status == Photo.Renditions.READY:
            widths = sorted({entry["width"] for entry in obj.renditions})
            return f"Ready: {', '.join(f'{width} px' for width in widths)}, in AVIF and JPEG (PNG if transparent)."
        note = f" {obj.renditions_note}" if obj.renditions_note else ""
        return f"{obj.get_renditions_status_display()}.{note} Pages use the original until then."

    def usage_rows(self, photo) -> list[tuple[str, str, str]]:
        """(where, label, admin URL) for every brief and campaign that shows the photo."""
        rows = [
            (
                usage.where,
                f"{usage.brief.title} ({usage.brief.get_status_display().lower()})",
                reverse("admin:briefs_brief_change", args=[usage.brief.pk]),
            )
            for usage in photo.usages()
        ]
        for finder in self.usage_finders:
            rows += finder(photo)
        return rows

    @admin.display(description="Used in")
    def used_in(self, obj):
        rows = self.usage_rows(obj) if obj.pk else []
        if not rows:
            return "Not used by any brief or campaign."
        return format_html(
            '<ul class="photo-usages">{}</ul>',
            format_html_join("", '<li>{}: <a href="{}">{}</a></li>', ((w, url, label) for w, label, url in rows)),
        )

    def get_deleted_objects(self, objs, request):
        """A photo in use is not deleted: the page lists the briefs (and campaigns) that show it instead."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        blocking = [
            format_html('“{}” — {}: <a href="{}">{}</a>', photo, where, url, label)
            for photo in objs
            for where, label, url in self.usage_rows(photo)
        ]
        return deleted, counts, perms_needed, blocking or protected


@admin.register(Author)
class AuthorAdmin(CheckedImagesMixin, admin.ModelAdmin):
    list_display = ["name", "role", "preview"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "role"]

    @admin.display(description="Portrait")
    def preview(self, obj):
        return thumbnail(obj.portrait, size=48, alt=obj.name)


@admin.register(EngagementResource)
class EngagementResourceAdmin(CheckedImagesMixin, admin.ModelAdmin):
    list_display = ["name", "preview", "url"]
    search_fields = ["name", "description"]

    @admin.display(description="Logo")
    def preview(self, obj):
        return thumbnail(obj.logo, size=48, alt=f"{obj.name} logo")


class BylineFormSet(forms.BaseInlineFormSet):
    default_error_messages = {"too_few_forms": "A brief needs at least one author."}


class BriefAuthorInline(SortableInline, admin.TabularInline):
    model = BriefAuthor
    formset = BylineFormSet
    autocomplete_fields = ["author"]
    extra = 0
    min_num = 1
    fields = ["author", "sort_order"]

    def get_formset(self, request, obj=None, **kwargs):
        # min_num alone only decides how many rows are shown; without
        # validate_min the only author could still be deleted.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class SectionInline(PhotoPickerMixin, SortableInline, admin.StackedInline):
    model = Section
    autocomplete_fields = ["photo"]
    fields = ["heading", "body", "photo", "photo_preview", "photo_placement", "sort_order"]
    readonly_fields = ["photo_preview"]

    def get_extra(self, request, obj=None, **kwargs):
        # A new brief's add form shows the default sections, filled in by
        # BriefAdmin.get_formset_kwargs.
        return len(DEFAULT_SECTION_HEADINGS) if obj is None and request.method == "GET" else 0

    @admin.display(description="Selected photo")
    def photo_preview(self, obj):
        photo = obj.photo
        return thumbnail(photo.card_image if photo else None, size=160, alt=photo.alt_text if photo else "")


class BriefResourceInline(SortableInline, admin.TabularInline):
    model = BriefResource
    autocomplete_fields = ["resource"]
    extra = 0
    fields = ["resource", "sort_order"]


class TopicListFilter(admin.RelatedOnlyFieldListFilter):
    """Topics that have briefs, plus "No topic" for briefs still without one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = "No topic"


@admin.register(Brief)
class BriefAdmin(PhotoPickerMixin, admin.ModelAdmin):
    list_display = ["label_display", "title", "author_names", "status", "published_at"]
    list_display_links = ["label_display", "title"]
    list_filter = [
        "status",
        "series",
        ("topics", TopicListFilter),
        ("brief_authors__author", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["header_photo", "topics"]
    readonly_fields = ["number", "status", "header_photo_preview"]
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
                {"heading": heading, "sort_order": position}
                for position, heading in enumerate(DEFAULT_SECTION_HEADINGS)
            ]
        return kwargs

    @admin.display(description="Brief", ordering="number")
    def label_display(self, obj):
        return obj.label

    @admin.display(description="Authors")
    def author_names(self, obj):
        return ", ".join(author.name for author in obj.authors)

    @admin.display(description="Selected header photo")
    def header_photo_preview(self, obj):
        return thumbnail(
            obj.header_photo.card_image if obj.header_photo else None,
            size=240,
            alt=obj.header_photo.alt_text if obj.header_photo else "",
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The submit row offers "Save and publish" / "Save and unpublish" to those who may.
        context["can_publish"] = self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save_edits()
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Save the inlines, then publish or unpublish if the editor pressed that button.

        The transition comes last so it sees the brief as saved, authors and
        sections included; it goes through the model's own method, which
        checks permission and state.
        """
        super().save_related(request, form, formsets, change)
        if "_publish" in request.POST:
            self._publish(request, form.instance)
        elif "_unpublish" in request.POST:
            self._unpublish(request, form.instance)

    # What staff may want to do next after publishing, offered by other apps
    # (the newsletter: a campaign for the brief), so that briefs knows
    # nothing of them. Each is called with (request, brief) and returns a
    # message or None.
    publish_followups: list = []

    def _publish(self, request, brief, *, quiet=False) -> bool:
        try:
            brief.publish(by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        if not quiet:
            self.message_user(request, format_html("“{}” is published.", brief), messages.SUCCESS)
        for followup in self.publish_followups:
            message = followup(request, brief)
            if message:
                self.message_user(request, message, messages.INFO)
        return True

    def _unpublish(self, request, brief, *, quiet=False) -> bool:
        try:
            brief.unpublish(by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return False
        if not quiet:
            self.message_user(request, format_html("“{}” is no longer public; it keeps its number.", brief))
        return True

    @admin.action(description="Publish selected briefs", permissions=["change"])
    def publish_selected(self, request, queryset):
        count = sum(self._publish(request, brief, quiet=True) for brief in queryset.filter(status=Brief.Status.DRAFT))
        self.message_user(request, f"Published {count} brief(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected briefs", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        count = sum(
            self._unpublish(request, brief, quiet=True) for brief in queryset.filter(status=Brief.Status.PUBLISHED)
        )
        self.message_user(request, f"Unpublished {count} brief(s).", messages.SUCCESS)
