"""Template tags for brief pages: section text with its photos, and photos as responsive ``<picture>`` elements.

``{% section_body section %}`` renders a section's text with its placed
photos drawn from the library; ``{% picture %}``, ``{% hero_picture %}`` and
``{% card_picture %}`` render a photo from its renditions (briefs/renditions.py)
with ``srcset``/``sizes`` matched to where it sits in the layout.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from briefs import renditions
from core.richtext import render_photo_blocks

register = template.Library()


@register.inclusion_tag("includes/photo_picture.html")
def picture(photo, *, sizes="", eager=False, style="", img_class=""):
    """A photo as ``<picture>``: AVIF and JPEG sources in every width made, lazy unless ``eager``."""
    return {
        "photo": photo,
        "picture": renditions.photo_picture(photo),
        "sizes": sizes or renditions.IN_TEXT_SIZES,
        "eager": eager,
        "style": style,
        "img_class": img_class,
    }


@register.inclusion_tag("includes/photo_picture.html")
def hero_picture(photo):
    """The brief's header photo: fetched first, cropped around its focal point (see .brief-hero in site.css)."""
    return picture(photo, sizes=renditions.hero_sizes(photo), eager=True, style=renditions.hero_style(photo))


@register.inclusion_tag("includes/photo_picture.html")
def card_picture(photo, *, sizes=""):
    """A photo on a card, cropped to 16:9 around its focal point, loaded when scrolled near."""
    return picture(photo, sizes=sizes or renditions.CARD_SIZES, style=renditions.card_style(photo))


@register.simple_tag
def aside_sizes():
    return renditions.ASIDE_SIZES


@register.inclusion_tag("includes/photo_picture.html")
def featured_picture(photo):
    """The featured brief's photo at the top of the dashboard: fetched first, cropped to 16:9 around its focal point."""
    return picture(photo, sizes=renditions.FEATURED_SIZES, eager=True, style=renditions.card_style(photo))


@register.simple_tag
def section_body(section):
    """The sanitised body, each photo placeholder replaced by the photo as the page shows it.

    Photos come from ``section.text_photos`` (prefetched by ``for_detail``),
    so their alt text, caption and credit are always the library's; a
    placeholder for a photo that no longer exists renders nothing.
    """
    photos = {placement.photo_id: placement.photo for placement in section.text_photos.all()}

    def render(photo_id: int) -> str:
        photo = photos.get(photo_id)
        if photo is None:
            return ""
        return render_to_string("includes/photo_figure.html", {"photo": photo, "figure_class": "photo-figure--inline"})

    # Safe: Section.body is sanitised with the rich-text allowlist on every save.
    return mark_safe(render_photo_blocks(section.body, render))
