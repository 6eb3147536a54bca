"""What the newsletter does when a brief goes live.

Sends the campaigns that were waiting for it (issue 7), makes its alert for
the subscribers who asked for each new brief, and makes sure the weekly
digest's task chain is running (newsletter/alerts.py).
"""

from django.dispatch import receiver

from briefs.signals import brief_went_live

from .alerts import alert_for_brief, digest_chain_start
from .campaigns import campaigns_release_for_brief


@receiver(brief_went_live, dispatch_uid="newsletter.campaigns_release_for_brief")
def send_campaigns_waiting_for_brief(sender, brief, **kwargs):
    campaigns_release_for_brief(brief_id=brief.pk)


@receiver(brief_went_live, dispatch_uid="newsletter.alert_for_brief")
def send_alert_for_brief(sender, brief, **kwargs):
    alert_for_brief(brief_id=brief.pk)
    digest_chain_start()
