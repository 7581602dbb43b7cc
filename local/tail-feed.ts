/**
 * `npm run tail -- --feed`: follows the global feed (SPEC section 10) of a running local mode through the TypeScript
 * client's catch-up subscription (long polls of `GET /feed`), one line per event, in feed order. Unlike the
 * notification tail it needs no queue: it reads the API, from the head or from any position.
 */
import { BadRequest, EventStoreClient, type FeedEvent, type FeedHead, NetworkError } from "../client/index.ts";

export interface FollowFeedOptions {
  /** The local API, e.g. http://127.0.0.1:3000. */
  api: string;
  /** Print the events after this position; undefined: after the head as it is now (only new events). */
  from?: number | undefined;
  streamTypes?: string[] | undefined;
  eventTypes?: string[] | undefined;
  /** Each event as one JSON object, payload and metadata included. */
  json?: boolean;
  /** Where each event's line goes. */
  print: (line: string) => void;
  /** Where the line saying what is followed goes, once the head is read. */
  log: (line: string) => void;
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** How long each long poll waits on the server (default 20 s, the API's most). */
  waitSeconds?: number;
}

/**
 * Follows the feed until `signal` aborts; rejects when the API is not there or refuses the filter.
 */
export async function followFeed(options: FollowFeedOptions): Promise<void> {
  const client = new EventStoreClient({ url: options.api, auth: "none", retries: 1 });
  let head: FeedHead;
  try {
    head = await client.getFeedHead({ signal: options.signal });
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    throw new Error(`no local API at ${options.api}: start the store first (npm start), or give its URL with --api`);
  }
  const from = options.from ?? head.position;
  const lag = head.lagMs === undefined ? "" : `, indexing lag ${head.lagMs} ms`;
  const filter = [
    options.streamTypes?.length ? `stream types ${options.streamTypes.join(", ")}` : "",
    options.eventTypes?.length ? `event types ${options.eventTypes.join(", ")}` : "",
  ].filter(Boolean);
  options.log(
    `Following the feed of ${options.api} after position ${from} (head at ${head.position}${lag})` +
      `${filter.length ? `, only ${filter.join(" and ")}` : ""} (Ctrl-C stops)`,
  );
  const subscription = client.subscribe({
    from,
    streamTypes: options.streamTypes,
    eventTypes: options.eventTypes,
    includePayload: options.json,
    waitSeconds: options.waitSeconds ?? 20,
    handler: (event) => options.print(formatFeedEvent(event, options.json ?? false)),
    signal: options.signal,
  });
  await subscription.done.catch((error: unknown) => {
    if (!(error instanceof BadRequest)) throw error;
    const fields = Object.entries(error.errors).map(([name, messages]) => `${name} ${messages.join("; ")}`);
    throw new Error(`the API refused the read (${error.status}): ${fields.join("; ") || error.message}`);
  });
}

/** One line per event: position, stream type, stream id, revision, event type, time; or the event as JSON. */
export function formatFeedEvent(event: FeedEvent, json: boolean): string {
  if (json) return JSON.stringify(event);
  return `${event.position}  ${event.streamType}  ${event.streamId}  r${event.revision}  ${event.eventType}  ${event.createdAt}`;
}
