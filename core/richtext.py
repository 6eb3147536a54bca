"""Rich text: one editor configuration and one server-side sanitiser.

The editor offers exactly what the sanitiser allows, so what an editor writes
is what readers see. The sanitiser runs whenever a model with rich text is
saved (not only in forms), so HTML that arrives through the ORM, an import or
a script is cleaned too.

Photos inside the text are stored as an empty placeholder naming a library
photo, ``<figure data-photo-id="12"></figure>``, and nothing else: never an
``<img src>`` from the editor. The page renders each placeholder from the
photo's own record (alt text, caption, credit), so those are always the
library's; a placeholder whose photo is gone renders nothing.
"""

import re
from collections.abc import Callable

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
    "ul", "ol", "li", "blockquote", "a", "figure",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "figure": {"data-photo-id"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    # A photo placeholder names a photo by its id and nothing else.
    if tag == "figure" and name == "data-photo-id":
        return value if value.isascii() and value.isdecimal() and len(value) <= 18 else None
    return value


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_attribute,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)

# A figure with no other figure inside it; placeholders are normalised from the inside out.
_INNERMOST_FIGURE = re.compile(r"<figure([^>]*)>((?:(?!<figure[\s>]).)*?)</figure>", re.DOTALL)
_PHOTO_ID = re.compile(r'\sdata-photo-id="(\d+)"')
_PLACEHOLDER = re.compile(r'<figure data-photo-id="(\d+)"></figure>')


def _normalise_photo_blocks(html: str) -> str:
    """Every figure becomes an empty placeholder with its photo id, or goes if it names none."""
    kept: list[str] = []

    def settle(match: re.Match) -> str:
        photo = _PHOTO_ID.search(match[1])
        if photo is None:
            return match[2]  # a figure naming no photo: keep its (already clean) text only
        kept.append(photo[1])
        return f"\x00{len(kept) - 1}\x00"

    while "<figure" in html:
        html, count = _INNERMOST_FIGURE.subn(settle, html)
        if not count:
            break
    html = re.sub(r"</?figure[^>]*>", "", html)  # anything the loop could not pair
    return re.sub(r"\x00(\d+)\x00", lambda m: f'<figure data-photo-id="{kept[int(m[1])]}"></figure>', html)


def sanitise_html(html: str) -> str:
    """Return ``html`` with everything outside the allowlist removed.

    Scripts, styles, event handlers and ``javascript:`` URLs are dropped;
    figures are reduced to empty photo placeholders; an editor's empty
    ``<p></p>`` becomes an empty string.
    """
    cleaned = _normalise_photo_blocks(_cleaner.clean((html or "").replace("\x00", ""))).strip()
    return "" if cleaned in {"<p></p>", "<p><br></p>"} else cleaned


def photo_ids_in(html: str) -> list[int]:
    """The ids of the photos placed in sanitised ``html``, in order of appearance, each once."""
    return list(dict.fromkeys(int(photo_id) for photo_id in _PLACEHOLDER.findall(html or "")))


def render_photo_blocks(html: str, render: Callable[[int], str]) -> str:
    """Sanitised ``html`` with each photo placeholder replaced by ``render(photo_id)`` (which may be "")."""
    return _PLACEHOLDER.sub(lambda match: render(int(match[1])), html or "")


# The editor's photo block (static/admin/js/photo-block.js, registered in settings as
# DJANGO_PROSE_EDITOR_EXTENSIONS): a library photo placed in the text, stored as the placeholder above.
PHOTO_BLOCK = {"PhotoBlock": True}


def RichTextField(*, photos: bool = False, **kwargs) -> ProseEditorField:  # noqa: N802 - reads like a field class
    """A text field edited with the WYSIWYG editor and sanitised with our allowlist.

    With ``photos=True`` the editor can place library photos inside the text.
    """
    extensions = EDITOR_EXTENSIONS | PHOTO_BLOCK if photos else EDITOR_EXTENSIONS
    return ProseEditorField(extensions=extensions, sanitize=sanitise_html, **kwargs)
