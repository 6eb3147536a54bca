/*
 * Keeps a sending campaign's progress numbers current without reloading.
 * Progressive enhancement: the page shows the same numbers on every load;
 * this only polls the admin's JSON endpoint every few seconds while the
 * campaign is sending, and reloads the page once when it has finished, so
 * the buttons and status match.
 */
"use strict";
// Admin media scripts load in <head>: wait for the page before looking for the panel.
document.addEventListener("DOMContentLoaded", function () {
    const block = document.querySelector(".campaign-progress[data-progress-url]");
    if (!block) {
        return;
    }
    const url = block.dataset.progressUrl;
    const bar = block.querySelector("[data-progress-bar]");
    const status = document.querySelector("[data-campaign-status]");
    const intervalMs = 3000;

    function show(data) {
        block.querySelectorAll("[data-progress]").forEach(function (element) {
            const value = data[element.dataset.progress];
            if (value !== undefined) {
                element.textContent = String(value);
            }
        });
        if (bar) {
            bar.max = data.total;
            bar.value = data.total - data.remaining;
        }
        if (status) {
            status.textContent = data.status_label;
        }
    }

    function poll() {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) {
                if (!response.ok) {
                    throw new Error("progress request failed: " + response.status);
                }
                return response.json();
            })
            .then(function (data) {
                show(data);
                if (data.status === "sending") {
                    window.setTimeout(poll, intervalMs);
                } else {
                    window.location.reload();
                }
            })
            .catch(function () {
                // A network hiccup: try again a little later rather than give up.
                window.setTimeout(poll, intervalMs * 3);
            });
    }

    window.setTimeout(poll, intervalMs);
});
