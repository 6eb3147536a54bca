"""What the newsletter does when a brief goes live: send the campaigns that were waiting for it (issue 7)."""

from django.dispatch import receiver

from briefs.signals import brief_went_live

from .campaigns import campaigns_release_for_brief


@receiver(brief_went_live, dispatch_uid="newsletter.campaigns_release_for_brief")
def send_campaigns_waiting_for_brief(sender, brief, **kwargs):
    campaigns_release_for_brief(brief_id=brief.pk)
