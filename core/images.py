"""Validation and clean-up of uploaded images.

Every image that reaches the site (photos, portraits, logos) passes through
here: the validator refuses anything that is not a real, complete JPEG, PNG,
WebP or GIF within our size limits, and ``sanitise_image`` re-encodes the file
so that EXIF and GPS metadata never reach the public, and scales it down to a
size the web needs.
"""

import io
import logging
import uuid
from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.deconstruct import deconstructible
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# An animation is judged by all its frames together: 100 frames of 3000 x 3000
# are 900 megapixels to decode, however small the file.
MAX_FRAMES = 100
# Every frame of an animation is a whole picture held in memory until the
# file is written, and sent to every reader: animations are scaled to at most
# this side, where a still photo may keep 2400 px.
ANIMATION_MAX_SIDE = 1200
# Set on an upload once validate_image_file has passed it.
VALIDATED_MARK = "_image_validated"
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

# Pillow refuses absurd images on its own; keep its limit above ours so our
# clearer message is the one a user sees.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 2

logger = logging.getLogger(__name__)


def image_format(image) -> str | None:
    """The format as we treat it: phones save photos with a depth or HDR map as
    MPO, a JPEG with extra pictures appended, which is a JPEG to everyone else."""
    return "JPEG" if image.format == "MPO" else image.format


def frame_count(image) -> int:
    """Frames of an animation (GIF, WebP or APNG); 1 for a still. MPO's extra pictures are not frames we keep."""
    if image.format == "MPO":
        return 1
    return getattr(image, "n_frames", 1)


def looks_like_svg(upload) -> bool:
    name = (getattr(upload, "name", "") or "").lower()
    upload.seek(0)
    start = upload.read(512).lstrip().lower()
    upload.seek(0)
    return name.endswith((".svg", ".svgz")) or start.startswith((b"<svg", b"<?xml")) or b"<svg" in start


def _grouped(number: int) -> str:
    """30000 as "30,000"; four-digit numbers stay ungrouped ("7000"), as style guides write them."""
    return f"{number:,}" if number >= 10_000 else str(number)


def too_many_pixels(width: int, height: int) -> ValidationError:
    """The refusal that names the picture's size and our limit, e.g. 30,000 x 30,000 pixels (900 megapixels)."""
    return ValidationError(
        "This image is %(width)s × %(height)s pixels (%(mp)s megapixels); the most we accept is 40 megapixels "
        "(for example 8000 × 5000). Please scale it down and upload it again.",
        code="too_many_pixels",
        params={"width": _grouped(width), "height": _grouped(height), "mp": _grouped(round(width * height / 1e6))},
    )


def declared_size(upload) -> tuple[int, int] | None:
    """The (width, height) an image file's header claims, read without Pillow's size guard and without decoding.

    For explaining a refusal only: Pillow's format plugins read just the
    header when a file is opened; ``Image.open`` then refuses it as a bomb.
    """
    for name in ALLOWED_FORMATS:
        factory, accept = Image.OPEN.get(name, (None, None))
        if factory is None:
            continue
        try:
            upload.seek(0)
            if accept and not accept(upload.read(16)):
                continue
            upload.seek(0)
            with factory(upload) as image:
                return image.size
        except Exception:  # any failure only means we cannot say the size
            continue
    return None


def validate_image_file(upload) -> None:
    """Refuse files that are not a complete JPEG/PNG/WebP/GIF within our limits (all frames counted)."""
    if getattr(upload, "_committed", False):
        # A file already in storage was checked when it was uploaded; opening it
        # again on every save would mean a download from S3, or an error if it
        # was removed by hand.
        return
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "This file is %(size).1f MB; images can be at most 10 MB.",
            code="file_too_large",
            params={"size": upload.size / 1024 / 1024},
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        if looks_like_svg(upload):
            # SVG can carry scripts and links to other sites; we do not publish it.
            raise ValidationError(
                "SVG files are not accepted, because they can carry scripts. Please export the logo or picture "
                "as a PNG (a transparent background is kept) and upload that.",
                code="svg_not_accepted",
            )
        with Image.open(upload) as image:
            if image_format(image) not in ALLOWED_FORMATS:
                raise ValidationError(
                    "This is a %(format)s image; please upload a JPEG, PNG, WebP or GIF.",
                    code="unsupported_format",
                    params={"format": image.format or "unknown"},
                )
            width, height = image.size
            frames = frame_count(image)
            if frames > MAX_FRAMES:
                raise ValidationError(
                    "This animation has %(frames)d frames; animations can have at most %(most)d.",
                    code="too_many_frames",
                    params={"frames": frames, "most": MAX_FRAMES},
                )
            if frames > 1 and width * height * frames > MAX_PIXELS:
                raise ValidationError(
                    "This animation is %(frames)d frames of %(width)d × %(height)d pixels (%(mp).0f megapixels "
                    "in all); the limit is 40 megapixels across all frames. Make it smaller or shorter.",
                    code="too_many_pixels",
                    params={"frames": frames, "width": width, "height": height, "mp": frames * width * height / 1e6},
                )
            if width * height > MAX_PIXELS:
                raise too_many_pixels(width, height)
            # Decoding every pixel of every frame is the only reliable way to
            # catch a truncated or corrupt file; verify() alone misses many.
            for index in range(frames):
                image.seek(index)
                image.load()
        # Saving the model then need not decode the whole file a second time.
        for checked in {
            id(upload): upload,
            id(getattr(upload, "file", upload)): getattr(upload, "file", upload),
        }.values():
            setattr(checked, VALIDATED_MARK, True)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        # Pillow refused to open it (over twice our limit); its header still says how big it claims to be.
        size = declared_size(upload)
        if size is None:
            raise ValidationError(
                "This image is far larger than 40 megapixels, the most we accept. Please scale it down.",
                code="too_many_pixels",
            ) from None
        raise too_many_pixels(*size) from None
    except UnidentifiedImageError:
        raise ValidationError(
            "This file is not an image we can read. Please upload a JPEG, PNG, WebP or GIF.",
            code="not_an_image",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(
            "This image is damaged or incomplete (it may have been cut off while uploading). "
            "Please upload the file again.",
            code="corrupt_image",
        ) from None
    finally:
        upload.seek(position)


class CheckedImageFormField(forms.ImageField):
    """An upload field whose first check is ours, so editors read our clear messages (SVG, frames, megapixels)
    rather than Django's general "not an image or a corrupted image"."""

    def to_python(self, data):
        if data not in self.empty_values:
            validate_image_file(data)
        return super().to_python(data)


@deconstructible
class RandomFilename:
    """``upload_to`` that keeps nothing of the uploader's file name but its kind."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        extension = PurePath(filename).suffix.lower().lstrip(".") or "jpg"
        return f"{self.folder}/{uuid.uuid4().hex}.{extension}"

    def __eq__(self, other):
        return isinstance(other, RandomFilename) and other.folder == self.folder


# Segments a stripped JPEG keeps besides the picture itself: the colour
# profile and Adobe's colour-transform flag (CMYK files need it).
_JPEG_KEPT_APPS = {0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
# Chunks a stripped PNG keeps: the picture, its palette and transparency, and
# how to show its colours. Text, EXIF, time stamps and anything unknown go.
_PNG_KEPT_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB", b"pHYs"}


def strip_jpeg(data: bytes) -> bytes | None:
    """The JPEG without comments, EXIF, XMP or IPTC, and without anything after its end; None if unsure.

    Walks the segments; inside the compressed picture a 0xFF byte is always
    followed by 0x00 or a restart marker, so the next real marker is found
    exactly. Whatever follows the end-of-image marker (a polyglot's payload)
    is dropped.
    """
    if data[:2] != b"\xff\xd8":
        return None
    kept, i, end = [b"\xff\xd8"], 2, len(data)
    while i < end:
        if data[i] != 0xFF:
            return None
        while i < end and data[i] == 0xFF:
            i += 1
        if i >= end:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            kept.append(bytes((0xFF, marker)))
            continue
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2 or i + length > end:
            return None
        body = data[i + 2 : i + length]
        metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE
        if not metadata or body.startswith(_JPEG_KEPT_APPS.get(marker, b"\x00no")):
            kept.append(bytes((0xFF, marker)) + data[i : i + length])
        i += length
        if marker == 0xDA:  # start of scan: compressed data runs to the next real marker
            j = i
            while True:
                j = data.find(b"\xff", j)
                if j < 0 or j + 1 >= end:
                    return None
                if data[j + 1] == 0x00 or 0xD0 <= data[j + 1] <= 0xD7 or data[j + 1] == 0xFF:
                    j += 1
                    continue
                break
            kept.append(data[i:j])
            i = j
    return None


def strip_png(data: bytes) -> bytes | None:
    """The PNG with only the chunks that draw the picture, ending at IEND; None if unsure or animated."""
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        return None
    kept, i = [signature], len(signature)
    while i + 12 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        chunk = data[i : i + 12 + length]
        if len(chunk) < 12 + length or kind == b"acTL":
            return None
        if kind in _PNG_KEPT_CHUNKS:
            kept.append(chunk)
        if kind == b"IEND":
            return b"".join(kept)
        i += 12 + length
    return None


def strip_metadata(data: bytes, source_format: str) -> bytes | None:
    """The original file with its metadata removed and nothing else changed, where we know how; else None."""
    stripper = {"JPEG": strip_jpeg, "PNG": strip_png}.get(source_format)
    stripped = stripper(data) if stripper else None
    if stripped is None:
        return None
    try:  # a candidate we cannot decode ourselves is never kept
        with Image.open(io.BytesIO(stripped)) as check:
            check.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return stripped


def scaled_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def gif_frame(frame: Image.Image) -> Image.Image:
    """An RGBA frame as a GIF frame: 255 colours and, where the frame is see-through, one transparent index.

    Quantising each frame as it is made keeps one byte a pixel instead of
    four, which bounds the memory a long animation takes.
    """
    alpha = frame.getchannel("A")
    paletted = frame.convert("RGB").quantize(255, method=Image.Quantize.FASTOCTREE)
    if alpha.getextrema()[0] < 128:
        paletted.paste(255, mask=alpha.point(lambda value: 255 if value < 128 else 0))
        paletted.info["transparency"] = 255
    return paletted


def sanitise_animation(image, source_format: str, *, max_side: int) -> tuple[ContentFile, int, int]:
    """Re-encode every frame of an animation without metadata, scaled like a still to at most ``max_side``.

    The validator has already capped frames and pixels across all frames,
    so this loop's work and memory are bounded; frames are kept at most
    ANIMATION_MAX_SIDE wide.
    """
    size = scaled_size(image.size, min(max_side, ANIMATION_MAX_SIDE))
    loop = image.info.get("loop", 0)
    buffer = io.BytesIO()
    if size == image.size and source_format == "GIF":
        # Nothing to scale: GIF frames are saved as they are (GIF carries no
        # EXIF or GPS; Pillow copies its comment unless told not to).
        image.save(buffer, format="GIF", save_all=True, comment=b"")
    else:
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration", 100))
            still = frame.convert("RGBA")
            if still.size != size:
                still = still.resize(size, Image.Resampling.LANCZOS)
            if source_format == "GIF":
                still = gif_frame(still)
            frames.append(still)
        options = {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": loop}
        if source_format == "GIF":
            options.update(comment=b"", disposal=2)
        elif source_format == "WEBP":
            options.update(quality=80)
        frames[0].save(buffer, format=source_format, **options)
    extension = ALLOWED_FORMATS[source_format]
    return ContentFile(buffer.getvalue(), name=f"image.{extension}"), size[0], size[1]


def sanitise_image(upload, *, max_side: int) -> tuple[ContentFile, int, int]:
    """Re-encode an uploaded image without metadata, no larger than ``max_side``.

    Returns the new file (named with the right extension) and its size.
    Orientation from EXIF is applied to the pixels first, so dropping the
    metadata does not turn portrait photos on their side. When the picture
    needs neither scaling nor turning, the original with its metadata
    stripped is kept instead if it is smaller: re-encoding a well-compressed
    logo must not make it bigger.
    """
    upload.seek(0)
    original = upload.read()
    with Image.open(io.BytesIO(original)) as image:
        # Only the first picture of an MPO is kept, saved as a plain JPEG.
        source_format = image_format(image)
        if frame_count(image) > 1:
            return sanitise_animation(image, source_format, max_side=max_side)

        untouched = (
            image.format != "MPO"
            and image.getexif().get(0x0112, 1) == 1  # no rotation to apply
            and max(image.size) <= max_side
        )
        if image.getexif().get(0x0112, 1) != 1:
            # Only when there is something to turn: otherwise exif_transpose copies every pixel for nothing.
            image = ImageOps.exif_transpose(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if source_format == "JPEG":
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            # An empty comment, or Pillow keeps the original's (which may say where or who).
            image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True, comment=b"")
        elif source_format == "WEBP":
            image.save(buffer, format="WEBP", quality=85)
        elif source_format == "GIF":
            image.save(buffer, format="GIF", comment=b"")
        else:
            image.save(buffer, format="PNG", optimize=True)
        encoded, width, height = buffer.getvalue(), image.width, image.height
    if untouched:
        stripped = strip_metadata(original, source_format)
        if stripped is not None and len(stripped) < len(encoded):
            encoded = stripped
    extension = ALLOWED_FORMATS[source_format]
    return ContentFile(encoded, name=f"image.{extension}"), width, height


def make_thumbnail(source, *, max_side: int) -> ContentFile:
    """A small copy of an image for cards, listings and emails, where the full photo would be wasted bytes.

    JPEG (PNG where there is transparency) rather than WebP, because the same
    file goes into newsletters and some email clients still cannot show WebP.
    """
    source.seek(0)
    with Image.open(source) as image:
        image.seek(0)  # the first frame of an animation
        has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
        thumbnail = ImageOps.exif_transpose(image.convert("RGBA" if has_alpha else "RGB"))
        thumbnail.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if has_alpha:
            thumbnail.save(buffer, format="PNG", optimize=True)
            return ContentFile(buffer.getvalue(), name="thumbnail.png")
        thumbnail.save(buffer, format="JPEG", quality=82, optimize=True, progressive=True)
        return ContentFile(buffer.getvalue(), name="thumbnail.jpg")


def replace_with_sanitised(field_file, *, max_side: int) -> tuple[int, int] | None:
    """Swap a newly uploaded file for its sanitised copy before it is stored; its (width, height) if it did.

    Files already in storage are left alone, so re-saving a model does not
    re-encode (and slowly degrade) its images.
    """
    if not field_file or getattr(field_file, "_committed", True):
        return None
    if not getattr(field_file.file, VALIDATED_MARK, False):
        # Not through a form (an editor's upload view, a script, an import):
        # the same checks apply, and a refused file is never stored.
        validate_image_file(field_file.file)
    clean, width, height = sanitise_image(field_file.file, max_side=max_side)
    field_file.save(clean.name, clean, save=False)
    return width, height


# ---------- Crops around a focal point ----------


def focal_crop_box(width: int, height: int, *, ratio: float, focal: tuple[float, float]) -> tuple[int, int, int, int]:
    """The largest box of aspect ``ratio`` (width / height) inside the picture, centred on the focal point.

    ``focal`` is (x, y) as fractions of the width and height. Near an edge the
    box stops at the edge, so the focal point is always inside it.
    """
    if width / height > ratio:  # wider than wanted: cut the sides
        crop_width, crop_height = max(1, round(height * ratio)), height
    else:  # taller than wanted: cut top and bottom
        crop_width, crop_height = width, max(1, round(width / ratio))
    left = min(max(round(focal[0] * width - crop_width / 2), 0), width - crop_width)
    top = min(max(round(focal[1] * height - crop_height / 2), 0), height - crop_height)
    return left, top, left + crop_width, top + crop_height


def focal_object_position(width: int, height: int, *, ratio: float, focal: tuple[float, float]) -> str:
    """CSS ``object-position`` that makes a browser's ``object-fit: cover`` crop equal ``focal_crop_box``.

    For ``object-fit: cover`` a percentage p puts the box's left edge at
    p * (image width - box width), so p is the box's offset over the slack.
    """
    left, top, right, bottom = focal_crop_box(width, height, ratio=ratio, focal=focal)
    slack_x, slack_y = width - (right - left), height - (bottom - top)
    x = 100 * left / slack_x if slack_x else 50.0
    y = 100 * top / slack_y if slack_y else 50.0
    return f"{x:.1f}% {y:.1f}%"


# ---------- Renditions: the sizes and formats pages load ----------

RENDITION_ENCODERS = {
    # AVIF is about a quarter of a JPEG's size at the same look; speed 7 keeps a 2400 px encode well under a second.
    "avif": ("AVIF", {"quality": 50, "speed": 7}),
    "jpg": ("JPEG", {"quality": 80, "optimize": True, "progressive": True}),
    "png": ("PNG", {"optimize": True}),
}


def rendition_widths(width: int, wanted: tuple[int, ...]) -> list[int]:
    """The wanted widths the picture can fill without being enlarged, plus its own width if that is in between."""
    widths = [candidate for candidate in wanted if candidate < width]
    if width <= max(wanted):
        widths.append(width)
    else:
        widths.append(max(wanted))
    return sorted(set(widths))


def make_renditions(source, *, widths: tuple[int, ...]):
    """Yield (width, height, extension, bytes) for each width in AVIF and in JPEG (PNG where transparent).

    An animation gets none: pages show it as uploaded (scaled to at most
    ANIMATION_MAX_SIDE), since a still copy would not move. Raises OSError (and
    friends) for a file Pillow cannot decode; the caller decides what that
    means for the photo.
    """
    source.seek(0)
    with Image.open(source) as image:
        if image_format(image) not in ALLOWED_FORMATS or image.width * image.height > MAX_PIXELS:
            raise ValueError("not an image we make renditions of")
        if frame_count(image) > 1:
            return  # a still of an animation would stop it moving: pages show the (small) original
        image.seek(0)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        picture = image.convert("RGBA" if has_alpha else "RGB")
    fallback = "png" if has_alpha else "jpg"
    for width in sorted(rendition_widths(picture.width, widths), reverse=True):
        height = max(1, round(picture.height * width / picture.width))
        scaled = picture if width == picture.width else picture.resize((width, height), Image.Resampling.LANCZOS)
        for extension in ("avif", fallback):
            pillow_format, options = RENDITION_ENCODERS[extension]
            buffer = io.BytesIO()
            scaled.save(buffer, format=pillow_format, **options)
            yield width, height, extension, buffer.getvalue()
        # Each smaller size is made from the one before: faster, and as sharp.
        picture = scaled


def storage_files_delete(storage, names) -> None:
    """Delete stored files, ignoring any already gone (a file removed by hand must not stop the rest)."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # storage backends raise their own errors for a missing file
            logger.warning("Could not delete %s from storage", name, exc_info=True)
