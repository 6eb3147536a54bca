"""Validation and clean-up of uploaded images.

Every image that reaches the site (photos, portraits, logos) passes through
here: the validator refuses anything that is not a real, complete JPEG, PNG,
WebP or GIF within our size limits, and ``sanitise_image`` re-encodes the file
so that EXIF and GPS metadata never reach the public, and scales it down to a
size the web needs.
"""

import io
import uuid
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.deconstruct import deconstructible
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

# Pillow refuses absurd images on its own; keep its limit above ours so our
# clearer message is the one a user sees.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 2


def image_format(image) -> str | None:
    """The format as we treat it: phones save photos with a depth or HDR map as
    MPO, a JPEG with extra pictures appended, which is a JPEG to everyone else."""
    return "JPEG" if image.format == "MPO" else image.format


def validate_image_file(upload) -> None:
    """Refuse files that are not a complete JPEG/PNG/WebP/GIF within our limits."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "This file is %(size).1f MB; images can be at most 10 MB.",
            code="file_too_large",
            params={"size": upload.size / 1024 / 1024},
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image_format(image) not in ALLOWED_FORMATS:
                raise ValidationError(
                    "This is a %(format)s image; please upload a JPEG, PNG, WebP or GIF.",
                    code="unsupported_format",
                    params={"format": image.format or "unknown"},
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    "This image is %(width)d × %(height)d pixels (%(mp).0f megapixels); the limit is 40 megapixels.",
                    code="too_many_pixels",
                    params={"width": width, "height": height, "mp": width * height / 1_000_000},
                )
            # Decoding every pixel is the only reliable way to catch a
            # truncated or corrupt file; verify() alone misses many.
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ValidationError(
            "This file is not an image we can read. Please upload a JPEG, PNG, WebP or GIF.",
            code="not_an_image",
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            "This image is damaged or incomplete (it may have been cut off while uploading). "
            "Please upload the file again.",
            code="corrupt_image",
        ) from None
    finally:
        upload.seek(position)


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


def sanitise_image(upload, *, max_side: int) -> tuple[ContentFile, int, int]:
    """Re-encode an uploaded image without metadata, no larger than ``max_side``.

    Returns the new file (named with the right extension) and its size.
    Orientation from EXIF is applied to the pixels first, so dropping the
    metadata does not turn portrait photos on their side.
    """
    upload.seek(0)
    with Image.open(upload) as image:
        # Only the first picture of an MPO is kept, saved as a plain JPEG.
        source_format = image_format(image)
        animated = getattr(image, "is_animated", False)
        if source_format == "GIF" and animated:
            # Keep animations as they are; GIF carries no EXIF or GPS data.
            # Pillow copies a GIF's comment into the new file unless told not to.
            buffer = io.BytesIO()
            image.save(buffer, format="GIF", save_all=True, comment=b"")
            width, height = image.size
            return ContentFile(buffer.getvalue(), name="image.gif"), width, height

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
        extension = ALLOWED_FORMATS[source_format]
        return ContentFile(buffer.getvalue(), name=f"image.{extension}"), image.width, image.height


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


def replace_with_sanitised(field_file, *, max_side: int) -> bool:
    """Swap a newly uploaded file for its sanitised copy before it is stored; True if it did.

    Files already in storage are left alone, so re-saving a model does not
    re-encode (and slowly degrade) its images.
    """
    if not field_file or getattr(field_file, "_committed", True):
        return False
    clean, _width, _height = sanitise_image(field_file.file, max_side=max_side)
    field_file.save(clean.name, clean, save=False)
    return True
