/*
 * Progressive enhancements for the public pages. Every page works without
 * this file: photos link to the full image, share links are plain links, and
 * the navigation stays open (see .no-js in site.css).
 *
 * Loaded with `defer`, so the document is parsed when this runs. No inline
 * scripts or handlers: the Content Security Policy forbids them.
 */
(function () {
    "use strict";

    var root = document.documentElement;
    root.classList.remove("no-js");
    root.classList.add("js");

    /* ---------- Photo lightbox ---------- */

    function buildLightbox() {
        var dialog = document.createElement("dialog");
        dialog.className = "lightbox";
        dialog.setAttribute("aria-label", "Enlarged photo");

        var close = document.createElement("button");
        close.type = "button";
        close.className = "lightbox-close";
        close.innerHTML = '<span aria-hidden="true">&times;</span> Close';

        var figure = document.createElement("figure");
        figure.className = "lightbox-figure";
        var image = document.createElement("img");
        image.className = "lightbox-image";
        image.alt = "";
        var caption = document.createElement("figcaption");
        caption.className = "lightbox-caption";
        figure.append(image, caption);

        dialog.append(close, figure);
        document.body.append(dialog);
        return { dialog: dialog, close: close, image: image, caption: caption };
    }

    function setUpLightbox() {
        if (!document.querySelector("a[data-lightbox]")) return;
        if (
            typeof HTMLDialogElement !== "function" ||
            !("showModal" in HTMLDialogElement.prototype)
        )
            return;

        var box = buildLightbox();
        var opener = null;

        function open(link) {
            var thumbnail = link.querySelector("img");
            box.image.src = link.href;
            box.image.alt = thumbnail ? thumbnail.alt : "";
            box.caption.textContent = link.dataset.caption || (thumbnail ? thumbnail.alt : "");
            // The credit and licence travel with the photo into the enlarged view.
            if (link.dataset.credit) {
                var credit = document.createElement("span");
                credit.className = "lightbox-credit";
                credit.textContent = link.dataset.credit;
                box.caption.append(credit);
            }
            opener = link;
            box.dialog.showModal();
            box.close.focus();
        }

        // One listener for every photo, including any added later.
        document.addEventListener("click", function (event) {
            var link = event.target.closest("a[data-lightbox]");
            if (!link || event.defaultPrevented) return;
            // Let people open the image in a new tab with a modifier key or middle click.
            if (
                event.button !== 0 ||
                event.metaKey ||
                event.ctrlKey ||
                event.shiftKey ||
                event.altKey
            )
                return;
            event.preventDefault();
            open(link);
        });

        box.close.addEventListener("click", function () {
            box.dialog.close();
        });

        // A click on the dimmed backdrop (the dialog element itself, outside its content) closes it.
        box.dialog.addEventListener("click", function (event) {
            if (event.target === box.dialog) box.dialog.close();
        });

        // Escape closes a modal dialog natively; either way, focus goes back to the photo link.
        box.dialog.addEventListener("close", function () {
            box.image.removeAttribute("src");
            if (opener) {
                opener.focus();
                opener = null;
            }
        });
    }

    /* ---------- Copy link ---------- */

    function copyText(text) {
        if (navigator.clipboard && window.isSecureContext) {
            return navigator.clipboard.writeText(text);
        }
        // Older browsers and plain-HTTP pages: copy through a temporary, off-screen field.
        return new Promise(function (resolve, reject) {
            var field = document.createElement("textarea");
            field.value = text;
            field.setAttribute("readonly", "");
            field.className = "visually-hidden";
            document.body.append(field);
            field.select();
            var copied = false;
            try {
                copied = document.execCommand("copy");
            } catch (error) {
                copied = false;
            }
            field.remove();
            if (copied) {
                resolve();
            } else {
                reject(new Error("copy failed"));
            }
        });
    }

    function setUpCopyLinks() {
        document.querySelectorAll("button[data-copy-url]").forEach(function (button) {
            var container = button.closest(".brief-share") || document.body;
            var status = container.querySelector(".copy-status");
            button.hidden = false;
            button.addEventListener("click", function () {
                var url = button.dataset.copyUrl;
                copyText(url).then(
                    function () {
                        if (status) status.textContent = "Link copied to your clipboard.";
                    },
                    function () {
                        if (status)
                            status.textContent =
                                "Could not copy automatically. The link is: " + url;
                    },
                );
            });
        });
    }

    /* ---------- Copy a citation ---------- */

    function setUpCitationCopy() {
        var status = document.querySelector(".citation-status");
        document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
            var source = document.getElementById(button.dataset.copyTarget);
            if (!source) return;
            button.hidden = false;
            button.addEventListener("click", function () {
                var style = button
                    .closest(".citation")
                    .querySelector(".citation-style").textContent;
                copyText(source.textContent.trim()).then(
                    function () {
                        if (status)
                            status.textContent = style + " citation copied to your clipboard.";
                    },
                    function () {
                        // Select the text so the reader can copy it by hand.
                        var range = document.createRange();
                        range.selectNodeContents(source);
                        var selection = window.getSelection();
                        selection.removeAllRanges();
                        selection.addRange(range);
                        if (status)
                            status.textContent =
                                "Could not copy automatically; the citation is selected.";
                    },
                );
            });
        });
    }

    /* ---------- Native share sheet (phones, some desktops) ---------- */

    function setUpNativeShare() {
        if (typeof navigator.share !== "function") return;
        document.querySelectorAll("button[data-share-url]").forEach(function (button) {
            button.hidden = false;
            button.addEventListener("click", function () {
                navigator
                    .share({ title: button.dataset.shareTitle, url: button.dataset.shareUrl })
                    .catch(function () {
                        // Closing the share sheet without choosing is not an error worth showing.
                    });
            });
        });
    }

    setUpLightbox();
    setUpCopyLinks();
    setUpCitationCopy();
    setUpNativeShare();
})();
