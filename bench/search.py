"""CPU per request of a search against the dashboard's, measured in one run on the same data.

    createdb -h 127.0.0.1 -U postgres w11_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/w11_bench .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --briefs 2000          # a temporary SQLite file instead

Seeds the database with ``seed_demo --briefs N`` (10,000 by default; a
PostgreSQL database named in DATABASE_URL must exist and is left with the
data, so use a throwaway one), then requests, through Django's test client in
this process, the dashboard and a set of searches (common and rare words, a
phrase, a prefix, a search with filters, one that finds nothing), each
repeatedly, and prints the process CPU time and database queries per request
and the ratio of search to dashboard. The target is a ratio of at most 2.
CPU time counts this process only: Django, the template and the driver; the
database server's share shows in the wall-clock time per request, also printed.
On PostgreSQL the tables are ANALYZEd after seeding, as autovacuum would.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEARCHES = [
    {"q": "energy"},
    {"q": "policy"},
    {"q": '"shipping lanes"'},
    {"q": "secur*"},
    {"q": "grid or wind", "series": "energy-policy"},
    {"q": "xylophone"},
]


def measure(client, path, params, repeats: int) -> tuple[float, float, int]:
    """CPU seconds and wall seconds per request (median), and the queries one request makes."""
    from django.db import connection

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(path, params).status_code == 200
    cpu, wall = [], []
    for _ in range(repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        response = client.get(path, params)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
        assert response.status_code == 200
    return statistics.median(cpu), statistics.median(wall), len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=30)
    options = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="search-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch.name}/bench.sqlite3")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "bench-only-secret-key",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver",
            "MEDIA_ROOT": str(Path(scratch.name) / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    env = {**os.environ, "DEBUG": "1"}
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--briefs", str(options.briefs), "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from briefs.models import Brief

    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum would have gathered by now on a live site: without them the
        # planner guesses a handful of published briefs and scans them all instead of using the GIN index.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # Static files as in tests: the manifest needs collectstatic, which a benchmark does not.
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    client = Client()
    published = Brief.objects.published().count()
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]

    dashboard_cpu, dashboard_wall, dashboard_queries = measure(client, "/", {}, options.repeats)
    print(f"{published:,} published briefs on {vendor}; median of {options.repeats} requests each\n")
    print(f"{'page':42} {'CPU ms':>8} {'wall ms':>8} {'queries':>8} {'CPU vs dashboard':>17}")
    print(f"{'dashboard':42} {dashboard_cpu * 1000:8.1f} {dashboard_wall * 1000:8.1f} {dashboard_queries:8d}")
    ratios = []
    for params in SEARCHES:
        cpu, wall, queries = measure(client, "/search/", params, options.repeats)
        ratios.append(cpu / dashboard_cpu)
        label = "search " + " ".join(f"{key}={value}" for key, value in params.items())
        print(f"{label[:42]:42} {cpu * 1000:8.1f} {wall * 1000:8.1f} {queries:8d} {ratios[-1]:16.2f}×")
    print(f"\nworst search / dashboard CPU: {max(ratios):.2f}× (target ≤ 2×)")
    scratch.cleanup()


if __name__ == "__main__":
    main()
