"""Staff screens for the newsletter; importing the modules registers their ModelAdmins."""

from . import campaigns, subscribers

__all__ = ["campaigns", "subscribers"]
