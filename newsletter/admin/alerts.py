"""Staff screens for what the site sends by itself: the newsletter settings (alerts, digest day) and the digests."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from briefs.admin import BriefAdmin

from ..alerts import newsletter_settings_changed
from ..models import Campaign, Digest, NewsletterSettings
from .records import RecordAdmin


def alert_notice(request, brief):
    """After a brief is published: its alert went (or goes) out by itself, so staff need not write one."""
    alert = Campaign.objects.filter(kind=Campaign.Kind.ALERT, alert_brief=brief).first()
    if alert is None or not request.user.has_perm("newsletter.view_campaign"):
        return None
    url = reverse("admin:newsletter_campaign_change", args=[alert.pk])
    return format_html(
        'Subscribers who asked for each new brief get <a href="{}">an alert about “{}”</a> by themselves.',
        url,
        brief,
    )


BriefAdmin.publish_followups.append(alert_notice)


@admin.register(NewsletterSettings)
class NewsletterSettingsAdmin(admin.ModelAdmin):
    """One page: switch alerts and digests on or off site-wide, and choose the digest's day and hour."""

    fields = ["alerts_enabled", "digest_weekday", "digest_hour", "next_digest_at"]
    readonly_fields = ["next_digest_at"]

    @admin.display(description="Next digest")
    def next_digest_at(self, obj):
        return obj.next_digest_at or "Not queued yet: it is queued when the next brief goes live or these are saved."

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        NewsletterSettings.load()
        return redirect("admin:newsletter_newslettersettings_change", 1)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        schedule_fields = {"alerts_enabled", "digest_weekday", "digest_hour"}
        newsletter_settings_changed(site=obj, schedule_changed=bool(schedule_fields & set(form.changed_data)))


@admin.register(Digest)
class DigestAdmin(RecordAdmin):
    """Each weekly digest: its period, whom it reached and who had nothing new; a record, so read-only."""

    list_display = ["__str__", "period_start", "period_end", "subscribers_count", "skipped_count", "campaigns_link"]
    readonly_fields = ["period_start", "period_end", "created_at", "subscribers_count", "skipped_count"]

    @admin.display(description="Campaigns")
    def campaigns_link(self, obj):
        url = reverse("admin:newsletter_campaign_changelist") + f"?digest__id__exact={obj.pk}"
        return format_html('<a href="{}">{} campaign(s)</a>', url, obj.campaigns.count())
