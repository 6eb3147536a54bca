"""``{% fragment %}``: part of a template made once per content version (core/fragments.py)."""

from collections.abc import Iterable

from django import template

from core.fragments import fragment

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name: str, vary: Iterable[template.base.FilterExpression]):
        self.nodelist, self.name, self.vary = nodelist, name, list(vary)

    def render(self, context):
        request = context.get("request")
        vary = [expression.resolve(context) for expression in self.vary]
        return fragment(request, self.name, *vary, make=lambda: self.nodelist.render(context))


@register.tag("fragment")
def do_fragment(parser, token):
    """``{% fragment "name" value … %}…{% endfragment %}``: the enclosed part, made once per content version
    for each combination of the values. Use only around what every reader sees alike, and vary on
    everything else it reads (the values must have few possible combinations)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("fragment needs a name")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    name = bits[1].strip("\"'")
    return FragmentNode(nodelist, name, [parser.compile_filter(bit) for bit in bits[2:]])
