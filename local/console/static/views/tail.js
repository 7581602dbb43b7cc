// @ts-check
/**
 * `#/tail?streamType=T&eventType=E`: notifications as they are published, received by a subscription of the
 * server's (`GET /_console/tail`, server-sent events: a local SQS queue subscribed to the topic with an SNS filter
 * policy). The browser's EventSource reconnects by itself; the view says which state the connection is in.
 */
import { config } from "../config.js";
import { filterForm, h, heading, timeElement } from "../dom.js";
import { jsonDetails } from "../json-view.js";
import { href } from "../routes.js";

/** @typedef {import("../routes.js").ViewContext} ViewContext */
/** @typedef {{ body: Record<string, unknown>, attributes: Record<string, string> }} Notification */

/** The newest notifications kept on the page; older ones are dropped. */
const keptNotifications = 500;

export function tailView(/** @type {ViewContext} */ { main, query, signal, setTitle }) {
  const streamType = query.get("streamType") ?? "";
  const eventType = query.get("eventType") ?? "";
  setTitle("Live tail");
  if (!config().tail) return feedInstead(main, { streamType, eventType });

  const form = filterForm("tail", { streamType, eventType }, "Follow", (entered) => {
    location.hash = href.tail(entered);
  });

  const state = h("span", { class: "state", "data-state": "connecting" }, "connecting");
  const stateDetail = h("span", { class: "muted" });
  const reconnect = h("button", { type: "button", class: "secondary", hidden: true }, "Reconnect");
  const clear = h("button", { type: "button", class: "secondary" }, "Clear");
  const list = h("ol", { class: "notifications", "aria-label": "Notifications, newest first" });
  const empty = h("p", { class: "muted" }, "Nothing received yet: append an event that the filter lets through.");
  main.append(
    heading("Live tail"),
    h(
      "p",
      { class: "intro" },
      "What a subscriber receives: while this view is open, the server subscribes a queue of its own to the ",
      "notification topic, with an SNS filter policy on the stream and event types, and relays what arrives. ",
      "Notifications published while it reconnects are not shown.",
    ),
    form,
    h("p", { class: "connection", role: "status" }, "Connection: ", state, " ", stateDetail, " ", reconnect),
    h("div", { class: "section-head" }, h("h2", {}, "Notifications"), clear),
    empty,
    list,
  );
  clear.addEventListener("click", () => {
    list.replaceChildren();
    empty.hidden = false;
  });

  /**
   * @param {"connecting" | "live" | "reconnecting" | "closed"} name
   * @param {string} [detail]
   */
  const setState = (name, detail = "") => {
    state.textContent = name;
    state.setAttribute("data-state", name);
    stateDetail.textContent = detail;
    reconnect.hidden = name !== "closed";
  };

  const url = `/_console/tail?${new URLSearchParams({ streamType, eventType })}`;
  const connect = () => {
    setState("connecting");
    const source = new EventSource(url);
    signal.addEventListener("abort", () => source.close(), { once: true });
    source.addEventListener("ready", (event) => {
      const { filterPolicy } = JSON.parse(/** @type {MessageEvent} */ (event).data);
      const filter = Object.keys(filterPolicy).length ? `filter policy ${JSON.stringify(filterPolicy)}` : "no filter";
      setState("live", `subscribed, ${filter}`);
    });
    source.addEventListener("notification", (event) => {
      empty.hidden = true;
      list.prepend(notificationItem(JSON.parse(/** @type {MessageEvent} */ (event).data)));
      while (list.childElementCount > keptNotifications) list.lastElementChild?.remove();
    });
    source.addEventListener("problem", (event) => {
      const { title, detail } = JSON.parse(/** @type {MessageEvent} */ (event).data);
      setState("reconnecting", `${title}: ${detail}`);
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CONNECTING)
        return setState("reconnecting", "the browser retries by itself");
      setState("closed");
      explainClosed(url, signal).then((reason) => setState("closed", reason));
    });
  };
  reconnect.addEventListener("click", connect);
  connect();
}

/**
 * The remote console has no local topic to subscribe a queue to: the view points to the Feed view, which follows the
 * deployed store's global feed with long polls, with the same filters.
 * @param {HTMLElement} main
 * @param {{ streamType: string, eventType: string }} filter
 */
function feedInstead(main, filter) {
  main.append(
    heading("Live tail"),
    h(
      "p",
      { class: "notice" },
      "The live tail subscribes a queue to the notification topic of npm start's local store; a deployed store has ",
      "none for this console to subscribe to. The Feed view follows the store's global feed instead: every event, ",
      "in order, as it is indexed (a moment after it is stored), filtered by stream and event types.",
    ),
    h("p", {}, h("a", { href: href.feed(filter) }, "Follow the feed with these filters")),
  );
}

/**
 * Why the server refused the stream: EventSource gives up on an answer that is not an event stream (a 400 for a
 * bad filter, a 503) without saying what it was, so the same request is made once more to read its problem.
 * @param {string} url
 * @param {AbortSignal} signal
 */
async function explainClosed(url, signal) {
  const request = new AbortController();
  signal.addEventListener("abort", () => request.abort(), { once: true });
  try {
    const response = await fetch(url, { headers: { accept: "application/json" }, signal: request.signal });
    if (response.headers.get("content-type")?.startsWith("text/event-stream")) return "the stream ended";
    const problem = await response.json();
    return `${problem.title} (${response.status}): ${problem.detail}`;
  } catch {
    return "the local server does not answer: is npm start running?";
  } finally {
    request.abort();
  }
}

/** @param {Notification} notification */
function notificationItem({ body, attributes }) {
  const streamType = String(body.StreamType ?? "");
  const streamId = String(body.StreamId ?? "");
  const revision = String(body.StreamRevision ?? "");
  const origin = attributes.redrive === "true" ? "redriven" : attributes.replayId ? "replayed" : undefined;
  return h(
    "li",
    { class: "notification" },
    h(
      "div",
      { class: "event-head" },
      timeElement(String(body.CreatedAt ?? "")),
      " ",
      h("span", { class: "stream-type" }, streamType),
      " ",
      h("strong", { class: "event-type" }, String(body.EventType ?? "")),
      " ",
      h(
        "a",
        { href: href.stream(streamType, streamId, { direction: "backward", "from-revision": revision }), class: "id" },
        `${streamId} #${revision}`,
      ),
      origin ? h("span", { class: "badge" }, origin) : null,
    ),
    "Payload" in body ? jsonDetails("Payload", body.Payload) : null,
    "Metadata" in body ? jsonDetails("Metadata", body.Metadata) : null,
  );
}
