// @ts-check
/**
 * Stream types (`GET /streams`) and the streams of one type (`GET /streams/{type}`), newest update first, with a
 * form to create a stream of the type. Both listings follow the change feed: a new stream appears a moment after
 * its first event is stored.
 */
import { ApiError, call, isAbort, streamsPath, withQuery } from "../api.js";
import {
  breadcrumbs,
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
import { pagedTable } from "../paged-table.js";
import { href } from "../routes.js";
import { eventFields } from "./event-form.js";

/** @typedef {import("../routes.js").ViewContext} ViewContext */
/** @typedef {import("../api.js").Stream} Stream */
/** @typedef {{ streamType: string, streamCount: number, lastStreamCreatedAt?: string }} StreamTypeSummary */

const streamTypeRule = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const uuidRule = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `#/types`: every stream type with its number of streams, and a form to open a type or a stream by name. */
export async function typesView(/** @type {ViewContext} */ { main, signal, setTitle }) {
  setTitle("Stream types");
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  const types = pagedTable({
    caption: "Stream types",
    columns: ["Stream type", "Streams", "Last stream created"],
    page: async (nextPageKey) => {
      const { streamTypePage } = await call(withQuery("/streams", { limit: 100, nextPageKey }), { signal });
      return { ...streamTypePage, items: streamTypePage.streamTypes };
    },
    row: (/** @type {StreamTypeSummary} */ { streamType, streamCount, lastStreamCreatedAt }) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: href.type(streamType) }, streamType)),
        h("td", { class: "number" }, Number(streamCount).toLocaleString("en")),
        h("td", {}, timeElement(lastStreamCreatedAt)),
      ),
    describe: (count, hasMore) =>
      count === 0
        ? "No streams yet: create one on a stream type's page (open a type above), or with the API."
        : `${count} stream type${count === 1 ? "" : "s"}${hasMore ? " so far" : ""}, by name.`,
    explain: (error) =>
      error instanceof ApiError && (error.status === 404 || error.status === 405)
        ? h(
            "p",
            { class: "notice" },
            `This API does not list stream types (GET /streams answered ${error.status}). `,
            "Open a stream type by its name above.",
          )
        : undefined,
  });
  main.append(
    heading("Stream types"),
    openForm(),
    h(
      "section",
      { "aria-labelledby": "types-heading" },
      h("div", { class: "section-head" }, h("h2", { id: "types-heading" }, "All stream types"), refresh),
      ...types.elements,
    ),
  );
  refresh.addEventListener("click", types.reload);
  await types.load();
}

/** Opens a stream type, or one stream when its id is given too. */
function openForm() {
  const type = h("input", { id: "open-type", name: "streamType", required: true, autocomplete: "off" });
  const id = h("input", { id: "open-id", name: "streamId", autocomplete: "off", spellcheck: "false" });
  const form = h(
    "form",
    { class: "inline-form", "aria-labelledby": "open-heading" },
    h("h2", { id: "open-heading", class: "visually-hidden" }, "Open a stream type or a stream"),
    field("Stream type", type, "e.g. order"),
    field("Stream id (optional)", id, "a UUID, to open one stream"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Open")),
  );
  onSubmit(form, async () => {
    const streamType = type.value.trim();
    const streamId = id.value.trim();
    setFieldError(type, streamTypeRule.test(streamType) ? undefined : "1 to 128 letters, digits, '.', '_' or '-'.");
    setFieldError(id, !streamId || uuidRule.test(streamId) ? undefined : "A stream id is a UUID.");
    if (!streamTypeRule.test(streamType)) return type.focus();
    if (streamId && !uuidRule.test(streamId)) return id.focus();
    location.hash = streamId ? href.stream(streamType, streamId.toLowerCase()) : href.type(streamType);
  });
  return form;
}

/**
 * How far back the streams view reads at each step: the last hour, day, week, month, year, then everything.
 * The API lists a type's streams oldest update first from `updated-after` on; reading a recent window to its end
 * and showing it reversed gives the newest first without reading a long history.
 */
const lookbacks = [3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000, 365 * 86_400_000, Number.POSITIVE_INFINITY];
const streamsShownAtOnce = 50;

/** `#/types/{type}`: the type's streams, most recently updated first, and a form to create one. */
export async function streamsOfTypeView(/** @type {ViewContext} */ { main, params, signal, setTitle }) {
  const [streamType = ""] = params;
  setTitle(`Streams of ${streamType}`);
  const rows = h("tbody");
  const listing = table(`Streams of ${streamType}`, ["Stream id", "Revision", "Updated at"], rows);
  const status = statusLine("Loading…");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show older");
  const refresh = h("button", { type: "button", class: "secondary" }, "Refresh");
  const problem = h("div");
  main.append(
    breadcrumbs([["Stream types", href.types()]], streamType),
    heading("Streams of ", h("code", {}, streamType)),
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { "aria-labelledby": "streams-heading" },
        h("div", { class: "section-head" }, h("h2", { id: "streams-heading" }, "Latest updated first"), refresh),
        h(
          "p",
          { class: "intro" },
          "The API lists streams oldest update first. The console reads the streams updated in the last hour ",
          "(then day, week, month, year, all) to the end of the listing and shows them reversed. ",
          "The listing follows the change feed: a new stream shows a moment after its first event.",
        ),
        status,
        listing,
        problem,
        more,
      ),
      createStreamForm(streamType),
    ),
  );

  const startedAt = Date.now();
  /** @type {Map<string, Stream>} */
  const streams = new Map();
  let step = -1;
  /** Streams updated at or after this time are all read (ISO times compare as strings). */
  let readFrom = "";
  let shown = 0;

  /** Reads the next window back, [its start, readFrom), to add older streams. */
  const readOlder = async () => {
    step += 1;
    const lookback = /** @type {number} */ (lookbacks[step]);
    const from = Number.isFinite(lookback) ? new Date(startedAt - lookback).toISOString() : undefined;
    /** @type {string | undefined} */
    let nextPageKey;
    do {
      const query = { "updated-after": from, limit: 1000, nextPageKey };
      const { streamPage: page } = await call(withQuery(streamsPath(streamType), query), { signal });
      let reachedRead = false;
      for (const stream of /** @type {Stream[]} */ (page.streams)) {
        if (readFrom && stream.updatedAt >= readFrom) {
          reachedRead = true;
          break;
        }
        const known = streams.get(stream.streamId);
        if (!known || known.revision < stream.revision) streams.set(stream.streamId, stream);
      }
      nextPageKey = page.hasMore && !reachedRead ? page.nextPageKey : undefined;
      if (nextPageKey) status.textContent = `Reading… ${streams.size.toLocaleString("en")} streams so far`;
    } while (nextPageKey);
    readFrom = from ?? "";
  };
  const allRead = () => step === lookbacks.length - 1;

  const showMore = async () => {
    more.hidden = true;
    problem.replaceChildren();
    status.textContent = "Loading…";
    try {
      while (streams.size < shown + streamsShownAtOnce && !allRead()) await readOlder();
    } catch (error) {
      if (isAbort(error)) return;
      status.textContent = "";
      problem.replaceChildren(problemBox(error));
      return;
    }
    const newestFirst = [...streams.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
    for (const stream of newestFirst.slice(shown, shown + streamsShownAtOnce)) {
      rows.append(
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: href.stream(streamType, stream.streamId), class: "id" }, stream.streamId)),
          h("td", { class: "number" }, stream.revision),
          h("td", {}, timeElement(stream.updatedAt)),
        ),
      );
    }
    shown = Math.min(newestFirst.length, shown + streamsShownAtOnce);
    listing.hidden = shown === 0;
    const since = readFrom ? `updated since ${readFrom}` : "of this type";
    const hasOlder = shown < streams.size || !allRead();
    more.hidden = !hasOlder;
    status.textContent =
      shown === 0
        ? `No streams ${since} yet.`
        : `${shown.toLocaleString("en")} of the ${streams.size.toLocaleString("en")} streams ${since}` +
          `${hasOlder ? " (older ones on “Show older”)" : ""}.`;
  };
  more.addEventListener("click", showMore);
  refresh.addEventListener("click", () => {
    rows.replaceChildren();
    streams.clear();
    step = -1;
    readFrom = "";
    shown = 0;
    showMore();
  });
  await showMore();
}

/** @param {string} streamType */
function createStreamForm(streamType) {
  const fields = eventFields("create");
  const options = {
    id: "create",
    title: "Create a stream",
    intro: "A new stream of this type, with its first event (POST /streams/{type}).",
    submitLabel: "Create stream",
  };
  return panelForm(options, fields.elements, async (result) => {
    const event = fields.eventJson();
    if (!event) return;
    try {
      const { stream } = await call(streamsPath(streamType), {
        method: "POST",
        bodyText: `{"initialEvent":${event}}`,
      });
      location.hash = href.stream(stream.streamType, stream.streamId);
    } catch (error) {
      result.append(problemBox(error));
    }
  });
}
