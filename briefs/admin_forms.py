"""The forms behind the brief editor in the admin: the brief itself, its byline and resources, and the workflow.

Everything an editor may create while writing (a header photo, a co-author,
an organisation for the resources) is a field on these forms, checked with
the same validators as the library's own forms, so nothing needs a pop-up
window and a refused upload leaves everything else as it was typed.
"""

from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import slugify

from core.images import validate_image_file
from core.sortable import SortableInlineForm

from . import workflow
from .models import Author, Brief, BriefRevision, EngagementResource, Photo

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class WorkflowForm(forms.Form):
    """The workflow panel: which transition a button asked for, an optional comment, and a time to go live."""

    prefix = "workflow"

    transition = forms.ChoiceField(
        choices=[("", "—")] + [(name, spec.button) for name, spec in workflow.TRANSITIONS.items()], required=False
    )
    comment = forms.CharField(
        label="Comment for the timeline",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; required when asking for changes. Shown in the brief's timeline.",
    )
    schedule_at = forms.DateTimeField(
        label="Go live at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="For “Schedule”: the brief goes live then by itself, and gets its number then. Site time zone.",
    )

    def problem_for(self, brief: Brief, user) -> str | None:
        """Why the requested transition would be refused, or None (also None when no transition was asked for)."""
        if not self.is_valid():
            return " ".join(message for errors in self.errors.values() for message in errors)
        name = self.cleaned_data["transition"]
        if not name:
            return None
        return brief.transition_problem(
            name, by=user, at=self.cleaned_data["schedule_at"], comment=self.cleaned_data["comment"]
        )

    @property
    def requested(self) -> str:
        return self.cleaned_data.get("transition", "") if self.is_valid() else ""


def stale_message(*, brief_id: int, stored_version: int, base_version: int) -> str:
    """What an editor whose form is out of date reads: who saved when, a link to that revision, what to do."""
    newer = (
        BriefRevision.objects.filter(brief_id=brief_id, version=stored_version)
        .exclude(kind=BriefRevision.Kind.AUTOSAVE)
        .select_related("revision__user")
        .order_by("-revision__date_created")
        .first()
    )
    url = reverse("admin:briefs_brief_revisions", args=[brief_id])
    who = when = ""
    if newer is not None:
        url += f"?b={newer.pk}"
        user = newer.revision.user
        who = f" by {user.get_full_name() or user.get_username()}" if user else ""
        when = f" at {date_format(timezone.localtime(newer.revision.date_created), 'j M, H:i')}"
    return format_html(
        "This brief was saved{}{} after you opened it (you started from version {}, it is now at version {}). "
        "Nothing was saved, so nobody's work is lost: your text is still in the form below. "
        '<a href="{}">See the newer revision</a>, copy what you need, then reload this page to edit the newest '
        "version.",
        who,
        when,
        base_version,
        stored_version,
        url,
    )


class BriefAdminForm(forms.ModelForm):
    """The brief form. ``request`` is set by ``BriefAdmin.get_form``."""

    request = None

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    header_photo_file = forms.FileField(
        label="Or upload a new header photo",
        required=False,
        validators=[validate_image_file],
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text="JPEG, PNG, WebP or GIF, at most 10 MB. It joins the photo library and replaces the choice above.",
    )
    header_photo_alt = forms.CharField(
        label="Alt text", required=False, max_length=250, help_text="Required with an upload: describe the picture."
    )
    header_photo_caption = forms.CharField(label="Caption", required=False, max_length=400)
    header_photo_credit = forms.CharField(
        label="Credit",
        required=False,
        max_length=200,
        help_text='Shown as "Header photo taken from: …".',
    )
    header_photo_source_url = forms.URLField(
        label="Credit link", required=False, help_text="Optional link to the photo's source."
    )

    class Meta:
        model = Brief
        fields = ["title", "slug", "series", "summary", "header_photo", "topics", "published_at", "correction_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_header_photo = None
        self.stale_version = None
        self.workflow = WorkflowForm(self.data if self.is_bound else None)
        if self.instance.pk and "base_version" in self.fields:
            self.fields["base_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        user = self.request.user
        stored = None
        if self.instance.pk:
            # Locked until the admin's transaction ends: the version and the
            # state checked here are the ones the save and the transition see.
            stored = Brief.objects.select_for_update().get(pk=self.instance.pk)
            base = cleaned.get("base_version")
            if base is not None and stored.version != base:
                self.stale_version = stored.version
                self.add_error(
                    None,
                    stale_message(brief_id=stored.pk, stored_version=stored.version, base_version=base),
                )
        probe = stored if stored is not None else Brief(title=cleaned.get("title") or "This brief")
        if problem := self.workflow.problem_for(probe, user):
            self.add_error(None, problem)
        refusal = getattr(self.request, "newsroom_refusal", None)
        if refusal:
            self.add_error(None, refusal)
        self._clean_header_upload(cleaned, user)
        return cleaned

    def _clean_header_upload(self, cleaned, user) -> None:
        upload = cleaned.get("header_photo_file")
        if not upload:
            return
        if not user.has_perm("briefs.add_photo"):
            self.add_error("header_photo_file", "You cannot add photos to the library; choose one above.")
            return
        alt_text = (cleaned.get("header_photo_alt") or "").strip()
        if not alt_text:
            self.add_error(
                "header_photo_alt",
                "Describe the photo for people who cannot see it; alt text is required. "
                "Choose the file again after filling this in.",
            )
            return
        self.new_header_photo = Photo(
            image=upload,
            alt_text=alt_text,
            caption=(cleaned.get("header_photo_caption") or "").strip(),
            credit=(cleaned.get("header_photo_credit") or "").strip(),
            source_url=cleaned.get("header_photo_source_url") or "",
        )


class NewEntryForm(SortableInlineForm):
    """A byline or resource row that may name an existing entry or describe a new one to create on save.

    Subclasses say which field picks an existing entry (``pick``), which
    fields describe a new one (``new_fields``) and how to build it.
    """

    request = None
    pick = ""
    new_fields: tuple[str, ...] = ()
    add_permission = ""
    nothing_message = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.pick].required = False
        self.created = None

    def build(self, cleaned):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get(self.pick)
        described = any(cleaned.get(name) for name in self.new_fields)
        if chosen and described:
            self.add_error(None, "Choose an existing entry or describe a new one, not both.")
        elif not chosen and described:
            if self.request is not None and not self.request.user.has_perm(self.add_permission):
                self.add_error(None, "You cannot add new entries here; ask an editor, or choose an existing one.")
            else:
                self.created = self.build(cleaned)
        elif not chosen and not cleaned.get("DELETE"):
            self.add_error(self.pick, self.nothing_message)
        return cleaned

    def save(self, commit=True):
        if self.created is not None:
            with transaction.atomic():
                self.created.save()
            setattr(self.instance, self.pick, self.created)
        return super().save(commit)


def unique_slug(model, name: str) -> str:
    base = slugify(name)[:140] or "entry"
    slug, suffix = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


class BylineForm(NewEntryForm):
    pick = "author"
    new_fields = ("new_author_name", "new_author_role")
    add_permission = "briefs.add_author"
    nothing_message = "Choose an author, or type the name of a new one."

    new_author_name = forms.CharField(label="or a new author", required=False, max_length=150)
    new_author_role = forms.CharField(label="Role", required=False, max_length=150)

    def build(self, cleaned):
        name = (cleaned.get("new_author_name") or "").strip()
        if not name:
            self.add_error("new_author_name", "Type the new author's name.")
            return None
        return Author(name=name, slug=unique_slug(Author, name), role=(cleaned.get("new_author_role") or "").strip())


class ResourceForm(NewEntryForm):
    pick = "resource"
    new_fields = ("new_name", "new_url", "new_description", "new_logo")
    add_permission = "briefs.add_engagementresource"
    nothing_message = "Choose an organisation, or describe a new one."

    new_name = forms.CharField(label="or a new organisation", required=False, max_length=200)
    new_url = forms.URLField(label="Website", required=False, assume_scheme="https")
    new_description = forms.CharField(label="One sentence on what it does", required=False, max_length=300)
    new_logo = forms.FileField(
        label="Logo",
        required=False,
        validators=[validate_image_file],
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    def build(self, cleaned):
        name = (cleaned.get("new_name") or "").strip()
        missing = [
            (field, message)
            for field, message in [
                ("new_name", "Type the organisation's name."),
                ("new_url", "Give the organisation's website."),
                ("new_description", "Say in one sentence what the organisation does."),
            ]
            if not (cleaned.get(field) or "").strip()
        ]
        for field, message in missing:
            self.add_error(field, message)
        if EngagementResource.objects.filter(name__iexact=name).exists():
            self.add_error("new_name", f"“{name}” is already in the list: choose it above instead.")
            return None
        if missing:
            return None
        return EngagementResource(
            name=name,
            url=cleaned["new_url"],
            description=cleaned["new_description"].strip(),
            logo=cleaned.get("new_logo") or "",
        )


class BylineFormSet(forms.BaseInlineFormSet):
    default_error_messages = {"too_few_forms": "A brief needs at least one author."}
    request = None

    def clean(self):
        super().clean()
        user = self.request.user if self.request is not None else None
        if user is None or user.has_perm("briefs.edit_any_brief") or any(self.errors):
            return
        profile = Author.objects.filter(user=user).first()
        chosen = [
            form.cleaned_data.get("author")
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not form.cleaned_data.get("DELETE")
        ]
        if profile is None or profile not in chosen:
            raise forms.ValidationError(
                "Keep yourself on the byline: authors edit only the briefs they write. "
                + ("" if profile else "Ask an editor to link your account to your author profile.")
            )
