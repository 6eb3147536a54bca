"""Signed confirmation links: the whole subscription request travels in the link.

Nothing is stored when someone fills in the subscribe form. The address, the
chosen series and topics, the form it came from and the version of the
consent wording they saw are signed into the confirmation link; only when
the person opens it and presses "Confirm subscription" is a subscriber saved.
So a form filled in with someone else's address leaves no trace but an email
to that address. Links expire after seven days (the signature carries its
own timestamp), and a changed byte makes the signature fail.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core import signing

CONFIRM_MAX_AGE = timedelta(days=7)
_SALT = "newsletter.confirm-subscription"


class LinkBrokenError(Exception):
    """The link was mangled, tampered with or never issued by us."""


class LinkExpiredError(Exception):
    """The link is genuine but older than CONFIRM_MAX_AGE; ``request`` says what it asked for."""

    def __init__(self, request: "SubscriptionRequest"):
        super().__init__("confirmation link expired")
        self.request = request


@dataclass(frozen=True)
class SubscriptionRequest:
    """What a person asked for on the subscribe form, as carried by the confirmation link."""

    email: str
    source: str
    consent_wording: str
    series_ids: tuple[int, ...] = ()
    topic_ids: tuple[int, ...] = ()
    # When the link was issued: a link sent before someone unsubscribed must
    # not subscribe them again.
    issued_at: datetime = field(default_factory=lambda: datetime.now(tz=UTC))

    @property
    def wants_everything(self) -> bool:
        return not self.series_ids and not self.topic_ids


def confirmation_token_make(*, request: SubscriptionRequest) -> str:
    """Sign ``request`` into a URL-safe token."""
    payload = {
        "e": request.email,
        "s": request.source,
        "w": request.consent_wording,
        "sr": list(request.series_ids),
        "tp": list(request.topic_ids),
        "t": int(time.time() * 1000),  # milliseconds: see issued_at
    }
    return signing.dumps(payload, salt=_SALT, compress=True)


def confirmation_token_read(token: str) -> SubscriptionRequest:
    """The request in ``token``; raises LinkExpiredError or LinkBrokenError."""
    try:
        return _request_from(signing.loads(token, salt=_SALT, max_age=CONFIRM_MAX_AGE))
    except signing.SignatureExpired:
        # Genuine but old: read it again without the age check so the page
        # can offer a new link for the same address and choices.
        raise LinkExpiredError(_request_from(signing.loads(token, salt=_SALT))) from None
    except (signing.BadSignature, ValueError, TypeError, KeyError) as error:
        raise LinkBrokenError(str(error)) from None


def _request_from(payload: dict) -> SubscriptionRequest:
    return SubscriptionRequest(
        email=str(payload["e"]),
        source=str(payload["s"]),
        consent_wording=str(payload["w"]),
        series_ids=tuple(int(pk) for pk in payload.get("sr", [])),
        topic_ids=tuple(int(pk) for pk in payload.get("tp", [])),
        issued_at=datetime.fromtimestamp(int(payload["t"]) / 1000, tz=UTC),
    )
