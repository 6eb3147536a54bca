"""``{% json_ld data %}``: structured data for search engines, as a JSON-LD data block."""

from django import template

from ..structured_data import json_ld_script

register = template.Library()


@register.simple_tag
def json_ld(data: dict):
    return json_ld_script(data)


@register.simple_tag(takes_context=True)
def filters_title(context) -> str:
    """The dashboard's active filters in words for its title, e.g. "Energy Brief · Climate · 2025".

    Names come from the option lists the page shows anyway, so this costs no query.
    """
    filters = context.get("filters") or {}
    chosen = [
        next((item.name for item in context.get(options, ()) if item.slug == filters.get(name)), None)
        for name, options in (("series", "nav_series"), ("topic", "nav_topics"), ("author", "filter_authors"))
    ]
    words = [name for name in chosen if name] + ([str(filters["year"])] if filters.get("year") else [])
    return " · ".join(words) or "filtered"
