"""Public pages under load, from one run: req/s, p50/p99 and CPU ms per request, uncached, app-cached and via Varnish.

    .venv/bin/python bench/pages.py                      # 1,000 briefs in a throwaway PostgreSQL database
    .venv/bin/python bench/pages.py --briefs 10000 --duration 10
    .venv/bin/python bench/pages.py --load               # 60 s at 64 connections, through Varnish and direct
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/pages.py   # a database you name

Without DATABASE_URL a database ``bench_pages_<pid>`` is made on
postgres@127.0.0.1:5432 and dropped at the end; a database named in
DATABASE_URL is used (and filled) as it is, so name a throwaway one. The script
seeds N published briefs (``seed_demo --briefs N``), then for each setup starts
gunicorn (2 sync workers, as production) on a free loopback port and measures
with ``wrk`` (``apt-get install -y wrk``; 16 connections, ``--duration`` s):

* hello: a bare Django view with no middleware and no database (bench/wsgi.py):
  the framework floor on this machine;
* uncached: ``PAGE_CACHE=0`` (fragments in Redis, as in production);
* app cache: ``PAGE_CACHE=1`` with Redis (``redis://127.0.0.1:6379/9``), and
  again without ``REDIS_URL`` (each worker's memory, the default without a proxy);
* Varnish: deploy/varnish/default.vcl on a free port (tests/varnish.py) in
  front of the uncached app, warmed with one request per page;
* static: Varnish serving static/css/site.css (36 KB, the size of a page):
  the physical limit.

CPU per request is the gunicorn workers' CPU (``/proc/<pid>/stat``) plus that
of the PostgreSQL backends connected to the bench database (and varnishd's for
the Varnish rows), divided by the requests served. On a shared machine req/s is
noisy; CPU per request is steadier. Uncached requests carry no
Accept-Encoding (pages are drawn and sent uncompressed, as in the issue's
figures); requests for cached pages, from the app's page cache or through
Varnish, ask for gzip as every browser does, so that what is measured is the
stored copy a reader is sent (the app keeps it compressed; Varnish keeps
pages gzipped).
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.varnish import VarnishProxy, free_port, varnish_missing  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/9"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")
TARGETS_CPU_MS = {"dashboard": 6.0, "brief": 4.5}
# The bare hello view's CPU per request where the targets above were set.
ISSUE_HELLO_CPU_MS = 0.28
GZIP = "Accept-Encoding: gzip"


def process_cpu(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def psql(database_url: str, sql: str) -> str:
    return subprocess.run(["psql", database_url, "-Atc", sql], check=True, capture_output=True, text=True).stdout


class Gunicorn:
    """gunicorn with 2 sync workers running bench/wsgi.py on a free loopback port."""

    def __init__(self, env: dict, *, workers: int = 2, worker_class: str = "sync", threads: int = 1):
        self.port = free_port()
        self.env = env
        self.probe = "/hello" if env.get("BENCH_APP") == "hello" else "/healthz"
        self.command = [
            str(ROOT / ".venv/bin/gunicorn"),
            "--chdir",
            str(ROOT),
            "-w",
            str(workers),
            "-k",
            worker_class,
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "bench.wsgi:application",
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + self.probe, timeout=2)
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer {self.probe}")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def cpu(self) -> float:
        return sum(process_cpu(pid) for pid in children(self.process.pid))


def wrk(url: str, *, duration: int, connections: int, headers=()) -> dict:
    """req/s, p50 and p99 in ms, requests and errors, from one wrk run."""
    threads = min(2, connections)
    extra = [part for header in headers for part in ("-H", header)]
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", *extra, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def latency(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, flags=re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": requests,
        "errors": errors,
    }


class Measure:
    """Runs wrk against a URL and counts the CPU of the processes serving it."""

    def __init__(self, database_url: str, *, duration: int, connections: int):
        self.database = database_url.rsplit("/", 1)[1].split("?")[0]
        self.database_url = database_url
        self.duration, self.connections = duration, connections

    def postgres_pids(self) -> list[int]:
        rows = psql(self.database_url, f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.database}'")
        return [int(pid) for pid in rows.split()]

    def __call__(self, url: str, *, app=None, varnish=None, gzip: bool = False, warm: int = 20) -> dict:
        # Through Varnish, ask for gzip as every browser does: Varnish keeps pages gzipped and would unzip each
        # one for a client that does not take it. The app is asked for plain pages, as in the issue's figures.
        headers = [GZIP] if varnish or gzip else []
        for _ in range(warm):
            urllib.request.urlopen(
                urllib.request.Request(url, headers=dict(h.split(": ") for h in headers)), timeout=10
            ).read()
        pids = self.postgres_pids() if app else []
        started = (app.cpu() if app else 0) + sum(map(process_cpu, pids))
        started += (
            process_cpu(varnish.process.pid) + sum(map(process_cpu, children(varnish.process.pid))) if varnish else 0
        )
        result = wrk(url, duration=self.duration, connections=self.connections, headers=headers)
        ended = (app.cpu() if app else 0) + sum(map(process_cpu, pids))
        ended += (
            process_cpu(varnish.process.pid) + sum(map(process_cpu, children(varnish.process.pid))) if varnish else 0
        )
        result["cpu_ms"] = 1000 * (ended - started) / max(result["requests"], 1)
        return result


def row(label: str, result: dict) -> str:
    return (
        f"{label:34} {result['rps']:>9,.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} "
        f"{result['cpu_ms']:>8.2f} {result['errors']:>7}"
    )


HEADER = f"{'page':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>8} {'errors':>7}"


def seed(database_url: str, briefs: int) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1", "LOG_LEVEL": "WARNING"}
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--briefs", str(briefs), "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    psql(database_url, "VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefs", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=8, help="seconds of wrk per row (default 8)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--load", action="store_true", help="60 s at 64 connections through Varnish and direct")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    if problem := varnish_missing():
        sys.exit(problem)

    made_database = None
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        made_database = f"bench_pages_{os.getpid()}"
        psql(PG_ADMIN, f"CREATE DATABASE {made_database}")
        database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + made_database
    try:
        print(f"Seeding {options.briefs:,} briefs …", flush=True)
        seed(database_url, options.briefs)
        run(database_url, options)
    finally:
        if made_database:
            psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {made_database} WITH (FORCE)")


def run(database_url: str, options) -> None:
    brief_slug = psql(
        database_url,
        "SELECT slug FROM briefs_brief WHERE status = 'published' "
        "ORDER BY published_at DESC, id DESC OFFSET 40 LIMIT 1",
    ).strip()
    topic_slug = psql(database_url, "SELECT slug FROM briefs_topic ORDER BY name LIMIT 1").strip()
    pages = {"dashboard": "/", "filtered dashboard": f"/?topic={topic_slug}", "brief": f"/briefs/{brief_slug}/"}
    base_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-only-secret-key",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "CACHE_PURGE_URLS": "",
    }
    subprocess.run(["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "FLUSHDB"], check=True, capture_output=True)
    measure = Measure(database_url, duration=options.duration, connections=options.connections)
    if options.load:
        return load(base_env, pages, measure)

    results = {}
    print(
        f"\n{options.briefs:,} briefs, gunicorn 2 sync workers, wrk {options.connections} connections, "
        f"{options.duration} s a row, {os.cpu_count()} CPUs\n"
    )
    print(HEADER)
    with Gunicorn({**base_env, "BENCH_APP": "hello"}) as hello:
        results["hello"] = measure(hello.url + "/hello", app=hello)
        print(row("hello (no middleware, no DB)", results["hello"]), flush=True)
    with Gunicorn({**base_env, "PAGE_CACHE": "0"}) as app:
        for name, path in pages.items():
            results[f"{name} uncached"] = measure(app.url + path, app=app)
            print(row(f"{name}, uncached", results[f"{name} uncached"]), flush=True)
        with VarnishProxy(backend_ports=[app.port]) as varnish:
            for name, path in pages.items():
                results[f"{name} varnish"] = measure(varnish.url + path, app=app, varnish=varnish)
                print(row(f"{name}, Varnish", results[f"{name} varnish"]), flush=True)
            results["static"] = measure(varnish.url + "/static/css/site.css", varnish=varnish)
            print(row("static file via Varnish (36 KB)", results["static"]), flush=True)
    with Gunicorn({**base_env, "PAGE_CACHE": "1"}) as app:
        for name, path in pages.items():
            results[f"{name} app cache"] = measure(app.url + path, app=app, gzip=True)
            print(row(f"{name}, app page cache (Redis)", results[f"{name} app cache"]), flush=True)
    # Without REDIS_URL (the default for a site with no proxy) pages are kept in each worker's memory and
    # the content version in a file: no round trip to another process on a hit.
    local_env = {name: value for name, value in base_env.items() if name != "REDIS_URL"}
    with Gunicorn({**local_env, "PAGE_CACHE": "1"}) as app:
        for name, path in pages.items():
            results[f"{name} app cache local"] = measure(app.url + path, app=app, gzip=True)
            print(row(f"{name}, app page cache (memory)", results[f"{name} app cache local"]), flush=True)

    hello_result = results["hello"]
    print("\nRatios (targets in brackets)")
    for name in pages:
        cached = results[f"{name} app cache"]["rps"] / hello_result["rps"]
        cached_local = results[f"{name} app cache local"]["rps"] / hello_result["rps"]
        proxied = results[f"{name} varnish"]["rps"] / results["static"]["rps"]
        print(
            f"  {name:20} app cache / hello req/s: Redis {cached:5.2f}×, memory {cached_local:5.2f}× (≥ 0.9)   "
            f"Varnish / static req/s {proxied:5.2f}× (≥ 0.8)"
        )
    # The issue's targets were measured beside a hello view costing 0.28 ms; scaled by our hello, a slower
    # (or busier) machine shows up as such instead of as a slower site.
    scale = hello_result["cpu_ms"] / ISSUE_HELLO_CPU_MS
    print(f" hello {hello_result['cpu_ms']:.2f} ms here, {ISSUE_HELLO_CPU_MS} ms where targets were set: ×{scale:.2f}")
    for name in pages:
        cpu = results[f"{name} uncached"]["cpu_ms"]
        target = TARGETS_CPU_MS.get(name)
        target_text = (
            f"target ≤ {target} ms: {'met' if cpu <= target else 'MISSED'}; "
            f"scaled ≤ {target * scale:.2f} ms: {'met' if cpu <= target * scale else 'MISSED'}"
            if target
            else "no target"
        )
        print(f"  {name:20} uncached CPU {cpu:5.2f} ms ({target_text}), {cpu / hello_result['cpu_ms']:5.1f}× hello")


def load(base_env: dict, pages: dict, measure: Measure) -> None:
    """60 s at 64 connections: the brief page through Varnish, and the dashboard straight to gunicorn (uncached)."""
    measure.duration, measure.connections = 60, 64
    print(f"\nLoad: {measure.duration} s at {measure.connections} connections\n")
    print(HEADER)
    with Gunicorn({**base_env, "PAGE_CACHE": "0"}) as app:
        with VarnishProxy(backend_ports=[app.port]) as varnish:
            result = measure(varnish.url + pages["brief"], app=app, varnish=varnish)
            print(row("brief via Varnish", result), f"  p99/p50 {result['p99'] / result['p50']:.1f}×", flush=True)
        for name in ("dashboard", "brief"):
            result = measure(app.url + pages[name], app=app)
            print(
                row(f"{name} direct, uncached", result), f"  p99/p50 {result['p99'] / result['p50']:.1f}×", flush=True
            )


if __name__ == "__main__":
    main()
