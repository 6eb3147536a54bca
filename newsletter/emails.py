"""The one place emails are rendered: templates in, subject + text + inlined HTML out.

Each email is a pair of templates, ``templates/emails/<name>.txt`` and
``templates/emails/<name>.html``. The first line of the rendered text template
is the subject; the rest is the plain-text body. Text templates wrap
themselves in ``{% autoescape off %}`` since plain text must not be
HTML-escaped. The HTML is run through css-inline so that clients that drop
``<style>`` (many webmail clients do) still show it as designed.
"""

from dataclasses import dataclass

import css_inline
from django.conf import settings
from django.template.loader import render_to_string

_inliner = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict) -> RenderedEmail:
    """Render ``emails/<name>.txt`` and ``emails/<name>.html`` with ``context``."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "postal_address": settings.POSTAL_ADDRESS,
        **context,
    }
    subject, _, text = render_to_string(f"emails/{name}.txt", context).lstrip().partition("\n")
    html = _inliner.inline(render_to_string(f"emails/{name}.html", context))
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)
