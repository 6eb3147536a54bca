"""Public forms of the briefs app."""

from urllib.parse import urlencode

from django import forms


class BriefFilterForm(forms.Form):
    """The dashboard filters. Every field is optional and they combine."""

    series = forms.SlugField(required=False)
    topic = forms.SlugField(required=False)
    author = forms.SlugField(required=False)
    year = forms.IntegerField(required=False, min_value=1900, max_value=2200)

    def cleaned_filters(self) -> dict:
        """The valid, non-empty filters; a malformed value is ignored rather than failing the page."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    def query_string(self) -> str:
        """The active filters as a query string, for pagination links to keep them."""
        filters = self.cleaned_filters()
        return urlencode(filters)
