// @ts-check
/**
 * JSON values (payloads, metadata, operation requests) as collapsible, pretty-printed text that costs nothing until
 * it is read: a `<details>` whose text is built when it first opens, and cut at `shownCharacters` with a button to
 * show the rest. A page of large events (a 400 KB payload, a 1 MB page) then renders as fast as a page of small ones.
 */
import { isAbort } from "./api.js";
import { formatBytes, h, problemBox } from "./dom.js";

/** How much of a long text is shown before "Show all". */
export const shownCharacters = 20_000;
const previewCharacters = 120;

/**
 * @param {string} label - e.g. "Payload"
 * @param {unknown} value
 * @param {{ open?: boolean }} [options]
 */
export function jsonDetails(label, value, { open = false } = {}) {
  const compact = JSON.stringify(value) ?? "undefined";
  const preview = compact.length > previewCharacters ? `${compact.slice(0, previewCharacters)}…` : compact;
  const body = h("div", { class: "json-body" });
  const details = h(
    "details",
    { class: "json" },
    h(
      "summary",
      {},
      h("span", { class: "json-label" }, label),
      " ",
      h("span", { class: "muted small" }, formatBytes(new TextEncoder().encode(compact).length)),
      " ",
      h("code", { class: "preview" }, preview),
    ),
    body,
  );
  details.addEventListener("toggle", () => {
    if (details.open && !body.hasChildNodes()) body.append(cappedText(JSON.stringify(value, null, 2) ?? "undefined"));
  });
  details.open = open;
  return details;
}

/**
 * Like `jsonDetails`, for a value that is read only when it is first opened (a feed event's payload): until then the
 * summary says so. A read that fails shows its problem and is tried again at the next opening.
 * @param {string} label
 * @param {() => Promise<unknown>} load
 */
export function lazyJsonDetails(label, load) {
  const size = h("span", { class: "muted small" }, "read when opened");
  const body = h("div", { class: "json-body" });
  const details = h(
    "details",
    { class: "json" },
    h("summary", {}, h("span", { class: "json-label" }, label), " ", size),
    body,
  );
  /** @type {"unread" | "reading" | "read"} */
  let state = "unread";
  details.addEventListener("toggle", async () => {
    if (!details.open || state !== "unread") return;
    state = "reading";
    body.replaceChildren(h("p", { class: "muted small" }, "Reading…"));
    try {
      const value = await load();
      size.textContent = formatBytes(new TextEncoder().encode(JSON.stringify(value) ?? "undefined").length);
      body.replaceChildren(cappedText(JSON.stringify(value, null, 2) ?? "undefined"));
      state = "read";
    } catch (error) {
      state = "unread";
      body.replaceChildren(isAbort(error) ? "" : problemBox(error));
    }
  });
  return details;
}

/**
 * Text in a `<pre>`, cut at `shownCharacters` with a button that shows all of it.
 * @param {string} text
 */
export function cappedText(text) {
  const pre = h("pre", { tabindex: "0" }, text.length > shownCharacters ? text.slice(0, shownCharacters) : text);
  if (text.length <= shownCharacters) return pre;
  const more = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: () => {
        pre.textContent = text;
        more.remove();
        pre.focus();
      },
    },
    `Show all ${text.length.toLocaleString("en")} characters`,
  );
  return h("div", { class: "capped" }, pre, h("p", { class: "muted small" }, "…cut here. ", more));
}
