"""Admin inlines that staff reorder by dragging or with the keyboard.

Any inline model with a ``sort_order`` field can use ``SortableInline``;
``core/sortable-inlines.js`` adds the handles and keeps ``sort_order`` in
step with the rows' order, so staff never type numbers.
"""

from django import forms


class SortableInlineForm(forms.ModelForm):
    def has_changed(self):
        """A new row whose only change is its position is still an empty row.

        The reordering script numbers every row, including one added with
        "Add another" and then left blank; Django skips such a row, and so
        should we rather than demand its required fields.
        """
        if self.instance._state.adding:
            return any(name != "sort_order" for name in self.changed_data)
        return super().has_changed()


class SortableInline:
    """Mix in before ``admin.TabularInline`` or ``admin.StackedInline``; the model orders by ``sort_order``."""

    form = SortableInlineForm

    class Media:
        js = ["core/sortable-inlines.js"]
        css = {"all": ["core/sortable-inlines.css"]}
