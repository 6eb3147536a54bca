/**
 * Photo pickers with thumbnails.
 *
 * The photo autocomplete (PhotoAutocompleteSelect in briefs/admin.py) returns
 * a thumbnail URL with each result, and its selected option carries one in
 * data-thumbnail. This script shows those thumbnails in the search results
 * and in the chosen value, and keeps the "Selected photo" preview under the
 * field in step with the choice. Without JavaScript the server-rendered
 * preview of the saved photo still shows.
 *
 * Loaded after select2 and jquery.init.js, before autocomplete.js starts the
 * widgets on page load, so the defaults below apply to every picker.
 */
"use strict";
{
    const $ = django.jQuery;

    function thumbnailOf(data) {
        if (data.thumbnail) {
            return data.thumbnail;
        }
        return (data.element && data.element.dataset.thumbnail) || "";
    }

    function photoChoice(data) {
        const thumbnail = thumbnailOf(data);
        if (!thumbnail || data.loading) {
            return data.text;
        }
        const choice = document.createElement("span");
        choice.className = "photo-choice";
        const image = document.createElement("img");
        image.src = thumbnail;
        // The text beside it describes the photo, so the image adds nothing
        // for a screen reader.
        image.alt = "";
        image.loading = "lazy";
        const label = document.createElement("span");
        label.textContent = data.text;
        choice.append(image, label);
        return $(choice);
    }

    // Select2's defaults reach every autocomplete on the page; only photo
    // results have a thumbnail, so authors, topics and the rest look as before.
    $.fn.select2.defaults.set("templateResult", photoChoice);
    $.fn.select2.defaults.set("templateSelection", photoChoice);

    /** The read-only "Selected photo" box that belongs to this picker. */
    function previewFor(select) {
        const field = select.name.split("-").pop();
        const scope = select.closest(".inline-related:not(.tabular)") || select.closest("form");
        return scope ? scope.querySelector(`.field-${field}_preview .readonly`) : null;
    }

    function showPreview(select, thumbnail, alt, pending = "Loading preview…") {
        const preview = previewFor(select);
        if (!preview) {
            return;
        }
        if (!select.value) {
            preview.textContent = "—";
            return;
        }
        if (!thumbnail) {
            preview.textContent = "";
            const note = document.createElement("span");
            note.className = "photo-preview-pending";
            note.textContent = pending;
            preview.append(note);
            return;
        }
        const image = document.createElement("img");
        image.className = "admin-thumbnail";
        image.src = thumbnail;
        image.alt = alt;
        preview.replaceChildren(image);
    }

    /** Ask the photo autocomplete for one photo, for one added in the "+" pop-up. */
    function fetchPhoto(select, pk) {
        const params = new URLSearchParams({
            app_label: select.dataset.appLabel,
            model_name: select.dataset.modelName,
            field_name: select.dataset.fieldName,
            pk,
        });
        // data-ajax--url is select2's spelling; dataset would call it "ajax-Url".
        const url = select.getAttribute("data-ajax--url");
        return fetch(`${url}?${params}`, {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
        })
            .then((response) => (response.ok ? response.json() : { results: [] }))
            .then((body) => body.results[0] || null);
    }

    function onChange(event) {
        const select = event.currentTarget;
        // Django fires "change" on page load to set up its related links;
        // the server already drew the preview for the saved choice.
        if (select.value === (select.dataset.previewShows || "")) {
            return;
        }
        select.dataset.previewShows = select.value;
        const option = select.selectedOptions[0];
        const chosen = ($(select).data("select2") && $(select).select2("data")[0]) || {};
        const thumbnail = thumbnailOf(chosen) || (option && option.dataset.thumbnail) || "";
        if (option && thumbnail) {
            option.dataset.thumbnail = thumbnail;
        }
        showPreview(select, thumbnail, chosen.alt || chosen.text || "");
        if (select.value && !thumbnail) {
            const pk = select.value;
            fetchPhoto(select, pk)
                .then((photo) => {
                    if (!photo || select.value !== pk) {
                        return;
                    }
                    if (option) {
                        option.dataset.thumbnail = photo.thumbnail;
                    }
                    showPreview(select, photo.thumbnail, photo.alt);
                    // Redraw the chosen value with its thumbnail, quietly.
                    $(select).trigger("change.select2");
                })
                .catch(() => showPreview(select, "", "", "The preview will show after saving."));
        }
    }

    $(function () {
        for (const select of document.querySelectorAll("select[data-photo-picker]")) {
            select.dataset.previewShows = select.value;
        }
    });
    $(document).on("change", "select[data-photo-picker]", onChange);
}
