"""A database that refuses or hangs gives readers a 503 within seconds, and the site recovers on its own.

Three limits, so that no request waits on PostgreSQL for long:

* **Connecting** gives up after ``DATABASE_CONNECT_TIMEOUT`` seconds (libpq's
  ``connect_timeout``, in config/settings.py, for every process; in the web
  process the wait callback below enforces it, since libpq does not while a
  callback waits).
* **Statements** in the web process are stopped by PostgreSQL itself after
  ``DATABASE_STATEMENT_TIMEOUT`` seconds (``statement_timeout``, sent when the
  connection opens, so it costs no round trip). A slow query is cancelled
  cleanly and its connection stays usable.
* **Answers**: a hung server, or a network that swallows packets, never
  answers at all, so no server-side timeout can fire. The web process
  therefore waits for PostgreSQL through a psycopg2 wait callback with a
  deadline (the statement timeout plus a little, so that PostgreSQL's own
  cancel normally wins). When it passes, psycopg2 marks the connection broken
  and Django opens a fresh one next time (CONN_HEALTH_CHECKS). For a few
  seconds after that, new connections in the same process fail at once rather
  than waiting again: a hung database then costs each worker one wait every few
  seconds, not one per request. (The callback costs about 3 µs of CPU a query.)

Only the web process gets the last two (``web_process_database_limits``, called
by core/web_process.py from config/wsgi.py and config/asgi.py):
``db_worker``'s batches, migrations and other management commands keep
PostgreSQL's default of no statement timeout, so long, legitimate work is never
cut short. ``DATABASE_STATEMENT_TIMEOUT=0`` turns both off, e.g. behind a
connection pooler that refuses startup options (PgBouncer accepts them with
``ignore_startup_parameters = options``).

What the reader sees is ``core.views.server_error``: a database that cannot be
reached is a 503 page with ``Retry-After``, drawn without the database.
"""

import select
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError

# After the database failed to answer, new connections fail at once for this long (per process).
QUIET_AFTER_TIMEOUT = 5.0
# What a wait for an answer may exceed the statement timeout by before the connection is given up.
ANSWER_MARGIN = 0.5

_last_timeout: float | None = None


def database_unavailable(exception: BaseException | None) -> bool:
    """True for the errors of a database that is down, unreachable or too slow (not for bad queries)."""
    # Refused, timed out, cut off, cancelled by statement_timeout: all OperationalError; a connection
    # closed under Django's feet is an InterfaceError.
    return isinstance(exception, (OperationalError, InterfaceError))


def web_process_database_limits() -> None:
    """Give the web process's PostgreSQL connections a statement timeout and an answer deadline (see the module)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql" or settings.DATABASE_STATEMENT_TIMEOUT <= 0:
        return
    import psycopg2.extensions

    milliseconds = int(settings.DATABASE_STATEMENT_TIMEOUT * 1000)
    options = database.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c statement_timeout={milliseconds}".strip()
    psycopg2.extensions.set_wait_callback(wait_with_deadline)


def wait_with_deadline(connection) -> None:
    """psycopg2's wait callback: like ``psycopg2.extras.wait_select``, but never longer than the limits allow."""
    import psycopg2
    import psycopg2.extensions as ext

    global _last_timeout
    connecting = connection.status == ext.STATUS_SETUP
    if connecting and _last_timeout is not None and time.monotonic() - _last_timeout < QUIET_AFTER_TIMEOUT:
        raise psycopg2.OperationalError("the database did not answer a moment ago; not waiting for it again yet")
    limit = settings.DATABASE_CONNECT_TIMEOUT if connecting else settings.DATABASE_STATEMENT_TIMEOUT + ANSWER_MARGIN
    deadline = time.monotonic() + limit
    while True:
        state = connection.poll()
        if state == ext.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _last_timeout = time.monotonic()
            raise psycopg2.OperationalError(f"the database did not answer within {limit:g} seconds")
        if state == ext.POLL_READ:
            select.select([connection.fileno()], [], [], remaining)
        elif state == ext.POLL_WRITE:
            select.select([], [connection.fileno()], [], remaining)
        else:
            raise psycopg2.OperationalError(f"unexpected state from the database driver: {state}")
