"""Staff screens for campaigns: write, preview, test, schedule, send and follow one; the deliveries as a record."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from briefs.admin import BriefAdmin, PhotoAdmin
from briefs.models import Brief
from core.sortable import SortableInline

from ..campaigns import (
    NO_AUDIENCE_CHOSEN,
    campaign_audience_count,
    campaign_briefs_waiting,
    campaign_cancel,
    campaign_confirmation_check,
    campaign_preview,
    campaign_problems,
    campaign_progress_report,
    campaign_require_sendable,
    campaign_schedule,
    campaign_send_now,
    campaign_send_test,
    campaign_send_when_live,
    campaign_unschedule,
)
from ..deliverability import deliverability_checks
from ..models import Campaign, CampaignBrief, Delivery
from .records import RecordAdmin


class CampaignScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the site's time zone.",
    )


class CampaignBriefInline(SortableInline, admin.TabularInline):
    model = CampaignBrief
    autocomplete_fields = ["brief"]
    extra = 0
    min_num = 1
    fields = ["brief", "sort_order"]

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["subject", "intro", "audience", "audience_series", "audience_topics"]

    def clean(self):
        cleaned = super().clean()
        # Only while the audience is editable (a sent campaign shows it read-only).
        if (
            "audience" in self.fields
            and cleaned.get("audience") == Campaign.Audience.SEGMENT
            and not cleaned.get("audience_series")
            and not cleaned.get("audience_topics")
        ):
            self.add_error("audience", NO_AUDIENCE_CHOSEN)
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Write a campaign, preview it, test it, schedule or send it, and watch it go out."""

    form = CampaignForm

    list_display = ["subject", "kind", "status", "audience", "scheduled_for", "progress_summary", "created_at"]
    list_filter = ["kind", "status", "audience"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["audience_series", "audience_topics"]
    inlines = [CampaignBriefInline]
    fieldsets = [
        (None, {"fields": ["subject", "intro"]}),
        (
            "Audience",
            {
                "fields": ["audience", "audience_series", "audience_topics"],
                "description": (
                    "“Subscribers of the chosen series or topics” reaches everyone who follows any of them, "
                    "plus everyone who asked for every brief."
                ),
            },
        ),
        ("Sending", {"fields": ["kind", "status", "scheduled_for", "started_at", "finished_at", "recipients_count"]}),
    ]
    readonly_fields = ["kind", "status", "scheduled_for", "started_at", "finished_at", "recipients_count"]

    # Workflow steps that need nothing but a button, and what staff read when they worked.
    # Sending and scheduling need a confirmation as well (``send_now_view``, ``schedule_view``).
    BUTTON_STEPS = {
        "unschedule": (
            campaign_unschedule,
            "The campaign is a draft again; nothing will be sent until you schedule or send it.",
        ),
        "cancel": (
            campaign_cancel,
            "The campaign is cancelled. Emails already sent cannot be recalled; no more will go out.",
        ),
    }

    class Media:
        css = {"all": ["admin/css/campaign-admin.css"]}
        js = ["admin/js/campaign-progress.js"]

    def lookup_allowed(self, lookup, value, request=None):
        # A digest's page links to its campaigns with ?digest__id__exact=<id>.
        return lookup == "digest__id__exact" or super().lookup_allowed(lookup, value, request)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return ["subject", "intro_shown", "audience", "audience_series", "audience_topics", *self.readonly_fields]
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not obj.is_editable:
            # Once sent, the intro is shown as the reader saw it rather than as markup.
            fieldsets = [
                (name, {**options, "fields": ["intro_shown" if f == "intro" else f for f in options["fields"]]})
                for name, options in fieldsets
            ]
        return fieldsets

    @admin.display(description="Intro")
    def intro_shown(self, obj):
        # Safe: sanitised with the rich-text allowlist on every save.
        return mark_safe(obj.intro)

    def has_delete_permission(self, request, obj=None):
        # A campaign on its way out is cancelled, not deleted: its deliveries are the record.
        if obj is not None and obj.status in {Campaign.Status.SCHEDULED, Campaign.Status.SENDING}:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Progress")
    def progress_summary(self, obj):
        if obj.recipients_count is None:
            return "—"
        progress = obj.progress()
        return f"{progress['sent']} sent, {progress['failed']} failed, {progress.remaining} to go"

    def _brief_from_request(self, request):
        """The brief in ``?brief=<id>``: after publishing one, the briefs admin offers a draft campaign for it."""
        brief_id = request.GET.get("brief", "")
        return Brief.objects.select_related("series").filter(pk=brief_id).first() if brief_id.isdigit() else None

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.pop("brief", None)
        brief = self._brief_from_request(request)
        if brief is not None:
            initial.setdefault("subject", f"{brief.label}: {brief.title}"[:200])
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        brief = self._brief_from_request(request)
        if isinstance(inline, CampaignBriefInline) and obj.pk is None and request.method == "GET" and brief:
            kwargs["initial"] = [{"brief": brief.pk, "sort_order": 0}]
        return kwargs

    def get_urls(self):
        def view(function, name):
            return path(
                f"<int:campaign_id>/{name}/",
                self.admin_site.admin_view(function),
                name=f"newsletter_campaign_{name.replace('-', '_')}",
            )

        return [
            view(self.preview_view, "preview"),
            view(self.preview_text_view, "preview-text"),
            view(self.progress_view, "progress"),
            view(self.send_test_view, "send-test"),
            view(self.schedule_view, "schedule"),
            view(self.send_now_view, "send-now"),
            view(self.send_when_live_view, "send-when-live"),
            *(view(self._step_view(step, success), name) for name, (step, success) in self.BUTTON_STEPS.items()),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            initial_time = campaign.scheduled_for or (timezone.now() + timedelta(hours=1)).replace(second=0)
            extra_context = {
                "campaign": campaign,
                "report": campaign_progress_report(campaign=campaign),
                "audience": campaign_audience_count(campaign=campaign) if campaign.is_editable else None,
                "deliverability": deliverability_checks() if campaign.is_editable else None,
                "problems": campaign_problems(campaign=campaign) if campaign.is_editable else [],
                "schedule_form": CampaignScheduleForm(
                    initial={"scheduled_for": timezone.localtime(initial_time).replace(tzinfo=None)}
                ),
                "can_send": self.has_change_permission(request, campaign),
                "briefs_waiting": campaign_briefs_waiting(campaign=campaign) if campaign.is_editable else [],
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _campaign(self, request, campaign_id, *, change: bool) -> Campaign:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        allowed = self.has_change_permission if change else self.has_view_permission
        if not allowed(request, campaign):
            raise PermissionDenied
        return campaign

    def _back(self, campaign):
        return redirect("admin:newsletter_campaign_change", campaign.pk)

    def _act(self, request, campaign, action, success: str):
        """Run a workflow step from a POST, reporting the outcome as an admin message."""
        try:
            action()
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)
        return self._back(campaign)

    def preview_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=False)
        return HttpResponse(campaign_preview(campaign=campaign).html)

    def preview_text_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=False)
        preview = campaign_preview(campaign=campaign)
        return HttpResponse(f"Subject: {preview.subject}\n\n{preview.text}", content_type="text/plain; charset=utf-8")

    def progress_view(self, request, campaign_id):
        """The sending panel's figures as JSON, for its script to poll (the page itself shows the same)."""
        campaign = self._campaign(request, campaign_id, change=False)
        report = campaign_progress_report(campaign=campaign)
        data = {"status": campaign.status, **report.as_json()}
        if campaign.finished_at:
            data["finished_at_text"] = date_format(timezone.localtime(campaign.finished_at), "DATETIME_FORMAT")
        response = JsonResponse(data)
        response["Cache-Control"] = "no-store"
        return response

    @method_decorator(require_POST)
    def send_test_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=True)
        try:
            campaign_send_test(campaign=campaign, to=request.user.email, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        except (OSError, ValueError) as error:
            # smtplib's errors are OSErrors; staff need to know the test did not go.
            self.message_user(request, f"The test email could not be sent: {error}", messages.ERROR)
        else:
            self.message_user(request, f"A test email is on its way to {request.user.email}.", messages.SUCCESS)
        return self._back(campaign)

    @method_decorator(require_POST)
    def schedule_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=True)
        form = CampaignScheduleForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose a valid date and time to send the campaign.", messages.ERROR)
            return self._back(campaign)
        when = form.cleaned_data["scheduled_for"]
        if when <= timezone.now():
            self.message_user(request, "Choose a time in the future.", messages.ERROR)
            return self._back(campaign)
        return self._confirmed_step(
            request,
            campaign,
            step="schedule",
            when=when,
            perform=lambda: campaign_schedule(campaign=campaign, when=when, by=request.user),
            success=f"Scheduled to go out on {date_format(timezone.localtime(when), 'DATETIME_FORMAT')}.",
        )

    @method_decorator(require_POST)
    def send_now_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=True)
        return self._confirmed_step(
            request,
            campaign,
            step="send-now",
            when=None,
            perform=lambda: campaign_send_now(campaign=campaign, by=request.user),
            success="Sending has started. This page shows the progress; you can leave it at any time.",
        )

    @method_decorator(require_POST)
    def send_when_live_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=True)
        waiting = campaign_briefs_waiting(campaign=campaign)
        if not waiting:
            self.message_user(
                request, "Every brief in this campaign is live already: send it now or schedule it.", messages.ERROR
            )
            return self._back(campaign)
        return self._confirmed_step(
            request,
            campaign,
            step="send-when-live",
            when=max(brief.published_at for brief in waiting),
            perform=lambda: campaign_send_when_live(campaign=campaign, by=request.user),
            success="The campaign goes out as soon as its briefs are live.",
        )

    def _confirmed_step(self, request, campaign, *, step: str, when, perform, success: str):
        """Send or schedule only on a POST that repeats how many subscribers the campaign reaches.

        The first POST (the button on the campaign page) changes nothing: it
        answers with the confirmation page. A second POST carrying the
        number staff confirmed (typed, for large audiences) does the step;
        a wrong or outdated number shows the page again with the new one.
        """
        try:
            campaign_require_sendable(campaign=campaign, when=when)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return self._back(campaign)
        errors = []
        if "confirm_recipients" in request.POST:
            try:
                campaign_confirmation_check(campaign=campaign, confirmed=request.POST["confirm_recipients"])
            except ValidationError as error:
                errors = error.messages
            else:
                return self._act(request, campaign, perform, success)
        audience = campaign_audience_count(campaign=campaign)
        titles = {"send-now": "Confirm sending", "schedule": "Confirm the schedule", "send-when-live": "Confirm"}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": titles[step],
            "subtitle": campaign.subject,
            "campaign": campaign,
            "audience": audience,
            "step": step,
            "when": timezone.localtime(when) if when else None,
            "scheduled_for_value": request.POST.get("scheduled_for", "") if step == "schedule" else "",
            "errors": errors,
            "typed_above": settings.NEWSLETTER_CONFIRM_TYPED_ABOVE,
        }
        return TemplateResponse(request, "admin/newsletter/campaign/confirm_send.html", context)

    def _step_view(self, step, success: str):
        """A POST-only view that takes the campaign one ``step`` on, telling staff ``success`` or what stopped it."""

        @require_POST
        def view(request, campaign_id):
            campaign = self._campaign(request, campaign_id, change=True)
            return self._act(request, campaign, lambda: step(campaign=campaign, by=request.user), success)

        return view


def campaign_offer(request, brief):
    """After a brief is published, a link to a new campaign for it (the campaign form fills itself in)."""
    if not request.user.has_perm("newsletter.add_campaign"):
        return None
    url = reverse("admin:newsletter_campaign_add") + f"?brief={brief.pk}"
    if brief.status == Brief.Status.SCHEDULED:
        # Issue 7: never a campaign that reaches readers before the brief does.
        return format_html(
            '<a href="{}">Create a newsletter campaign for “{}”</a> and send it when the brief goes live.', url, brief
        )
    if not brief.is_live:
        return None
    return format_html('<a href="{}">Create a newsletter campaign for “{}”</a>', url, brief)


BriefAdmin.publish_followups.append(campaign_offer)


def campaign_photo_usages(photo) -> list[tuple[str, str, str]]:
    """Campaigns whose email shows the photo (as a brief's header), for the photo library's "used in" list."""
    campaigns = Campaign.objects.filter(briefs__header_photo=photo).distinct().only("pk", "subject", "status")
    return [
        (
            "Newsletter campaign",
            f"{campaign} ({campaign.get_status_display().lower()})",
            reverse("admin:newsletter_campaign_change", args=[campaign.pk]),
        )
        for campaign in campaigns
    ]


PhotoAdmin.usage_finders.append(campaign_photo_usages)


@admin.register(Delivery)
class DeliveryAdmin(RecordAdmin):
    """Who got which campaign, and why an email did not go: a record, so read-only."""

    list_display = ["subscriber", "campaign", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "campaign"]
    search_fields = ["subscriber__email", "message_id"]
    list_select_related = ["subscriber", "campaign"]
    list_per_page = 100
    show_full_result_count = False  # counting 100,000 rows on every page is slow
