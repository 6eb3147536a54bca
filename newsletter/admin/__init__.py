"""Staff screens for the newsletter; importing the modules registers their ModelAdmins."""

from . import alerts, campaigns, overview, subscribers

__all__ = ["alerts", "campaigns", "overview", "subscribers"]
