// @ts-check
/**
 * `#/operations`: replays and redrives with their state and progress (`GET /operations`, newest first, refreshed while
 * any is under way), a form to start a replay (`POST /replays`), a button to redrive, and the notifications waiting
 * for a redrive (`GET /notifications/undelivered`). `#/operations/{id}`: one operation, followed until it ends,
 * with a cancel button while it runs.
 */
import { ApiError, call, isAbort, withQuery } from "../api.js";
import { config } from "../config.js";
import {
  append,
  breadcrumbs,
  facts,
  field,
  h,
  heading,
  onSubmit,
  problemBox,
  readOnlyNote,
  statusLine,
  table,
  timeElement,
} from "../dom.js";
import { jsonDetails } from "../json-view.js";
import { pagedTable } from "../paged-table.js";
import { href, sleep } from "../routes.js";
import { erasureForm, redriveForm, replayForm } from "./operation-forms.js";

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
      h("div", { class: "side" }, replayForm(), redriveForm(), erasureForm()),
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
  const cancel = h("button", { type: "button", class: "danger", hidden: true, disabled: !config().writes }, "Cancel");
  const cancelNote = readOnlyNote("cancel operations");
  const cancelResult = h("div", { class: "form-result", "aria-live": "polite" });
  append(
    main,
    breadcrumbs([["Operations", href.operations()]], id),
    heading("Operation ", h("code", { class: "id" }, id)),
    details,
    announcement,
    h("div", { class: "actions" }, cancel),
    cancelNote,
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
    if (cancelNote) cancelNote.hidden = cancel.hidden;
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
