"""ASGI entry point, for servers that speak ASGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# Only the web process: database limits and the content version kept in memory (core/web_process.py).
from core.web_process import web_process_setup  # noqa: E402 - needs the settings loaded above

web_process_setup()
