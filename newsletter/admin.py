"""Staff screens for the newsletter: subscribers (list, counts, CSV import and export) and campaigns."""

import io
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .forms import SubscriberImportForm
from .models import Subscriber
from .services import subscribers_export_csv, subscribers_import_csv

# ───────────────────────── Subscribers (newsletter-subscriptions) ─────────────────────────


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "created_at", "confirmed_at", "source", "receives"]
    list_filter = ["status", "source", "wants_everything", "series", "topics", "created_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ["export_selected_csv"]
    readonly_fields = [
        "token",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "consent_at",
        "consent_wording",
        "consent_note",
        "hard_bounces",
    ]
    fieldsets = [
        (None, {"fields": ["email", "status", "source"]}),
        ("What they receive", {"fields": ["wants_everything", "series", "topics"]}),
        (
            "Consent and history",
            {
                "fields": [
                    "consent_at",
                    "consent_wording",
                    "consent_note",
                    "created_at",
                    "confirmed_at",
                    "unsubscribed_at",
                    "hard_bounces",
                    "token",
                ]
            },
        ),
    ]
    change_list_template = "admin/newsletter/subscriber/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("series", "topics")

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

    # -- counts on top of the list -------------------------------------------

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

    # -- CSV export and import ----------------------------------------------

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="newsletter_subscriber_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="newsletter_subscriber_export"),
            *super().get_urls(),
        ]

    @admin.action(description="Export selected subscribers as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self._csv_response(queryset)

    def export_view(self, request):
        """Every subscriber the list shows with its current filters and search, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv_response(changelist.get_queryset(request))

    def _csv_response(self, queryset):
        out = io.StringIO()
        subscribers_export_csv(subscribers=queryset.order_by("created_at", "pk"), out=out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
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
        added += " as subscribed." if consented else f" as pending; {result.emails_sent} confirmation email(s) sent."
        skipped = []
        if result.already_subscribers:
            skipped.append(f"{result.already_subscribers} already on the list")
        if result.repeated_in_file:
            skipped.append(f"{result.repeated_in_file} repeated in the file")
        if skipped:
            added += f" Skipped: {', '.join(skipped)}."
        messages.success(request, added)
        if result.emails_failed:
            messages.warning(
                request,
                f"{len(result.emails_failed)} confirmation email(s) could not be sent: "
                + "; ".join(result.emails_failed[:10])
                + (" …" if len(result.emails_failed) > 10 else ""),
            )


# ─────────────────────── end of Subscribers (newsletter-subscriptions) ───────────────────────
