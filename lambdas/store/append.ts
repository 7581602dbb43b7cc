/**
 * How an append works. One event: a strongly consistent read of the stream's head (skipped when this process
 * already knows the expected revision exists, see heads.ts) and one conditional PutItem of revision n+1 — no
 * stream header item, no transaction. Several events: one TransactWriteItems with the same condition on each.
 * The condition `attribute_not_exists` on the new revision is the whole concurrency control: of two writers of
 * revision n+1 one wins, the other learns what is stored there.
 *
 * A retry of an append whose events are already stored at that position (same eventIds and content) returns the
 * original result and writes nothing.
 */
import { randomUUID } from "node:crypto";
import { PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, plainItem, type StoreTable, throttled } from "./dynamo.ts";
import {
  InvalidInputError,
  StreamNotFoundError,
  ThrottledError,
  TooLargeError,
  WrongExpectedRevisionError,
} from "./errors.ts";
import type { KnownHead, StreamHead, StreamHeads } from "./heads.ts";
import {
  eventItem,
  type Item,
  itemSizeBytes,
  maxItemBytes,
  maxTransactionBytes,
  maxTransactionItems,
  type NewEventWithId,
  putNewEvent,
  putNewEvents,
  queryEvents,
  recordedEvent,
  sameEvent,
} from "./items.ts";
import { type AppendResult, type ExpectedRevision, isoTime, type NewEvent } from "./model.ts";

export interface AppendContext {
  table: StoreTable;
  heads: StreamHeads;
  /** Milliseconds since the epoch. */
  now: () => number;
  onContention?: (() => void) | undefined;
}

/** How often an append with "any" / "stream-exists" re-reads and retries when other writers win the race. */
const maxContendedAttempts = 64;

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
  const events: NewEventWithId[] = newEvents.map((event) => ({ ...event, eventId: event.eventId ?? randomUUID() }));
  checkLimits(events.map((event, index) => eventItem(streamType, streamId, index + 1, event, isoTime(0))));
  const exactRevision = expected === "no-stream" ? 0 : typeof expected === "number" ? expected : undefined;

  for (let attempt = 1; ; attempt++) {
    const head = await headForAppend(context, streamId, exactRevision, attempt);
    if (head && head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    const current = head?.revision ?? 0;

    if (exactRevision !== undefined && current !== exactRevision) {
      const original =
        current > exactRevision
          ? await findAppended(context, streamType, streamId, exactRevision + 1, events)
          : undefined;
      if (original) return original;
      throw wrongRevision(streamId, current, expected);
    }
    if (expected === "stream-exists" && current === 0) throw wrongRevision(streamId, 0, expected);
    if (exactRevision === undefined && head && "eventId" in head && head.eventId === events.at(-1)?.eventId) {
      const original = await findAppended(context, streamType, streamId, current - events.length + 1, events);
      if (original) return original;
    }

    const firstRevision = current + 1;
    // Never earlier than the predecessor, so updatedAt only grows even if clocks of writers disagree.
    const createdAt = laterTime(isoTime(context.now()), head?.updatedAt);
    const items = events.map((event, index) =>
      eventItem(streamType, streamId, firstRevision + index, event, createdAt),
    );
    const outcome = await writeNewEvents(context.table, items);
    if (outcome.kind === "written") {
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
      const original = await findAppended(context, streamType, streamId, firstRevision, events);
      if (original) return original;
    }
    if (exactRevision !== undefined && outcome.kind === "occupied") {
      const latest = await context.heads.read(streamId, "append");
      throw wrongRevision(streamId, latest?.revision ?? 0, expected);
    }
    if (attempt >= maxContendedAttempts) {
      throw new ThrottledError(`stream ${streamId} is contended by other writers; retry shortly`);
    }
    context.onContention?.();
    await sleep(Math.random() * Math.min(100, 2 ** attempt));
  }
}

/**
 * What the append builds on. "no-stream" needs nothing: the condition on revision 1 is the whole check. An exact
 * expectation that this process already saw as the stream's newest revision needs no read either. Everything
 * else reads the head, strongly consistent.
 */
async function headForAppend(
  context: AppendContext,
  streamId: string,
  exactRevision: number | undefined,
  attempt: number,
): Promise<StreamHead | KnownHead | undefined> {
  if (exactRevision === 0) return undefined;
  const known = context.heads.known(streamId);
  if (attempt === 1 && known && known.revision === exactRevision) return known;
  return context.heads.read(streamId, "append");
}

/**
 * The result of an earlier append of exactly these events starting at `firstRevision`, or undefined if the
 * events stored there are not these.
 */
async function findAppended(
  context: AppendContext,
  streamType: string,
  streamId: string,
  firstRevision: number,
  events: NewEventWithId[],
): Promise<AppendResult | undefined> {
  if (firstRevision < 1) return undefined;
  const lastRevision = firstRevision + events.length - 1;
  const range = { from: firstRevision, to: lastRevision };
  const output = await context.table.query(
    "append",
    queryEvents(context.table.tableName, streamId, range, true, events.length),
  );
  const stored = output.Items ?? [];
  const same =
    stored.length === events.length &&
    events.every((event, index) =>
      sameEvent(stored[index] as Item, eventItem(streamType, streamId, firstRevision + index, event, "")),
    );
  if (!same) return undefined;
  const newest = recordedEvent(stored.at(-1) as Item);
  return {
    stream: { streamId, streamType, revision: lastRevision, updatedAt: newest.createdAt },
    firstRevision,
    lastRevision,
  };
}

async function writeNewEvents(table: StoreTable, items: Item[]): Promise<WriteOutcome> {
  if (items.length === 1) {
    try {
      await table.send("append", (client) =>
        client.send(new PutCommand(putNewEvent(table.tableName, items[0] as Item))),
      );
      return { kind: "written" };
    } catch (error) {
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
      return { kind: "occupied", existing: plainItem((error as { Item?: unknown }).Item) };
    }
  }
  try {
    await table.send("append", (client) => client.send(new TransactWriteCommand(putNewEvents(table.tableName, items))));
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

function wrongRevision(
  streamId: string,
  currentRevision: number,
  expected: ExpectedRevision,
): WrongExpectedRevisionError {
  const expectation = typeof expected === "number" ? `revision ${expected}` : `"${expected}"`;
  return new WrongExpectedRevisionError(
    `stream ${streamId} is at revision ${currentRevision}; the append expected ${expectation}`,
    currentRevision,
  );
}

/**
 * DynamoDB's limits, which the store must enforce whoever calls it: 1 to 100 items per transaction, 400 KB per
 * event, 4 MB per append. (The API checks its input before; these guard the store's own invariants.)
 */
function checkLimits(items: Item[]): void {
  if (items.length === 0 || items.length > maxTransactionItems) {
    throw new InvalidInputError(`an append carries 1 to ${maxTransactionItems} events, got ${items.length}`, {
      events: [`must hold 1 to ${maxTransactionItems} events`],
    });
  }
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

function laterTime(time: string, other: string | undefined): string {
  return other !== undefined && other > time ? other : time;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
