"""Photos as readers get them: renditions in the sizes pages need, crops around the focal point, safe fallbacks."""

import io
import logging
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from briefs.models import Photo
from briefs.renditions import WIDTHS, hero_sizes, hero_style, photo_picture, photo_renditions_make
from core.images import focal_crop_box, focal_object_position, rendition_widths
from tests.factories import PhotoFactory, image_bytes, image_file, published_brief

pytestmark = pytest.mark.django_db


def stored(photo: Photo, name: str) -> Image.Image:
    image = Image.open(Path(photo.image.storage.path(name)))
    image.load()
    return image


def test_a_photo_gets_every_width_the_layout_uses_in_avif_and_jpeg_never_enlarged():
    """A 1600 px photo is made at 400, 800, 1200 and 1600 px (not 2400) in AVIF and JPEG, each the right shape."""
    photo = PhotoFactory(image=image_file(size=(1600, 900)))
    photo.refresh_from_db()

    assert photo.renditions_status == Photo.Renditions.READY
    made = sorted((entry["width"], entry["format"]) for entry in photo.renditions)
    assert made == sorted((width, fmt) for width in (400, 800, 1200, 1600) for fmt in ("avif", "jpg"))
    for entry in photo.renditions:
        with stored(photo, entry["name"]) as image:
            assert image.format == {"avif": "AVIF", "jpg": "JPEG"}[entry["format"]]
            assert image.size == (entry["width"], entry["height"])
            assert abs(image.width / image.height - 16 / 9) < 0.01
        # Beside the original, named after it.
        assert entry["name"].startswith(photo.image.name.rsplit(".", 1)[0] + f".{entry['width']}w.")


def test_a_small_photo_is_offered_at_its_own_width_and_nothing_larger():
    """A 500 px photo gets a 400 px copy and one at its own 500 px, never an enlarged 800."""
    assert rendition_widths(500, WIDTHS) == [400, 500]
    assert rendition_widths(3000, WIDTHS) == list(WIDTHS)
    assert rendition_widths(300, WIDTHS) == [300]

    photo = PhotoFactory(image=image_file(size=(500, 300)))
    photo.refresh_from_db()
    assert sorted({entry["width"] for entry in photo.renditions}) == [400, 500]


def test_a_transparent_picture_keeps_its_transparency_with_a_png_fallback():
    """A chart with a transparent background gets AVIF and PNG copies that are still transparent."""
    buffer = io.BytesIO()
    Image.new("RGBA", (900, 600), (20, 60, 120, 0)).save(buffer, format="PNG")
    photo = PhotoFactory(image=ContentFile(buffer.getvalue(), name="chart.png"))
    photo.refresh_from_db()

    formats = {entry["format"] for entry in photo.renditions}
    assert formats == {"avif", "png"}
    png = next(entry for entry in photo.renditions if entry["format"] == "png")
    with stored(photo, png["name"]) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((10, 10))[3] == 0


def test_the_brief_page_offers_avif_and_jpeg_in_every_size_with_sizes_and_dimensions(client):
    """The page's <picture> lists AVIF then JPEG sources with widths, a sizes rule, width/height and lazy loading."""
    header = PhotoFactory(image=image_file(size=(2400, 1350)), alt_text="Harbour at dusk")
    inline = PhotoFactory(image=image_file(size=(1200, 800)), alt_text="Delegates at the table")
    brief = published_brief(header_photo=header)
    section = brief.sections.last()
    section.body = f'<p>One.</p><figure data-photo-id="{inline.pk}"></figure><p>Two.</p>'
    section.save()

    html = client.get(brief.get_absolute_url()).content.decode()

    pictures = re.findall(r"<picture>(.*?)</picture>", html, re.DOTALL)
    assert len(pictures) == 2
    hero, in_text = pictures
    assert re.search(r'<source type="image/avif" srcset="[^"]+\.400w\.avif 400w, .*\.2400w\.avif 2400w"', hero)
    assert re.search(r'srcset="[^"]+\.400w\.jpg 400w, .*\.2400w\.jpg 2400w"', hero)
    assert 'width="2400" height="1350"' in hero
    assert 'fetchpriority="high"' in hero and 'loading="lazy"' not in hero
    assert 'sizes="(min-width: 1400px) 1296px' in hero
    assert 'loading="lazy"' in in_text and "fetchpriority" not in in_text
    assert 'width="1200" height="800"' in in_text
    assert 'sizes="(min-width: 1200px) 700px' in in_text
    # The enlarged view still opens the full photo.
    assert f'href="{header.image.url}"' in html


def test_before_the_renditions_exist_the_page_uses_the_thumbnail_and_the_original(client, settings):
    """Right after an upload, before the background task runs, the page offers the 800 px copy and the original."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    photo = PhotoFactory(image=image_file(size=(1600, 900)))
    brief = published_brief(header_photo=photo)
    assert photo.renditions_status == Photo.Renditions.PENDING

    html = client.get(brief.get_absolute_url()).content.decode()

    assert f'srcset="{photo.thumbnail.url} 800w, {photo.image.url} 1600w"' in html
    assert "image/avif" not in html

    assert photo_renditions_make(photo_id=photo.pk) == Photo.Renditions.READY
    assert ".1600w.avif 1600w" in client.get(brief.get_absolute_url()).content.decode()


def test_emails_and_listings_keep_a_small_jpeg_thumbnail():
    """The 800 px JPEG copy newsletters use is still made, whatever the renditions."""
    photo = PhotoFactory(image=image_file(size=(2000, 1000)))

    with Image.open(photo.thumbnail.path) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (800, 400)


def test_a_broken_file_marks_the_photo_logs_and_the_page_still_renders(client, caplog):
    """If the stored file turns out unreadable, the photo is marked, the log says why, and the page falls back."""
    photo = PhotoFactory(image=image_file(size=(1200, 800)))
    brief = published_brief(header_photo=photo)
    Path(photo.image.path).write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg any more")

    with caplog.at_level(logging.WARNING, logger="briefs.renditions"):
        status = photo_renditions_make(photo_id=photo.pk)

    photo.refresh_from_db()
    assert status == photo.renditions_status == Photo.Renditions.FAILED
    assert photo.renditions_note == "The image file could not be read."
    assert f"Renditions of photo {photo.pk}" in caplog.text
    response = client.get(brief.get_absolute_url())
    assert response.status_code == 200
    assert photo.alt_text in response.content.decode()


def test_a_photo_deleted_from_storage_by_hand_does_not_break_any_page(client, admin_client):
    """Files removed from the media folder by hand: the brief, the dashboard and the admin still answer."""
    photo = PhotoFactory(image=image_file(size=(1200, 800)), alt_text="Ministers on the steps")
    brief = published_brief(header_photo=photo)
    photo.refresh_from_db()
    for name in [photo.image.name, photo.thumbnail.name, *photo.rendition_names()]:
        Path(photo.image.storage.path(name)).unlink()

    for url in (brief.get_absolute_url(), "/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Ministers on the steps" in response.content.decode()

    assert photo_renditions_make(photo_id=photo.pk) == Photo.Renditions.FAILED
    photo.refresh_from_db()
    assert photo.renditions_note == "The image file is missing from storage."
    assert client.get(brief.get_absolute_url()).status_code == 200
    # In the admin the photo still opens, and saving a new caption does not trip over the missing file.
    change_url = f"/admin/briefs/photo/{photo.pk}/change/"
    assert admin_client.get(change_url).status_code == 200
    form = {"alt_text": photo.alt_text, "caption": "New caption", "credit": "", "source_url": "", "licence": ""}
    form |= {"licence_url": "", "focal_x": "0.5", "focal_y": "0.5"}
    assert admin_client.post(change_url, form).status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "New caption"


def test_a_photos_files_go_with_it_when_it_is_deleted(django_capture_on_commit_callbacks):
    """Deleting an unused photo removes its original, thumbnail and renditions from storage."""
    photo = PhotoFactory(image=image_file(size=(900, 600)))
    photo.refresh_from_db()
    paths = [Path(photo.image.storage.path(name)) for name in [photo.image.name, photo.thumbnail.name]]
    paths += [Path(photo.image.storage.path(name)) for name in photo.rendition_names()]
    assert all(path.exists() for path in paths) and len(paths) == 2 + 3 * 2  # 400, 800 and 900 px, twice

    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()

    assert not any(path.exists() for path in paths)


# ---------- Focal points ----------


def test_the_crop_box_centres_on_the_focal_point_and_stops_at_the_edges():
    """A 2:1 crop of a 16:9 picture keeps the full width and moves up or down to the focal point, never past an edge."""
    assert focal_crop_box(1600, 900, ratio=2.0, focal=(0.5, 0.5)) == (0, 50, 1600, 850)
    assert focal_crop_box(1600, 900, ratio=2.0, focal=(0.5, 0.95)) == (0, 100, 1600, 900)
    assert focal_crop_box(1600, 900, ratio=2.0, focal=(0.5, 0.0)) == (0, 0, 1600, 800)
    # A square crop of a wide picture cuts the sides around the point.
    assert focal_crop_box(2400, 1000, ratio=1.0, focal=(0.1, 0.5)) == (0, 0, 1000, 1000)
    assert focal_crop_box(2400, 1000, ratio=1.0, focal=(0.5, 0.5)) == (700, 0, 1700, 1000)
    assert focal_crop_box(2400, 1000, ratio=1.0, focal=(0.9, 0.5)) == (1400, 0, 2400, 1000)
    # No crop needed: the whole picture.
    assert focal_crop_box(1600, 900, ratio=16 / 9, focal=(0.2, 0.2)) == (0, 0, 1600, 900)


def test_the_css_position_reproduces_the_crop_box():
    """object-position percentages put a browser's cover-crop exactly where the crop box is."""
    assert focal_object_position(1600, 900, ratio=2.0, focal=(0.5, 0.5)) == "50.0% 50.0%"
    assert focal_object_position(1600, 900, ratio=2.0, focal=(0.5, 1.0)) == "50.0% 100.0%"
    assert focal_object_position(2400, 1000, ratio=1.0, focal=(0.1, 0.5)) == "0.0% 50.0%"
    # Focal point at 30% across a 2400 px picture cropped to 1000 px: the box starts at 220 px of 1400 px slack.
    assert focal_object_position(2400, 1000, ratio=1.0, focal=(0.3, 0.5)) == f"{100 * 220 / 1400:.1f}% 50.0%"


def test_the_header_keeps_its_whole_height_on_phones_and_crops_a_panorama_around_its_focal_point():
    """A 16:9 header is shown whole on a phone; a wide panorama is cut at the sides, keeping the focal point."""
    ordinary = PhotoFactory(image=image_file(size=(1600, 900)))
    assert "--ratio-phone: 1.7778" in hero_style(ordinary)
    assert "--crop-phone: 50.0% 50.0%" in hero_style(ordinary)

    panorama = PhotoFactory(image=image_file(size=(2400, 1000)), focal_x=0.08, focal_y=0.9)
    style = hero_style(panorama)
    assert "--ratio-phone: 1.7778" in style
    assert "--crop-phone: 0.0% 50.0%" in style  # the left edge, where the focal point is
    # The phone draws the whole panorama wider than the screen, and asks for a rendition that wide.
    assert hero_sizes(panorama).endswith("calc((100vw - 24px) * 1.350)")


def test_a_focal_point_outside_the_picture_is_refused_by_the_database():
    """Focal points are fractions of the picture; the database refuses anything else."""
    from django.db import IntegrityError, transaction

    photo = PhotoFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Photo.objects.filter(pk=photo.pk).update(focal_x=1.5)


def test_cards_are_cropped_around_the_focal_point(client):
    """The dashboard's cards place their 16:9 crop where the editor clicked."""
    photo = PhotoFactory(image=image_file(size=(1200, 1200)), focal_x=0.5, focal_y=0.0)
    published_brief(header_photo=photo)
    published_brief(header_photo=PhotoFactory())  # the newest is featured; this one is a card

    html = client.get("/").content.decode()

    assert 'style="object-position: 50.0% 0.0%"' in html


def test_the_picture_of_a_photo_without_renditions_or_thumbnail_is_the_original():
    """An old photo without a thumbnail still gets a plain src."""
    photo = PhotoFactory(image=image_file(size=(300, 200)))
    Photo.objects.filter(pk=photo.pk).update(renditions=[], renditions_status=Photo.Renditions.PENDING, thumbnail="")
    photo.refresh_from_db()

    picture = photo_picture(photo)

    assert picture.src == photo.image.url
    assert picture.srcset == f"{photo.image.url} 300w"
    assert picture.sources == []


def test_credit_and_licence_are_shown_with_the_photo_and_carried_into_the_enlarged_view(client):
    """The licence sits beside the credit, linked to its terms, and travels with the photo to the lightbox."""
    photo = PhotoFactory(
        credit="Harbour Photo Desk",
        source_url="https://photos.example.org/7",
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    brief = published_brief(header_photo=photo)

    html = client.get(brief.get_absolute_url()).content.decode()

    assert '<a href="https://creativecommons.org/licenses/by/4.0/" rel="license noopener">CC BY 4.0</a>' in html
    assert 'data-credit="Header photo taken from: Harbour Photo Desk · Licence: CC BY 4.0"' in html


def test_uploads_bytes_are_what_the_factory_made():
    """Sanity check of the test helper: image_bytes makes a real JPEG."""
    assert Image.open(io.BytesIO(image_bytes())).format == "JPEG"


def test_make_renditions_catches_up_on_photos_without_them():
    """Photos from before renditions existed get them with one command; ready ones are left alone."""
    from django.core.management import call_command

    waiting = PhotoFactory(image=image_file(size=(900, 600)))
    Photo.objects.filter(pk=waiting.pk).update(renditions=[], renditions_status=Photo.Renditions.PENDING)
    ready = PhotoFactory(image=image_file(size=(900, 600)))
    ready.refresh_from_db()
    out = io.StringIO()

    call_command("make_renditions", stdout=out)

    assert "Queued renditions for 1 photo(s)." in out.getvalue()
    waiting.refresh_from_db()
    assert waiting.renditions_status == Photo.Renditions.READY and len(waiting.renditions) == 6
    assert Photo.objects.get(pk=ready.pk).renditions == ready.renditions


def test_structured_data_names_each_photos_credit_and_licence(settings):
    """For the brief page's JSON-LD: an ImageObject with creditText and license, addresses absolute."""
    from briefs.renditions import photo_image_object

    settings.SITE_URL = "https://briefs.example.org"
    photo = PhotoFactory(
        image=image_file(size=(1200, 800)),
        alt_text="Delegates at the table",
        credit="Northgate Press Agency",
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )

    data = photo_image_object(photo)

    assert data["@type"] == "ImageObject"
    assert data["contentUrl"] == f"https://briefs.example.org{photo.image.url}"
    assert data["creditText"] == "Northgate Press Agency"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert (data["width"], data["height"]) == (1200, 800)
    unlicensed = photo_image_object(PhotoFactory(licence="Used with permission", licence_url=""))
    assert unlicensed["license"] == "Used with permission"
