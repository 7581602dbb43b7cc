/** The global feed: pages after a position, filtered, with an optional long poll; and its head. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { FeedQuery } from "#api/feed-schema.ts";
import { readInput } from "#api/input.ts";
import type { ApiRequest } from "#api/request.ts";
import { json, type PayloadEncoding, payloadMembers, traceMembers } from "#api/responses.ts";
import type { FeedEvent, FeedPage, ReadFeedOptions } from "#store/feed.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** How often a long poll looks at the feed's head (one strongly consistent read of a small item, 1 RRU). */
const pollIntervalMs = 250;

/** GET /feed?after=P: the events after a position, in feed order. */
export async function readFeed(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { query } = readInput(request, { query: FeedQuery });
  const options: ReadFeedOptions = {
    after: query.after,
    limit: query.limit,
    streamTypes: query["stream-type"]?.split(","),
    eventTypes: query["event-type"]?.split(","),
    includePayload: query.payload === "include",
  };
  const page = await readWaiting(store, options, query["wait-seconds"] * 1000);
  const events = page.events.map((event) => feedEventBody(event, query["payload-encoding"]));
  return json(200, { feedPage: { ...page, events } });
}

/** GET /feed/head: the newest position and the indexing lag. */
export async function feedHead(_request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  return json(200, { feedHead: await store.feedHead() });
}

/**
 * A page; when it has no event and the reader may wait, the head is watched and the page read again as soon as the
 * feed grows, until an event comes or the time is up.
 */
async function readWaiting(store: StreamStore, options: ReadFeedOptions, waitMs: number): Promise<FeedPage> {
  const deadline = Date.now() + waitMs;
  let page = await store.readFeed(options);
  let seen = page.lastPosition;
  while (page.events.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, deadline - Date.now())));
    const head = await store.feedHead();
    if (head.position <= seen) continue;
    seen = head.position;
    page = await store.readFeed({ ...options, after: Math.max(options.after, page.lastPosition) });
  }
  return page;
}

function feedEventBody(event: FeedEvent, payloadEncoding: PayloadEncoding): Record<string, unknown> {
  // The expiry is the store's (retention.ts), not part of the event.
  const { payload, metadata, traceContext, expiresAt: _expiry, ...entry } = event;
  const traced = { ...entry, ...traceMembers(traceContext) };
  if (!payload) return traced;
  return { ...traced, ...payloadMembers(payload, payloadEncoding), ...(metadata ? { metadata } : {}) };
}
