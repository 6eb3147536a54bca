"""ASGI entry point, for servers that speak ASGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# Only the web process: statement timeout and answer deadline for PostgreSQL (core/database.py);
# management commands (db_worker, migrate) do not load this module and keep no statement timeout.
from core.database import web_process_database_limits  # noqa: E402 - needs the settings loaded above

web_process_database_limits()

# Only the web process: the content version kept in memory, renewed by a thread (core/content_version.py).
from core.content_version import content_version_keep  # noqa: E402 - needs the settings loaded above

content_version_keep()
