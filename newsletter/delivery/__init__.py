"""The sending engine: a campaign's deliveries, claimed in batches and sent over one SMTP connection.

How it works, and what happens on each kind of failure: docs/delivery.md.
What the rest of the app uses is here; the modules are ``messages`` (the
email), ``batches`` (claiming and recording in the database), ``sending``
(the loop) and ``outages`` (waiting out a database that stops answering).
"""

from .batches import HARD_BOUNCE_LIMIT, deliveries_skip_if_cancelled, lease_length
from .messages import CampaignEmail
from .outages import db_retry
from .sending import DeliveryRun, campaign_deliver

__all__ = [
    "HARD_BOUNCE_LIMIT",
    "CampaignEmail",
    "DeliveryRun",
    "campaign_deliver",
    "db_retry",
    "deliveries_skip_if_cancelled",
    "lease_length",
]
