"""``{% section_body section %}``: a section's text with its placed photos drawn from the library."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from core.richtext import render_photo_blocks

register = template.Library()


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
