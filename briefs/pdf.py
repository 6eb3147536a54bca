"""A brief as a PDF, made by WeasyPrint from the brief's own page and its print stylesheet.

The PDF is the printed page: the HTML readers get, laid out with
``static/css/print.css`` (WeasyPrint renders for print media), with the site's
fonts embedded and photos at full resolution (WeasyPrint takes ``src``, the
original, not the smaller ``srcset`` candidates a screen picks).

It is made once per version of the page: the file name is a hash of the HTML,
so any change a reader could see (text, photo, caption, an author's name)
makes a new PDF on the next request, and the old one is removed. Files live in
the default storage under ``pdf/<brief id>/``.

Resources are read from our own static files and media storage only; WeasyPrint
never fetches anything over the network (editors' links stay links).

WeasyPrint needs Pango and HarfBuzz from the system (Debian: libpango-1.0-0,
libpangoft2-1.0-0, libharfbuzz-subset0); ``make run``, ``make test`` and
``.ci/run`` install them where missing. Without them ``pdf_available()`` is
False and the site offers no PDF instead of failing.
"""

import functools
import hashlib
import logging
import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import ImageFile

logger = logging.getLogger(__name__)

PDF_DIRECTORY = "pdf"


def _weasyprint():
    """Import WeasyPrint, undoing the one process-wide change it makes on import.

    It sets Pillow's ``LOAD_TRUNCATED_IMAGES``, which would let a cut-off
    upload pass core.images.validate_image_file; our own photos are complete.
    """
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
        import weasyprint.urls
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return weasyprint


@functools.cache
def pdf_available() -> bool:
    """Whether WeasyPrint and the system libraries it needs can be loaded here."""
    try:
        _weasyprint()
    except (ImportError, OSError) as error:
        logger.warning("PDFs of briefs are off: WeasyPrint cannot load (%s).", error)
        return False
    return True


def _local_file(path: str) -> bytes | None:
    """The bytes of one of our own static or media files, given its URL path; None for anything else."""
    static_prefix, media_prefix = "/" + settings.STATIC_URL.lstrip("/"), "/" + settings.MEDIA_URL.lstrip("/")
    if path.startswith(static_prefix):
        name = posixpath.normpath(path.removeprefix(static_prefix))
        found = finders.find(name)
        if found:
            with open(found, "rb") as file:
                return file.read()
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as file:
                return file.read()
    elif path.startswith(media_prefix):
        name = posixpath.normpath(path.removeprefix(media_prefix))
        if not name.startswith("..") and default_storage.exists(name):
            with default_storage.open(name) as file:
                return file.read()
    return None


def brief_pdf(*, brief_id: int, html: str, base_url: str) -> tuple[str, bool]:
    """The storage name of the PDF of this page's HTML, made now if this version has none; and whether it was made.

    ``base_url`` is the page's own address: links in the PDF point there, and
    resources under it are read from local files.
    """
    version = hashlib.sha256(html.encode()).hexdigest()[:24]
    folder = f"{PDF_DIRECTORY}/{brief_id}"
    name = f"{folder}/{version}.pdf"
    if default_storage.exists(name):
        return name, False
    document = _render(html, base_url)
    # Older versions of this brief's PDF are of no further use.
    if default_storage.exists(folder):
        for old in default_storage.listdir(folder)[1]:
            default_storage.delete(f"{folder}/{old}")
    return default_storage.save(name, ContentFile(document)), True


def _render(html: str, base_url: str) -> bytes:
    weasyprint = _weasyprint()
    URLFetcher, URLFetcherResponse = weasyprint.urls.URLFetcher, weasyprint.urls.URLFetcherResponse  # noqa: N806

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))

    class LocalFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            content = _local_file(unquote(parts.path)) if url.startswith(origin + "/") else None
            if content is None:
                raise ValueError(f"Not one of the site's own files: {url}")
            mime_type = mimetypes.guess_type(parts.path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, content, {"Content-Type": mime_type})

    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=LocalFilesOnly()).write_pdf()
