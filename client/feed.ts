/**
 * The global feed from the client's side (SPEC section 10): pages after a position, an iterator that catches up,
 * and a catch-up subscription that follows the feed with long polls, calls a handler in order and saves a
 * checkpoint, so a read model resumes where it stopped: at least once, never skipping a position.
 */
import { EventStoreError, NetworkError } from "./errors.ts";
import { followPayloadUrls } from "./large-payloads.ts";
import { sleep } from "./retry.ts";
import { inHandlerSpan } from "./tracing.ts";
import type { Transport } from "./transport.ts";
import type { FeedEvent, FeedHead, FeedPage } from "./types.ts";

/** What to read of the feed. */
export interface FeedFilter {
  /** Only events of these stream types (up to 20); such a read costs in proportion to their events. */
  streamTypes?: string[];
  /** Only events of these event types (up to 20). */
  eventTypes?: string[];
  /** Each event's payload and metadata too (a read of each event on the server). */
  includePayload?: boolean;
  /** Payloads as JSON values (default) or as strings (see the API's payload-encoding). */
  payloadEncoding?: "json" | "string";
}

export interface ReadFeedPageOptions extends FeedFilter {
  /** Events after this position; 0 (default) from the start. */
  after?: number;
  /** Events per page, 1–1000 (default 1000: the feed reads whole batches, so large pages cost least). */
  limit?: number;
  /** When nothing is there yet, wait up to this many seconds (0–20) for an event. */
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface ReadFeedOptions extends FeedFilter {
  after?: number;
  pageSize?: number;
  signal?: AbortSignal;
}

export interface FeedSubscribeOptions extends FeedFilter {
  /** The position to start after: the last checkpoint saved, or 0 for the whole feed. */
  from: number;
  /** Called with each event, in feed order; the next waits for it. A failure stops the subscription. */
  handler: (event: FeedEvent) => Promise<void> | void;
  /** Saves progress: called after the events up to a position were handled (and as filters pass events by). */
  checkpoint?: (position: number) => Promise<void> | void;
  /** Events per page (default 1000). */
  pageSize?: number;
  /** How long each poll waits on the server for new events (default 20 s). */
  waitSeconds?: number;
  /** How long to wait after a failed poll, doubling up to `maxBackoffMs`. Default 500 ms. */
  backoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** Ends the subscription. */
  signal?: AbortSignal;
}

/** A running subscription: `stop()` ends it after the event in hand; `done` settles when it ends. */
export interface FeedSubscription {
  stop(): Promise<void>;
  /** Resolves when stopped; rejects with the handler's or checkpoint's error, or with an error a retry cannot fix. */
  done: Promise<void>;
  /** The last position handled and checkpointed. */
  readonly position: number;
}

export async function readFeedPage(transport: Transport, options: ReadFeedPageOptions = {}): Promise<FeedPage> {
  const waitSeconds = options.waitSeconds ?? 0;
  const query = {
    after: options.after ?? 0,
    limit: options.limit,
    "stream-type": options.streamTypes?.length ? options.streamTypes.join(",") : undefined,
    "event-type": options.eventTypes?.length ? options.eventTypes.join(",") : undefined,
    payload: options.includePayload ? "include" : undefined,
    "payload-encoding": options.payloadEncoding,
    "wait-seconds": waitSeconds > 0 ? waitSeconds : undefined,
  };
  // A long poll may take the whole wait before it answers; the attempt's timeout leaves it that time.
  const timeoutMs = waitSeconds > 0 ? (waitSeconds + 10) * 1000 : undefined;
  const call = { query, signal: options.signal, ...(timeoutMs ? { timeoutMs } : {}) };
  const page = (await transport.call<{ feedPage: FeedPage }>("GET", ["feed"], call)).feedPage;
  return { ...page, events: await followPayloadUrls(transport, page.events, call.signal) };
}

export async function readFeedHead(transport: Transport, signal?: AbortSignal): Promise<FeedHead> {
  return (await transport.call<{ feedHead: FeedHead }>("GET", ["feed", "head"], { signal })).feedHead;
}

/** Every event after `after` up to the head as it is when the loop gets there. */
export async function* readFeed(transport: Transport, options: ReadFeedOptions = {}): AsyncGenerator<FeedEvent> {
  let after = options.after ?? 0;
  for (;;) {
    const page = await readFeedPage(transport, { ...options, after, limit: options.pageSize });
    yield* page.events;
    after = page.lastPosition;
    if (!page.hasMore) return;
  }
}

export function subscribeToFeed(transport: Transport, options: FeedSubscribeOptions): FeedSubscription {
  const stopping = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal;
  let position = options.from;
  const run = async () => {
    let failures = 0;
    while (!signal.aborted) {
      let page: FeedPage;
      try {
        page = await readFeedPage(transport, {
          ...options,
          after: position,
          limit: options.pageSize,
          waitSeconds: options.waitSeconds ?? 20,
          signal,
        });
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (!worthRetrying(error)) throw error;
        // The transport's own retries are spent (an outage): wait longer and longer, then poll again.
        const backoff = Math.min((options.backoffMs ?? 500) * 2 ** failures++, options.maxBackoffMs ?? 30_000);
        await sleep(backoff, signal).catch(() => undefined);
        continue;
      }
      for (const event of page.events) {
        if (signal.aborted) return;
        await inHandlerSpan(event, event, async () => options.handler(event));
        position = event.position;
      }
      if (page.lastPosition > position || page.events.length > 0) {
        position = Math.max(position, page.lastPosition);
        await options.checkpoint?.(position);
      }
    }
  };
  const done = run();
  return {
    async stop() {
      stopping.abort();
      await done.catch(() => undefined);
    },
    done,
    get position() {
      return position;
    },
  };
}

/** Outages are waited out; a 4xx (a bad filter, no permission) would fail the same way again. */
function worthRetrying(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof EventStoreError && (error.status === 429 || error.status >= 500);
}
