"""What the app tells the proxies, and when: once per committed change, with the tags of what changed."""

import http.server
import threading

import pytest
from django.db import transaction

from core.content_version import content_version
from tests.factories import BriefFactory, PhotoFactory, Section

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def proxies(settings):
    """Two real HTTP servers standing in for proxies, recording the purges they receive."""
    received, servers = [], []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PURGE(self):
            received.append((self.server.server_address[1], set(self.headers["xkey-purge"].split())))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    for _ in range(2):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    settings.CACHE_PURGE_URLS = [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    yield received
    for server in servers:
        server.shutdown()
        server.server_close()


def test_one_save_of_a_live_brief_is_one_purge_per_proxy(site, proxies):
    """Saving a live brief with its sections (as the admin does, in one transaction) purges once, everything at once."""
    brief = site["briefs"][0]
    before = content_version()

    with transaction.atomic():
        brief.title = "A new title"
        brief.save_edits()
        for section in Section.objects.filter(brief=brief):
            section.body = "<p>Rewritten.</p>"
            section.save()

    assert len(proxies) == 2, "one request to each proxy"
    assert proxies[0][1] == proxies[1][1]
    tags = proxies[0][1]
    assert {f"brief-{brief.pk}", "search", "sitemap", f"series-{brief.series_id}-briefs"} <= tags
    assert "nav" not in tags and "briefs" not in tags, "an edit does not change every list"
    assert content_version() != before


def test_a_change_that_is_rolled_back_purges_nothing(site, proxies):
    before = content_version()

    with pytest.raises(RuntimeError), transaction.atomic():
        site["author"].name = "Never saved"
        site["author"].save()
        raise RuntimeError

    assert proxies == []
    assert content_version() == before


def test_drafts_and_new_library_photos_purge_nothing(site, proxies):
    """Nobody can see a draft or a photo not used yet, so changing them leaves every cached page alone."""
    draft = BriefFactory(series=site["energy"])
    draft.title = "Still a draft"
    draft.save_edits()
    Section.objects.create(brief=draft, heading="Notes", body="<p>Unseen.</p>", sort_order=0)
    PhotoFactory()

    assert proxies == []


def test_renaming_a_series_purges_every_page_but_describing_it_only_its_own(site, proxies):
    """Every page's menu names the series; its description is only on its own page."""
    series = site["energy"]
    series.description = "Energy, briefly."
    series.save()
    series.name = "Power Brief"
    series.save()

    assert [tags for _, tags in proxies[::2]] == [{f"series-{series.pk}"}, {f"series-{series.pk}", "nav"}]


def test_a_lost_version_is_never_found_again(settings, client, site):
    """If the version file disappears, pages cached before are not served as current."""
    settings.PAGE_CACHE = True
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"

    settings.CONTENT_VERSION_FILE.unlink(missing_ok=True)

    assert client.get("/")["X-Page-Cache"] == "miss"
