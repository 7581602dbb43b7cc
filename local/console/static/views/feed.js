// @ts-check
/**
 * `#/feed?streamType=T&eventType=E&limit=N`: the global feed (`GET /feed`), newest first, filtered by stream and
 * event types, with the head's position and lag (`GET /feed/head`). It follows the head with long polls
 * (`wait-seconds=20` after the newest position read) and puts new events on top; "Show older" reads the events before
 * the oldest shown (feed-window.js: the API reads forward only). A payload is read when it is opened.
 */
import { ApiError, call, isAbort, withQuery } from "../api.js";
import { facts, filterForm, h, heading, problemBox, statusLine, timeElement } from "../dom.js";
import { firstWindowBatches, readBefore } from "../feed-window.js";
import { jsonDetails, lazyJsonDetails } from "../json-view.js";
import { href, sleep } from "../routes.js";

/** @typedef {import("../routes.js").ViewContext} ViewContext */
/** @typedef {import("../api.js").FeedEvent} FeedEvent */
/** @typedef {import("../api.js").FeedPage} FeedPage */
/** @typedef {import("../api.js").FeedHead} FeedHead */

const defaultPageSize = 50;
/** How long each read of the head waits on the server for new events (the API's most). */
const waitSeconds = 20;
/** Events read per long poll; a longer backlog comes in several. */
const livePageSize = 100;
/** The newest events kept on the page while following; older ones are dropped (and "Show older" reads them again). */
const keptEvents = 1000;
/** The head's position and lag are read again this often, and after new events (at most once a second). */
const headRefreshMs = 5000;

export async function feedView(/** @type {ViewContext} */ { main, query, signal, setTitle }) {
  const streamType = commaList(query.get("streamType"));
  const eventType = commaList(query.get("eventType"));
  const limit = Math.min(1000, wholeNumber(query.get("limit")) || defaultPageSize);
  const filter = { "stream-type": streamType, "event-type": eventType };
  setTitle("Feed");

  const form = filterForm("feed", { streamType, eventType }, "Show", (entered) => {
    const filterNow = { streamType: commaList(entered.streamType), eventType: commaList(entered.eventType) };
    location.hash = href.feed({ ...filterNow, limit: limit === defaultPageSize ? undefined : limit });
  });

  const head = h("dl", { class: "facts", "aria-label": "The feed's head" });
  const state = h("span", { class: "state", "data-state": "connecting" }, "connecting");
  const stateDetail = h("span", { class: "muted" });
  const list = h("ol", { class: "events", "aria-label": "Events, newest first" });
  const status = statusLine("Loading…");
  const problem = h("div");
  const older = h("button", { type: "button", class: "secondary", hidden: true }, "Show older");
  main.append(
    heading("Feed"),
    h(
      "p",
      { class: "intro" },
      "Every event of the store in one order: each has a position, which grows in the order events were indexed ",
      "from the change feed. Newest first; while this view is open it waits for new events and puts them on top.",
    ),
    form,
    head,
    h("p", { class: "connection", role: "status" }, "Following the head: ", state, " ", stateDetail),
    h(
      "section",
      { "aria-labelledby": "feed-heading" },
      h("h2", { id: "feed-heading" }, "Events, newest first"),
      status,
      list,
      problem,
      older,
    ),
  );

  /** @param {"connecting" | "live" | "reconnecting" | "closed"} name @param {string} [detail] */
  const setState = (name, detail = "") => {
    if (state.textContent === name && stateDetail.textContent === detail) return;
    state.textContent = name;
    state.setAttribute("data-state", name);
    stateDetail.textContent = detail;
  };

  let headReadAt = 0;
  const showHead = async () => {
    headReadAt = Date.now();
    /** @type {{ feedHead: FeedHead }} */
    const { feedHead } = await call("/feed/head", { signal });
    const lag = feedHead.lagMs === undefined ? "—" : `${feedHead.lagMs.toLocaleString("en")} ms`;
    head.replaceChildren(
      ...facts([
        ["Head position", h("span", { class: "head-position" }, feedHead.position)],
        ["Indexed at", timeElement(feedHead.indexedAt)],
        ["Lag", h("span", { class: "head-lag", title: "how long after its append the newest event was indexed" }, lag)],
      ]),
    );
    return feedHead;
  };

  /** @param {number} after @param {number} pageLimit @param {number} [wait] */
  const readPage = async (after, pageLimit, wait) => {
    const path = withQuery("/feed", { after, limit: pageLimit, ...filter, "wait-seconds": wait });
    /** @type {{ feedPage: FeedPage }} */
    const { feedPage } = await call(path, { signal });
    return feedPage;
  };

  const describe = () => {
    const shown = list.childElementCount;
    const filtered = streamType || eventType ? " that the filter lets through" : "";
    if (shown === 0 && olderBefore === undefined) {
      status.textContent = `No events${filtered} yet: new ones appear here as they are indexed.`;
    } else {
      const more = olderBefore === undefined ? ", back to the start of the feed" : `; “Show older” reads more`;
      status.textContent = `${shown.toLocaleString("en")} event${shown === 1 ? "" : "s"}${filtered} shown${more}.`;
    }
    older.hidden = olderBefore === undefined || loadingOlder;
  };

  const first = await showHead();
  /** The events before this position are not shown; undefined: every older one is. */
  /** @type {number | undefined} */
  let olderBefore = first.position + 1;
  let windowBatches = firstWindowBatches;
  let loadingOlder = false;

  /** Reads the page of events before the oldest shown and puts it at the bottom; false when the API refused. */
  const loadOlder = async () => {
    if (olderBefore === undefined) return true;
    loadingOlder = true;
    older.hidden = true;
    problem.replaceChildren();
    status.textContent = "Loading…";
    try {
      const read = await readBefore((after, pageLimit) => readPage(after, pageLimit), {
        before: olderBefore,
        want: limit,
        batches: windowBatches,
      });
      list.append(...read.events.map((event) => eventItem(event, signal)));
      olderBefore = read.before;
      windowBatches = read.batches;
      loadingOlder = false;
      describe();
      return true;
    } catch (error) {
      loadingOlder = false;
      if (isAbort(error)) return false;
      status.textContent = "";
      problem.replaceChildren(problemBox(error));
      // A refused filter stays refused; after an outage "Show older" tries again.
      older.hidden = isRefusal(error);
      return !isRefusal(error);
    }
  };
  older.addEventListener("click", loadOlder);

  /** Follows the head from `after`: each answer's events go on top, in order. */
  const follow = async (/** @type {number} */ after) => {
    let failures = 0;
    setState("live", "waiting for new events");
    while (!signal.aborted) {
      try {
        // After a failure, a read that does not wait tells at once whether the API answers again.
        const page = await readPage(after, livePageSize, failures ? undefined : waitSeconds);
        failures = 0;
        setState("live", "waiting for new events");
        for (const event of page.events) list.prepend(eventItem(event, signal));
        after = Math.max(after, page.lastPosition);
        if (page.events.length > 0) dropOldest();
        if (page.events.length > 0 && Date.now() - headReadAt >= 1000) showHead().catch(() => {});
      } catch (error) {
        if (isAbort(error) || signal.aborted) return;
        if (isRefusal(error)) {
          setState("closed", "the API refused the read");
          return void problem.replaceChildren(problemBox(error));
        }
        setState("reconnecting", `${error instanceof Error ? error.message : String(error)}; trying again`);
        await sleep(Math.min(500 * 2 ** failures++, 10_000), signal).catch(() => {});
      }
    }
  };

  /** Keeps the page to the newest `keptEvents`; "Show older" reads the dropped ones again. */
  const dropOldest = () => {
    if (loadingOlder) return;
    if (list.childElementCount <= keptEvents) return describe();
    while (list.childElementCount > keptEvents) list.lastElementChild?.remove();
    olderBefore = Number(list.lastElementChild?.getAttribute("data-position"));
    describe();
  };

  /** A filtered long poll does not answer for other types' events: the head is also read on a timer. */
  const watchHead = async () => {
    while (!signal.aborted) {
      await sleep(headRefreshMs - (Date.now() - headReadAt), signal);
      if (Date.now() - headReadAt >= headRefreshMs) await showHead().catch(() => {});
    }
  };

  // The head read first splits the feed: what is at or below it is read backwards, what comes after it is followed.
  if (!(await loadOlder())) return setState("closed", "the API refused the read");
  watchHead().catch(() => {});
  await follow(first.position);
}

/**
 * @param {FeedEvent} event
 * @param {AbortSignal} signal
 */
function eventItem(event, signal) {
  const { position, streamType, streamId, revision, eventType, createdAt } = event;
  const payload = lazyJsonDetails("Payload", async () => {
    const read = await readWithPayload(event, signal);
    if (read.metadata !== undefined) payload.after(jsonDetails("Metadata", read.metadata));
    return read.payload;
  });
  return h(
    "li",
    { class: "event", "data-position": position },
    h(
      "div",
      { class: "event-head" },
      h("span", { class: "position", title: "position in the feed" }, position),
      " ",
      h("span", { class: "stream-type" }, streamType),
      " ",
      h("strong", { class: "event-type" }, eventType),
      " ",
      h(
        "a",
        { href: href.stream(streamType, streamId, { direction: "backward", "from-revision": revision }), class: "id" },
        streamId,
      ),
      " ",
      h("span", { class: "revision", title: "revision" }, `#${revision}`),
      " ",
      timeElement(createdAt),
    ),
    payload,
  );
}

/**
 * The event at a position with its payload and metadata: the page of one event after the position before it,
 * from its stream type's part of the feed.
 * @param {FeedEvent} event
 * @param {AbortSignal} signal
 * @returns {Promise<FeedEvent>}
 */
async function readWithPayload({ position, streamType }, signal) {
  const query = { after: position - 1, limit: 1, "stream-type": streamType, payload: "include" };
  /** @type {{ feedPage: FeedPage }} */
  const { feedPage } = await call(withQuery("/feed", query), { signal });
  const [found] = feedPage.events;
  if (found?.position !== position) throw new Error(`The feed has no event at position ${position}.`);
  return found;
}

/** An answer that asking again would not change: a filter the API refuses. */
function isRefusal(/** @type {unknown} */ error) {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

/** Values typed with commas and spaces, as the API's comma-separated list. */
function commaList(/** @type {string | null} */ text) {
  return (text ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter(Boolean)
    .join(",");
}

/** @param {string | null} text */
function wholeNumber(text) {
  return text !== null && /^\d{1,4}$/.test(text) ? Number(text) : undefined;
}
