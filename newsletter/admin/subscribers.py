"""Staff screens for subscribers: the list with counts by status, adding someone, CSV import and export."""

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.email_address import SendableEmailField

from ..forms import SubscriberImportForm
from ..models import Subscriber
from ..queue import task_enqueue
from ..services import (
    staff_consent_note,
    subscriber_consent_apply,
    subscriber_unsubscribe,
    subscribers_csv_lines,
    subscribers_import_csv,
)
from .overview import overview_view


class SubscriberAddForm(forms.ModelForm):
    """Staff adding one person: subscribed at once only if they record how the person agreed."""

    consented = forms.BooleanField(
        required=False,
        label="They agreed to receive the newsletter",
        help_text="Leave unticked to send them a confirmation link instead.",
    )

    class Meta:
        model = Subscriber
        fields = ["email", "source", "wants_everything", "series", "topics", "consent_note"]
        labels = {"consent_note": "How and when they agreed"}
        field_classes = {"email": SendableEmailField}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("consented") and not (cleaned.get("consent_note") or "").strip():
            self.add_error("consent_note", "Say how and when they agreed, e.g. “signed up on paper at the May event”.")
        return cleaned


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "created_at", "confirmed_at", "source", "receives", "alert_frequency"]
    list_filter = ["status", "alert_frequency", "source", "wants_everything", "series", "topics", "created_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ["export_selected_csv", "unsubscribe_selected"]
    add_form = SubscriberAddForm
    # Changing someone's address gets the same check as adding it: one SMTP can send to.
    formfield_overrides = {models.EmailField: {"form_class": SendableEmailField}}
    add_fieldsets = [
        (None, {"fields": ["email", "source"]}),
        ("What they receive", {"fields": ["wants_everything", "series", "topics"]}),
        ("Consent", {"fields": ["consented", "consent_note"]}),
    ]
    # The record of how someone came and went: shown, never edited. The status
    # only changes through what the person does (confirm, unsubscribe), the
    # actions below or the add form, so consent and leaving are always recorded.
    history_fields = [
        "consent_at",
        "consent_wording",
        "consent_note",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
        "hard_bounces",
        "token",
    ]
    readonly_fields = ["status", *history_fields]
    fieldsets = [
        (None, {"fields": ["email", "status", "source"]}),
        ("What they receive", {"fields": ["wants_everything", "series", "topics", "alert_frequency"]}),
        ("Consent and history", {"fields": history_fields}),
    ]
    change_list_template = "admin/newsletter/subscriber/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("series", "topics")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return [name for name in self.readonly_fields if name not in {"status", "consent_note"}]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            if form.cleaned_data["consented"]:
                now = timezone.now()
                note = staff_consent_note(note=form.cleaned_data["consent_note"], by=request.user, at=now)
                subscriber_consent_apply(subscriber=obj, at=now, note=note)
            else:
                obj.consent_note = ""  # pending: nobody vouched for anything
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.cleaned_data["consented"]:
            # Their choices are saved by now, so the email can list them.
            task_enqueue("send_import_confirmations", subscriber_ids=[form.instance.pk])

    @admin.action(description="Unsubscribe selected subscribers", permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        left = sum(subscriber_unsubscribe(subscriber=subscriber)[1] for subscriber in queryset)
        self.message_user(request, f"{left} subscriber{'s' if left != 1 else ''} unsubscribed.", messages.SUCCESS)

    def get_changeform_initial_data(self, request):
        return {"source": Subscriber.Source.ADMIN, **super().get_changeform_initial_data(request)}

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("series", "topics"):
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Receives")
    def receives(self, subscriber: Subscriber) -> str:
        chosen = [series.name for series in subscriber.series.all()] + [topic.name for topic in subscriber.topics.all()]
        return ", ".join(chosen) if chosen else "Everything"

    def changelist_view(self, request, extra_context=None):
        counts = dict(Subscriber.objects.order_by().values_list("status").annotate(n=Count("pk")))
        changelist_url = reverse("admin:newsletter_subscriber_changelist")
        status_counts = [
            {"label": label, "count": counts.get(value, 0), "url": f"{changelist_url}?status__exact={value}"}
            for value, label in Subscriber.Status.choices
        ]
        extra_context = {
            "status_counts": status_counts,
            "total_count": sum(counts.values()),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="newsletter_subscriber_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="newsletter_subscriber_export"),
            path(
                "overview/",
                self.admin_site.admin_view(lambda request: overview_view(self, request)),
                name="newsletter_overview",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Export selected subscribers as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self._csv_response(queryset)

    def export_view(self, request):
        """Every subscriber the list shows with its current filters and search, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "That filter is not valid, so nothing was exported.")
            return redirect("admin:newsletter_subscriber_changelist")
        return self._csv_response(changelist.get_queryset(request))

    def _csv_response(self, queryset):
        # Streamed line by line: a list of many thousands is never held in memory whole.
        response = StreamingHttpResponse(
            subscribers_csv_lines(subscribers=queryset.order_by("created_at", "pk")),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="subscribers-{date.today():%Y-%m-%d}.csv"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = SubscriberImportForm(request.POST, request.FILES)
            if form.is_valid():
                result = subscribers_import_csv(
                    file=form.cleaned_data["file"],
                    consented=form.cleaned_data["consented"],
                    consent_note=form.cleaned_data["consent_note"],
                    imported_by=request.user,
                )
                if not result.errors:
                    self._report_import(request, result, consented=form.cleaned_data["consented"])
                    return redirect("admin:newsletter_subscriber_changelist")
        else:
            form = SubscriberImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import subscribers from CSV",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/newsletter/subscriber/import.html", context)

    def _report_import(self, request, result, *, consented: bool) -> None:
        added = f"{result.created} subscriber{'s' if result.created != 1 else ''} added"
        added += (
            " as subscribed."
            if consented
            else f" as pending; {result.confirmations_queued} confirmation email(s) are being sent in the background."
        )
        skipped = []
        if result.already_subscribers:
            skipped.append(f"{result.already_subscribers} already on the list")
        if result.repeated_in_file:
            skipped.append(f"{result.repeated_in_file} repeated in the file")
        if skipped:
            added += f" Skipped: {', '.join(skipped)}."
        messages.success(request, added)
