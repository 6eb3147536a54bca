/**
 * Reordering for admin inlines that carry a `sort_order` field.
 *
 * Each row gets a drag handle and real "Move up" / "Move down" buttons; the
 * hidden `sort_order` inputs are renumbered in page order after every move,
 * addition or removal, so what the editor sees is what gets saved. Without
 * this script the plain number inputs still work.
 *
 * Rows are moved whole (never re-created), so the rich-text editors, select2
 * widgets and typed-in values inside them keep working.
 *
 * Django's inlines.js renumbers form prefixes in page order when an unsaved
 * row is removed; if rows had been reordered, that would give an existing
 * object's form a "new form" index (and the other way round) and lose data.
 * So just before Django's remove handler runs we put rows back in form-index
 * order, and restore the editor's order straight after.
 */
"use strict";
{
    const GROUP_SELECTOR = ".js-inline-admin-formset";
    const ORDER_INPUT_SELECTOR = "input[name$='-sort_order']";
    const EDGE_SCROLL_MARGIN = 48;
    const EDGE_SCROLL_STEP = 12;

    let liveRegion = null;

    function announce(message) {
        if (!liveRegion) {
            liveRegion = document.createElement("div");
            liveRegion.className = "visually-hidden";
            liveRegion.setAttribute("aria-live", "polite");
            liveRegion.setAttribute("aria-atomic", "true");
            document.body.append(liveRegion);
        }
        // Clearing first makes screen readers repeat an identical message
        // (moving the same row twice in a row).
        liveRegion.textContent = "";
        window.setTimeout(() => {
            liveRegion.textContent = message;
        }, 50);
    }

    function isSortable(group) {
        return group.querySelector(ORDER_INPUT_SELECTOR) !== null;
    }

    function isTabular(group) {
        return group.dataset.inlineType === "tabular";
    }

    function rowsOf(group) {
        const selector = isTabular(group)
            ? "tbody > tr.form-row:not(.empty-form)"
            : ".inline-related:not(.empty-form):not(.tabular)";
        return Array.from(group.querySelectorAll(selector)).filter(
            (row) => row.closest(GROUP_SELECTOR) === group,
        );
    }

    /** A row plus the non-field-error row Django puts above a tabular row. */
    function unitOf(row) {
        const previous = row.previousElementSibling;
        if (previous && previous.classList.contains("row-form-errors")) {
            return [previous, row];
        }
        return [row];
    }

    /** Put `rows` in the given order, where the first of them stands now. */
    function arrange(rows) {
        if (rows.length < 2) {
            return;
        }
        const first = rows.reduce((earliest, row) =>
            earliest.compareDocumentPosition(row) & Node.DOCUMENT_POSITION_PRECEDING
                ? row
                : earliest,
        );
        const marker = document.createComment("");
        unitOf(first)[0].before(marker);
        for (const row of rows) {
            marker.before(...unitOf(row));
        }
        marker.remove();
    }

    function formIndex(row) {
        const match = /-(\d+)$/.exec(row.id);
        return match ? parseInt(match[1], 10) : Number.MAX_SAFE_INTEGER;
    }

    /** A short name for the row, for button labels and announcements. */
    function rowName(row, position) {
        const fields = row.querySelectorAll("select, input[type='text'], input:not([type])");
        for (const field of fields) {
            if (field.name.endsWith("-sort_order")) {
                continue;
            }
            if (field.tagName === "SELECT") {
                const option = field.selectedOptions[0];
                if (option && option.value) {
                    return option.text.trim();
                }
            } else if (field.value.trim()) {
                return field.value.trim();
            }
        }
        return `row ${position + 1}`;
    }

    /**
     * Bring buttons, labels and (unless `renumber` is false) the sort_order
     * inputs in line with the rows' order on the page.
     */
    function refresh(group, { renumber = true } = {}) {
        const rows = rowsOf(group);
        rows.forEach((row, position) => {
            const input = row.querySelector(ORDER_INPUT_SELECTOR);
            if (renumber && input && input.value !== String(position)) {
                input.value = String(position);
            }
            const name = rowName(row, position);
            const up = row.querySelector(".sortable-move-up");
            const down = row.querySelector(".sortable-move-down");
            if (up) {
                up.disabled = position === 0;
                up.setAttribute("aria-label", `Move “${name}” up`);
            }
            if (down) {
                down.disabled = position === rows.length - 1;
                down.setAttribute("aria-label", `Move “${name}” down`);
            }
            // Unsaved stacked rows are labelled "#3"; keep that in step.
            const label = row.querySelector(":scope > h3 .inline_label");
            if (renumber && label && /^#\d+$/.test(label.textContent.trim())) {
                label.textContent = `#${position + 1}`;
            }
        });
    }

    function makeButton(direction, text) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = `sortable-move sortable-move-${direction}`;
        button.dataset.direction = direction;
        button.title = direction === "up" ? "Move up" : "Move down";
        const icon = document.createElement("span");
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = text;
        button.append(icon);
        return button;
    }

    function decorate(row) {
        if (row.querySelector(".sortable-controls")) {
            return;
        }
        const controls = document.createElement("span");
        controls.className = "sortable-controls";
        const handle = document.createElement("span");
        handle.className = "sortable-handle";
        handle.title = "Drag to reorder";
        // Keyboard and screen-reader users have the buttons; the handle is
        // for pointers only.
        handle.setAttribute("aria-hidden", "true");
        controls.append(handle, makeButton("up", "↑"), makeButton("down", "↓"));
        if (row.tagName === "TR") {
            // After the saved object's name, which Django floats above the row.
            row.querySelector("td.original").append(controls);
        } else {
            // Beside the heading, not in it: buttons inside an <h3> would
            // become part of the heading's name for screen readers. Not as
            // the row's first child either: Django puts its "remove" link
            // for unsaved rows into that.
            row.querySelector(":scope > h3").after(controls);
        }
    }

    function move(row, step) {
        const group = row.closest(GROUP_SELECTOR);
        const rows = rowsOf(group);
        const from = rows.indexOf(row);
        const to = from + step;
        if (from < 0 || to < 0 || to >= rows.length) {
            return;
        }
        // The neighbour moves, not the row: a node taken out of the page
        // loses focus and pointer capture, and the row holds both.
        if (step < 0) {
            row.after(...unitOf(rows[to]));
        } else {
            unitOf(row)[0].before(...unitOf(rows[to]));
        }
        refresh(group);
        announce(`${rowName(row, to)} moved to position ${to + 1} of ${rows.length}.`);
    }

    function onClick(event) {
        const button = event.target.closest(".sortable-move");
        if (!button) {
            return;
        }
        const row = button.closest("tr.form-row, .inline-related");
        move(row, button.dataset.direction === "up" ? -1 : 1);
        // A button that just became disabled cannot keep focus: hand it to
        // its partner so the keyboard user stays on the row.
        const target = button.disabled
            ? row.querySelector(
                  button.dataset.direction === "up" ? ".sortable-move-down" : ".sortable-move-up",
              )
            : button;
        if (target && document.activeElement !== target) {
            target.focus();
        }
    }

    // Dragging ---------------------------------------------------------------

    let drag = null;

    function midpoint(element) {
        const box = element.getBoundingClientRect();
        return box.top + box.height / 2;
    }

    function onPointerDown(event) {
        const handle = event.target.closest(".sortable-handle");
        if (!handle || event.button !== 0) {
            return;
        }
        event.preventDefault();
        const row = handle.closest("tr.form-row, .inline-related");
        const group = row.closest(GROUP_SELECTOR);
        const rows = rowsOf(group);
        drag = { handle, row, group, startOrder: rows, pointerId: event.pointerId };
        handle.setPointerCapture(event.pointerId);
        row.classList.add("sortable-dragging");
        group.classList.add("sortable-drag-active");
    }

    function onPointerMove(event) {
        if (!drag || event.pointerId !== drag.pointerId) {
            return;
        }
        const y = event.clientY;
        if (y < EDGE_SCROLL_MARGIN) {
            window.scrollBy(0, -EDGE_SCROLL_STEP);
        } else if (y > window.innerHeight - EDGE_SCROLL_MARGIN) {
            window.scrollBy(0, EDGE_SCROLL_STEP);
        }
        // Move one place at a time until the row sits under the pointer.
        for (;;) {
            const rows = rowsOf(drag.group);
            const index = rows.indexOf(drag.row);
            const previous = rows[index - 1];
            const next = rows[index + 1];
            if (previous && y < midpoint(previous)) {
                drag.row.after(...unitOf(previous));
            } else if (next && y > midpoint(next)) {
                unitOf(drag.row)[0].before(...unitOf(next));
            } else {
                break;
            }
        }
    }

    function endDrag(cancelled) {
        const { row, group, startOrder, handle, pointerId } = drag;
        drag = null;
        if (handle.hasPointerCapture(pointerId)) {
            handle.releasePointerCapture(pointerId);
        }
        row.classList.remove("sortable-dragging");
        group.classList.remove("sortable-drag-active");
        if (cancelled) {
            arrange(startOrder);
        }
        const rows = rowsOf(group);
        const position = rows.indexOf(row);
        refresh(group);
        if (position !== startOrder.indexOf(row)) {
            announce(
                `${rowName(row, position)} moved to position ${position + 1} of ${rows.length}.`,
            );
        }
    }

    function onPointerUp(event) {
        if (drag && event.pointerId === drag.pointerId) {
            endDrag(event.type === "pointercancel");
        }
    }

    function onKeyDown(event) {
        if (drag && event.key === "Escape") {
            event.preventDefault();
            endDrag(true);
        }
    }

    // Django's add and remove --------------------------------------------------

    function onFormsetAdded(event) {
        const group = event.target.closest(GROUP_SELECTOR);
        if (group && isSortable(group)) {
            decorate(event.target);
            refresh(group);
        }
    }

    function onRemoveClick(event) {
        const link = event.target.closest(".inline-deletelink");
        const group = link && link.closest(GROUP_SELECTOR);
        if (!group || !isSortable(group)) {
            return;
        }
        const editorOrder = rowsOf(group);
        arrange(editorOrder.slice().sort((a, b) => formIndex(a) - formIndex(b)));
        // Django's own handler (on the link itself) runs next and renumbers.
        window.setTimeout(() => {
            arrange(editorOrder.filter((row) => row.isConnected));
            refresh(group);
        }, 0);
    }

    function init() {
        for (const group of document.querySelectorAll(GROUP_SELECTOR)) {
            if (!isSortable(group)) {
                continue;
            }
            group.classList.add("sortable-inline");
            const header = group.querySelector("thead th.original");
            if (header) {
                header.innerHTML = '<span class="visually-hidden">Order</span>';
            }
            rowsOf(group).forEach(decorate);
            refresh(group, { renumber: false });
            group.addEventListener("click", onClick);
            group.addEventListener("pointerdown", onPointerDown);
            // select2 reports changes through jQuery only.
            const $ = window.django && window.django.jQuery;
            const relabel = () => refresh(group, { renumber: false });
            if ($) {
                $(group).on("change", relabel);
            } else {
                group.addEventListener("change", relabel);
            }
        }
        document.addEventListener("pointermove", onPointerMove);
        document.addEventListener("pointerup", onPointerUp);
        document.addEventListener("pointercancel", onPointerUp);
        document.addEventListener("keydown", onKeyDown);
        document.addEventListener("formset:added", onFormsetAdded);
        // Capture phase: this must run before Django's handler on the link.
        document.addEventListener("click", onRemoveClick, true);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
}
