"""A photo's credit and licence go with it into the enlarged view."""

import pytest
from playwright.sync_api import expect

from tests.factories import PhotoFactory, published_brief

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_enlarged_photo_names_its_credit_and_licence(live_server, page, screenshot):
    """Enlarging the header photo shows its caption, then "Header photo taken from: …" and the licence."""
    photo = PhotoFactory(
        caption="Delegates arrive for the second day.",
        credit="Northgate Press Agency",
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    brief = published_brief(header_photo=photo, title="Talks resume")

    page.goto(live_server.url + brief.get_absolute_url())
    page.locator(".brief-hero a[data-lightbox]").click()

    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Delegates arrive for the second day.")
    expect(dialog.locator(".lightbox-credit")).to_have_text(
        "Header photo taken from: Northgate Press Agency · Licence: CC BY 4.0"
    )
    screenshot(page, "brief-lightbox-credit")
