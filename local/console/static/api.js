// @ts-check
/**
 * The console's only way to the store: the public HTTP API on this same origin. Writes say
 * `content-type: application/json`, as local mode requires of every write; every answer that is not a success is
 * an ApiError carrying the problem+json document (RFC 9457) the API sent.
 */

/**
 * @typedef {object} Problem
 * @property {string} [type]
 * @property {string} [title]
 * @property {number} [status]
 * @property {string} [detail]
 * @property {Record<string, string[]>} [errors] field → messages (400)
 * @property {number} [currentRevision] the stream's revision (409)
 * @property {number} [limitBytes] (413)
 * @property {string} [requestId]
 */

/**
 * @typedef {object} Stream
 * @property {string} streamId
 * @property {string} streamType
 * @property {number} revision
 * @property {string} updatedAt
 */

/**
 * @typedef {object} RecordedEvent
 * @property {string} streamId
 * @property {string} streamType
 * @property {number} revision
 * @property {string} eventType
 * @property {string} eventId
 * @property {unknown} [payload]
 * @property {string} [payloadUrl] a payload kept in S3 that the page had no room for: a URL of it (15 minutes)
 * @property {number} [payloadSize]
 * @property {Record<string, unknown>} [metadata]
 * @property {string} createdAt
 */

/**
 * An event in the global feed (`GET /feed`): its position in the one order of every event, and what it is.
 * @typedef {object} FeedEvent
 * @property {number} position
 * @property {string} streamId
 * @property {string} streamType
 * @property {number} revision
 * @property {string} eventType
 * @property {string} eventId
 * @property {string} createdAt
 * @property {unknown} [payload] only with `payload=include`
 * @property {Record<string, unknown>} [metadata]
 */

/**
 * @typedef {object} FeedPage
 * @property {FeedEvent[]} events
 * @property {number} lastPosition where the next page starts (past what a filter left out too)
 * @property {boolean} hasMore
 */

/**
 * @typedef {object} FeedHead
 * @property {number} position the newest position indexed (0: none yet)
 * @property {string} [indexedAt]
 * @property {string} [lastEventCreatedAt]
 * @property {number} [lagMs] how long after its append the newest event was indexed
 */

/**
 * @typedef {object} Operation
 * @property {string} id
 * @property {"replay" | "redrive"} kind
 * @property {"pending" | "running" | "succeeded" | "failed" | "canceled"} state
 * @property {string} createdAt
 * @property {string} updatedAt
 * @property {{ streams: number, events: number }} progress
 * @property {Record<string, unknown>} request
 * @property {unknown} [result]
 * @property {{ title: string, detail: string }} [problem]
 * @property {true} [cancelRequested]
 */

/** An answer that is not a success, with the API's problem document (or one made up for a network failure). */
export class ApiError extends Error {
  /**
   * @param {number} status - 0 when the server did not answer
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the API and returns its JSON answer.
 * @param {string} path - path and query, e.g. `/streams/order?limit=10`
 * @param {{ method?: string, body?: unknown, bodyText?: string, signal?: AbortSignal }} [options] - `bodyText` is
 *   JSON text sent as it is (a payload as the user typed it); `body` a value sent as JSON
 * @returns {Promise<any>}
 */
export async function call(path, { method = "GET", body, bodyText, signal } = {}) {
  const text = bodyText ?? (body === undefined ? undefined : JSON.stringify(body));
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (text !== undefined) headers["content-type"] = "application/json";
  /** @type {Response} */
  let response;
  try {
    response = await fetch(path, { method, headers, body: text, signal, cache: "no-store" });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, {
      title: "No answer from the local server",
      detail: `${method} ${path} failed (${error instanceof Error ? error.message : String(error)}): is npm start still running?`,
    });
  }
  const answer = await response.text();
  /** @type {unknown} */
  let value;
  try {
    value = answer ? JSON.parse(answer) : undefined;
  } catch {
    value = undefined;
  }
  if (response.ok) return value;
  const problem = /** @type {Problem} */ (typeof value === "object" && value !== null ? value : {});
  throw new ApiError(response.status, {
    ...problem,
    title: problem.title ?? `${response.status} ${response.statusText}`,
    detail: problem.detail ?? (answer.slice(0, 300) || `${method} ${path} answered ${response.status}`),
  });
}

/**
 * A path with a query string of the given values (undefined and empty ones left out).
 * @param {string} path
 * @param {Record<string, string | number | undefined>} query
 */
export function withQuery(path, query) {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") parameters.set(name, String(value));
  }
  const text = parameters.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * The API path of a stream type, a stream, or a part of a stream: segments percent-encoded.
 * @param {...string} segments
 */
export function streamsPath(...segments) {
  return ["/streams", ...segments.map(encodeURIComponent)].join("/");
}

/**
 * Whether an error is the abort of a view that the user has left (nothing to show).
 * @param {unknown} error
 */
export function isAbort(error) {
  return error instanceof DOMException && error.name === "AbortError";
}
