"""What the #140-like demo brief costs a reader, measured in Chromium as production serves it.

Static files are collected with WhiteNoise's compressed manifest storage and
served by WhiteNoise (brotli, hashed names), as gunicorn does in production;
media comes from the test's MEDIA_ROOT. Every byte the browser receives is
counted (bodies as sent, plus headers), including lazy images after
scrolling to the end. The figures are printed (pytest -s shows them).
"""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.testcases import LiveServerThread

from briefs.models import Brief
from demo import artwork, brief140
from demo.seeding import demo_seed

pytestmark = pytest.mark.django_db(transaction=True)

KIB = 1024
PRODUCTION_STATIC = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """The static files as `collectstatic` leaves them for production: hashed, with brotli and gzip copies."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES={"staticfiles": PRODUCTION_STATIC}):
        # The admin's and the editor's files are not on public pages; skipping them keeps this quick.
        call_command("collectstatic", "--noinput", "--ignore=admin", "--ignore=django_prose_editor", verbosity=0)
    return root


@pytest.fixture
def production_site(settings, collected_static):
    """A server on a free loopback port with production's static file handling (WhiteNoise, no finders)."""
    settings.DEBUG = False
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STATIC}
    shared = {
        connection.alias: connection
        for connection in connections.all()
        if connection.vendor == "sqlite" and connection.is_in_memory_db()
    }
    for connection in shared.values():
        connection.inc_thread_sharing()
    # Identity instead of Django's static files handler: requests for /static/ reach WhiteNoise.
    server = LiveServerThread("127.0.0.1", static_handler=lambda app: app, connections_override=shared, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()
        connections.close_all()


@pytest.fixture
def brief_140():
    """The demo catalogue's #140-like brief, with its renditions made."""
    demo_seed(briefs=1)
    return Brief.objects.get(slug=brief140.SLUG)


def load_and_weigh(chromium, url: str, *, width: int, height: int, scale: float, screenshot=None, name=""):
    """Open ``url`` at the given size, scroll to the end so lazy images load, and return what was transferred."""
    context = chromium.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        is_mobile=width < 600,
        has_touch=width < 600,
    )
    page = context.new_page()
    transfers = []
    page.on("requestfinished", lambda request: transfers.append(request))
    try:
        page.goto(url, wait_until="networkidle")
        if screenshot:
            page.screenshot(path=str(screenshot.parent / f"{name}-top.png"))
        header_src = page.evaluate("document.querySelector('.brief-hero img').currentSrc")
        fonts_loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').length")
        # Scroll down a screen at a time, as a reader would, so every lazy image is fetched.
        total_height = page.evaluate("document.documentElement.scrollHeight")
        for top in range(0, total_height + height, height):
            page.evaluate(f"window.scrollTo(0, {top})")
            page.wait_for_timeout(60)
        page.wait_for_load_state("networkidle")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        rows = []
        for request in transfers:
            sizes = request.sizes()
            response = request.response()
            kind = (response.header_value("content-type") or "?").split(";")[0] if response else "?"
            rows.append((request.url, kind, sizes["responseBodySize"] + sizes["responseHeadersSize"]))
        return rows, header_src, fonts_loaded
    finally:
        context.close()


def report(label: str, rows) -> int:
    total = sum(size for _, _, size in rows)
    by_kind: dict[str, int] = {}
    for _, kind, size in rows:
        by_kind[kind] = by_kind.get(kind, 0) + size
    print(f"\n{label}: {total / KIB:.1f} KiB in {len(rows)} requests")
    for kind, size in sorted(by_kind.items(), key=lambda item: -item[1]):
        print(f"  {kind:<24} {size / KIB:7.1f} KiB")
    for url, _kind, size in sorted(rows, key=lambda row: -row[2]):
        print(f"    {size / KIB:7.1f} KiB  {url.split('/', 3)[-1][:90]}")
    return total


def test_the_brief_page_fits_the_budget_on_a_phone_with_a_sharp_header(
    production_site, chromium, brief_140, screenshot
):
    """At 375 px and 3x density the whole page, lazy images included, is at most 300 KiB; its header at most 80 KiB,
    yet sharp: the picture the phone picks is at least as many pixels wide as the screen shows it."""
    from tests.chromium import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    url = production_site + brief_140.get_absolute_url()
    rows, header_src, fonts = load_and_weigh(
        chromium,
        url,
        width=375,
        height=812,
        scale=3,
        screenshot=ARTIFACTS / "brief-140-phone.png",
        name="brief-140-phone",
    )

    total = report("Brief #140 at 375 px x 3", rows)
    [header] = [size for request_url, _, size in rows if request_url == header_src]
    print(f"  header image: {header / KIB:.1f} KiB ({header_src.rsplit('/', 1)[-1]}); web fonts loaded: {fonts}")
    assert total <= 300 * KIB
    assert header <= 80 * KIB
    assert header_src.endswith(".avif")
    # Sharp: 351 CSS px of screen, drawn 1.35x wider than the box (the phone crop), times 3 device pixels.
    assert int(header_src.rsplit(".", 2)[-2].rstrip("w")) >= 351 * 3
    assert sum(1 for _, kind, _ in rows if kind == "font/woff2") <= 2
    assert any(request_url.endswith(".avif") and "w.avif" in request_url for request_url, _, _ in rows)


def test_the_brief_page_fits_the_budget_on_a_desktop(production_site, chromium, brief_140):
    """At 1280 px the page, lazy images included, is at most 450 KiB."""
    rows, _header, _fonts = load_and_weigh(
        chromium, production_site + brief_140.get_absolute_url(), width=1280, height=900, scale=1
    )

    total = report("Brief #140 at 1280 px", rows)
    assert total <= 450 * KIB
    assert sum(1 for _, kind, _ in rows if kind == "font/woff2") <= 2


def visible_part(page, selector: str) -> dict:
    """The part of an object-fit: cover image that is on screen, as fractions of the picture."""
    return page.evaluate(
        """(selector) => {
            const img = document.querySelector(selector);
            const box = img.getBoundingClientRect();
            const scale = Math.max(box.width / img.naturalWidth, box.height / img.naturalHeight);
            const drawnW = img.naturalWidth * scale, drawnH = img.naturalHeight * scale;
            const [px, py] = getComputedStyle(img).objectPosition.split(" ").map(v => parseFloat(v) / 100);
            const offsetX = (box.width - drawnW) * px, offsetY = (box.height - drawnH) * py;
            return {left: -offsetX / drawnW, top: -offsetY / drawnH,
                    right: (box.width - offsetX) / drawnW, bottom: (box.height - offsetY) / drawnH};
        }""",
        selector,
    )


@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 900)])
def test_the_header_crop_keeps_the_caption_burned_into_the_picture(
    live_server, chromium, brief_140, screenshot, width, height
):
    """The header is cropped around its focal point: the caption in its lower left corner is whole on a phone and a
    desktop, where a crop around the centre would cut it (as the old page did: "na talks")."""
    caption = artwork.captioned_header_artwork(seed=140, caption=brief140.HEADER_CAPTION).caption_box
    context = chromium.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=2 if width < 600 else 1
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + brief_140.get_absolute_url())
        page.locator(".brief-hero img").scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.brief-hero img').complete")
        seen = visible_part(page, ".brief-hero img")
        page.locator(".brief-hero").screenshot(
            path=str(Path(screenshot(page, f"brief-140-{width}")).parent / f"brief-140-header-{width}.png")
        )
        page.evaluate(
            """() => { const img = document.querySelector('.brief-hero img');
                       img.style.setProperty('--crop-phone', '50% 50%');
                       img.style.setProperty('--crop-wide', '50% 50%'); }"""
        )
        seen_if_centred = visible_part(page, ".brief-hero img")
    finally:
        context.close()

    left, top, right, bottom = caption
    assert seen["left"] <= left + 0.001 and right <= seen["right"] + 0.001, (seen, caption)
    assert seen["top"] <= top + 0.001 and bottom <= seen["bottom"] + 0.001, (seen, caption)
    # Proof the focal point matters: cropped around the centre, part of the caption would be cut off.
    assert seen_if_centred["left"] > left or seen_if_centred["bottom"] < bottom
