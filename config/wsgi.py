"""WSGI entry point, used by gunicorn in production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Pages in the page cache are answered before Django builds a request (core/caching.py).
from core.caching import page_cache_fast_path  # noqa: E402 - needs the settings loaded above

application = page_cache_fast_path(application)

# Only the web process: statement timeout and answer deadline for PostgreSQL (core/database.py);
# management commands (db_worker, migrate) do not load this module and keep no statement timeout.
from core.database import web_process_database_limits  # noqa: E402 - needs the settings loaded above

web_process_database_limits()

# Only the web process: the content version kept in memory, renewed by a thread (core/content_version.py).
from core.content_version import content_version_keep  # noqa: E402 - needs the settings loaded above

content_version_keep()
