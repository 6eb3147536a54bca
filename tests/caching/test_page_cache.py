"""The application's page cache, for sites without a proxy: fast for readers, never stale after a change.

These tests commit for real (``transactional_db``): the cache follows changes
once they are committed, as on a live site.
"""

import pytest
from django.test import Client

from briefs.models import Brief
from tests.factories import BriefAuthor, BriefFactory, Section

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True


def test_a_second_reader_gets_the_page_without_any_query(client, site, django_assert_num_queries):
    """Once drawn, a public page is answered from the cache: no view, no session, no database."""
    address = site["briefs"][0].get_absolute_url()
    first = client.get(address)
    assert first["X-Page-Cache"] == "miss"

    with django_assert_num_queries(0):
        second = Client().get(address)

    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert "public" in second["Cache-Control"]


def test_a_cached_page_answers_a_revalidation_with_304(client, site):
    etag = client.get("/")["ETag"]

    response = client.get("/", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_tracking_parameters_share_the_plain_address_copy(client, site):
    """utm_*, fbclid, a random cache-buster or page=1 give the copy of the plain address, not a new one each."""
    client.get("/?topic=grids")
    for address in ("/?topic=grids&utm_source=x&utm_medium=y", "/?fbclid=123&topic=grids", "/?topic=grids&page=1"):
        assert client.get(address)["X-Page-Cache"] == "hit", address
    assert client.get("/?topic=grids&page=2")["X-Page-Cache"] == "miss", "a page number is a different page"


def test_different_searches_are_never_confused(client, site):
    """The last value of a repeated parameter is the one that counts, and an over-long search is never shared."""
    client.get("/?topic=grids&topic=nothing")
    assert client.get("/?topic=nothing&topic=grids")["X-Page-Cache"] == "miss"
    long_query = "grid " * 41
    client.get(f"/search/?q={long_query}")
    assert "X-Page-Cache" not in client.get(f"/search/?q={long_query}")


def test_the_varnish_configuration_keeps_the_same_parameters_as_the_app():
    """Both caches keep exactly the parameters that choose a page (one list in core/caching.py, one in the VCL)."""
    from core.caching import PAGE_PARAMETERS
    from tests.varnish import VCL

    assert f"(?:{'|'.join(PAGE_PARAMETERS)})=" in VCL.read_text()


def test_each_encoding_is_kept_apart(client, site):
    """A browser that takes brotli and one that takes nothing each get their own copy."""
    client.get("/", headers={"Accept-Encoding": "br"})

    plain = client.get("/")

    assert plain["X-Page-Cache"] == "miss"
    assert "Content-Encoding" not in plain


def test_publishing_shows_at_once(client, site):
    """A brief published after the dashboard was cached is on the very next view of it."""
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/")["X-Page-Cache"] == "hit"
    brief = BriefFactory(title="Hydrogen corridors", series=site["energy"])
    BriefAuthor.objects.create(brief=brief, author=site["author"], sort_order=0)

    brief.publish(by=None)

    assert "Hydrogen corridors" in client.get("/").content.decode()
    assert "Hydrogen corridors" in client.get("/series/energy/").content.decode()


def test_withdrawing_editing_and_renaming_show_at_once(client, site):
    """Unpublishing, editing a live brief's text and renaming its author each show on the next view."""
    first, second = site["briefs"][:2]
    for address in ("/", first.get_absolute_url(), second.get_absolute_url()):
        client.get(address)

    second.unpublish(by=None)
    assert "Grid storage second" not in client.get("/").content.decode()
    assert client.get(second.get_absolute_url()).status_code == 404

    section = Section.objects.filter(brief=first).first()
    section.body = "<p>A freshly corrected paragraph.</p>"
    section.save()
    assert "A freshly corrected paragraph." in client.get(first.get_absolute_url()).content.decode()

    author = site["author"]
    author.name = "Ada Renamed"
    author.save()
    assert "Ada Renamed" in client.get(first.get_absolute_url()).content.decode()
    assert Brief.objects.published().count() == 2


def test_staff_never_get_the_readers_copy(client, staff_user, site):
    """An editor signed in sees their own page (with its "Edit" links), not the copy kept for readers."""
    client.get("/")
    client.force_login(staff_user)

    response = client.get("/")

    assert "X-Page-Cache" not in response
    assert "private" in response["Cache-Control"]
