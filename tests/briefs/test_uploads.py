"""Photo uploads through the admin: bad files are refused with a clear message, good ones lose their metadata."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from briefs.models import Photo
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

ADD_PHOTO_URL = reverse("admin:briefs_photo_add")


def upload_photo(client, content: bytes, name: str, content_type: str = "image/jpeg"):
    """Send the admin's "Add photo" form as a browser would (multipart)."""
    return client.post(
        ADD_PHOTO_URL,
        {
            "image": SimpleUploadedFile(name, content, content_type=content_type),
            "alt_text": "Ministers at the summit table",
            "caption": "",
            "credit": "Example Photo Agency",
            "source_url": "",
        },
    )


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def image_error(response) -> str:
    """The error shown beside the image field, as the editor reads it."""
    assert response.status_code == 200, "the form should be shown again with an error"
    errors = response.context["adminform"].form.errors
    assert "image" in errors
    message = " ".join(errors["image"])
    assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    return message


def assert_nothing_saved(settings):
    assert Photo.objects.count() == 0
    assert stored_files(settings) == []


def test_a_text_file_named_jpg_is_refused(staff_client, settings):
    """Renaming notes.txt to photo.jpg does not get it into the library."""
    response = upload_photo(staff_client, b"Meeting notes, not a picture.\n" * 20, "photo.jpg")

    message = image_error(response)
    assert "image" in message.lower()
    assert_nothing_saved(settings)


def test_a_truncated_jpeg_is_refused(staff_client, settings):
    """A JPEG cut off half way (a failed upload) is refused and the editor is told to upload it again."""
    noise = Image.frombytes("RGB", (600, 400), os.urandom(600 * 400 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=90)
    truncated = buffer.getvalue()[: len(buffer.getvalue()) * 6 // 10]

    response = upload_photo(staff_client, truncated, "summit.jpg")

    message = image_error(response)
    assert "damaged or incomplete" in message
    assert "upload the file again" in message
    assert_nothing_saved(settings)


def test_an_image_over_40_megapixels_is_refused(staff_client, settings):
    """A 7000 x 6000 picture (42 megapixels) is refused, naming the limit, even though the file is small."""
    buffer = io.BytesIO()
    Image.new("1", (7000, 6000), 1).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 1024 * 1024

    response = upload_photo(staff_client, buffer.getvalue(), "poster.png", "image/png")

    message = image_error(response)
    assert "7000 × 6000" in message
    assert "40 megapixels" in message
    assert_nothing_saved(settings)


def test_a_file_over_10_mb_is_refused(staff_client, settings):
    """A real image file of about 11 MB is refused, saying how big it is and what the limit is."""
    buffer = io.BytesIO()
    # Random pixels, stored uncompressed: a valid PNG that really is over 10 MB.
    Image.frombytes("RGB", (2100, 1800), os.urandom(2100 * 1800 * 3)).save(buffer, format="PNG", compress_level=0)
    assert len(buffer.getvalue()) > 10 * 1024 * 1024

    response = upload_photo(staff_client, buffer.getvalue(), "scan.png", "image/png")

    message = image_error(response)
    assert "10.8 MB" in message
    assert "at most 10 MB" in message
    assert_nothing_saved(settings)


@pytest.mark.parametrize(("format", "name"), [("BMP", "chart.bmp"), ("TIFF", "chart.tif")])
def test_bmp_and_tiff_are_refused_naming_the_allowed_formats(staff_client, settings, format, name):
    """Formats browsers cannot show well are refused with a message listing what is accepted."""
    response = upload_photo(staff_client, image_bytes(format=format), name, "application/octet-stream")

    message = image_error(response)
    assert format in message
    assert "JPEG, PNG, WebP or GIF" in message
    assert_nothing_saved(settings)


def jpeg_with_location() -> bytes:
    """A JPEG as a phone makes it: camera make and GPS coordinates in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "Example Phone Maker"  # Make
    exif[0x0110] = "Example Phone 12"  # Model
    exif[0x8825] = {  # GPS IFD
        1: "N",
        2: (51.0, 30.0, 26.0),
        3: "W",
        4: (0.0, 7.0, 39.0),
    }
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(buffer, format="JPEG", exif=exif.tobytes())
    content = buffer.getvalue()
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825), "the test file must carry GPS data"
    return content


def test_location_and_camera_data_are_removed_from_an_uploaded_jpeg(staff_client, settings):
    """A phone photo with GPS coordinates is published without them, or any other EXIF."""
    response = upload_photo(staff_client, jpeg_with_location(), "IMG_2041.jpg")

    assert response.status_code == 302
    photo = Photo.objects.get()
    stored = Path(photo.image.path).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (320, 240)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert b"Exif" not in stored
    assert b"Example Phone" not in stored
    # Only the sanitised copy, its thumbnail and its renditions are kept: no original with its metadata.
    media = Path(settings.MEDIA_ROOT)
    kept = {photo.image.name, photo.thumbnail.name, *photo.rendition_names()}
    assert {str(path.relative_to(media)) for path in stored_files(settings)} == kept
    for path in stored_files(settings):
        assert b"Example Phone" not in path.read_bytes()


SECRET = b"Taken at 12 Example Lane"
XMP_WITH_LOCATION = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.43N"/>'
    "</rdf:RDF></x:xmpmeta>"
)


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0)}
    return exif.tobytes()


def with_metadata(format: str) -> bytes:
    """An image in ``format`` carrying every kind of metadata that format can hold."""
    buffer = io.BytesIO()
    picture = Image.new("RGB", (120, 90), (30, 120, 60))
    if format == "JPEG":
        picture.save(buffer, format="JPEG", exif=gps_exif(), comment=SECRET, xmp=XMP_WITH_LOCATION.encode())
    elif format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", SECRET.decode())
        text.add_itxt("XML:com.adobe.xmp", XMP_WITH_LOCATION)
        picture.save(buffer, format="PNG", exif=gps_exif(), pnginfo=text)
    elif format == "WEBP":
        picture.save(buffer, format="WEBP", exif=gps_exif(), xmp=XMP_WITH_LOCATION.encode())
    elif format == "GIF":
        picture.save(buffer, format="GIF", comment=SECRET)
    elif format == "animated GIF":
        frames = [Image.new("RGB", (40, 30), (80 * index, 0, 0)) for index in range(3)]
        frames[0].save(
            buffer, format="GIF", save_all=True, append_images=frames[1:], duration=120, loop=0, comment=SECRET
        )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("format", "name", "content_type"),
    [
        ("JPEG", "photo.jpg", "image/jpeg"),
        ("PNG", "chart.png", "image/png"),
        ("WEBP", "photo.webp", "image/webp"),
        ("GIF", "logo.gif", "image/gif"),
        ("animated GIF", "loop.gif", "image/gif"),
    ],
)
def test_every_accepted_format_is_stored_without_comments_or_location(staff_client, format, name, content_type):
    """JPEG, PNG, WebP and GIF are accepted, and no comment, EXIF, XMP or GPS data survives in any of them."""
    upload = with_metadata(format)
    assert SECRET in upload or b"GPSLatitude" in upload, "the test file must carry metadata"

    response = upload_photo(staff_client, upload, name, content_type)

    assert response.status_code == 302
    stored = Path(Photo.objects.get().image.path).read_bytes()
    for marker in (SECRET, b"GPSLatitude", b"Exif\x00", b"eXIf"):
        assert marker not in stored, marker
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == format.split()[-1]
        assert dict(image.getexif()) == {}
        if format == "animated GIF":
            assert image.n_frames == 3
            assert image.info["duration"] == 120


def test_stored_file_names_are_random_not_the_uploaded_name(staff_client):
    """An uploaded file's name (which may say who or where) is not used: each photo gets a random name."""
    for _ in range(2):
        upload_photo(staff_client, image_bytes(), "Ambassador-Smith-secret-meeting.jpg")

    names = [Path(photo.image.name) for photo in Photo.objects.all()]
    assert len(names) == 2
    assert names[0] != names[1]
    for name in names:
        assert "Smith" not in str(name)
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name.name)
        assert name.parent == Path("photos")


def test_a_photo_keeps_its_format_and_is_named_for_it(staff_client):
    """A PNG stays a PNG (keeping sharp charts sharp) whatever extension it was uploaded with."""
    upload_photo(staff_client, image_bytes(format="PNG", size=(200, 100)), "chart.jpeg", "image/png")

    photo = Photo.objects.get()
    assert photo.image.name.endswith(".png")
    assert (photo.width, photo.height) == (200, 100)
    with Image.open(photo.image.path) as image:
        assert image.format == "PNG"


def test_a_very_large_photo_is_scaled_down_for_the_web(staff_client):
    """A 3000 x 2000 photo is stored at 2400 x 1600, so pages stay quick to load."""
    upload_photo(staff_client, image_bytes(size=(3000, 2000)), "wide.jpg")

    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (2400, 1600)
    with Image.open(photo.image.path) as image:
        assert image.size == (2400, 1600)


def test_a_phone_photo_with_a_depth_map_is_accepted_as_a_jpeg(staff_client):
    """Phones save some JPEGs as MPO (a photo plus a depth or HDR map); they upload like any JPEG."""
    photo = Image.new("RGB", (300, 200), (200, 30, 30))
    depth_map = Image.new("RGB", (150, 100), (0, 0, 0))
    buffer = io.BytesIO()
    photo.save(buffer, format="MPO", save_all=True, append_images=[depth_map], exif=gps_exif())
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"

    response = upload_photo(staff_client, buffer.getvalue(), "IMG_1234.jpg")

    assert response.status_code == 302
    stored = Photo.objects.get()
    assert stored.image.name.endswith(".jpg")
    with Image.open(stored.image.path) as image:
        assert image.format == "JPEG"
        assert image.size == (300, 200)
        assert dict(image.getexif()) == {}


def test_a_photo_taken_sideways_is_stored_the_right_way_up(staff_client):
    """A phone photo whose EXIF says "rotate 90°" is turned before the EXIF is removed, so it is not sideways."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; rotate 90° clockwise to view.
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 10, 200)).save(buffer, format="JPEG", exif=exif.tobytes())

    upload_photo(staff_client, buffer.getvalue(), "portrait.jpg")

    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (200, 300)
    with Image.open(photo.image.path) as image:
        assert image.size == (200, 300)
        assert dict(image.getexif()) == {}


def test_author_portraits_and_organisation_logos_are_checked_and_cleaned_too(staff_client, settings):
    """The same checks guard portraits and logos: a fake image is refused, a real one loses its location."""
    refused = staff_client.post(
        reverse("admin:briefs_author_add"),
        {
            "name": "Amara Okafor",
            "slug": "amara-okafor",
            "portrait": SimpleUploadedFile("me.jpg", b"not a picture", content_type="image/jpeg"),
        },
    )
    assert refused.status_code == 200
    assert "portrait" in refused.context["adminform"].form.errors
    assert stored_files(settings) == []

    staff_client.post(
        reverse("admin:briefs_author_add"),
        {
            "name": "Amara Okafor",
            "slug": "amara-okafor",
            "portrait": SimpleUploadedFile("me.jpg", jpeg_with_location(), content_type="image/jpeg"),
        },
    )
    staff_client.post(
        reverse("admin:briefs_engagementresource_add"),
        {
            "name": "Grain Trade Observatory",
            "url": "https://grain.example.org/",
            "description": "Tracks grain shipments.",
            "logo": SimpleUploadedFile("logo.jpg", jpeg_with_location(), content_type="image/jpeg"),
        },
    )

    files = stored_files(settings)
    assert sorted(path.parent.name for path in files) == ["logos", "portraits"]
    for path in files:
        assert b"Example Phone" not in path.read_bytes()
        with Image.open(path) as image:
            assert dict(image.getexif()) == {}
