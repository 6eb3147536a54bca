"""The newsletter overview for staff: how the list grows, what people follow, how the last campaigns went."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from ..charts import horizontal_bars, list_size_chart, weekly_flow_chart
from ..stats import campaigns_recent, subscriber_weeks, subscribers_by_choice


def overview_view(model_admin, request):
    """Charts drawn on the server (no script, no third-party request), each followed by its numbers in a table."""
    if not request.user.has_perm("newsletter.view_subscriber"):
        raise PermissionDenied
    weeks = subscriber_weeks()
    choices = subscribers_by_choice()
    campaigns = campaigns_recent()
    choice_rows = [
        (label, [(count, "bar-everything" if kind == "everything" else f"bar-{kind}", "subscribers")])
        for kind in ("everything", "series", "topics")
        for label, count in choices[kind]
    ]
    campaign_rows = [
        (
            str(row.campaign),
            [
                (row.sent, "bar-sent", "sent"),
                (row.failed, "bar-failed", "failed"),
                (row.skipped, "bar-skipped", "skipped"),
            ],
        )
        for row in campaigns
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Newsletter overview",
        "weeks": weeks,
        "now_subscribed": weeks[-1].subscribed_at_end if weeks else 0,
        "joined_year": sum(week.confirmed for week in weeks),
        "left_year": sum(week.unsubscribed + week.bounced for week in weeks),
        "size_chart": list_size_chart(weeks),
        "flow_chart": weekly_flow_chart(weeks),
        "choices": choices,
        "choice_chart": horizontal_bars(choice_rows),
        "campaigns": campaigns,
        "campaign_chart": horizontal_bars(campaign_rows, label_width=280),
    }
    return TemplateResponse(request, "admin/newsletter/overview.html", context)
