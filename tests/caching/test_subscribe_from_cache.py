"""The subscribe box works on a page served from Varnish's cache, and refuses a form on another site (Chromium)."""

import http.server
import threading

import pytest

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_site(varnish):
    """A page on another site (localhost, not 127.0.0.1) whose form posts to our subscribe address."""
    form = (
        "<!doctype html><title>Win a prize</title>"
        f'<form method="post" action="{varnish.url}/newsletter/subscribe/">'
        '<input name="email" value="victim@example.org"><button>Claim your prize</button></form>'
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(form)))
            self.end_headers()
            self.wfile.write(form)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    thread.join()
    server.server_close()


def test_subscribing_from_a_cached_page_works_and_a_forged_post_is_refused(
    varnish, site, smtp_server, chromium, other_site, screenshot
):
    """A reader subscribes from the box on the cached dashboard; another site's hidden form cannot sign anyone up."""
    from playwright.sync_api import expect

    first_reader = chromium.new_context()
    first_reader.new_page().goto(varnish.url + "/")
    first_reader.close()

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    response = page.goto(varnish.url + "/")
    assert response.headers["x-cache"] == "HIT", "the page comes from the proxy's cache"
    assert not context.cookies(), "a cached page sets no cookie"
    screenshot(page, "cached-dashboard-1280")
    page.set_viewport_size({"width": 375, "height": 812})
    screenshot(page, "cached-dashboard-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    box = page.locator(".subscribe-box")
    box.get_by_label("Email address").fill("cached.reader@example.org")
    box.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    [message] = smtp_server.wait_for(1, timeout=10)
    assert message["To"] == "cached.reader@example.org"

    page.goto(other_site)
    page.get_by_role("button", name="Claim your prize").click()
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()
    screenshot(page, "subscribe-cross-site-refused")
    assert len(smtp_server.messages) == 1, "no email went to the forged address"
    assert not Subscriber.objects.exists()
    context.close()
