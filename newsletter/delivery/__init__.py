"""The sending engine: a campaign's deliveries, claimed in batches and sent over one SMTP connection.

How it works, and what happens on each kind of failure: docs/delivery.md.
What the rest of the app uses is here; the modules are ``messages`` (the
email), ``batches`` (claiming and recording in the database) and ``sending``
(the loop).
"""

from .batches import HARD_BOUNCE_LIMIT, LEASE, deliveries_skip_if_cancelled
from .messages import CampaignEmail
from .sending import DeliveryRun, campaign_deliver

__all__ = [
    "HARD_BOUNCE_LIMIT",
    "LEASE",
    "CampaignEmail",
    "DeliveryRun",
    "campaign_deliver",
    "deliveries_skip_if_cancelled",
]
