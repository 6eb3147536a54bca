"""What browsers and shared caches are told about each page (the test client, no proxy).

Public pages for anonymous readers may be kept by anyone; staff, previews,
forms with errors and personal newsletter pages may be kept by nobody.
"""

import gzip

import brotli
import pytest
from django.test import Client
from django.utils import timezone

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db


def public_addresses(site) -> list[str]:
    first = site["briefs"][0]
    return [
        "/",
        "/?topic=grids&utm_source=newsletter",
        "/search/?q=grid",
        first.get_absolute_url(),
        f"/briefs/{first.slug}/cite.bib",
        "/series/energy/",
        "/topics/grids/",
        "/authors/ada/",
        "/feed/",
        "/feed/atom/",
        "/feed/json/",
        "/series/energy/feed/",
        "/topics/grids/feed/atom/",
        "/authors/ada/feed/",
        "/sitemap.xml",
        "/robots.txt",
    ]


def test_public_pages_may_be_kept_by_browsers_and_shared_caches(client, site, settings):
    """Every public page tells caches they may keep it, and sets no cookie and no Vary: Cookie that would stop them."""
    settings.CACHE_MAX_AGE, settings.CACHE_S_MAXAGE, settings.CACHE_STALE_WHILE_REVALIDATE = 61, 3601, 31
    for address in public_addresses(site):
        response = client.get(address)

        assert response.status_code == 200, address
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert directives == {"public", "max-age=61", "s-maxage=3601", "stale-while-revalidate=31"}, address
        assert not response.cookies, address
        assert "cookie" not in response.get("Vary", "").lower(), address
        assert response["ETag"].startswith('"'), f"{address}: a strong ETag"


def test_a_reader_who_has_the_page_already_gets_304_and_no_body(client, site):
    """A browser revalidating its copy with If-None-Match is told it is still good, without the page again."""
    for address in ("/", site["briefs"][0].get_absolute_url(), "/feed/", "/sitemap.xml"):
        etag = client.get(address)["ETag"]

        again = client.get(address, headers={"If-None-Match": etag})

        assert again.status_code == 304, address
        assert again.content == b""
        assert client.get(address, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_staff_pages_are_kept_by_nobody(staff_client, site):
    """A signed-in editor's view of a public page (with its "Edit" links) is never stored by a shared cache."""
    for address in ("/", site["briefs"][0].get_absolute_url(), "/series/energy/"):
        response = staff_client.get(address)

        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], address
        assert "public" not in response["Cache-Control"]


def test_previews_forms_with_errors_and_personal_pages_are_kept_by_nobody(client, staff_client, site):
    """Previews, a subscribe form with an error, a subscriber's own pages and the admin are private, no-store."""
    from tests.factories import BriefFactory

    draft = BriefFactory(series=site["energy"])
    subscriber = Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )
    answers = {
        "preview link": client.get(f"/preview/{draft.preview_token()}/"),
        "subscribe form with an error": client.post("/newsletter/subscribe/", {"email": "not an address"}),
        "preferences": client.get(f"/newsletter/preferences/{subscriber.token}/"),
        "unsubscribe": client.get(f"/newsletter/unsubscribe/{subscriber.token}/"),
        "admin": staff_client.get("/admin/"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, name
        assert "public" not in directives, name


def test_a_reader_with_a_message_waiting_still_gets_the_public_page(site):
    """Messages and sessions do not make pages private: a subscriber who just saved choices gets the shared copy."""
    subscriber = Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )
    client = Client()
    saved = client.post(f"/newsletter/preferences/{subscriber.token}/", {"series": [site["energy"].pk]})
    assert saved.status_code == 302 and saved.cookies, "the message waits in a cookie"

    response = client.get("/")

    assert "public" in response["Cache-Control"]
    assert not response.cookies
    assert "cookie" not in response.get("Vary", "").lower()


def test_the_subscribe_box_carries_no_per_reader_token(client, site):
    """The subscribe box on cached pages has no CSRF token (one reader's token would reach everybody)."""
    for address in ("/", site["briefs"][0].get_absolute_url()):
        html = client.get(address).content.decode()

        assert 'action="/newsletter/subscribe/"' in html
        assert "csrfmiddlewaretoken" not in html


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_feeds_and_sitemaps_are_compressed(client, site, encoding):
    """HTML, feeds and the sitemap arrive compressed (brotli where the browser takes it) and unpack to the same page."""
    decompress = brotli.decompress if encoding == "br" else gzip.decompress
    for address in ("/", site["briefs"][0].get_absolute_url(), "/feed/", "/feed/json/", "/sitemap.xml"):
        plain = client.get(address)
        packed = client.get(address, headers={"Accept-Encoding": f"{encoding}, deflate"})

        assert packed["Content-Encoding"] == encoding, address
        assert "Accept-Encoding" in packed["Vary"]
        assert decompress(packed.content) == plain.content, address
        assert len(packed.content) < len(plain.content) / 2, address
        assert packed["ETag"] != plain["ETag"], "each encoding has its own strong ETag"
        assert (
            client.get(address, headers={"Accept-Encoding": encoding, "If-None-Match": packed["ETag"]}).status_code
            == 304
        )


def test_pages_with_secrets_are_gzipped_with_padding_never_brotli(staff_client, site):
    """Staff pages (form tokens) get gzip with Django's random padding against BREACH; brotli is for public pages."""
    answers = [staff_client.get("/", headers={"Accept-Encoding": "br, gzip"}) for _ in range(5)]

    assert {answer["Content-Encoding"] for answer in answers} == {"gzip"}
    assert len({gzip.decompress(answer.content) for answer in answers}) == 1
    assert len({answer.content for answer in answers}) > 1, "the padding (0 to 99 bytes) changes from one to the next"


def test_odd_headers_and_query_strings_still_get_the_page(client, site, settings):
    """Whatever a client sends in Accept-Encoding, If-None-Match or the query string, the page answers."""
    settings.PAGE_CACHE = True
    odd = [
        {"Accept-Encoding": "br;q=0, gzip;q=abc, *;q=0.5, ;;;"},
        {"Accept-Encoding": "x" * 5000},
        {"If-None-Match": 'W/"", "unterminated, *'},
    ]
    for headers in odd:
        assert client.get("/", headers=headers).status_code == 200, headers
    for query in ("%zz=%7e&topic=%", "page=" + "9" * 300, "q=" + "%20" * 50, "&&&==&"):
        assert client.get(f"/?{query}").status_code == 200, query
        assert client.get(f"/search/?{query}").status_code == 200, query
    # A NUL or bytes that are not UTF-8 are refused before the page cache (core/hostile_input.py).
    for query in ("%zz=%ff&topic=%", "q=" + "%00" * 50):
        assert client.get(f"/?{query}").status_code == 400, query
    refused_brotli = client.get("/", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused_brotli["Content-Encoding"] == "gzip"


def test_a_post_from_another_site_is_refused_and_changes_nothing(client, site, smtp_server):
    """The subscribe form's origin check: another site's post gets the friendly 403, ours gets the usual answer."""
    forged = [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://elsewhere.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.testserver"},
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},
    ]
    for headers in forged:
        response = client.post("/newsletter/subscribe/", {"email": "victim@example.org"}, headers=headers)
        assert response.status_code == 403, headers
        assert "This form has expired" in response.content.decode()
    assert smtp_server.messages == []

    ours = client.post(
        "/newsletter/subscribe/",
        {"email": "reader@example.org"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert ours.status_code == 200
    assert "Check your inbox" in ours.content.decode()
    assert len(smtp_server.wait_for(1, timeout=10)) == 1
