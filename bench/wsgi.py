"""The WSGI application bench/pages.py runs under gunicorn; never used in production.

``BENCH_APP=site`` is the real site (config.settings, read from the
environment as in production), with static files served from the source
folders so that no ``collectstatic`` is needed. ``BENCH_APP=hello`` is the
framework floor: the same Django with no middleware, no database and one view
that answers "Hello" (URLs in this module, not in config/urls.py).
"""

import os
import sys
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def hello(request):
    return HttpResponse(b"Hello", content_type="text/plain")


urlpatterns = [path("hello", hello)]


def application_make():
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    django.setup(set_prefix=False)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    if os.environ.get("BENCH_APP") == "hello":
        settings.MIDDLEWARE = []
        settings.ROOT_URLCONF = __name__
        return WSGIHandler()
    # The site as config/wsgi.py serves it: the page cache's fast path, and what only a web process sets up.
    from core.caching import page_cache_fast_path
    from core.web_process import web_process_setup

    web_process_setup()
    return page_cache_fast_path(WSGIHandler())


application = application_make()
