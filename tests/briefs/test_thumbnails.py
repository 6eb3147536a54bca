"""Cards load a small copy of each photo, not the full-size image."""

import pytest
from PIL import Image

from tests.factories import PhotoFactory, image_file, published_brief

pytestmark = pytest.mark.django_db


def test_a_saved_photo_gets_a_small_jpeg_thumbnail():
    """A 2000 px photo gets an 800 px JPEG copy (one every email client can show) with the same proportions."""
    photo = PhotoFactory(image=image_file(size=(2000, 1000)))

    with Image.open(photo.thumbnail.path) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (800, 400)


def test_dashboard_cards_use_thumbnails_and_the_brief_page_the_full_photo(client):
    """Listings send the small copy; the brief page shows (and enlarges) the full photo."""
    card = published_brief(header_photo=PhotoFactory())
    featured = published_brief(header_photo=PhotoFactory(image=image_file(size=(1600, 900))))

    dashboard = client.get("/").content.decode()
    brief_page = client.get(card.get_absolute_url()).content.decode()

    assert featured.header_photo.thumbnail.url in dashboard
    assert card.header_photo.thumbnail.url in dashboard
    assert card.header_photo.image.url not in dashboard
    assert card.header_photo.image.url in brief_page
