"""WSGI entry point, used by gunicorn in production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Pages in the page cache are answered before Django builds a request (core/caching.py).
from core.caching import page_cache_fast_path  # noqa: E402 - needs the settings loaded above

application = page_cache_fast_path(application)

# Only the web process: database limits and the content version kept in memory (core/web_process.py).
from core.web_process import web_process_setup  # noqa: E402 - needs the settings loaded above

web_process_setup()
