"""Fixtures for the site-wide plumbing's tests: a database that is not there."""

import copy
import socket
from contextlib import contextmanager

import pytest
from django.db import connections


def closed_port() -> int:
    """A local TCP port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable(tmp_path):
    """Point this thread's default database connection at a database that is not there, until the block ends.

    The connection is a real one with real settings (a closed port on PostgreSQL, a file in a
    missing folder on SQLite), so the failure is the database driver's own; the test database's
    connection is put back untouched afterwards.
    """
    working = connections["default"]
    settings_dict = copy.deepcopy(working.settings_dict)
    if working.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
        settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
    else:
        settings_dict["NAME"] = str(tmp_path / "missing-folder" / "db.sqlite3")
    broken = working.__class__(settings_dict, alias="default")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = working


@pytest.fixture
def unreachable_database(tmp_path):
    """The database is not there for the whole test (see ``database_unreachable``)."""
    with database_unreachable(tmp_path):
        yield
