"""Environment for the test run, loaded as a pytest plugin before Django starts.

Settings are read from the environment once, at import, so the values tests
depend on are set here rather than in a second settings module. Anything set
from outside (DATABASE_URL for PostgreSQL, say) wins.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-real-site")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SERVE_MEDIA", "1")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Background tasks run at once in tests, inside the request that queues them.
os.environ.setdefault("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
