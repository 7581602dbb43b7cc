/**
 * What the client's resource modules (streams.ts, operations.ts, multi-append.ts, dcb.ts) share: the options every
 * call takes, the eventId that makes a write's retries safe, times as the API reads them, and paging.
 */
import type { NewEvent } from "./types.ts";

/** Options every call takes. */
export interface CallOptions {
  /** Ends the call (and its retries) early; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The event with an eventId: its own, or a new one, fixed before the first attempt so that retries repeat it. */
export function withEventId<Event extends NewEvent>(event: Event): Event {
  return event.eventId === undefined ? { ...event, eventId: crypto.randomUUID() } : event;
}

export function timeText(time: string | Date | undefined): string | undefined {
  return time instanceof Date ? time.toISOString() : time;
}

/** Items of page after page, following `nextPageKey` while the server says there are more. */
export async function* pages<Item>(
  fetchPage: (nextPageKey: string | undefined) => Promise<{ items: Item[]; hasMore: boolean; nextPageKey?: string }>,
): AsyncGenerator<Item, void, undefined> {
  let nextPageKey: string | undefined;
  for (;;) {
    const page = await fetchPage(nextPageKey);
    yield* page.items;
    if (!page.hasMore || page.nextPageKey === undefined) return;
    nextPageKey = page.nextPageKey;
  }
}
