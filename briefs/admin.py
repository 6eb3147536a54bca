"""Staff authoring: every model of the briefs app, with a brief form an editor can live in.

Roles are enforced here on the server, not by hiding buttons: querysets and
``has_*_permission`` decide what an Author or Editor may open and change,
and every workflow button goes through the model's own transition methods
(``briefs/workflow.py``), which check again.
"""

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from core.images import CheckedImageFormField, validate_image_file
from core.sortable import SortableInline

from . import workflow
from .admin_forms import BriefAdminForm, BylineForm, BylineFormSet, ResourceForm, WorkflowForm
from .models import (
    DEFAULT_SECTION_HEADINGS,
    Author,
    Brief,
    BriefAuthor,
    BriefResource,
    BriefRevision,
    EngagementResource,
    Photo,
    Section,
    Series,
    StaleEditError,
    Topic,
    TransitionRefusedError,
)
from .revisions import (
    brief_autosave,
    brief_restore,
    revision_record,
    revisions_for,
    snapshot_from_post,
    snapshot_of,
    snapshots_compare,
)
from .views import brief_page_response

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


class NoPopupsMixin:
    """Related-object pickers without the "+", pencil and eye links that open pop-up windows.

    What an editor needs to add while writing is a field of the form itself
    (see admin_forms.py), so no window ever opens over the one they write in.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        return formfield


def is_editor(user) -> bool:
    return user.has_perm("briefs.publish_brief")


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
    thumbnail of a photo chosen by id.
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


class PhotoUploadForm(forms.ModelForm):
    """A photo uploaded from inside the rich-text editor: the file, its required alt text and its credit."""

    # core/images.py's validator, so the editor hears the same clear reasons as every other upload.
    image = forms.FileField(
        validators=[validate_image_file], error_messages={"required": "Choose an image file to upload."}
    )

    class Meta:
        model = Photo
        fields = ["image", "alt_text", "caption", "credit", "source_url"]
        error_messages = {
            "alt_text": {"required": "Describe the photo for people who cannot see it; alt text is required."},
        }


def photo_json(photo: Photo) -> dict:
    return {
        "id": photo.pk,
        "thumbnail": photo.card_image.url if photo.image else "",
        "alt": photo.alt_text,
        "caption": photo.caption,
        "credit": photo.credit,
    }


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

    LIBRARY_PAGE = 24

    def get_urls(self):
        # Before the default URLs, whose "<object_id>/" would swallow them.
        autocomplete = self.admin_site.admin_view(PhotoAutocompleteJsonView.as_view(admin_site=self.admin_site))
        return [
            path("autocomplete/", autocomplete, name="briefs_photo_autocomplete"),
            path("library/", self.admin_site.admin_view(self.library_view), name="briefs_photo_library"),
            path("upload/", self.admin_site.admin_view(self.upload_view), name="briefs_photo_upload"),
            *super().get_urls(),
        ]

    def library_view(self, request):
        """Photos for the editor's photo block: ``?ids=1,2`` (as placed in the text) or ``?q=`` (a search)."""
        if not self.has_view_permission(request):
            return JsonResponse({"message": "You cannot see the photo library."}, status=403)
        photos = Photo.objects.order_by("-created_at")
        ids = [part for part in request.GET.get("ids", "").split(",") if part.isdecimal()]
        if ids:
            photos = photos.filter(pk__in=ids[: self.LIBRARY_PAGE])
        elif term := request.GET.get("q", "").strip():
            photos = photos.filter(Q(alt_text__icontains=term) | Q(caption__icontains=term) | Q(credit__icontains=term))
        return JsonResponse({"results": [photo_json(photo) for photo in photos[: self.LIBRARY_PAGE]]})

    def upload_view(self, request):
        """Add a photo to the library from the editor; answers the photo, or what is wrong, as JSON."""
        if request.method != "POST":
            return JsonResponse({"message": "Send the photo with POST."}, status=405)
        if not self.has_add_permission(request):
            return JsonResponse({"message": "You cannot add photos to the library."}, status=403)
        form = PhotoUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = {name: [str(message) for message in messages_] for name, messages_ in form.errors.items()}
            first = next(iter(errors.values()))[0]
            return JsonResponse({"message": first, "errors": errors}, status=400)
        photo = form.save()
        return JsonResponse({"photo": photo_json(photo)}, status=201)

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
    list_display = ["name", "role", "user", "preview"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "role"]
    list_select_related = ["user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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


def brief_editable_by(request, brief) -> bool:
    """``brief.may_edit(request.user)``, asked once per request and brief (the admin asks many times)."""
    cache = request.__dict__.setdefault("_briefs_may_edit", {})
    if brief.pk not in cache:
        cache[brief.pk] = brief.may_edit(request.user)
    return cache[brief.pk]


class BriefInlinePermissions:
    """An inline of the brief form follows the brief: nobody changes the rows of a brief they may not edit."""

    def _brief_editable(self, request, obj) -> bool:
        return obj is None or obj.pk is None or brief_editable_by(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._brief_editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._brief_editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._brief_editable(request, obj) and super().has_delete_permission(request, obj)


class RequestFormsetMixin:
    """Hands the request to the inline's formset and forms, for permission checks while validating."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = type(formset.form.__name__, (formset.form,), {"request": request})
        return type(formset.__name__, (formset,), {"request": request, "form": form})


class BriefAuthorInline(
    BriefInlinePermissions, RequestFormsetMixin, NoPopupsMixin, SortableInline, admin.TabularInline
):
    model = BriefAuthor
    form = BylineForm
    formset = BylineFormSet
    autocomplete_fields = ["author"]
    extra = 0
    min_num = 1
    fields = ["author", "new_author_name", "new_author_role", "sort_order"]

    def get_formset(self, request, obj=None, **kwargs):
        # min_num alone only decides how many rows are shown; without
        # validate_min the only author could still be deleted.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class SectionInline(BriefInlinePermissions, SortableInline, admin.StackedInline):
    model = Section
    fields = ["heading", "body", "sort_order"]

    def get_extra(self, request, obj=None, **kwargs):
        # A new brief's add form shows the default sections, filled in by
        # BriefAdmin.get_formset_kwargs.
        return len(DEFAULT_SECTION_HEADINGS) if obj is None and request.method == "GET" else 0


class BriefResourceInline(
    BriefInlinePermissions, RequestFormsetMixin, NoPopupsMixin, SortableInline, admin.TabularInline
):
    model = BriefResource
    form = ResourceForm
    autocomplete_fields = ["resource"]
    extra = 0
    fields = ["resource", "new_name", "new_url", "new_description", "new_logo", "sort_order"]


class TopicListFilter(admin.RelatedOnlyFieldListFilter):
    """Topics that have briefs, plus "No topic" for briefs still without one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = "No topic"


class LateRefusalError(Exception):
    """A transition refused after the form was saved; the admin undoes the save and shows the form again."""


# What an editor reads after each transition.
TRANSITION_MESSAGES = {
    "submit_for_review": "“{title}” is with the editors for review.",
    "return_to_draft": "“{title}” is a draft again.",
    "request_changes": "“{title}” is back with its authors, with your comment.",
    "schedule": "“{title}” is scheduled for {when}. It goes live then by itself and gets its number then.",
    "unschedule": "“{title}” is no longer scheduled; it is back in review.",
    "publish": "“{title}” is published as {label}.",
    "unpublish": "“{title}” is no longer public; it keeps its number.",
    "archive": "“{title}” is archived and off the site.",
    "unarchive": "“{title}” is back as a draft.",
}


def local_time(moment) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i")


@admin.register(Brief)
class BriefAdmin(NoPopupsMixin, PhotoPickerMixin, admin.ModelAdmin):
    form = BriefAdminForm
    change_form_template = "admin/briefs/brief/change_form.html"
    list_display = ["label_display", "title", "author_names", "status_display", "published_at"]
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
    readonly_fields = ["number", "status_display", "header_photo_preview"]
    inlines = [BriefAuthorInline, SectionInline, BriefResourceInline]
    actions = ["publish_selected", "unpublish_selected"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "series", "number", "summary", "base_version"]}),
        (
            "Header photo",
            {
                "fields": [
                    "header_photo",
                    "header_photo_preview",
                    "header_photo_file",
                    ("header_photo_alt", "header_photo_credit"),
                    ("header_photo_caption", "header_photo_source_url"),
                ]
            },
        ),
        ("Topics", {"fields": ["topics"]}),
        ("Publication", {"fields": ["status_display", "published_at", "correction_note"]}),
    ]

    class Media:
        js = ["admin/js/newsroom.js"]
        css = {"all": ["admin/css/briefs-admin.css"]}

    # What staff may want to do next after a brief goes live or is
    # scheduled, offered by other apps (the newsletter: a campaign for the
    # brief), so that briefs knows nothing of them. Each is called with
    # (request, brief) and returns a message or None.
    publish_followups: list = []

    # -- who may do what -----------------------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request).visible_to(request.user)
        return queryset.select_related("series").prefetch_related("brief_authors__author")

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or request.user.has_perm("briefs.edit_any_brief") or obj.has_byline_author(request.user)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or brief_editable_by(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        if obj.status in {Brief.Status.PUBLISHED, Brief.Status.SCHEDULED}:
            return False  # unpublish or archive instead: readers or the scheduler depend on it
        if is_editor(request.user):
            return True
        return obj.number is None and brief_editable_by(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not (obj is not None and obj.status == Brief.Status.PUBLISHED and is_editor(request.user)):
            readonly.append("published_at")
        if not is_editor(request.user):
            readonly.append("correction_note")
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "series" not in initial:
            only_series = list(Series.objects.values_list("pk", flat=True)[:2])
            if len(only_series) == 1:
                initial["series"] = only_series[0]
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """A new brief starts with the two sections every brief has, and its writer on the byline."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj.pk is None and request.method == "GET":
            if isinstance(inline, SectionInline):
                kwargs["initial"] = [
                    {"heading": heading, "sort_order": position}
                    for position, heading in enumerate(DEFAULT_SECTION_HEADINGS)
                ]
            elif isinstance(inline, BriefAuthorInline):
                profile = Author.objects.filter(user=request.user).only("pk").first()
                if profile is not None:
                    kwargs["initial"] = [{"author": profile.pk, "sort_order": 0}]
        return kwargs

    # -- list columns --------------------------------------------------------------------------------------------------

    @admin.display(description="Brief", ordering="number")
    def label_display(self, obj):
        return obj.label

    @admin.display(description="Authors")
    def author_names(self, obj):
        return ", ".join(author.name for author in obj.authors)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj):
        if obj is None or obj.pk is None:
            return "New draft"
        if obj.status == Brief.Status.SCHEDULED and obj.published_at:
            return f"Scheduled for {date_format(timezone.localtime(obj.published_at), 'j M, H:i')}"
        return obj.get_status_display()

    @admin.display(description="Selected header photo")
    def header_photo_preview(self, obj):
        return thumbnail(
            obj.header_photo.card_image if obj.header_photo else None,
            size=240,
            alt=obj.header_photo.alt_text if obj.header_photo else "",
        )

    # -- saving, with a revision and the transition a button asked for -------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id:
            brief = self.get_object(request, object_id)
            if brief is not None and not self.has_change_permission(request, brief):
                return self._transition_only(request, brief)
        try:
            with reversion.create_revision(manage_manually=True):
                reversion.set_user(request.user)
                return super().changeform_view(request, object_id, form_url, extra_context)
        except LateRefusalError as refusal:
            # Everything the save did was rolled back; show the same form
            # again, as the editor filled it in, with the reason.
            request.newsroom_refusal = str(refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _transition_only(self, request, brief):
        """A workflow button on a brief the person may see but not edit (an author's brief in review)."""
        workflow_form = WorkflowForm(request.POST)
        if workflow_form.requested:
            problem = workflow_form.problem_for(brief, request.user)
        else:
            problem = "You cannot change this brief now."
        if problem is None:
            try:
                self._transition(request, brief, workflow_form)
            except TransitionRefusedError as refused:
                problem = str(refused)
        if problem is None:
            return redirect("admin:briefs_brief_change", brief.pk)
        self.message_user(request, problem, messages.ERROR)
        # The read-only page again, with the comment as typed.
        request.method = "GET"
        return super().changeform_view(
            request, str(brief.pk), extra_context={"workflow_form": workflow_form, "workflow_refused": True}
        )

    def save_model(self, request, obj, form, change):
        if form.new_header_photo is not None:
            form.new_header_photo.save()
            obj.header_photo = form.new_header_photo
        if change:
            try:
                obj.save_edits(base_version=form.cleaned_data.get("base_version"))
            except StaleEditError as stale:
                raise LateRefusalError(  # noqa: B904 - the message says it all
                    f"This brief was saved by someone else meanwhile (now version {stale.stored_version})."
                )
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Save the inlines, keep a revision, then make the transition the editor's button asked for.

        The transition comes last so it sees the brief as saved, authors and
        sections included; it goes through the model's own method, which
        checks permission and state again.
        """
        super().save_related(request, form, formsets, change)
        brief = form.instance
        if brief.live_edit_record():
            updated = date_format(timezone.localtime(brief.corrected_at), "j M Y")
            note = " with your correction note" if brief.correction_note else ""
            self.message_user(request, f"Readers now see the change, marked “Updated {updated}”{note}.", messages.INFO)
        revision_record(
            brief=brief, comment=form.workflow.cleaned_data.get("comment", "") if form.workflow.is_valid() else ""
        )
        if form.workflow.requested:
            try:
                self._transition(request, brief, form.workflow)
            except TransitionRefusedError as refused:
                raise LateRefusalError(str(refused)) from refused

    def _transition(self, request, brief, workflow_form) -> None:
        name = workflow_form.requested
        brief.transition(
            name,
            by=request.user,
            comment=workflow_form.cleaned_data["comment"],
            at=workflow_form.cleaned_data["schedule_at"],
        )
        request.newsroom_transition = name
        when = local_time(brief.published_at) if brief.published_at else ""
        self.message_user(
            request,
            TRANSITION_MESSAGES[name].format(title=brief.title, when=when, label=brief.label),
            messages.SUCCESS,
        )
        if name in {"publish", "schedule"}:
            self._followups(request, brief)

    def _followups(self, request, brief) -> None:
        for followup in self.publish_followups:
            message = followup(request, brief)
            if message:
                self.message_user(request, message, messages.INFO)

    def has_publish_permission(self, request):
        return is_editor(request.user)

    def _bulk(self, request, queryset, name: str, done: str) -> None:
        count = 0
        for brief in queryset:
            try:
                brief.transition(name, by=request.user)
            except TransitionRefusedError as refused:
                self.message_user(request, str(refused), messages.WARNING)
            else:
                count += 1
                if name == "publish":
                    self._followups(request, brief)
        self.message_user(request, f"{done} {count} brief(s).", messages.SUCCESS)

    @admin.action(description="Publish selected briefs now", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset.exclude(status=Brief.Status.PUBLISHED), "publish", "Published")

    @admin.action(description="Unpublish selected briefs", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._bulk(request, queryset.filter(status=Brief.Status.PUBLISHED), "unpublish", "Unpublished")

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "newsroom_transition", None):
            return redirect("admin:briefs_brief_change", obj.pk)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "newsroom_transition", None):
            return redirect("admin:briefs_brief_change", obj.pk)
        return super().response_change(request, obj)

    # -- the change page: workflow panel, timeline, preview and revisions ----------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        user = request.user
        if obj is not None:
            transitions = obj.transitions_for(user)
        else:
            transitions = [spec for spec in workflow.TRANSITIONS.values() if workflow.DRAFT in spec.sources]
            transitions = [spec for spec in transitions if not spec.editors_only or is_editor(user)]
        adminform = context.get("adminform")
        bound = adminform.form.workflow if adminform is not None and adminform.form.is_bound else None
        context.setdefault("workflow_form", bound or WorkflowForm())
        context.update(
            transitions=transitions,
            can_schedule=any(spec.needs_time for spec in transitions),
            can_save_content=add or (obj is not None and self.has_change_permission(request, obj)),
        )
        if obj is not None:
            latest = BriefRevision.objects.filter(brief=obj).order_by("-revision__date_created", "-id").first()
            context.update(
                timeline=obj.transitions.select_related("by"),
                status_line=self.status_display(obj),
                latest_revision=latest,
                newer_autosave=latest if latest and latest.kind == BriefRevision.Kind.AUTOSAVE else None,
                preview_url=reverse("admin:briefs_brief_preview", args=[obj.pk]),
                preview_link=request.build_absolute_uri(reverse("briefs:preview", args=[obj.preview_token()])),
                revisions_url=reverse("admin:briefs_brief_revisions", args=[obj.pk]),
                autosave_url=reverse("admin:briefs_brief_autosave", args=[obj.pk]),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        def view(function, route, name, **options):
            return path(route, self.admin_site.admin_view(function, **options), name=f"briefs_brief_{name}")

        return [
            # The preview sets its own Cache-Control: private, no-store.
            view(self.preview_view, "<int:brief_id>/preview/", "preview", cacheable=True),
            view(self.revisions_view, "<int:brief_id>/revisions/", "revisions"),
            view(self.restore_view, "<int:brief_id>/revisions/<int:revision_id>/restore/", "restore"),
            view(self.autosave_view, "<int:brief_id>/autosave/", "autosave"),
            *super().get_urls(),
        ]

    def _brief(self, request, brief_id, *, change=False) -> Brief:
        brief = self.get_queryset(request).filter(pk=brief_id).first()
        if brief is None or not self.has_view_permission(request, brief):
            raise Http404("No such brief.")
        if change and not self.has_change_permission(request, brief):
            raise PermissionDenied
        return brief

    def preview_view(self, request, brief_id):
        """The brief as readers will see it, in any state, marked as a preview."""
        brief = self._brief(request, brief_id)
        detailed = Brief.objects.for_detail().get(pk=brief.pk)
        return brief_page_response(request, detailed, preview=True)

    def revisions_view(self, request, brief_id):
        """Every revision with who and when; any two compared word by word."""
        brief = self._brief(request, brief_id)
        revisions = list(revisions_for(brief))
        by_id = {str(revision.pk): revision for revision in revisions}
        # B defaults to the newest revision and A to the one before B, so the page opens on the latest change.
        b = by_id.get(request.GET.get("b", ""), revisions[0] if revisions else None)
        following = revisions[revisions.index(b) + 1 : revisions.index(b) + 2] if b else []
        a = by_id.get(request.GET.get("a", ""), following[0] if following else b)
        comparison = snapshots_compare(snapshot_of(a), snapshot_of(b)) if a and b else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Revisions of “{brief.title}”",
            "brief": brief,
            "revisions": revisions,
            "a": a,
            "b": b,
            "comparison": comparison,
            "can_restore": self.has_change_permission(request, brief) and not brief.is_live,
            "is_live": brief.is_live,
        }
        return TemplateResponse(request, "admin/briefs/brief/revisions.html", context)

    def restore_view(self, request, brief_id, revision_id):
        if request.method != "POST":
            return redirect("admin:briefs_brief_revisions", brief_id)
        brief = self._brief(request, brief_id)
        brief_revision = get_object_or_404(BriefRevision, pk=revision_id, brief=brief)
        try:
            with transaction.atomic():
                brief_restore(brief=brief, brief_revision=brief_revision, by=request.user)
        except (PermissionDenied, ValidationError) as error:
            message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.message_user(request, message, messages.ERROR)
            return redirect("admin:briefs_brief_revisions", brief_id)
        self.message_user(
            request,
            f"Restored the revision of {local_time(brief_revision.revision.date_created)} as a new revision. "
            "The brief's status did not change.",
            messages.SUCCESS,
        )
        return redirect("admin:briefs_brief_change", brief.pk)

    def autosave_view(self, request, brief_id):
        """Store what the open form holds as an "Autosave" revision; the brief itself is not changed."""
        if request.method != "POST":
            return JsonResponse({"message": "Autosave uses POST."}, status=405)
        brief = self.get_queryset(request).filter(pk=brief_id).first()
        if brief is None or not self.has_change_permission(request, brief):
            return JsonResponse({"message": "You cannot change this brief now, so nothing was autosaved."}, status=403)
        snapshot = snapshot_from_post(data=request.POST, brief=brief)
        saved = brief_autosave(brief=brief, user=request.user, snapshot=snapshot)
        return JsonResponse(
            {
                "saved_at": timezone.localtime(saved.revision.date_created).isoformat(),
                "message": f"Autosaved at {date_format(timezone.localtime(saved.revision.date_created), 'H:i')}.",
            }
        )
