"""Renditions: each library photo in the widths pages need, as AVIF with a JPEG (or PNG) fallback.

After an upload, ``Photo.save`` queues ``make_photo_renditions`` (briefs/tasks.py),
which calls ``photo_renditions_make``: the picture is decoded once and saved in
every width of ``WIDTHS`` it can fill without being enlarged, in AVIF (about a
quarter of a JPEG's bytes) and in JPEG for browsers without AVIF (PNG where
the picture is transparent). The files sit beside the original in the same
storage (``photos/ab12….1200w.avif``) and are listed on the photo, so pages
build their ``srcset`` without touching storage.

Until the task has run, and when it could not (a broken or missing file),
``photo_picture`` falls back to the nearest sizes that exist: the 800 px
thumbnail and the original. A page never waits for, or fails on, a rendition.

Why our own code and not django-imagekit, easy-thumbnails or sorl-thumbnail:
those make a size the first time a template asks for it (inside the request,
or with their own cache or queue), none of them writes AVIF, and each brings a
template language of its own. What we need is one loop over five widths with
Pillow, run by ``django.tasks`` like the rest of our background work.
"""

import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from core.images import focal_object_position, make_renditions, storage_files_delete

from .cache_tags import photo_renditions_ready
from .models import Photo

logger = logging.getLogger(__name__)

WIDTHS = (400, 800, 1200, 1600, 2400)
MIME_TYPES = {"avif": "image/avif", "jpg": "image/jpeg", "png": "image/png"}

# Shapes the layout crops photos to (see static/css/site.css).
HERO_WIDE_RATIO = 2.0  # the brief's header from 576 px up: 16:8
HERO_PHONE_RATIOS = (4 / 5, 16 / 9)  # on phones the whole picture, unless taller or wider than these
CARD_RATIO = 16 / 9  # cards and the featured brief


def rendition_name(image_name: str, width: int, extension: str) -> str:
    """Beside the original: photos/ab12.jpg gives photos/ab12.800w.avif."""
    stem = image_name.rsplit(".", 1)[0]
    return f"{stem}.{width}w.{extension}"


def photo_renditions_make(*, photo_id: int) -> str:
    """Make (or remake) every rendition of a photo and record them; returns the photo's new status.

    Anything that goes wrong with the file, a damaged or missing image or a
    storage error, marks the photo as failed with a note and is logged;
    pages then keep using the fallback, and nothing is raised.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not photo.image:
        return "gone"
    storage, image_name = photo.image.storage, photo.image.name
    made: list[dict] = []
    try:
        with storage.open(image_name, "rb") as source:
            data = io.BytesIO(source.read())
        for width, height, extension, content in make_renditions(data, widths=WIDTHS):
            name = storage.save(rendition_name(image_name, width, extension), ContentFile(content))
            made.append({"width": width, "height": height, "format": extension, "name": name})
    except Exception as error:
        storage_files_delete(storage, [entry["name"] for entry in made])
        missing = isinstance(error, FileNotFoundError)
        note = "The image file is missing from storage." if missing else "The image file could not be read."
        logger.warning("Renditions of photo %s (%s) failed: %s", photo_id, image_name, error, exc_info=not missing)
        Photo.objects.filter(pk=photo_id, image=image_name).update(
            renditions_status=Photo.Renditions.FAILED, renditions_note=note
        )
        return Photo.Renditions.FAILED
    with transaction.atomic():
        # Only if the photo still has the image these were made from.
        updated = Photo.objects.filter(pk=photo_id, image=image_name).update(
            renditions=made, renditions_status=Photo.Renditions.READY, renditions_note=""
        )
    if not updated:
        storage_files_delete(storage, [entry["name"] for entry in made])
        return "replaced"
    storage_files_delete(storage, [name for name in photo.rendition_names() if name not in {m["name"] for m in made}])
    photo_renditions_ready(photo_id)
    return Photo.Renditions.READY


@dataclass
class Picture:
    """What a ``<picture>`` element needs: sources by type, the fallback ``<img>``'s src/srcset and its size."""

    src: str
    width: int
    height: int
    srcset: str = ""
    sources: list[tuple[str, str]] = field(default_factory=list)


def _srcset(entries) -> str:
    return ", ".join(f"{url} {width}w" for width, url in entries)


def photo_picture(photo: Photo) -> Picture:
    """The files a page offers for ``photo``: its renditions, or until they exist the thumbnail and original."""
    width, height = photo.width or 0, photo.height or 0
    if photo.renditions_status == Photo.Renditions.READY and not photo.renditions and photo.image:
        # Ready with nothing made: an animation, shown as it was stored.
        return Picture(src=photo.image.url, width=width, height=height)
    if photo.renditions_status == Photo.Renditions.READY and photo.renditions:
        storage = photo.image.storage
        by_format: dict[str, list[tuple[int, str]]] = {}
        for entry in sorted(photo.renditions, key=lambda entry: entry["width"]):
            by_format.setdefault(entry["format"], []).append((entry["width"], storage.url(entry["name"])))
        fallback = by_format.get("jpg") or by_format.get("png") or []
        if fallback:
            # Browsers that ignore srcset get a middling size rather than the largest.
            src = next((url for w, url in fallback if w >= 800), fallback[-1][1])
            sources = [(MIME_TYPES["avif"], _srcset(by_format["avif"]))] if by_format.get("avif") else []
            return Picture(src=src, width=width, height=height, srcset=_srcset(fallback), sources=sources)
    if not photo.image:
        return Picture(src="", width=width, height=height)
    # Nearest sizes that exist already: the thumbnail (at most 800 px) and the original.
    entries = []
    if photo.thumbnail and width and height:
        thumbnail_width = round(width * min(1.0, Photo.THUMBNAIL_SIDE / max(width, height)))
        if thumbnail_width < width:
            entries.append((thumbnail_width, photo.thumbnail.url))
    entries.append((width, photo.image.url))
    src = entries[0][1]
    return Picture(src=src, width=width, height=height, srcset=_srcset(entries) if width else "")


def hero_phone_ratio(photo: Photo) -> float:
    """The header's shape on a phone: the photo's own, kept within HERO_PHONE_RATIOS."""
    if not (photo.width and photo.height):
        return 16 / 9
    lowest, highest = HERO_PHONE_RATIOS
    return min(max(photo.width / photo.height, lowest), highest)


def crop_position(photo: Photo, ratio: float) -> str:
    """``object-position`` that keeps the photo's focal point in a crop to ``ratio``."""
    if not (photo.width and photo.height):
        return "50% 50%"
    return focal_object_position(photo.width, photo.height, ratio=ratio, focal=photo.focal_point)


def hero_style(photo: Photo) -> str:
    """Custom properties site.css uses to crop the header around its focal point, on phones and wider screens."""
    phone = hero_phone_ratio(photo)
    return (
        f"--crop-wide: {crop_position(photo, HERO_WIDE_RATIO)}; "
        f"--crop-phone: {crop_position(photo, phone)}; --ratio-phone: {phone:.4f}"
    )


def hero_sizes(photo: Photo) -> str:
    """How wide the header's whole picture is drawn, crops included, for each layout width (Bootstrap's container).

    Where a crop cuts the sides, the picture is drawn wider than the box by
    the ratio of the two shapes, and the browser must fetch it that wide to
    stay sharp.
    """
    natural = photo.width / photo.height if photo.width and photo.height else HERO_WIDE_RATIO
    wide = max(1.0, natural / HERO_WIDE_RATIO)
    phone = max(1.0, natural / hero_phone_ratio(photo))
    steps = [(1400, 1296), (1200, 1116), (992, 936), (768, 696), (576, 516)]
    parts = [f"(min-width: {viewport}px) {round(box * wide)}px" for viewport, box in steps]
    parts.append(f"calc((100vw - 24px) * {phone:.3f})" if phone > 1 else "calc(100vw - 24px)")
    return ", ".join(parts)


def card_style(photo: Photo) -> str:
    return f"object-position: {crop_position(photo, CARD_RATIO)}"


# How wide photos are drawn at each layout width (Bootstrap's container less
# its padding; the reading column is at most about 700 px), so the browser
# fetches the smallest rendition that is still sharp.
IN_TEXT_SIZES = (
    "(min-width: 1200px) 700px, (min-width: 992px) 680px, (min-width: 768px) 696px, "
    "(min-width: 576px) 516px, calc(100vw - 24px)"
)
ASIDE_SIZES = "(min-width: 768px) 310px, calc(100vw - 24px)"
CARD_SIZES = "(min-width: 576px) 360px, calc(100vw - 24px)"
FEATURED_SIZES = "(min-width: 1400px) 760px, (min-width: 992px) 660px, (min-width: 576px) 700px, calc(100vw - 24px)"


def photo_image_object(photo: Photo) -> dict:
    """The photo as a schema.org ImageObject for a page's JSON-LD, with its credit and licence as data.

    ``creditText`` is the credit readers see; ``license`` is the licence's
    link where there is one (search engines want a URL), else its name.
    Addresses are absolute, from SITE_URL when storage gives a path.
    """
    base = settings.SITE_URL.rstrip("/")

    def absolute(url: str) -> str:
        return url if url.startswith(("http://", "https://")) else f"{base}{url if url.startswith('/') else '/' + url}"

    image = {"@type": "ImageObject", "contentUrl": absolute(photo.image.url), "description": photo.alt_text}
    if photo.width and photo.height:
        image |= {"width": photo.width, "height": photo.height}
    if photo.caption:
        image["caption"] = photo.caption
    if photo.credit:
        image["creditText"] = photo.credit
    if photo.source_url:
        image["acquireLicensePage"] = photo.source_url
    if photo.licence_url or photo.licence:
        image["license"] = photo.licence_url or photo.licence
    return image
