"""The fragment cache's memory backend: values come back as stored, without a pickled copy, and still expire."""

import time_machine
from django.core.cache import caches


def test_fragments_come_back_as_the_very_object_stored_and_expire_on_time():
    """A fragment is read back without unpickling (the cost this backend removes) and is gone after its timeout."""
    cache = caches["fragments"]
    cache.clear()
    piece = ["<p>made once</p>"]
    with time_machine.travel("2026-11-30 12:00", tick=False) as clock:
        cache.set("piece", piece, timeout=60)
        assert cache.get("piece") is piece
        assert cache.get_many(["piece", "absent"]) == {"piece": piece}
        assert cache.add("piece", ["other"]) is False, "add never replaces a live value"
        clock.shift(61)
        assert cache.get("piece") is None
        assert cache.add("piece", ["fresh"]) is True
        assert cache.get("piece") == ["fresh"]
    cache.clear()
