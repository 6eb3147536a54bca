"""``{% fragment %}``: part of a template made once per content version (core/fragments.py)."""

from collections.abc import Iterable

from django import template

from core.fragments import fragment

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name: str, vary: Iterable[template.base.FilterExpression], when=None):
        self.nodelist, self.name, self.vary, self.when = nodelist, name, list(vary), when

    def render(self, context):
        if self.when is not None and not self.when.resolve(context):
            return self.nodelist.render(context)
        request = context.get("request")
        vary = [expression.resolve(context) for expression in self.vary]
        return fragment(request, self.name, *vary, make=lambda: self.nodelist.render(context))


@register.tag("fragment")
def do_fragment(parser, token):
    """``{% fragment "name" value … [when=condition] %}…{% endfragment %}``: the enclosed part, made once per
    content version for each combination of the values (and made every time when ``condition`` is false).
    Use only around what every reader sees alike, and vary on everything else it reads (the values must
    have few possible combinations)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("fragment needs a name")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    name = bits[1].strip("\"'")
    when = [bit for bit in bits[2:] if bit.startswith("when=")]
    vary = [parser.compile_filter(bit) for bit in bits[2:] if not bit.startswith("when=")]
    return FragmentNode(nodelist, name, vary, parser.compile_filter(when[0][5:]) if when else None)
