"""What search engines and reference managers read from a page: schema.org JSON-LD and Highwire citation tags.

A brief is a schema.org ``Report``: part of its series (``isPartOf``) at its
number (``position``, ``reportNumber``), by its authors as ``Person``s with
their pages, published by the organisation, with each photo as an
``ImageObject`` carrying its caption, credit and licence. Listing pages carry a
``BreadcrumbList``. The Highwire Press ``citation_*`` tags let Zotero's
connector and scholarly indexes file a brief as a report with its number.

Functions take ``absolute``, a callable that turns a path into a full URL
(``request.build_absolute_uri``).
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .models import Brief, Photo

Absolute = Callable[[str], str]

# In a <script> element "</script>" would end the data early; JSON allows these characters escaped.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_ld_script(data: dict) -> SafeString:
    """``<script type="application/ld+json">``: data, not script, so the Content Security Policy lets it be."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


def brief_photos(brief: Brief) -> list[Photo]:
    """Every photo the page shows, header first, each once (from the prefetched sections)."""
    photos = [brief.header_photo] if brief.header_photo else []
    for section in brief.sections.all():
        photos += [placement.photo for placement in section.text_photos.all()]
    return list({photo.pk: photo for photo in photos}.values())


def image_object(photo: Photo, *, absolute: Absolute) -> dict:
    data = {
        "@type": "ImageObject",
        "contentUrl": absolute(photo.image.url),
        "url": absolute(photo.image.url),
        "description": photo.alt_text,
        "caption": photo.caption or photo.alt_text,
    }
    if photo.width:
        data |= {"width": photo.width, "height": photo.height}
    if photo.credit:
        data["creditText"] = photo.credit
    if photo.licence_url or photo.licence:
        data["license"] = photo.licence_url or photo.licence
    if photo.source_url:
        data["acquireLicensePage"] = photo.source_url
    return data


def publisher(*, absolute: Absolute) -> dict:
    return {"@type": "Organization", "name": settings.SITE_NAME, "url": absolute(reverse("briefs:dashboard"))}


def brief_modified(brief: Brief):
    """The date readers see the brief as last changed: its correction, else its publication."""
    return brief.corrected_at or brief.published_at


def brief_json_ld(brief: Brief, *, absolute: Absolute, pdf_url: str = "") -> dict:
    """The brief as a schema.org Report (from what ``for_detail`` prefetched: no queries)."""
    url = absolute(brief.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Report",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "name": brief.title,
        "headline": brief.title,
        "description": brief.summary,
        "inLanguage": settings.LANGUAGE_CODE,
        "isPartOf": {
            "@type": "CreativeWorkSeries",
            "name": brief.series.name,
            "url": absolute(brief.series.get_absolute_url()),
        },
        "author": [
            {"@type": "Person", "name": author.name, "url": absolute(author.get_absolute_url())}
            | ({"jobTitle": author.role} if author.role else {})
            for author in brief.authors
        ],
        "publisher": publisher(absolute=absolute),
        "image": [image_object(photo, absolute=absolute) for photo in brief_photos(brief)],
        "keywords": [topic.name for topic in brief.topics.all()],
    }
    if brief.number:
        data |= {"position": brief.number, "reportNumber": str(brief.number)}
    if brief.published_at:
        data |= {"datePublished": brief.published_at.isoformat(), "dateModified": brief_modified(brief).isoformat()}
    if pdf_url:
        data["encoding"] = {"@type": "MediaObject", "contentUrl": pdf_url, "encodingFormat": "application/pdf"}
    return data


def breadcrumbs_json_ld(trail: list[tuple[str, str]], *, absolute: Absolute) -> dict:
    """A schema.org BreadcrumbList from (name, path) pairs, starting at the front page."""
    steps = [(settings.SITE_NAME, reverse("briefs:dashboard")), *trail]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": absolute(path)}
            for position, (name, path) in enumerate(steps, start=1)
        ],
    }


def citation_meta_tags(brief: Brief, *, absolute: Absolute, pdf_url: str = "") -> list[tuple[str, str]]:
    """Highwire Press ``<meta name="citation_…">`` pairs, authors in byline order."""
    tags = [("citation_title", brief.title)]
    tags += [("citation_author", author.name) for author in brief.authors]
    if brief.published_at:
        tags.append(("citation_publication_date", brief.published_at.strftime("%Y/%m/%d")))
    tags += [
        ("citation_series_title", brief.series.name),
        ("citation_technical_report_number", str(brief.number or "")),
        ("citation_technical_report_institution", settings.SITE_NAME),
        ("citation_publisher", settings.SITE_NAME),
        ("citation_language", settings.LANGUAGE_CODE.split("-")[0]),
        ("citation_abstract_html_url", absolute(brief.get_absolute_url())),
    ]
    tags += [("citation_keywords", topic.name) for topic in brief.topics.all()]
    if pdf_url:
        tags.append(("citation_pdf_url", pdf_url))
    return [(name, value) for name, value in tags if value]
