// @ts-check
/**
 * Building the page: elements from data with textContent and attributes only (never HTML strings, which the
 * Content-Security-Policy's Trusted Types rule would refuse anyway), problems shown readably, times and sizes.
 */
import { ApiError } from "./api.js";
import { config } from "./config.js";

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * An element with attributes (`on<event>` functions become listeners; `true` is an empty attribute; null,
 * undefined and false are left out) and children (strings become text).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/**
 * @param {Element} parent
 * @param {...Child} children
 */
export function append(parent, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === "number" ? String(child) : child);
  }
}

/**
 * A problem+json error (or any error) as the user should read it: title and status, detail, the fields at fault.
 * @param {unknown} error
 * @param {Child[]} [extra] - what to offer besides (a retry button)
 */
export function problemBox(error, extra = []) {
  const problem = error instanceof ApiError ? error.problem : { title: "Error", detail: String(error) };
  const status = error instanceof ApiError && error.status ? ` (${error.status})` : "";
  const fields = Object.entries(problem.errors ?? {});
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("p", { class: "problem-title" }, `${problem.title ?? "Error"}${status}`),
    problem.detail ? h("p", {}, problem.detail) : null,
    fields.length > 0
      ? h("ul", {}, ...fields.map(([field, messages]) => h("li", {}, h("code", {}, field), ": ", messages.join("; "))))
      : null,
    ...extra,
    problem.requestId ? h("p", { class: "muted small" }, `request ${problem.requestId}`) : null,
  );
}

/**
 * A time as the API gives it (RFC 3339 UTC), shortened for reading; the full value in `datetime` and the tooltip.
 * @param {string | undefined} iso
 */
export function timeElement(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h(
    "time",
    { datetime: iso, title: iso },
    iso.replace("T", " ").replace(/(\.\d+)?Z$/, (_, ms) => `${ms ?? ""} Z`),
  );
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A labelled form control with an optional hint and a place for its error, tied together for screen readers.
 * @param {string} label
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} control - must have an id
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const hintId = `${control.id}-hint`;
  const errorId = `${control.id}-error`;
  control.setAttribute("aria-describedby", hint ? `${hintId} ${errorId}` : errorId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
}

/**
 * The filter form the live views share: stream types and event types (comma-separated), and a submit button.
 * `submit` gets what the inputs hold, trimmed.
 * @param {string} idPrefix - the inputs' ids are `<idPrefix>-stream-type` and `<idPrefix>-event-type`
 * @param {{ streamType: string, eventType: string }} values
 * @param {string} buttonLabel
 * @param {(filter: { streamType: string, eventType: string }) => void | Promise<void>} submit
 */
export function filterForm(idPrefix, values, buttonLabel, submit) {
  const typeInput = h("input", { id: `${idPrefix}-stream-type`, name: "streamType", autocomplete: "off" });
  typeInput.value = values.streamType;
  const eventInput = h("input", { id: `${idPrefix}-event-type`, name: "eventType", autocomplete: "off" });
  eventInput.value = values.eventType;
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Filter" },
    field("Stream types", typeInput, "comma-separated; empty: every type"),
    field("Event types", eventInput, "comma-separated; empty: every event type"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, buttonLabel)),
  );
  onSubmit(form, async () => submit({ streamType: typeInput.value.trim(), eventType: eventInput.value.trim() }));
  return form;
}

/**
 * Shows (or clears, with no message) the error of a control made by `field`.
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} control
 * @param {string} [message]
 */
export function setFieldError(control, message) {
  const error = document.getElementById(`${control.id}-error`);
  if (!error) return;
  error.textContent = message ?? "";
  error.hidden = !message;
  if (message) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

/**
 * The view's heading, which takes the focus after a navigation so that keyboard and screen reader users land on it.
 * @param {string} text
 * @param {...Child} more
 */
export function heading(text, ...more) {
  return h("h1", { tabindex: "-1" }, text, ...more);
}

/**
 * A breadcrumb trail: links, then the current place.
 * @param {[string, string][]} links - [text, href]
 * @param {string} current
 */
export function breadcrumbs(links, current) {
  return h(
    "nav",
    { class: "breadcrumbs", "aria-label": "Breadcrumbs" },
    h(
      "ol",
      {},
      ...links.map(([text, target]) => h("li", {}, h("a", { href: target }, text))),
      h("li", { "aria-current": "page" }, current),
    ),
  );
}

/**
 * A table in a wrapper that scrolls sideways on a narrow window, instead of the page.
 * @param {string} caption
 * @param {string[]} columns
 * @param {HTMLTableSectionElement} body
 */
export function table(caption, columns, body) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ...columns.map((column) => h("th", { scope: "col" }, column)))),
      body,
    ),
  );
}

/**
 * Name–value pairs, e.g. a stream's type, revision and time, in a description list.
 * @param {[string, Child][]} pairs
 */
export function facts(pairs) {
  return pairs.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value)));
}

/**
 * A status line that screen readers announce when it changes.
 * @param {string} [text]
 */
export function statusLine(text = "") {
  return h("p", { class: "status", role: "status" }, text);
}

/**
 * A form in a panel: its heading, an introduction, the fields, the submit button, and below them a place for the
 * outcome, announced to screen readers and cleared at each submission.
 * @param {{ id: string, title: string, intro?: string, submitLabel: string }} options - `id` prefixes the heading's id
 * @param {Child[]} fields
 * @param {(result: HTMLElement) => Promise<void>} submit - shows its outcome in `result`
 */
export function panelForm({ id, title, intro, submitLabel }, fields, submit) {
  const result = h("div", { class: "form-result", "aria-live": "polite" });
  const { writes } = config();
  const form = h(
    "form",
    { class: "panel", "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading` }, title),
    intro ? h("p", { class: "intro" }, intro) : null,
    ...fields,
    h("div", { class: "actions" }, h("button", { type: "submit", disabled: !writes }, submitLabel)),
    readOnlyNote("use this form"),
    result,
  );
  onSubmit(form, async () => {
    if (!writes) return;
    result.replaceChildren();
    await submit(result);
  });
  return form;
}

/**
 * Runs a form's submission with its submit button disabled, so that a double click sends one request.
 * @param {HTMLFormElement} form
 * @param {() => Promise<void>} submit
 */
export function onSubmit(form, submit) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    if (button instanceof HTMLButtonElement) {
      if (button.disabled) return;
      button.disabled = true;
    }
    submit().finally(() => {
      if (button instanceof HTMLButtonElement) button.disabled = false;
    });
  });
}

/**
 * In a read-only console (the remote console without --allow-writes), a note beside a control that would write:
 * what to do to get one that may. Nothing in a console that may write.
 * @param {string} what - e.g. "use this form"
 */
export function readOnlyNote(what) {
  if (config().writes) return null;
  return h("p", { class: "notice read-only-note" }, `Read-only console: restart it with --allow-writes to ${what}.`);
}
