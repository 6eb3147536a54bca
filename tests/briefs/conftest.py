"""Fixtures for the briefs tests: the newsroom's people (tests/briefs/newsroom_support.py)."""

from tests.briefs.newsroom_support import people  # noqa: F401
