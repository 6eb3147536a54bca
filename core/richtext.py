"""Rich text: one editor configuration and one server-side sanitiser.

The editor offers exactly what the sanitiser allows, so what an editor writes
is what readers see. The sanitiser runs whenever a model with rich text is
saved (not only in forms), so HTML that arrives through the ORM, an import or
a script is cleaned too.
"""

import nh3
from django_prose_editor.fields import ProseEditorField

EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "History": True,
}

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "sub", "sup", "h3", "h4",
    "ul", "ol", "li", "blockquote", "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    """Return ``html`` with everything outside the allowlist removed.

    Scripts, styles, event handlers and ``javascript:`` URLs are dropped; an
    editor's empty ``<p></p>`` becomes an empty string.
    """
    cleaned = _cleaner.clean(html or "").strip()
    return "" if cleaned in {"<p></p>", "<p><br></p>"} else cleaned


def RichTextField(**kwargs) -> ProseEditorField:  # noqa: N802 - reads like a field class
    """A text field edited with the WYSIWYG editor and sanitised with our allowlist."""
    return ProseEditorField(extensions=EDITOR_EXTENSIONS, sanitize=sanitise_html, **kwargs)
