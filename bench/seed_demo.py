"""Time `manage.py seed_demo --briefs N` on an empty database, then the repeat run `make run` does.

    .venv/bin/python bench/seed_demo.py                 # 10,000 briefs in a throw-away SQLite file
    .venv/bin/python bench/seed_demo.py --briefs 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/seedbench .venv/bin/python bench/seed_demo.py

With DATABASE_URL set, the database must exist and be empty (createdb first,
dropdb after); without it a temporary SQLite file is used and removed. Each
step runs in its own process, as `make run` does, so start-up is included.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefs", type=int, default=10_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="seed-bench-") as scratch:
        env = {**os.environ, "DEBUG": "1", "MEDIA_ROOT": str(Path(scratch) / "media")}
        env.setdefault("DATABASE_URL", f"sqlite:///{Path(scratch) / 'bench.sqlite3'}")
        database = env["DATABASE_URL"].split(":", 1)[0]
        manage("migrate", "--noinput", "-v0", env=env)
        first = manage("seed_demo", "--briefs", str(options.briefs), env=env)
        again = manage("seed_demo", "--briefs", str(options.briefs), env=env)
        default = manage("seed_demo", env=env)

    print(f"seed_demo --briefs {options.briefs:,} on {database}")
    print(f"  empty database:  {first:6.1f} s  ({options.briefs / first:,.0f} briefs/s)")
    print(f"  repeat run:      {again:6.1f} s  ({again / first:.1%} of the first)")
    print(f"  make run's seed: {default:6.1f} s")


if __name__ == "__main__":
    main()
