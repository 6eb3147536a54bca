"""Uploads that could hurt: SVG, animations too big to decode, polyglots, files sent outside a form; logos that grow.

What an editor notices: a clear refusal that changes nothing, and a library
that never publishes something heavier or more dangerous than what was sent.
"""

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from briefs.models import Author, EngagementResource, Photo
from core.images import strip_jpeg
from tests.briefs.test_uploads import image_error, stored_files, upload_photo

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def gif_animation(*, frames: int, size: tuple[int, int]) -> bytes:
    """A looping GIF whose frames differ in colour, so none is merged away."""
    pictures = [Image.new("RGB", size, ((index * 37) % 256, (index * 11) % 256, 90)) for index in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=40, loop=0)
    return buffer.getvalue()


def gif_bomb(*, frames: int, side: int) -> bytes:
    """A GIF whose canvas is side x side with ``frames`` frames, written by hand so the test itself stays light.

    Each frame draws a single pixel, but a decoder must paint the whole
    canvas for every frame: the shape of a real decompression bomb.
    """
    screen = b"GIF89a" + side.to_bytes(2, "little") * 2 + bytes((0x80, 0, 0)) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00\x04\x00\x00\x00"  # 40 ms
        + b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # a 1 x 1 image at the top left
        + b"\x02\x02\x44\x01\x00"  # LZW: clear, pixel 0, end
    )
    return screen + loop + frame * frames + b"\x3b"


def test_a_tiny_gif_of_900_megapixels_across_its_frames_is_refused(staff_client, settings):
    """3000 x 3000 px x 100 frames fits in a small file but would take gigabytes to re-encode: refused, saying why."""
    upload = gif_bomb(frames=100, side=3000)
    assert len(upload) < 10 * 1024
    with Image.open(io.BytesIO(upload)) as bomb:
        assert (bomb.size, bomb.n_frames) == ((3000, 3000), 100)

    message = image_error(upload_photo(staff_client, upload, "loop.gif", "image/gif"))

    assert "100 frames of 3000 × 3000 pixels (900 megapixels in all)" in message
    assert "40 megapixels across all frames" in message
    assert Photo.objects.count() == 0 and stored_files(settings) == []


def test_an_animation_with_too_many_frames_is_refused(staff_client, settings):
    """Even small frames are capped: 101 frames is one too many."""
    message = image_error(upload_photo(staff_client, gif_animation(frames=101, size=(40, 30)), "a.gif", "image/gif"))

    assert "101 frames" in message and "at most 100" in message
    assert Photo.objects.count() == 0


def test_a_large_animation_is_scaled_down_like_a_still(staff_client, client):
    """A 3000 x 1000 px animation of four frames is stored at 1200 x 400, still moving, and shown as it is."""
    response = upload_photo(staff_client, gif_animation(frames=4, size=(3000, 1000)), "wide.gif", "image/gif")

    assert response.status_code == 302
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (1200, 400)
    with Image.open(photo.image.path) as image:
        assert image.size == (1200, 400)
        assert image.n_frames == 4
        assert image.info["duration"] == 40
    # No still renditions, which would stop it moving: the page shows the animation itself.
    photo.refresh_from_db()
    assert photo.renditions_status == Photo.Renditions.READY and photo.renditions == []
    from tests.factories import published_brief

    html = client.get(published_brief(header_photo=photo).get_absolute_url()).content.decode()
    assert f'<img src="{photo.image.url}" alt' in html and ".avif" not in html


WORST_CASE = textwrap.dedent(
    """
    import io, json, sys, time
    from django.core.files.base import ContentFile
    from core.images import make_renditions, make_thumbnail, sanitise_image, validate_image_file

    data = open(sys.argv[1], "rb").read()
    wall, cpu = time.perf_counter(), time.process_time()
    upload = ContentFile(data, name="upload")
    validate_image_file(upload)
    clean, width, height = sanitise_image(upload, max_side=2400)
    make_thumbnail(io.BytesIO(clean.file.getvalue()), max_side=800)
    upload_wall, upload_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    made = sum(1 for _ in make_renditions(io.BytesIO(clean.file.getvalue()), widths=(400, 800, 1200, 1600, 2400)))
    renditions_wall, renditions_cpu = time.perf_counter() - wall, time.process_time() - cpu
    # The high-water mark of this process's own memory (ru_maxrss would include the parent's before exec).
    status = open("/proc/self/status").read()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"upload": upload_cpu, "renditions": renditions_cpu, "upload_wall": upload_wall,
                      "renditions_wall": renditions_wall, "peak_mb": peak_mb, "size": [width, height], "made": made}))
    """
)


def worst_still(path: Path) -> None:
    """40 megapixels (6324 x 6324), the most we accept, in a PNG small enough to upload."""
    Image.linear_gradient("L").resize((6324, 6324)).convert("RGB").save(path)


def worst_frames() -> list[Image.Image]:
    """Four frames of 10 megapixels each: 40 megapixels across frames, every frame to scale down."""
    return [Image.linear_gradient("L").resize((3162, 3162)).rotate(index * 3) for index in range(4)]


def worst_gif(path: Path) -> None:
    frames = [frame.convert("P") for frame in worst_frames()]
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=40, loop=0)


def worst_apng(path: Path) -> None:
    """An animated PNG keeps full colour, so it is the heaviest animation to scale."""
    frames = [frame.convert("RGBA") for frame in worst_frames()]
    frames[0].save(path, format="PNG", save_all=True, append_images=frames[1:], duration=40, loop=0)


@pytest.mark.parametrize("make", [worst_still, worst_gif, worst_apng], ids=["still", "gif", "apng"])
def test_the_worst_accepted_upload_finishes_in_under_5_seconds_and_300_mb(tmp_path, make):
    """The heaviest picture we accept is checked, cleaned and cut into renditions quickly and in bounded memory.

    Measured in a fresh Python process, so its peak memory is the work's own,
    and in CPU seconds, so a machine busy with other work does not make the
    figure (or the test) wobble; wall-clock time is printed beside it.
    """
    path = tmp_path / "worst.png"
    make(path)
    assert path.stat().st_size < 10 * 1024 * 1024

    result = subprocess.run(
        [sys.executable, "-c", WORST_CASE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    print(
        f"\n{make.__name__}: upload {figures['upload']:.2f} s CPU ({figures['upload_wall']:.2f} s wall), "
        f"renditions {figures['renditions']:.2f} s CPU ({figures['renditions_wall']:.2f} s wall), "
        f"peak {figures['peak_mb']:.0f} MB"
    )
    # Stills keep 2400 px in ten renditions; animations are held to 1200 px and shown as they are.
    assert [figures["size"], figures["made"]] in ([[2400, 2400], 10], [[1200, 1200], 0])
    assert figures["upload"] < 5
    assert figures["renditions"] < 5
    assert figures["peak_mb"] < 300


def test_an_svg_logo_is_refused_with_a_way_forward(staff_client, settings):
    """SVG can carry scripts, so it is not accepted; the editor is told to export a PNG, which keeps transparency."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    response = staff_client.post(
        reverse("admin:briefs_engagementresource_add"),
        {
            "name": "Grain Trade Observatory",
            "url": "https://grain.example.org/",
            "description": "Tracks grain shipments.",
            "logo": SimpleUploadedFile("logo.svg", svg, content_type="image/svg+xml"),
        },
    )

    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["logo"])
    assert "SVG files are not accepted" in message and "PNG" in message
    assert EngagementResource.objects.count() == 0 and stored_files(settings) == []


def test_a_polyglot_loses_whatever_was_hidden_after_the_picture(staff_client):
    """A JPEG with a ZIP archive appended is published as the picture alone."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("payload.html", "<script>alert(1)</script>")
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 30, 30)).save(buffer, format="JPEG", quality=70)
    polyglot = buffer.getvalue() + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))

    assert upload_photo(staff_client, polyglot, "photo.jpg").status_code == 302

    stored = Path(Photo.objects.get().image.path).read_bytes()
    assert b"payload.html" not in stored and b"PK\x03\x04" not in stored
    assert stored.endswith(b"\xff\xd9")
    assert not zipfile.is_zipfile(io.BytesIO(stored))


def test_a_file_saved_outside_any_form_is_checked_all_the_same():
    """An upload that skips the admin form (the editor's own path, a script) is refused by the model."""
    photo = Photo(image=ContentFile(b"<html>not a picture</html>", name="photo.jpg"), alt_text="Nothing")

    with pytest.raises(ValidationError) as refused:
        photo.save()

    assert refused.value.code == "not_an_image"
    assert Photo.objects.count() == 0


def small_palette_logo() -> bytes:
    """A logo as a designer exports it: 144 px, 16 colours, transparent, already well compressed."""
    picture = Image.new("RGBA", (144, 144), (0, 0, 0, 0))
    for ring in range(8):
        inset = 8 + ring * 7
        Image.Image.paste(picture, (20 * ring, 60, 200 - 20 * ring, 255), (inset, inset, 144 - inset, 144 - inset))
    buffer = io.BytesIO()
    picture.quantize(16, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def add_logo(staff_client, content: bytes, name: str, content_type="image/png"):
    response = staff_client.post(
        reverse("admin:briefs_engagementresource_add"),
        {
            "name": f"Organisation {name}",
            "url": "https://org.example.org/",
            "description": "Works on the issue.",
            "logo": SimpleUploadedFile(name, content, content_type=content_type),
        },
    )
    assert response.status_code == 302, response.content[:500]
    return EngagementResource.objects.get(name=f"Organisation {name}")


def test_a_well_compressed_logo_is_never_made_bigger(staff_client):
    """A small palette PNG logo is stored no larger than it was uploaded, transparency and size intact."""
    upload = small_palette_logo()

    resource = add_logo(staff_client, upload, "logo.png")

    stored = Path(resource.logo.path).read_bytes()
    assert len(stored) <= len(upload)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (144, 144)
        assert image.convert("RGBA").getpixel((0, 0))[3] == 0


def test_a_logo_with_camera_data_is_stripped_without_growing(staff_client):
    """A JPEG logo carrying EXIF comes out smaller than it went in, with no EXIF left."""
    exif = Image.Exif()
    exif[0x010F] = "Example Phone Maker"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 40, 40)).save(buffer, format="JPEG", quality=60, exif=exif.tobytes())
    upload = buffer.getvalue()

    resource = add_logo(staff_client, upload, "logo.jpg", "image/jpeg")

    stored = Path(resource.logo.path).read_bytes()
    # The smaller of the re-encoded file and the original without its metadata.
    assert len(stored) <= len(strip_jpeg(upload)) < len(upload)
    assert b"Example Phone" not in stored


def test_a_large_transparent_logo_is_stored_at_twice_its_shown_size(staff_client):
    """A 600 px logo is stored at 144 px (shown at 72 px), still transparent."""
    buffer = io.BytesIO()
    Image.new("RGBA", (600, 400), (10, 80, 160, 0)).save(buffer, format="PNG")

    resource = add_logo(staff_client, buffer.getvalue(), "big.png")

    with Image.open(resource.logo.path) as image:
        assert image.size == (144, 96)
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_a_portrait_is_stored_at_twice_its_largest_shown_size():
    """A 1000 px portrait is stored at 320 px: the author page shows it at 160 px."""
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 1000), (120, 90, 60)).save(buffer, format="JPEG")
    author = Author(name="Ines Marlow", slug="ines-marlow", portrait=ContentFile(buffer.getvalue(), name="me.jpg"))
    author.save()

    with Image.open(author.portrait.path) as image:
        assert image.size == (320, 320)
