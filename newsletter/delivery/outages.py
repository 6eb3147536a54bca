"""Riding out a database that stops answering while a campaign is being sent.

Part of the sending engine; see docs/delivery.md. A dropped connection, a
restarting server or a locked SQLite file raise ``OperationalError`` (or
``InterfaceError`` on a connection already closed). Left alone, that would end
the task and, when the task worker cannot record the failure either, the
worker process itself, leaving the campaign to whoever notices. Each database
step of the sending engine is a short, repeatable unit instead, run through
``db_retry``: on such an error the broken connection is closed and the step is
tried again after a growing wait, for as long as
``NEWSLETTER_DB_PATIENCE_SECONDS`` allows.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import Error, InterfaceError, OperationalError
from django.db import connection as db_connection

logger = logging.getLogger(__name__)

# Waits between tries: 0.5 s, 1, 2, 4, 8, then every 10 s.
FIRST_WAIT = 0.5
LONGEST_WAIT = 10.0


def db_retry[T](step: Callable[[], T], *, what: str) -> T:
    """Run ``step`` (a function that opens and commits its own transaction, if any) until the database answers.

    Gives up, raising the last error, once ``NEWSLETTER_DB_PATIENCE_SECONDS``
    have passed. Inside a transaction the caller opened, an error is raised at
    once: the transaction is lost, and only its owner can start it again.
    """
    patience = settings.NEWSLETTER_DB_PATIENCE_SECONDS
    started = time.monotonic()
    wait = FIRST_WAIT
    tries = 0
    while True:
        try:
            result = step()
        except (OperationalError, InterfaceError) as error:
            if db_connection.in_atomic_block:
                raise
            tries += 1
            waited = time.monotonic() - started
            if waited + wait > patience:
                logger.error("Database unavailable while %s for %.0f s; giving up: %s", what, waited, error)
                raise
            logger.warning("Database unavailable while %s (try %s), again in %.1f s: %s", what, tries, wait, error)
            _close_broken_connection()
            # A wait, not a busy loop: the database is down or restarting, and
            # asking again at once would only add to its load when it returns.
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)
        else:
            if tries:
                logger.warning("Database back after %.1f s while %s.", time.monotonic() - started, what)
            return result


def _close_broken_connection() -> None:
    """Drop the connection so that the next query opens a new one (closing a dead one may fail too)."""
    try:
        db_connection.close()
    except Error:
        logger.debug("Closing the broken database connection failed", exc_info=True)
