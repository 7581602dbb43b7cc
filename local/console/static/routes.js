// @ts-check
/**
 * The console's addresses: every view has a hash route, so that its URL can be shared and bookmarked
 * (`#/streams/order/<id>?direction=backward`). The server only ever sees `/`.
 */

/**
 * @param {string[]} segments
 * @param {Record<string, string | number | undefined>} [query]
 */
function hashOf(segments, query = {}) {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") parameters.set(name, String(value));
  }
  const text = parameters.toString();
  return `#/${segments.map(encodeURIComponent).join("/")}${text ? `?${text}` : ""}`;
}

export const href = {
  types: () => hashOf(["types"]),
  /** @param {string} streamType */
  type: (streamType) => hashOf(["types", streamType]),
  /**
   * @param {string} streamType
   * @param {string} streamId
   * @param {Record<string, string | number | undefined>} [query] direction, after-revision, from-revision, limit
   */
  stream: (streamType, streamId, query) => hashOf(["streams", streamType, streamId], query),
  /** @param {{ streamType?: string, eventType?: string, limit?: number }} [filter] */
  feed: (filter = {}) => hashOf(["feed"], filter),
  /** @param {{ streamType?: string, eventType?: string }} [filter] */
  tail: (filter = {}) => hashOf(["tail"], filter),
  /** @param {{ kind?: string, state?: string }} [filter] */
  operations: (filter = {}) => hashOf(["operations"], filter),
  /** @param {string} id */
  operation: (id) => hashOf(["operations", id]),
};

/**
 * The route of a location hash: its decoded path segments and its query. Undefined for a segment that is not
 * valid percent-encoding.
 * @param {string} hash - e.g. `#/types/order?x=1`
 * @returns {{ segments: string[], query: URLSearchParams } | undefined}
 */
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, "");
  const queryStart = text.indexOf("?");
  const path = queryStart === -1 ? text : text.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? "" : text.slice(queryStart + 1));
  try {
    return { segments: path.split("/").filter(Boolean).map(decodeURIComponent), query };
  } catch {
    return undefined;
  }
}

/**
 * What a view gets: where to render, what the route says, and a signal that aborts when the user leaves it
 * (pending requests, timers and event streams end with it).
 * @typedef {object} ViewContext
 * @property {HTMLElement} main - empty when the view starts
 * @property {string[]} params - the route's `:` segments, decoded
 * @property {URLSearchParams} query
 * @property {AbortSignal} signal
 * @property {(title: string) => void} setTitle - the document's title
 */

/** @typedef {(context: ViewContext) => void | Promise<void>} View */

/**
 * Resolves after `ms`, or at once (rejecting) when `signal` aborts: for polling that stops with its view.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
