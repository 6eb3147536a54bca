/**
 * The photo block of the rich-text editor: a library photo placed anywhere in a section's text.
 *
 * Stored as the only figure the sanitiser keeps, `<figure data-photo-id="12"></figure>`
 * (core/richtext.py); the public page draws it from the library record, so alt text,
 * caption and credit are always the library's. In the editor it shows the photo's
 * thumbnail with its alt text and credit.
 *
 * A photo gets into the text three ways, all without leaving the page: drop an image
 * file where it should go, paste one, or press the toolbar's photo button. The block
 * then asks, in place, for the required alt text and the credit, uploads the file to
 * the library (PhotoAdmin.upload_view, which validates it with core/images.py) and
 * shows what the server refused next to the fields. The same panel searches the
 * library for a photo already there.
 *
 * A django-prose-editor extension (DJANGO_PROSE_EDITOR_EXTENSIONS in settings): an
 * ES module loaded by the editor's "configurable" preset.
 */
import { Node, Plugin } from "django-prose-editor/editor";

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
// Files waiting for their alt text, by the key stored in the block's attributes.
const pendingFiles = new Map();
// Library records by photo id (a Promise each), shared by every block on the page.
const photoRecords = new Map();
let nextKey = 1;

function endpoints() {
    const element = document.querySelector("[data-photo-upload-url]");
    return {
        upload: element ? element.dataset.photoUploadUrl : "",
        library: element ? element.dataset.photoLibraryUrl : "",
    };
}

function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
}

function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
        if (name === "text") {
            node.textContent = value;
        } else if (name === "className") {
            node.className = value;
        } else if (value !== null && value !== undefined && value !== false) {
            node.setAttribute(name, value === true ? "" : value);
        }
    }
    node.append(...children);
    return node;
}

function imageFiles(list) {
    return Array.from(list || []).filter((file) => IMAGE_TYPES.includes(file.type));
}

function rememberFile(file) {
    const key = `upload-${nextKey++}`;
    pendingFiles.set(key, file);
    return key;
}

function fetchPhoto(id) {
    const key = String(id);
    if (!photoRecords.has(key)) {
        const url = `${endpoints().library}?ids=${encodeURIComponent(key)}`;
        photoRecords.set(
            key,
            fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
                .then((response) => (response.ok ? response.json() : { results: [] }))
                .then((body) => body.results[0] || null)
                .catch(() => null),
        );
    }
    return photoRecords.get(key);
}

let fieldCounter = 0;

function labelledField(label, input, hint = "") {
    const id = `photo-block-field-${++fieldCounter}`;
    input.id = id;
    const wrapper = element("div", { className: "photo-block__field" });
    wrapper.append(element("label", { for: id, text: label }), input);
    if (hint) {
        const hintId = `${id}-hint`;
        input.setAttribute("aria-describedby", hintId);
        wrapper.append(element("p", { className: "photo-block__hint", id: hintId, text: hint }));
    }
    return wrapper;
}

class PhotoBlockView {
    constructor(node, editor, getPos) {
        this.node = node;
        this.editor = editor;
        this.getPos = getPos;
        this.dom = element("div", {
            className: "photo-block",
            contenteditable: "false",
            "data-photo-block": true,
        });
        this.render();
    }

    render() {
        this.dom.replaceChildren();
        if (this.node.attrs.photoId) {
            this.renderCard(this.node.attrs.photoId);
        } else {
            this.renderForm();
        }
    }

    renderCard(photoId) {
        this.dom.classList.remove("photo-block--asking");
        const figure = element("div", { className: "photo-block__card" });
        const image = element("img", { className: "photo-block__thumbnail", alt: "" });
        const text = element("div", { className: "photo-block__text" });
        text.append(element("p", { className: "photo-block__alt", text: "Loading the photo…" }));
        const remove = element("button", {
            type: "button",
            className: "photo-block__remove button",
            text: "Remove photo",
        });
        remove.addEventListener("click", () => this.remove());
        figure.append(image, text, remove);
        this.dom.append(figure);
        fetchPhoto(photoId).then((photo) => {
            if (this.node.attrs.photoId !== photoId) {
                return;
            }
            text.replaceChildren();
            if (!photo) {
                text.append(
                    element("p", {
                        className: "photo-block__alt",
                        text: `Photo ${photoId} is no longer in the library; readers see nothing here.`,
                    }),
                );
                image.remove();
                return;
            }
            image.src = photo.thumbnail;
            image.alt = photo.alt;
            text.append(element("p", { className: "photo-block__alt", text: photo.alt }));
            if (photo.caption) {
                text.append(
                    element("p", { className: "photo-block__caption", text: photo.caption }),
                );
            }
            if (photo.credit) {
                text.append(
                    element("p", {
                        className: "photo-block__credit",
                        text: `Photo taken from: ${photo.credit}`,
                    }),
                );
            }
        });
    }

    renderForm() {
        this.dom.classList.add("photo-block--asking");
        const file = pendingFiles.get(this.node.attrs.uploadKey) || null;
        const panel = element("div", {
            className: "photo-block__panel",
            role: "group",
            "aria-label": "Add a photo here",
        });
        panel.append(element("p", { className: "photo-block__title", text: "Add a photo here" }));

        const preview = element("img", { className: "photo-block__thumbnail", alt: "" });
        const fileInput = element("input", {
            type: "file",
            accept: IMAGE_TYPES.join(","),
            className: "photo-block__file",
        });
        const showFile = (chosen) => {
            if (!chosen) {
                preview.hidden = true;
                return;
            }
            const reader = new FileReader();
            reader.addEventListener("load", () => {
                preview.src = reader.result;
                preview.hidden = false;
            });
            reader.readAsDataURL(chosen);
        };
        let chosenFile = file;
        fileInput.addEventListener("change", () => {
            chosenFile = imageFiles(fileInput.files)[0] || null;
            status.textContent =
                chosenFile || !fileInput.files.length ? "" : "Choose a JPEG, PNG, WebP or GIF.";
            showFile(chosenFile);
        });
        showFile(file);

        const alt = element("input", { type: "text", maxlength: "250", required: true });
        const caption = element("input", { type: "text", maxlength: "400" });
        const credit = element("input", { type: "text", maxlength: "200" });
        const source = element("input", { type: "url" });
        const status = element("p", { className: "photo-block__status", role: "alert" });
        const add = element("button", {
            type: "button",
            className: "photo-block__add button default",
            text: "Add photo",
        });
        const cancel = element("button", {
            type: "button",
            className: "photo-block__cancel button",
            text: "Cancel",
        });

        const fields = element("div", { className: "photo-block__fields" });
        fields.append(
            labelledField(file ? "Image file (chosen)" : "Image file", fileInput),
            labelledField(
                "Alt text (required)",
                alt,
                "Describes the picture for people who cannot see it.",
            ),
            labelledField("Caption", caption),
            labelledField("Credit", credit, "Shown as “Photo taken from: …”."),
            labelledField("Credit link", source),
        );
        const actions = element("div", { className: "photo-block__actions" }, add, cancel);
        panel.append(
            element("div", { className: "photo-block__upload" }, preview, fields),
            status,
            actions,
        );
        panel.append(this.librarySearch(status));
        this.dom.append(panel);

        add.addEventListener("click", () => {
            status.textContent = "";
            if (!chosenFile) {
                status.textContent =
                    "Choose an image file to upload, or pick a photo from the library below.";
                fileInput.focus();
                return;
            }
            if (!alt.value.trim()) {
                status.textContent =
                    "Describe the photo for people who cannot see it; alt text is required.";
                alt.focus();
                return;
            }
            const data = new FormData();
            data.append("image", chosenFile);
            data.append("alt_text", alt.value.trim());
            data.append("caption", caption.value.trim());
            data.append("credit", credit.value.trim());
            data.append("source_url", source.value.trim());
            add.disabled = true;
            status.textContent = "Uploading…";
            fetch(endpoints().upload, {
                method: "POST",
                body: data,
                credentials: "same-origin",
                headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
            })
                .then((response) =>
                    response
                        .json()
                        .catch(() => ({ message: "The server did not answer as expected." }))
                        .then((body) => ({ ok: response.ok, body })),
                )
                .then(({ ok, body }) => {
                    add.disabled = false;
                    if (!ok || !body.photo) {
                        status.textContent = body.message || "The photo could not be uploaded.";
                        return;
                    }
                    pendingFiles.delete(this.node.attrs.uploadKey);
                    this.choose(body.photo);
                })
                .catch(() => {
                    add.disabled = false;
                    status.textContent = "The upload failed; check the connection and try again.";
                });
        });
        cancel.addEventListener("click", () => this.remove());
        window.setTimeout(() => (file ? alt : fileInput).focus(), 0);
    }

    librarySearch(status) {
        const wrapper = element("div", { className: "photo-block__library" });
        const search = element("input", {
            type: "search",
            placeholder: "Part of the alt text, caption or credit",
        });
        const results = element("ul", { className: "photo-block__results", role: "list" });
        let timer = null;
        const run = () => {
            const url = `${endpoints().library}?q=${encodeURIComponent(search.value.trim())}`;
            fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
                .then((response) => (response.ok ? response.json() : { results: [] }))
                .then((body) => {
                    results.replaceChildren();
                    for (const photo of body.results) {
                        const pick = element("button", {
                            type: "button",
                            className: "photo-block__result",
                            "aria-label": `Use this photo: ${photo.alt}`,
                        });
                        pick.append(
                            element("img", { src: photo.thumbnail, alt: "" }),
                            element("span", { text: photo.alt }),
                        );
                        pick.addEventListener("click", () => this.choose(photo));
                        results.append(element("li", {}, pick));
                    }
                    if (!body.results.length) {
                        results.append(element("li", { text: "No photo in the library matches." }));
                    }
                })
                .catch(() => {
                    status.textContent = "The library could not be searched just now.";
                });
        };
        search.addEventListener("input", () => {
            window.clearTimeout(timer);
            timer = window.setTimeout(run, 250);
        });
        wrapper.append(labelledField("Or choose a photo from the library", search), results);
        return wrapper;
    }

    /** Use a library photo: the block now names it, and writing goes on after it. */
    choose(photo) {
        photoRecords.set(String(photo.id), Promise.resolve(photo));
        const position = this.getPos();
        if (typeof position !== "number") {
            return;
        }
        const { state } = this.editor;
        const node = state.doc.nodeAt(position);
        if (!node) {
            return;
        }
        const after = position + node.nodeSize;
        const next = state.doc.resolve(after).nodeAfter;
        let chain = this.editor.chain().command(({ tr }) => {
            tr.setNodeMarkup(position, undefined, {
                ...node.attrs,
                photoId: String(photo.id),
                uploadKey: null,
            });
            return true;
        });
        if (!next || !next.isTextblock) {
            chain = chain.insertContentAt(after, { type: "paragraph" });
        }
        chain.focus(after + 1).run();
    }

    remove() {
        const position = this.getPos();
        if (typeof position !== "number") {
            return;
        }
        pendingFiles.delete(this.node.attrs.uploadKey);
        this.editor
            .chain()
            .command(({ tr }) => {
                tr.delete(position, position + this.node.nodeSize);
                return true;
            })
            .focus()
            .run();
    }

    update(node) {
        if (node.type !== this.node.type) {
            return false;
        }
        const changed = node.attrs.photoId !== this.node.attrs.photoId;
        this.node = node;
        if (changed) {
            this.render();
        }
        return true;
    }

    stopEvent(event) {
        // The panel's own fields and buttons handle their events; the card can still be dragged.
        return Boolean(
            event.target.closest &&
            event.target.closest(".photo-block__panel, .photo-block__remove"),
        );
    }

    ignoreMutation() {
        return true;
    }

    selectNode() {
        this.dom.classList.add("photo-block--selected");
    }

    deselectNode() {
        this.dom.classList.remove("photo-block--selected");
    }
}

function insertFiles(view, files, position, type) {
    const nodes = files.map((file) => type.create({ uploadKey: rememberFile(file) }));
    const transaction = view.state.tr;
    if (position === null) {
        transaction.replaceSelectionWith(nodes[0]);
        for (const extra of nodes.slice(1)) {
            transaction.insert(transaction.selection.to, extra);
        }
    } else {
        let at = position;
        for (const node of nodes) {
            transaction.insert(at, node);
            at += node.nodeSize;
        }
    }
    view.dispatch(transaction.scrollIntoView());
}

export const PhotoBlock = Node.create({
    name: "photoBlock",
    group: "block",
    atom: true,
    draggable: true,
    selectable: true,

    addAttributes() {
        return {
            photoId: {
                default: null,
                parseHTML: (dom) => dom.getAttribute("data-photo-id"),
                renderHTML: (attributes) =>
                    attributes.photoId ? { "data-photo-id": attributes.photoId } : {},
            },
            // A file waiting for its alt text; never stored in the text.
            uploadKey: { default: null, rendered: false },
        };
    },

    parseHTML() {
        return [{ tag: "figure[data-photo-id]" }];
    },

    renderHTML({ HTMLAttributes }) {
        // An unfinished block (no photo yet) is saved as a bare figure, which the sanitiser drops.
        return ["figure", HTMLAttributes];
    },

    addNodeView() {
        return ({ node, editor, getPos }) => new PhotoBlockView(node, editor, getPos);
    },

    addCommands() {
        return {
            insertPhotoBlock:
                () =>
                ({ commands }) =>
                    commands.insertContent({ type: this.name }),
        };
    },

    addMenuItems({ buttons, menu }) {
        menu.defineItem({
            name: "photoBlock",
            groups: "nodes",
            command: (editor) => editor.chain().focus().insertPhotoBlock().run(),
            button: buttons.material("image", "Add a photo"),
        });
    },

    addProseMirrorPlugins() {
        const type = this.type;
        return [
            new Plugin({
                props: {
                    handleDrop(view, event, slice, moved) {
                        const files = moved
                            ? []
                            : imageFiles(event.dataTransfer && event.dataTransfer.files);
                        if (!files.length) {
                            return false;
                        }
                        event.preventDefault();
                        const place = view.posAtCoords({ left: event.clientX, top: event.clientY });
                        let position = place ? place.pos : view.state.doc.content.size;
                        // A block goes between blocks: after the paragraph the file was dropped on.
                        const resolved = view.state.doc.resolve(position);
                        if (resolved.depth > 0) {
                            position = resolved.after(1);
                        }
                        insertFiles(view, files, position, type);
                        return true;
                    },
                    handlePaste(view, event) {
                        const files = imageFiles(event.clipboardData && event.clipboardData.files);
                        if (!files.length) {
                            return false;
                        }
                        event.preventDefault();
                        insertFiles(view, files, null, type);
                        return true;
                    },
                },
            }),
        ];
    },
});
