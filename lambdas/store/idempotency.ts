/**
 * How a retried append is recognised (SPEC section 2, as EventStoreDB does it). An eventId stands at most once in
 * a stream's idempotency window, its last `windowSize` events. An append whose eventIds all stand there, in the
 * same order and with the same content, is a retry: it answers the original positions and writes nothing. One
 * that mixes known and new eventIds is a conflict.
 *
 * What it costs: an exact expectation that the stream meets needs no check (a retry of such an append finds its
 * events at the revision it expected, so the check runs only when the expectation is not met); "no-stream" is
 * checked by the conditional put on revision 1. "any" and "stream-exists" with client-given eventIds read the
 * window instead of the head: one strongly consistent query of up to `windowSize` events (about 10 RRU for 100
 * small events; the bench reports it). Without client-given eventIds there is nothing to check.
 */
import type { StoreTable } from "./dynamo.ts";
import {
  type AttributeMap,
  eventItem,
  type Item,
  type NewEventWithId,
  queryEvents,
  queryWindow,
  recordedEvent,
  sameEvent,
} from "./items.ts";
import type { AppendResult } from "./model.ts";

/** EventStoreDB keeps the last 100 events of a stream for its idempotency check; so do we by default. */
export const defaultIdempotencyWindow = 100;

export type WindowMatch =
  /** None of the eventIds stands in the window: the append is new. */
  | { kind: "new" }
  /** All of them stand there, in order, with the same content: the original answer. */
  | { kind: "retry"; result: AppendResult }
  /** Some stand there and some do not, or in another order, or with other content. */
  | { kind: "mixed"; detail: string };

/** The newest `windowSize` events of a stream, newest first (paged: a query returns at most 1 MB). */
export async function readWindow(table: StoreTable, streamId: string, windowSize: number): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: AttributeMap | undefined;
  do {
    const output = await table.queryItems(
      "append",
      queryWindow(table.tableName, streamId, windowSize - items.length, startKey),
    );
    items.push(...output.items);
    startKey = output.lastEvaluatedKey;
  } while (startKey && items.length < windowSize);
  return items;
}

/** Where the events of this append stand in the window (newest first), if they do. */
export function matchWindow(
  window: Item[],
  streamType: string,
  streamId: string,
  events: NewEventWithId[],
): WindowMatch {
  const byEventId = new Map(window.map((item) => [item.eventId, item]));
  const stored = events.map((event) => byEventId.get(event.eventId));
  const known = stored.filter((item) => item !== undefined).length;
  if (known === 0) return { kind: "new" };
  if (known < events.length) {
    return { kind: "mixed", detail: `${known} of the ${events.length} eventIds stand in the stream already` };
  }
  const first = recordedEvent(stored[0] as Item).revision;
  const same = events.every((event, index) => {
    const item = stored[index] as Item;
    return (
      recordedEvent(item).revision === first + index &&
      sameEvent(item, eventItem(streamType, streamId, first + index, event, ""))
    );
  });
  if (!same) {
    return { kind: "mixed", detail: "these eventIds stand in the stream in another order or with other content" };
  }
  return { kind: "retry", result: originalResult(streamType, streamId, first, stored as Item[]) };
}

/**
 * The result of an earlier append of exactly these events starting at `firstRevision`, or undefined if the events
 * stored there are not these (the check of an exact expectation: its retry wrote where it expected).
 */
export async function findAppended(
  table: StoreTable,
  streamType: string,
  streamId: string,
  firstRevision: number,
  events: NewEventWithId[],
): Promise<AppendResult | undefined> {
  if (firstRevision < 1) return undefined;
  const range = { from: firstRevision, to: firstRevision + events.length - 1 };
  const { items: stored } = await table.queryItems(
    "append",
    queryEvents(table.tableName, streamId, range, true, events.length),
  );
  const same =
    stored.length === events.length &&
    events.every((event, index) =>
      sameEvent(stored[index] as Item, eventItem(streamType, streamId, firstRevision + index, event, "")),
    );
  return same ? originalResult(streamType, streamId, firstRevision, stored) : undefined;
}

/** What the original append answered: its positions, and the stream as it was right after it. */
function originalResult(streamType: string, streamId: string, firstRevision: number, stored: Item[]): AppendResult {
  const lastRevision = firstRevision + stored.length - 1;
  const newest = recordedEvent(stored.at(-1) as Item);
  return {
    stream: { streamId, streamType, revision: lastRevision, updatedAt: newest.createdAt },
    firstRevision,
    lastRevision,
  };
}
