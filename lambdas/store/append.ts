import { errorName, plainItem, type StoreTable, throttled } from "./dynamo.ts";
import {
  InvalidInputError,
  StreamDeletedError,
  StreamNotFoundError,
  ThrottledError,
  TooLargeError,
  WrongExpectedRevisionError,
} from "./errors.ts";
import type { KnownHead, StreamHead, StreamHeads } from "./heads.ts";
import { findAppended, matchWindow, readWindow } from "./idempotency.ts";
import {
  type Item,
  itemSizeBytes,
  maxItemBytes,
  maxTransactionBytes,
  maxTransactionItems,
  type NewEventWithId,
  putNewEvent,
  putNewEvents,
  sameEvent,
} from "./items.ts";
import { eventsToWrite, itemForLimits, type LargePayloads, StagedPayloads, stagedItems } from "./large-payloads.ts";
import { markerOf } from "./lifecycle-items.ts";
import { type AppendResult, type ExpectedRevision, isoTime, laterTime, type NewEvent } from "./model.ts";
import { expiryOf, type RetentionByType } from "./retention.ts";
import type { SubjectKeys } from "./subject-keys.ts";

export interface AppendContext {
  table: StoreTable;
  heads: StreamHeads;
  /** Milliseconds since the epoch. */
  now: () => number;
  onContention?: (() => void) | undefined;
  /** How many of a stream's newest events the idempotency check looks at. */
  idempotencyWindow: number;
  /** Where payloads over the inline threshold go (large-payloads.ts); absent, they are refused as too large. */
  payloads?: LargePayloads | undefined;
  /** The subjects' data keys, which seal personal data (subject-keys.ts); absent, personal data is refused. */
  subjects?: SubjectKeys | undefined;
  /** Each stream type's retention (retention.ts): a type's maxAge gives its new events their expiry. */
  retention?: RetentionByType | undefined;
}

/**
 * How often an append with "any" / "stream-exists" (or a delete, a truncation) re-reads and retries when other writers
 * win the race.
 */
export const maxContendedAttempts = 64;

type WriteOutcome =
  | { kind: "written" }
  /** The first revision is taken; `existing` is what is stored there. */
  | { kind: "occupied"; existing: Item | undefined }
  /** A concurrent transaction touched the same items; nothing was written. */
  | { kind: "contended" };

/** Appends events atomically if the stream is in the state `expected` describes. Input is checked by the caller. */
export async function appendEvents(
  context: AppendContext,
  streamType: string,
  streamId: string,
  expected: ExpectedRevision,
  newEvents: NewEvent[],
): Promise<AppendResult> {
  const events = await eventsToWrite(context.payloads, newEvents, context.subjects);
  checkLimits(events.map((event) => itemForLimits(context.payloads, streamType, streamId, event)));
  const exactRevision = expected === "no-stream" ? 0 : typeof expected === "number" ? expected : undefined;
  // Generated eventIds are new by construction; only client-given ones can make a retry.
  const mayBeRetry = newEvents.some((event) => event.eventId !== undefined);

  for (let attempt = 1; ; attempt++) {
    const { head, window } = await readBeforeAppend(context, streamId, exactRevision, mayBeRetry, attempt);
    if (head && head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    const current = head?.revision ?? 0;
    const expectedHere = afterMarker(head, streamType, streamId, expected, exactRevision);
    // Appending to a stream that must exist: no stream is "not found", not a conflict (SPEC section 3, edges).
    if (current === 0 && (expected === "stream-exists" || (exactRevision ?? 0) > 0)) {
      throw new StreamNotFoundError(streamType, streamId);
    }

    if (expectedHere !== undefined && current !== expectedHere) {
      const original = await findRetried(context, streamType, streamId, events, expectedHere, current, mayBeRetry);
      if (original) return original;
      throw wrongRevision(streamId, current, expected);
    }
    if (window) {
      const match = matchWindow(aboveMarker(window), streamType, streamId, events);
      if (match.kind === "retry") return match.result;
      if (match.kind === "mixed") throw new WrongExpectedRevisionError(`stream ${streamId}: ${match.detail}`, current);
    }

    const firstRevision = current + 1;
    // Never earlier than the predecessor, so updatedAt only grows even if clocks of writers disagree.
    const createdAt = laterTime(isoTime(context.now()), head?.updatedAt);
    const staged = new StagedPayloads(context.payloads);
    const expiresAt = expiryOf(context.retention, streamType, createdAt);
    const stream = { streamType, streamId, firstRevision, createdAt, now: context.now(), expiresAt };
    const items = await stagedItems(staged, stream, events).catch(async (error: unknown) => {
      await staged.discard();
      throw error;
    });
    // A write that throws may still have been applied (an answer lost to a timeout): its objects stay, for the
    // sweep to judge by the event item. Only an answer that says "not written" lets them go now.
    const outcome = await writeNewEvents(context.table, items);
    if (outcome.kind !== "written") await staged.discard();
    else {
      const lastRevision = firstRevision + items.length - 1;
      context.heads.remember(streamId, { revision: lastRevision, streamType, updatedAt: createdAt });
      return {
        stream: { streamId, streamType, revision: lastRevision, updatedAt: createdAt },
        firstRevision,
        lastRevision,
      };
    }
    const first = items[0] as Item;
    if (outcome.kind === "occupied" && outcome.existing && sameEvent(outcome.existing, first)) {
      const original = await findAppended(context.table, streamType, streamId, firstRevision, events);
      if (original) return original;
    }
    if (exactRevision !== undefined && outcome.kind === "occupied") {
      const latest = await context.heads.read(streamId, "append");
      if (!latest?.marker) throw wrongRevision(streamId, latest?.revision ?? 0, expected);
      // A delete took the revision: 410, 404, or ("no-stream", which wrote revision 1 without reading) go on after
      // the soft delete's marker at the next attempt.
      afterMarker(latest, streamType, streamId, expected, exactRevision);
    }
    // Another writer won the race, or a transaction held the items: read again and retry. "any" and
    // "stream-exists" then write after the winner; an exact expectation learns that the stream moved on.
    await afterLostRace(attempt, streamId, "retry", context.onContention);
  }
}

/**
 * After another writer won the race for a stream's next revision: waits a random, growing while before the next
 * attempt (`onRetry` told), or gives up after maxContendedAttempts with a 503 that says to `retry` shortly. Appends,
 * deletes and truncations share it: a writer that does not back off may keep winning, never for ever.
 */
export async function afterLostRace(
  attempt: number,
  streamId: string,
  retry: string,
  onRetry?: () => void,
): Promise<void> {
  if (attempt >= maxContendedAttempts) {
    throw new ThrottledError(`stream ${streamId} is contended by other writers; ${retry} shortly`);
  }
  onRetry?.();
  await sleep(Math.random() * Math.min(100, 2 ** attempt));
}

/**
 * What the append builds on. "no-stream" needs nothing: the condition on revision 1 is the whole check. An exact
 * expectation that this process already saw as the stream's newest revision needs no read either. "any" and
 * "stream-exists" with client-given eventIds read the idempotency window (its newest event is the head).
 * Everything else reads the head, strongly consistent.
 */
export async function readBeforeAppend(
  context: AppendContext,
  streamId: string,
  exactRevision: number | undefined,
  mayBeRetry: boolean,
  attempt: number,
): Promise<{ head: KnownHead | undefined; window?: Item[] }> {
  if (exactRevision === 0 && attempt === 1) return { head: undefined };
  const known = context.heads.known(streamId);
  if (attempt === 1 && known && known.revision === exactRevision) return { head: known };
  if (exactRevision !== undefined || !mayBeRetry) return { head: await context.heads.read(streamId, "append") };
  // The window is the stream's newest events, newest first: its first is the head.
  const window = await readWindow(context.table, streamId, context.idempotencyWindow);
  return { head: context.heads.rememberNewest(streamId, window[0]), window };
}

/**
 * What an append expects of a stream whose newest item is a delete's marker (lifecycle.ts), as an exact revision to
 * hold against the head; for any other head, `exactRevision` unchanged. A tombstone refuses every append (410). A
 * soft-deleted stream does not exist ("stream-exists" and old revisions: 404), but "no-stream", "any" and the
 * marker's own revision append after the marker: its revisions go on, as EventStoreDB's do.
 */
export function afterMarker(
  head: StreamHead | KnownHead | undefined,
  streamType: string,
  streamId: string,
  expected: ExpectedRevision,
  exactRevision: number | undefined,
): number | undefined {
  const marker = head && "marker" in head ? head.marker : undefined;
  if (!head || !marker) return exactRevision;
  if (marker === "tombstone") throw new StreamDeletedError(streamType, streamId);
  const onMarker = exactRevision === undefined || exactRevision === 0 || exactRevision === head.revision;
  if (expected === "stream-exists" || !onMarker) throw new StreamNotFoundError(streamType, streamId);
  return exactRevision === undefined ? undefined : head.revision;
}

/** The idempotency window above a delete's marker: what was deleted is no longer there to be retried onto. */
export function aboveMarker(window: Item[]): Item[] {
  const marker = window.findIndex((item) => markerOf(item) !== undefined);
  return marker === -1 ? window : window.slice(0, marker);
}

/**
 * An exact expectation the stream no longer meets: a retry whose original went through finds its events where it
 * expected them; failing that, anywhere in the window (which only client-given eventIds can match).
 */
export async function findRetried(
  context: AppendContext,
  streamType: string,
  streamId: string,
  events: NewEventWithId[],
  exactRevision: number,
  current: number,
  mayBeRetry: boolean,
): Promise<AppendResult | undefined> {
  if (current <= exactRevision) return undefined;
  const original = await findAppended(context.table, streamType, streamId, exactRevision + 1, events);
  if (original || !mayBeRetry) return original;
  const window = await readWindow(context.table, streamId, context.idempotencyWindow);
  const match = matchWindow(window, streamType, streamId, events);
  return match.kind === "retry" ? match.result : undefined;
}

async function writeNewEvents(table: StoreTable, items: Item[]): Promise<WriteOutcome> {
  if (items.length === 1) {
    try {
      await table.putItem("append", putNewEvent(table.tableName, items[0] as Item));
      return { kind: "written" };
    } catch (error) {
      // A transaction of another writer holds the stream's items (seen in AWS, not in DynamoDB Local): contention.
      if (errorName(error) === "TransactionConflictException") return { kind: "contended" };
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
      return { kind: "occupied", existing: plainItem((error as { Item?: unknown }).Item) };
    }
  }
  try {
    await table.transactWriteItems("append", putNewEvents(table.tableName, items));
    return { kind: "written" };
  } catch (error) {
    if (errorName(error) !== "TransactionCanceledException") throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string; Item?: unknown }[] }).CancellationReasons ?? [];
    const occupied = reasons.find((reason) => reason.Code === "ConditionalCheckFailed");
    if (occupied) return { kind: "occupied", existing: plainItem(occupied.Item) };
    if (reasons.some((reason) => reason.Code === "ThrottlingError")) throw throttled();
    return { kind: "contended" };
  }
}

export function wrongRevision(
  streamId: string,
  currentRevision: number,
  expected: ExpectedRevision,
): WrongExpectedRevisionError {
  // Said in terms of both the expected revision and the one the append would write: a PUT names the latter.
  const expectation =
    typeof expected === "number"
      ? `expected it at revision ${expected} (to write revision ${expected + 1})`
      : `expected "${expected}"`;
  return new WrongExpectedRevisionError(
    `stream ${streamId} is at revision ${currentRevision}; the append ${expectation}`,
    currentRevision,
  );
}

/**
 * DynamoDB's limits, which the store must enforce whoever calls it: 1 to 100 items per transaction, 400 KB per
 * event, 4 MB per append. (The API checks its input before; these guard the store's own invariants.)
 */
export function checkLimits(items: Item[]): void {
  if (items.length === 0 || items.length > maxTransactionItems) {
    throw new InvalidInputError(`an append carries 1 to ${maxTransactionItems} events, got ${items.length}`, {
      events: [`must hold 1 to ${maxTransactionItems} events`],
    });
  }
  checkSizes(items);
}

/** DynamoDB's size limits on the items of one write: 400 KB per event, 4 MB together. */
export function checkSizes(items: Item[]): void {
  let total = 0;
  for (const item of items) {
    const size = itemSizeBytes(item);
    if (size > maxItemBytes) {
      throw new TooLargeError(
        `an event takes ${size} bytes as a DynamoDB item; the limit is ${maxItemBytes} bytes (400 KB) per event`,
        maxItemBytes,
      );
    }
    total += size;
  }
  if (total > maxTransactionBytes) {
    throw new TooLargeError(
      `the events take ${total} bytes together; one append may write at most ${maxTransactionBytes} bytes (4 MB)`,
      maxTransactionBytes,
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
