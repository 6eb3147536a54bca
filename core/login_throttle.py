"""Staff login throttling: wrong passwords are counted per account and per client address.

After ``LOGIN_FAILURES_PER_ACCOUNT`` failures for one account, or
``LOGIN_FAILURES_PER_ADDRESS`` failures from one address (across accounts),
within ``LOGIN_LOCKOUT_SECONDS``, further attempts for that account or from
that address are refused for ``LOGIN_LOCKOUT_SECONDS`` — even with the right
password — with a message saying when to try again. A successful login
forgets its account's failures (not its address's: one valid account must not
let an address go on guessing others). Counters live in the default cache
(core/ratelimit.py): Redis in production, so every web worker sees them.

Every failure and every lock is logged on the ``core.login_throttle`` logger
with the account name and client address.

A per-account lock can be set off by anyone who knows a staff user name; that
is the usual price of stopping a slow guess spread over many addresses, and it
ends on its own after ``LOGIN_LOCKOUT_SECONDS``.
"""

import datetime
import logging

from django.conf import settings

from .ratelimit import hashed, ratelimit_block, ratelimit_blocked_until, ratelimit_count, ratelimit_reset

logger = logging.getLogger("core.login_throttle")


def _account_key(username: str) -> str:
    return f"login-account:{hashed(username.strip())}"


def _address_key(address: str) -> str:
    return f"login-address:{hashed(address)}"


def login_refused_until(*, username: str, address: str) -> datetime.datetime | None:
    """When attempts for ``username`` or from ``address`` may start again, or None if they may now."""
    until = ratelimit_blocked_until(keys=[_account_key(username or ""), _address_key(address)])
    if until is None:
        return None
    logger.warning("Refused staff login for account %r from %s: locked until %s.", username, address, _utc(until))
    return datetime.datetime.fromtimestamp(until, tz=datetime.UTC)


def login_failure_record(*, username: str, address: str) -> None:
    """Count a wrong password (or code) for ``username`` from ``address``; lock either when it reaches its limit."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    account_key, address_key = _account_key(username or ""), _address_key(address)
    account_failures = ratelimit_count(key=account_key, window_seconds=window)
    address_failures = ratelimit_count(key=address_key, window_seconds=window)
    logger.info(
        "Failed staff login for account %r from %s (%d for the account, %d from the address).",
        username,
        address,
        account_failures,
        address_failures,
    )
    if account_failures >= settings.LOGIN_FAILURES_PER_ACCOUNT:
        until = ratelimit_block(key=account_key, seconds=window)
        ratelimit_reset(key=account_key)
        logger.warning(
            "Staff login for account %r locked until %s after %d failures (last from %s).",
            username,
            _utc(until),
            account_failures,
            address,
        )
    if address_failures >= settings.LOGIN_FAILURES_PER_ADDRESS:
        until = ratelimit_block(key=address_key, seconds=window)
        ratelimit_reset(key=address_key)
        logger.warning(
            "Staff login from address %s locked until %s after %d failures (last for account %r).",
            address,
            _utc(until),
            address_failures,
            username,
        )


def login_success_record(*, username: str) -> None:
    """Forget the account's failures after a successful login."""
    ratelimit_reset(key=_account_key(username))


def _utc(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
