"""Compressed pages, feeds and sitemaps: brotli where the browser takes it, gzip otherwise.

Static files are compressed ahead of time by WhiteNoise; this is for what
views write. Only text is compressed (HTML, XML feeds and sitemaps, JSON,
plain text); photos and PDFs are compressed already.

Public pages (core/caching.py marks them) hold nothing secret, so they are
compressed the same way every time: the same page gives the same bytes, the
ETag stays strong, and a cache keeps one copy per encoding. Every other
response is gzipped the way Django's GZipMiddleware does it, with a few random
bytes in the header against BREACH-style guessing of secrets such as form
tokens; brotli, which has no such padding, is kept for public pages.
"""

import functools
import re

import brotli
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string

# Measured on the demo's 34 KB dashboard: brotli quality 4 gives 7.7 KB in 0.36 ms, gzip -6 8.0 KB in
# 0.45 ms, quality 5 7.3 KB in 0.58 ms. Uncached pages pay this on every request, so the cheapest wins;
# the highest qualities take tens of milliseconds and are for files compressed once.
BROTLI_QUALITY = 4
MIN_SIZE = 200
COMPRESSIBLE = re.compile(r"^(text/|application/(xml|json|feed\+json|rss\+xml|atom\+xml|javascript|x-bibtex))")
# Django's GZipMiddleware pads with up to 100 random bytes.
GZIP_PADDING = 100

_ACCEPT_ENCODING_PART = re.compile(r"\s*([\w*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


@functools.lru_cache(maxsize=64)
def accepted_encodings(accept_encoding: str) -> frozenset[str]:
    """The content codings an Accept-Encoding header allows (those not refused with q=0).

    Kept per header value: browsers send a handful of distinct ones, and every cached page's key asks.
    """
    accepted = set()
    for part in accept_encoding.lower().split(","):
        match = _ACCEPT_ENCODING_PART.fullmatch(part)
        if not match:
            continue
        name, quality = match.groups()
        try:
            if quality is not None and float(quality) <= 0:
                continue
        except ValueError:
            continue
        accepted.add(name)
    return frozenset(accepted)


def preferred_encoding(meta, *, public: bool = True) -> str:
    """The coding a response to a request with ``meta`` (``request.META`` or a WSGI environ) should have:
    "br", "gzip" or "" (none); brotli only for ``public`` pages."""
    accepted = accepted_encodings(meta.get("HTTP_ACCEPT_ENCODING", ""))
    if public and "br" in accepted:
        return "br"
    if "gzip" in accepted:
        return "gzip"
    return ""


class CompressionMiddleware:
    """Brotli or gzip for text responses; see the module docstring for which gets what."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.streaming
            or response.has_header("Content-Encoding")
            or not COMPRESSIBLE.match(response.get("Content-Type", ""))
            or len(response.content) < MIN_SIZE
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        public = getattr(response, "cache_public", False) and not response.cookies
        encoding = preferred_encoding(request.META, public=public)
        if encoding == "br":
            compressed = brotli.compress(response.content, quality=BROTLI_QUALITY)
        elif encoding == "gzip":
            compressed = compress_string(response.content, max_random_bytes=0 if public else GZIP_PADDING)
        else:
            return response
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        response.headers["Content-Encoding"] = encoding
        etag = response.get("ETag")
        if etag and etag.startswith('"') and not public:
            # Padded output differs every time: only a weak validator is honest (RFC 9110, 8.8.1).
            response.headers["ETag"] = "W/" + etag
        return response
