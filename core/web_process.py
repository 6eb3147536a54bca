"""What only a web process sets up: config/wsgi.py and config/asgi.py call ``web_process_setup`` (and so does
bench/wsgi.py). Management commands and ``db_worker`` do not load those modules, and so run without it.
"""

from .content_version import content_version_keep
from .database import web_process_database_limits


def web_process_setup() -> None:
    # A statement timeout and an answer deadline for PostgreSQL (core/database.py): db_worker's batches and
    # migrations keep none, so long, legitimate work is never cut short.
    web_process_database_limits()
    # The content version kept in memory, renewed by a thread (core/content_version.py).
    content_version_keep()
