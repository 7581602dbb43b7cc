// @ts-check
/**
 * `#/streams/{type}/{id}`: one stream's details and events, forward (`?after-revision=N`) or backward
 * (`?direction=backward&from-revision=N`), a page at a time; each event's payload and metadata pretty-printed when
 * opened. Beside them, a form to append an event with the expected revision filled in; a 409 says the stream's
 * current revision and offers to retry with it. Below it, a form to delete or truncate the stream
 * (stream-lifecycle.js), which asks for confirmation.
 */
import { ApiError, call, isAbort, streamsPath, withQuery } from "../api.js";
import {
  breadcrumbs,
  facts,
  field,
  formatBytes,
  h,
  heading,
  panelForm,
  problemBox,
  setFieldError,
  statusLine,
  timeElement,
} from "../dom.js";
import { jsonDetails } from "../json-view.js";
import { href } from "../routes.js";
import { eventFields } from "./event-form.js";
import { lifecycleForm } from "./stream-lifecycle.js";

/** @typedef {import("../routes.js").ViewContext} ViewContext */
/** @typedef {import("../api.js").Stream} Stream */
/** @typedef {import("../api.js").RecordedEvent} RecordedEvent */

const defaultPageSize = 50;

export async function streamView(/** @type {ViewContext} */ { main, params, query, signal, setTitle }) {
  const [streamType = "", streamId = ""] = params;
  const backward = query.get("direction") === "backward";
  const limit = wholeNumber(query.get("limit")) ?? defaultPageSize;
  setTitle(`Stream ${streamId}`);

  const details = h("dl", { class: "facts" });
  const detailsProblem = h("div");
  const events = h("ol", { class: "events" });
  const eventsProblem = h("div");
  const status = statusLine("Loading…");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const append = appendForm(streamType, streamId, () => onAppended());
  const directions = h(
    "p",
    { class: "toggle" },
    "Read ",
    directionLink("oldest first", !backward, href.stream(streamType, streamId)),
    " ",
    directionLink("newest first", backward, href.stream(streamType, streamId, { direction: "backward" })),
  );
  main.append(
    breadcrumbs(
      [
        ["Stream types", href.types()],
        [streamType, href.type(streamType)],
      ],
      streamId,
    ),
    heading("Stream ", h("code", { class: "id" }, streamId)),
    details,
    detailsProblem,
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { "aria-labelledby": "events-heading" },
        h("div", { class: "section-head" }, h("h2", { id: "events-heading" }, "Events"), directions),
        status,
        events,
        eventsProblem,
        more,
      ),
      h(
        "div",
        {},
        append.form,
        lifecycleForm(streamType, streamId, () => onAppended()),
      ),
    ),
  );

  /** Where the next page starts: after this revision (forward) or from it (backward); undefined: no more. */
  /** @type {number | undefined} */
  let next = backward ? wholeNumber(query.get("from-revision")) : (wholeNumber(query.get("after-revision")) ?? 0);
  let hasMore = true;
  let loaded = 0;
  let started = false;

  const showDetails = async () => {
    try {
      /** @type {{ stream: Stream }} */
      const { stream } = await call(streamsPath(streamType, streamId, "details"), { signal });
      details.replaceChildren(
        ...facts([
          ["Type", h("a", { href: href.type(streamType) }, streamType)],
          ["Revision", h("span", { class: "stream-revision" }, stream.revision)],
          ["Updated at", timeElement(stream.updatedAt)],
        ]),
      );
      detailsProblem.replaceChildren();
      append.expect(stream.revision);
      return true;
    } catch (error) {
      if (isAbort(error)) return false;
      details.replaceChildren();
      detailsProblem.replaceChildren(problemBox(error));
      // A stream that does not exist yet can be created here, with the id of the address.
      if (error instanceof ApiError && error.status === 404) append.expect("no-stream");
      return false;
    }
  };

  const loadPage = async () => {
    started = true;
    more.hidden = true;
    eventsProblem.replaceChildren();
    status.textContent = "Loading…";
    const parameters = backward
      ? { direction: "backward", "from-revision": next, limit }
      : { "after-revision": next, limit };
    try {
      const { eventPage: page } = await call(withQuery(streamsPath(streamType, streamId, "events"), parameters), {
        signal,
      });
      for (const event of /** @type {RecordedEvent[]} */ (page.events)) events.append(eventItem(event));
      loaded += page.events.length;
      const last = /** @type {number} */ (page.lastEvaluatedRevision);
      hasMore = page.hasMore;
      next = backward ? last - 1 : last;
      more.hidden = !hasMore;
      status.textContent = `${loaded.toLocaleString("en")} event${loaded === 1 ? "" : "s"} shown${hasMore ? `, more on “Load more”` : ""}.`;
    } catch (error) {
      if (isAbort(error)) return;
      status.textContent = "";
      eventsProblem.replaceChildren(problemBox(error));
    }
  };
  more.addEventListener("click", loadPage);

  /** After an append: the new revision, and the new events where the reader would look for them. */
  const onAppended = async () => {
    await showDetails();
    if (!started || (!backward && !hasMore)) return loadPage();
    if (backward && !query.has("from-revision")) {
      events.replaceChildren();
      loaded = 0;
      next = undefined;
      return loadPage();
    }
  };

  if (await showDetails()) await loadPage();
  else status.textContent = "";
}

/**
 * @param {string} text
 * @param {boolean} current
 * @param {string} target
 */
function directionLink(text, current, target) {
  return current ? h("strong", { "aria-current": "true" }, text) : h("a", { href: target }, text);
}

/** @param {RecordedEvent} event */
function eventItem(event) {
  return h(
    "li",
    { class: "event", "data-revision": event.revision },
    h(
      "div",
      { class: "event-head" },
      h("span", { class: "revision", title: "revision" }, `#${event.revision}`),
      " ",
      h("strong", { class: "event-type" }, event.eventType),
      " ",
      timeElement(event.createdAt),
      " ",
      h("code", { class: "id muted", title: "eventId" }, event.eventId),
    ),
    event.payloadUrl === undefined
      ? jsonDetails("Payload", event.payload)
      : payloadLink(event.payloadUrl, event.payloadSize),
    event.metadata === undefined ? null : jsonDetails("Metadata", event.metadata),
  );
}

/**
 * A payload kept in S3 that the page had no room for: its size, and a link that opens it (for 15 minutes).
 * @param {string} url
 * @param {number | undefined} size
 */
function payloadLink(url, size) {
  return h(
    "p",
    { class: "json" },
    h("span", { class: "json-label" }, "Payload"),
    " ",
    h("span", { class: "muted small" }, size === undefined ? "" : formatBytes(size)),
    " kept in S3: ",
    h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, "open it"),
    h("span", { class: "muted small" }, " (the link lasts 15 minutes)"),
  );
}

/**
 * The append form: an event and the expected revision, which `expect` fills in with the stream's current one.
 * @param {string} streamType
 * @param {string} streamId
 * @param {() => void} onAppended
 */
function appendForm(streamType, streamId, onAppended) {
  const fields = eventFields("append");
  const expected = h("input", {
    id: "append-expected",
    name: "expectedRevision",
    autocomplete: "off",
    spellcheck: "false",
  });
  const options = { id: "append", title: "Append an event", submitLabel: "Append" };
  const hint = "The stream's revision as you know it; or any, no-stream, stream-exists.";
  const form = panelForm(options, [...fields.elements, field("Expected revision", expected, hint)], async (result) => {
    const event = fields.eventJson();
    const expectedRevision = expectation(expected.value);
    setFieldError(expected, expectedRevision === undefined ? "A whole number, any, no-stream or stream-exists." : "");
    if (!event) return;
    if (expectedRevision === undefined) return expected.focus();
    try {
      const answer = await call(streamsPath(streamType, streamId, "events"), {
        method: "POST",
        bodyText: `{"expectedRevision":${JSON.stringify(expectedRevision)},"events":[${event}]}`,
      });
      result.append(h("p", { class: "success" }, `Appended revision ${answer.lastRevision}.`));
      onAppended();
    } catch (error) {
      const current = error instanceof ApiError ? error.problem.currentRevision : undefined;
      if (current === undefined) return void result.append(problemBox(error));
      const retry = h(
        "button",
        {
          type: "button",
          onclick: () => {
            expected.value = String(current);
            form.requestSubmit();
          },
        },
        `Retry with expected revision ${current}`,
      );
      result.append(
        problemBox(error, [h("p", { class: "current-revision" }, `The stream is at revision ${current}.`), retry]),
      );
      retry.focus();
    }
  });
  return {
    form,
    /** @param {number | string} revision */
    expect(revision) {
      expected.value = String(revision);
    },
  };
}

/**
 * The expected revision a field's text states: a whole number or one of the API's words; undefined otherwise.
 * @param {string} text
 * @returns {number | string | undefined}
 */
function expectation(text) {
  const value = text.trim();
  if (["any", "no-stream", "stream-exists"].includes(value)) return value;
  return wholeNumber(value);
}

/** @param {string | null} text */
function wholeNumber(text) {
  return text !== null && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}
