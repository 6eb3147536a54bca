/*
 * Keeps a campaign's sending panel current without reloading, from
 * "Queued" through "Sending" to "Sent".
 * Progressive enhancement: every load of the page shows the same figures
 * (the server renders them from the same report); this polls the admin's
 * JSON endpoint every 1.5 seconds while the campaign is queued or sending,
 * and stops once it has finished or was cancelled.
 */
"use strict";
// Admin media scripts load in <head>: wait for the page before looking for the panel.
document.addEventListener("DOMContentLoaded", function () {
    const block = document.querySelector(".campaign-progress[data-progress-url]");
    if (!block) {
        return;
    }
    const panel = block.closest(".campaign-panel") || document;
    const url = block.dataset.progressUrl;
    const bar = block.querySelector("[data-progress-bar]");
    const failures = block.querySelector("[data-failure-groups]");
    const intervalMs = 1500;
    const active = ["queued", "sending"];
    let updates = 0;

    function showWhen(selector, visible) {
        panel.querySelectorAll(selector).forEach(function (element) {
            element.hidden = !visible;
        });
    }

    function show(data) {
        panel.querySelectorAll("[data-progress]").forEach(function (element) {
            const value = data[element.dataset.progress];
            if (value !== undefined && value !== null) {
                element.textContent = String(value);
            }
        });
        if (bar && data.total !== undefined) {
            bar.max = Math.max(data.total, 1);
            bar.value = data.total - data.remaining;
            bar.textContent = data.percent_done + "%";
        }
        if (failures) {
            failures.replaceChildren.apply(
                failures,
                (data.failure_groups || []).map(function (group) {
                    const item = document.createElement("li");
                    const count = document.createElement("span");
                    count.className = "campaign-failure-count";
                    count.textContent = String(group.count);
                    item.append(count, " " + group.reason);
                    return item;
                }),
            );
        }
        showWhen("[data-progress-when-queued]", data.phase === "queued");
        showWhen("[data-progress-when-retrying]", data.waiting_retry > 0);
        showWhen("[data-progress-when-failed]", (data.failure_groups || []).length > 0);
        showWhen("[data-progress-when-finished]", data.phase === "sent");
        showWhen("[data-progress-while-sending]", active.includes(data.phase));
        updates += 1;
        block.dataset.updates = String(updates);
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
                if (active.includes(data.phase)) {
                    window.setTimeout(poll, intervalMs);
                }
            })
            .catch(function () {
                // A network hiccup: try again a little later rather than give up.
                window.setTimeout(poll, intervalMs * 2);
            });
    }

    window.setTimeout(poll, intervalMs);
});
