// @ts-check
/**
 * `#/operations`: replays and redrives with their state and progress (`GET /operations`, newest first, refreshed while
 * any is under way), a form to start a replay (`POST /replays`), a button to redrive, and the notifications waiting
 * for a redrive (`GET /notifications/undelivered`). `#/operations/{id}`: one operation, followed until it ends,
 * with a cancel button while it runs.
 */
import { ApiError, call, isAbort, withQuery } from "../api.js";
import {
  append,
  breadcrumbs,
  facts,
  field,
  h,
  heading,
  onSubmit,
  panelForm,
  problemBox,
  setFieldError,
  statusLine,
  table,
  timeElement,
} from "../dom.js";
import { jsonDetails } from "../json-view.js";
import { pagedTable } from "../paged-table.js";
import { href, sleep } from "../routes.js";

/** @typedef {import("../routes.js").ViewContext} ViewContext */
/** @typedef {import("../api.js").Operation} Operation */
/**
 * @typedef {{ streamId: string, streamType: string, firstRevision: number, lastRevision: number, cause: string,
 *   since: string }} Undelivered
 */

const kinds = ["replay", "redrive"];
const states = ["pending", "running", "succeeded", "failed", "canceled"];
/** How often a list or an operation under way is read again. */
const refreshMs = 1000;
/** Pages of operations read for the list (the API lists them oldest first; the console shows them reversed). */
const maxOperationPages = 5;

/** How the view announces each state. */
const stateSentence = {
  pending: "is waiting for the worker",
  running: "is running",
  succeeded: "has succeeded",
  failed: "has failed",
  canceled: "was canceled",
};

/** @param {Operation} operation */
const underWay = (operation) => operation.state === "pending" || operation.state === "running";

export async function operationsView(/** @type {ViewContext} */ { main, query, signal, setTitle }) {
  setTitle("Operations");
  const kind = query.get("kind") ?? "";
  const state = query.get("state") ?? "";
  const rows = h("tbody");
  const listing = table("Operations", ["Operation", "State", "Progress", "Request", "Updated"], rows);
  const status = statusLine("Loading…");
  const problem = h("div");
  main.append(
    heading("Operations"),
    h(
      "div",
      { class: "columns" },
      h(
        "div",
        {},
        h(
          "section",
          { "aria-labelledby": "operations-heading" },
          h("h2", { id: "operations-heading" }, "Replays and redrives, newest first"),
          filterForm(kind, state),
          status,
          listing,
          problem,
        ),
        undeliveredSection(signal),
      ),
      h("div", { class: "side" }, replayForm(), redriveForm()),
    ),
  );

  // Read again while any operation is under way (and the view is open); a failed read says why and stops.
  for (;;) {
    /** @type {Operation[]} */
    let operations;
    try {
      operations = await allOperations({ kind, state }, signal);
    } catch (error) {
      if (isAbort(error)) return;
      status.textContent = "";
      problem.replaceChildren(problemBox(error));
      return;
    }
    rows.replaceChildren(...operations.map(operationRow));
    listing.hidden = operations.length === 0;
    const running = operations.filter(underWay).length;
    status.textContent =
      operations.length === 0
        ? "No operations yet."
        : `${operations.length} operation${operations.length === 1 ? "" : "s"}` +
          (running ? `, ${running} under way (refreshing every second).` : ".");
    if (!running) return;
    await sleep(refreshMs, signal);
  }
}

/**
 * Every operation of the filter, newest first (up to `maxOperationPages` pages of 1000).
 * @param {{ kind: string, state: string }} filter
 * @param {AbortSignal} signal
 * @returns {Promise<Operation[]>}
 */
async function allOperations(filter, signal) {
  /** @type {Operation[]} */
  const operations = [];
  /** @type {string | undefined} */
  let nextPageKey;
  for (let page = 0; page < maxOperationPages; page++) {
    const { operationPage } = await call(withQuery("/operations", { ...filter, limit: 1000, nextPageKey }), {
      signal,
    });
    operations.push(...operationPage.operations);
    nextPageKey = operationPage.hasMore ? operationPage.nextPageKey : undefined;
    if (!nextPageKey) break;
  }
  return operations.reverse();
}

/** @param {Operation} operation */
function operationRow(operation) {
  return h(
    "tr",
    {},
    h(
      "td",
      {},
      h("a", { href: href.operation(operation.id), class: "id" }, `${operation.kind} ${operation.id.slice(0, 8)}`),
    ),
    h("td", {}, stateBadge(operation)),
    h("td", {}, progressText(operation)),
    h("td", {}, requestSummary(operation)),
    h("td", {}, timeElement(operation.updatedAt)),
  );
}

/** @param {Operation} operation */
function stateBadge(operation) {
  const text = operation.cancelRequested && underWay(operation) ? `${operation.state}, cancel asked` : operation.state;
  return h("span", { class: "state", "data-state": operation.state }, text);
}

/** @param {Operation} operation */
function progressText({ progress }) {
  const streams = `${progress.streams.toLocaleString("en")} stream${progress.streams === 1 ? "" : "s"}`;
  return `${streams}, ${progress.events.toLocaleString("en")} event${progress.events === 1 ? "" : "s"}`;
}

/** @param {Operation} operation */
function requestSummary({ request }) {
  if (request.undelivered) return "every undelivered notification";
  const parts = [String(request.streamType)];
  if (Array.isArray(request.streamIds)) parts.push(`${request.streamIds.length} stream ids`);
  if (Array.isArray(request.eventTypes)) parts.push(`events ${request.eventTypes.join(", ")}`);
  if (request.updatedAfter) parts.push(`updated since ${request.updatedAfter}`);
  if (request.fromRevision) parts.push(`from revision ${request.fromRevision}`);
  if (request.target) parts.push(`to ${Object.values(request.target).join("")}`);
  return parts.join("; ");
}

/**
 * @param {string} kind
 * @param {string} state
 */
function filterForm(kind, state) {
  /**
   * @param {string} id
   * @param {string[]} values
   * @param {string} chosen
   */
  const select = (id, values, chosen) => {
    const element = h(
      "select",
      { id },
      h("option", { value: "" }, "any"),
      ...values.map((value) => h("option", {}, value)),
    );
    element.value = chosen;
    return element;
  };
  const kindSelect = select("operations-kind", kinds, kind);
  const stateSelect = select("operations-state", states, state);
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Filter operations" },
    field("Kind", kindSelect),
    field("State", stateSelect),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Filter")),
  );
  onSubmit(form, async () => {
    location.hash = href.operations({ kind: kindSelect.value, state: stateSelect.value });
  });
  return form;
}

/** The replay form: `POST /replays` with the body of lambdas/api/operation-schema.ts; on 202, the new operation. */
function replayForm() {
  /**
   * @param {string} name
   * @param {Record<string, unknown>} [attributes]
   */
  const input = (name, attributes = {}) =>
    h("input", { id: `replay-${name}`, name, autocomplete: "off", ...attributes });
  const streamType = input("streamType", { required: true });
  const eventTypes = input("eventTypes");
  const streamIds = h("textarea", { id: "replay-streamIds", name: "streamIds", rows: "2", spellcheck: "false" });
  const updatedAfter = input("updatedAfter", { placeholder: "2026-01-02T03:04:05Z" });
  const fromRevision = input("fromRevision", { inputmode: "numeric" });
  const queueUrl = input("queueUrl", { spellcheck: "false" });
  const options = {
    id: "replay",
    title: "Start a replay",
    intro: "Publishes a stream type's events again, in revision order per stream.",
    submitLabel: "Start replay",
  };
  const fields = [
    field("Stream type", streamType),
    h(
      "details",
      { class: "options" },
      h("summary", {}, "Filters and target (optional)"),
      field("Event types", eventTypes, "comma-separated; default: all"),
      field("Stream ids", streamIds, "one per line or comma-separated; default: every stream of the type"),
      field("Updated at or after", updatedAfter, "RFC 3339; only streams updated since"),
      field("From revision", fromRevision, "each stream's events from this revision on"),
      field("Target queue URL", queueUrl, "a local SQS queue; default: the store's topic (every subscriber)"),
    ),
  ];
  return panelForm(options, fields, async (result) => {
    /** @param {string} text */
    const list = (text) =>
      text
        .split(/[\s,]+/)
        .map((value) => value.trim())
        .filter(Boolean);
    const revision = fromRevision.value.trim();
    const revisionWrong = revision !== "" && !/^[1-9]\d{0,14}$/.test(revision);
    setFieldError(fromRevision, revisionWrong ? "A whole number from 1." : undefined);
    if (revisionWrong) {
      fromRevision.closest("details")?.setAttribute("open", "");
      return fromRevision.focus();
    }
    const request = {
      streamType: streamType.value.trim(),
      ...(list(eventTypes.value).length ? { eventTypes: list(eventTypes.value) } : {}),
      ...(list(streamIds.value).length ? { streamIds: list(streamIds.value) } : {}),
      ...(updatedAfter.value.trim() ? { updatedAfter: updatedAfter.value.trim() } : {}),
      ...(revision ? { fromRevision: Number(revision) } : {}),
      ...(queueUrl.value.trim() ? { target: { queueUrl: queueUrl.value.trim() } } : {}),
    };
    await startOperation(request, result);
  });
}

function redriveForm() {
  const options = {
    id: "redrive",
    title: "Redrive",
    intro: "Publishes every undelivered notification again and clears it (local mode also does so every 10 s).",
    submitLabel: "Redrive now",
  };
  return panelForm(options, [], (result) => startOperation({ undelivered: true }, result));
}

/**
 * `POST /replays`, then the new operation's page; a refusal shows its problem (a 400 names the fields).
 * @param {Record<string, unknown>} request
 * @param {HTMLElement} result
 */
async function startOperation(request, result) {
  try {
    const accepted = await call("/replays", { method: "POST", body: request });
    location.hash = href.operation(accepted.id);
  } catch (error) {
    result.append(problemBox(error));
  }
}

/** @param {AbortSignal} signal */
function undeliveredSection(signal) {
  const undelivered = pagedTable({
    caption: "Undelivered notifications",
    columns: ["Stream", "Type", "Revisions", "Cause", "Since"],
    page: async (nextPageKey) => {
      const { undeliveredPage } = await call(withQuery("/notifications/undelivered", { nextPageKey }), { signal });
      return { ...undeliveredPage, items: undeliveredPage.notifications };
    },
    row: (/** @type {Undelivered} */ item) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: href.stream(item.streamType, item.streamId), class: "id" }, item.streamId)),
        h("td", {}, item.streamType),
        h("td", { class: "number" }, `${item.firstRevision}–${item.lastRevision}`),
        h("td", {}, item.cause),
        h("td", {}, timeElement(item.since)),
      ),
    describe: (count, hasMore) =>
      count === 0 ? "None: every notification went out." : `${count}${hasMore ? "+" : ""} waiting for a redrive.`,
  });
  undelivered.load();
  return h(
    "section",
    { "aria-labelledby": "undelivered-heading" },
    h("h2", { id: "undelivered-heading" }, "Undelivered notifications"),
    ...undelivered.elements,
  );
}

/** `#/operations/{id}`: one operation, read again every second while it is under way. */
export async function operationView(/** @type {ViewContext} */ { main, params, signal, setTitle }) {
  const [id = ""] = params;
  setTitle(`Operation ${id}`);
  const details = h("dl", { class: "facts" });
  const announcement = statusLine();
  const more = h("div");
  const problem = h("div");
  const cancel = h("button", { type: "button", class: "danger", hidden: true }, "Cancel");
  const cancelResult = h("div", { class: "form-result", "aria-live": "polite" });
  main.append(
    breadcrumbs([["Operations", href.operations()]], id),
    heading("Operation ", h("code", { class: "id" }, id)),
    details,
    announcement,
    h("div", { class: "actions" }, cancel),
    cancelResult,
    problem,
    more,
  );
  cancel.addEventListener("click", async () => {
    cancelResult.replaceChildren();
    try {
      await call(`/operations/${encodeURIComponent(id)}`, { method: "DELETE" });
      cancelResult.append(h("p", { class: "success" }, "Cancel asked: the operation stops at its next step."));
    } catch (error) {
      cancelResult.append(problemBox(error));
    }
  });

  /** @type {string | undefined} */
  let shownVersion;
  /** @type {string | undefined} */
  let shownState;
  for (;;) {
    /** @type {Operation} */
    let operation;
    try {
      operation = await call(`/operations/${encodeURIComponent(id)}`, { signal });
    } catch (error) {
      if (isAbort(error)) return;
      problem.replaceChildren(problemBox(error));
      return;
    }
    problem.replaceChildren();
    details.replaceChildren(
      ...facts([
        ["Kind", operation.kind],
        ["State", stateBadge(operation)],
        ["Progress", progressText(operation)],
        ["Created", timeElement(operation.createdAt)],
        ["Updated", timeElement(operation.updatedAt)],
      ]),
    );
    cancel.hidden = !underWay(operation);
    if (operation.state !== shownState) {
      shownState = operation.state;
      announcement.textContent = `The ${operation.kind} ${stateSentence[operation.state]}.`;
    }
    // The request, result and problem change rarely: rebuilt only when they do, so an open <details> stays open.
    const version = JSON.stringify([operation.request, operation.result, operation.problem]);
    if (version !== shownVersion) {
      shownVersion = version;
      more.replaceChildren();
      append(
        more,
        jsonDetails("Request", operation.request, { open: true }),
        operation.result === undefined ? null : jsonDetails("Result", operation.result, { open: true }),
        operation.problem ? problemBox(new ApiError(0, operation.problem)) : null,
      );
    }
    if (!underWay(operation)) return;
    await sleep(refreshMs, signal);
  }
}
