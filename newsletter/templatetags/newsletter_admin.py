"""Filters for the newsletter's staff pages."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def grouped(value) -> str:
    """A count with thousands separators, as staff confirm it: 12,345."""
    try:
        return number_format(int(value), force_grouping=True)
    except (TypeError, ValueError):
        return ""
