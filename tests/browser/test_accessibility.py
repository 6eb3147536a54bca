"""Every public page passes an axe-core scan (WCAG 2.2 A/AA and best practices) in Chromium, wide and narrow.

axe-core comes from the npm registry (package.json, pinned; ``make test``
installs it). It is evaluated through the DevTools protocol rather than added
as a <script>, so the pages' Content Security Policy stays exactly as served;
the ``page`` fixture fails the test on any CSP violation or script error.
Without axe-core the scan skips, saying why, and fails under
REQUIRE_BROWSER=1 (CI).
"""

import json
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter.forms import consent_wording
from newsletter.models import Subscriber
from newsletter.tokens import SubscriptionRequest, confirmation_token_make
from tests.factories import AuthorFactory, EngagementResourceFactory, PhotoFactory, TopicFactory, published_brief

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        reason = f"axe-core is not installed at {AXE} (make test runs npm ci)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return AXE.read_text()


def violations(page, axe_source) -> list[str]:
    """axe's violations on the current page, one readable line per failing element."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", RULES
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary'][:160]}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


@pytest.fixture
def site():
    """A realistic site: briefs with photos, authors, topics, resources; a subscriber with a personal link."""
    topic = TopicFactory(name="Maritime security", slug="maritime-security")
    author = AuthorFactory(name="Ines Marlow", slug="ines-marlow", bio="Writes about shipping.")
    for index in range(3):
        brief = published_brief(
            title=f"Keeping Baltic shipping lanes open, part {index + 1}",
            header_photo=PhotoFactory(alt_text=f"Harbour cranes at dawn {index}", credit="Harbour Photo Desk"),
            authors=[author, AuthorFactory(name=f"Co-author {index}")],
            topics=[topic],
            resources=[EngagementResourceFactory(name=f"Open Seas Coalition {index}")],
        )
    section = brief.sections.last()
    photo = PhotoFactory(alt_text="Delegates at a long table", caption="“We will not wait,” said the envoy.")
    section.body += f'<figure data-photo-id="{photo.pk}"></figure>'
    section.save()
    subscriber = Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )
    token = confirmation_token_make(
        request=SubscriptionRequest(email="new@example.org", source="dashboard", consent_wording=consent_wording())
    )
    return {"brief": brief, "author": author, "topic": topic, "subscriber": subscriber, "confirm_token": token}


def pages(site) -> list[tuple[str, str, str | None]]:
    """(name, address, what to do there first) for every page the scan covers."""
    token = site["subscriber"].token
    return [
        ("dashboard", "/", None),
        ("dashboard-filtered", f"/?topic={site['topic'].slug}&author={site['author'].slug}", None),
        ("brief", site["brief"].get_absolute_url(), None),
        ("brief-lightbox", site["brief"].get_absolute_url(), "lightbox"),
        ("search-results", reverse("briefs:search") + "?q=shipping", None),
        ("search-nothing-found", reverse("briefs:search") + "?q=xylophone", None),
        ("author", site["author"].get_absolute_url(), None),
        ("subscribe", reverse("newsletter:subscribe"), None),
        ("subscribe-error", reverse("newsletter:subscribe"), "bad-email"),
        ("confirm", reverse("newsletter:confirm", kwargs={"token": site["confirm_token"]}), None),
        ("preferences", reverse("newsletter:preferences", kwargs={"token": token}), None),
        ("unsubscribe", reverse("newsletter:unsubscribe", kwargs={"token": token}), None),
        ("not-found", "/no-such-page/", None),
    ]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_public_page_has_no_accessibility_violations(live_server, chromium, site, axe_source, screenshot, width):
    """axe finds nothing to fix on any public page, in any state, on a desktop or a phone."""
    problems = {}
    context = chromium.new_context(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page = context.new_page()
    errors, current = [], {}
    page.on("console", lambda message: message.type == "error" and errors.append((current["name"], message.text)))
    try:
        for name, path, action in pages(site):
            current["name"] = name
            page.goto(live_server.url + path)
            if action == "lightbox":
                page.locator("a[data-lightbox]").last.focus()
                page.keyboard.press("Enter")
                page.locator("dialog[open]").wait_for(state="visible")
            elif action == "bad-email":
                page.get_by_label("Email address").fill("not an address")
                page.get_by_role("button", name="Subscribe", exact=True).last.click()
                page.wait_for_load_state()
            found = violations(page, axe_source)
            if found:
                problems[name] = found
                screenshot(page, f"axe-{name}-{width}")
    finally:
        context.close()
    # The 404 page is itself a 404, which the console reports; anything else is a real error.
    errors = [(name, text) for name, text in errors if not (name == "not-found" and "404" in text)]
    assert not errors, f"The browser reported errors (a CSP violation?): {errors}"
    assert not problems, json.dumps(problems, indent=2)
