/**
 * The brief form's newsroom helpers, all progressive enhancement:
 *
 * - Autosave: every 30 seconds, if the form differs from the last saved or
 *   autosaved state, what it holds is posted to the brief's autosave URL and
 *   kept as an "Autosave" revision. The brief itself is not changed.
 * - Leaving the page (closing the tab, following a link) with changes that
 *   were not saved asks first; pressing a save or workflow button does not.
 * - "Copy preview link" copies the signed preview link shown beside it.
 *
 * Changes are found by comparing the form's fields with a snapshot, so edits
 * made by scripts (the rich-text editor, select2, reordering) count too.
 */
"use strict";
{
    const AUTOSAVE_EVERY_MS = 30000;

    function snapshot(form) {
        const parts = [];
        for (const [name, value] of new FormData(form)) {
            if (name === "csrfmiddlewaretoken" || name.startsWith("workflow-")) {
                continue;
            }
            parts.push(`${name}=${value instanceof File ? `${value.name}:${value.size}` : value}`);
        }
        return parts.join("\u0000");
    }

    function setUpAutosave(form) {
        const bar = document.querySelector(".newsroom-bar");
        const url = bar ? bar.dataset.autosaveUrl : "";
        const status = document.querySelector(".newsroom-autosave");
        let saved = snapshot(form);
        let autosaved = saved;
        let submitting = false;
        let inFlight = false;

        form.addEventListener("submit", () => {
            submitting = true;
        });

        window.addEventListener("beforeunload", (event) => {
            if (!submitting && snapshot(form) !== saved) {
                event.preventDefault();
                // Older browsers show their own question only when this is set.
                event.returnValue = "";
            }
        });

        if (!url) {
            return;
        }
        window.setInterval(() => {
            const now = snapshot(form);
            if (submitting || inFlight || now === autosaved) {
                return;
            }
            const data = new FormData(form);
            for (const [name, value] of Array.from(data)) {
                if (value instanceof File) {
                    data.delete(name);
                }
            }
            inFlight = true;
            fetch(url, {
                method: "POST",
                body: data,
                credentials: "same-origin",
                headers: { Accept: "application/json" },
            })
                .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
                .then(({ ok, body }) => {
                    if (ok) {
                        autosaved = now;
                    }
                    if (status) {
                        status.textContent = body.message || "";
                    }
                })
                .catch(() => {
                    if (status) {
                        status.textContent = "Autosave failed; your changes are still in the form.";
                    }
                })
                .finally(() => {
                    inFlight = false;
                });
        }, AUTOSAVE_EVERY_MS);
    }

    function copy(text) {
        if (navigator.clipboard && window.isSecureContext) {
            return navigator.clipboard.writeText(text);
        }
        return Promise.reject(new Error("no clipboard"));
    }

    function setUpCopyButtons() {
        for (const button of document.querySelectorAll("button[data-copy-from]")) {
            const input = document.getElementById(button.dataset.copyFrom);
            const status = button.parentElement.querySelector(".newsroom-copy-status");
            button.hidden = false;
            button.addEventListener("click", () => {
                copy(input.value).then(
                    () => {
                        status.textContent = "Preview link copied.";
                    },
                    () => {
                        input.select();
                        status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected link.";
                    },
                );
            });
        }
    }

    function init() {
        setUpCopyButtons();
        const form = document.getElementById("brief_form");
        if (form) {
            // After the page's own scripts (editors, pickers, reordering) have set their fields up.
            window.setTimeout(() => setUpAutosave(form), 300);
        }
    }

    if (document.readyState === "complete") {
        init();
    } else {
        window.addEventListener("load", init);
    }
}
