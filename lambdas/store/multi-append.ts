import type { TransactWriteItem } from "@aws-sdk/client-dynamodb";
import {
  type AppendContext,
  aboveMarker,
  afterMarker,
  checkSizes,
  findRetried,
  maxContendedAttempts,
  readBeforeAppend,
  sleep,
} from "./append.ts";
import { errorName, throttled } from "./dynamo.ts";
import {
  InvalidInputError,
  type StreamExpectationFailure,
  StreamNotFoundError,
  StreamsConflictError,
  ThrottledError,
} from "./errors.ts";
import type { KnownHead } from "./heads.ts";
import { matchWindow } from "./idempotency.ts";
import { eventCondition, type Item, maxTransactionItems, type NewEventWithId, putNewEvents } from "./items.ts";
import { eventsToWrite, itemForLimits, StagedPayloads, stagedItems } from "./large-payloads.ts";
import { type AppendResult, type ExpectedRevision, isoTime, laterTime, type NewEvent } from "./model.ts";
import { expiryOf } from "./retention.ts";

export interface StreamWrite {
  streamType: string;
  streamId: string;
  expected: ExpectedRevision;
  events: NewEvent[];
}

/** A stream the append reads but does not write: its expectation must hold when the others are written. */
export interface StreamCheck {
  streamType: string;
  streamId: string;
  /** Anything but "any", which would check nothing. */
  expected: Exclude<ExpectedRevision, "any">;
}

/** The revisions an attempt writes a stream's events at, for an extension to build on. */
export interface PlannedWrite {
  streamType: string;
  streamId: string;
  firstRevision: number;
  /** The time the attempt gives the stream's new events. */
  createdAt: string;
  /** Their expiry from their type's maxAge (retention.ts). */
  expiresAt: number | undefined;
  events: NewEventWithId[];
}

/** Items a caller adds to the transaction, and attributes it adds to each event item (per write, per event). */
export interface TransactionExtension {
  /** How many items `prepare` adds at most (counted against DynamoDB's 100 before anything is read). */
  itemCount: number;
  /**
   * The extension recognises a retry of this append itself (the DCB, by its condition: see dcb.ts), so the streams'
   * idempotency windows need not be read.
   */
  recognisesRetries?: boolean;
  prepare(planned: PlannedWrite[]): Promise<{ items: TransactWriteItem[]; eventAttributes: Item[][] }>;
}

export interface MultiAppendResult {
  /** One per stream written, in the order of the request. */
  appends: AppendResult[];
  /** True when these events were stored already: a retry, answered as the original. */
  retried: boolean;
}

type StreamPlan =
  | { kind: "write"; head: KnownHead | undefined; firstRevision: number }
  | { kind: "retried"; result: AppendResult }
  | { kind: "failed"; failure: StreamExpectationFailure };

export async function appendToStreams(
  context: AppendContext,
  writes: StreamWrite[],
  checks: StreamCheck[],
  extension?: TransactionExtension,
): Promise<MultiAppendResult> {
  checkShape(writes, checks, extension?.itemCount ?? 0);
  const withIds = await Promise.all(
    writes.map(async (write) => ({
      ...write,
      // Generated eventIds are new by construction: only client-given ones can make a retry, worth looking for.
      mayBeRetry: !extension?.recognisesRetries && write.events.some((event) => event.eventId !== undefined),
      events: await eventsToWrite(context.payloads, write.events, context.subjects),
    })),
  );
  checkSizes(
    withIds.flatMap((write) =>
      write.events.map((event) => itemForLimits(context.payloads, write.streamType, write.streamId, event)),
    ),
  );

  for (let attempt = 1; ; attempt++) {
    const [writePlans, checkPlans] = await Promise.all([
      Promise.all(withIds.map((write) => planWrite(context, write, attempt))),
      Promise.all(checks.map((check) => planCheck(context, check, attempt))),
    ]);
    const retried = writePlans.filter((plan) => plan.kind === "retried");
    if (retried.length === writePlans.length) return { appends: retried.map((plan) => plan.result), retried: true };
    const failures = [...writePlans, ...checkPlans].filter((plan) => plan.kind === "failed");
    // Some streams hold these events and others do not: no retry of an all-or-nothing append, a conflict.
    for (const [index, plan] of writePlans.entries()) {
      if (plan.kind !== "retried") continue;
      const write = withIds[index] as (typeof withIds)[number];
      failures.push({ kind: "failed", failure: failureOf(write, plan.result.lastRevision) });
    }
    if (failures.length > 0) throw new StreamsConflictError(failures.map((plan) => plan.failure));

    const createdAt = isoTime(context.now());
    const planned = withIds.map((write, index) => {
      const plan = writePlans[index] as Extract<StreamPlan, { kind: "write" }>;
      const at = laterTime(createdAt, plan.head?.updatedAt);
      const expiresAt = expiryOf(context.retention, write.streamType, at);
      return { ...write, firstRevision: plan.firstRevision, createdAt: at, expiresAt };
    });
    const extra = extension ? await extension.prepare(planned) : { items: [], eventAttributes: [] };
    const staged = new StagedPayloads(context.payloads);
    const eventItems = await Promise.all(
      planned.map(async (write, w) =>
        (await stagedItems(staged, { ...write, now: context.now() }, write.events)).map((item, e) => ({
          ...item,
          ...extra.eventAttributes[w]?.[e],
        })),
      ),
    ).catch(async (error: unknown) => {
      await staged.discard();
      throw error;
    });
    const conditions = checks.map((check, index) => {
      const plan = checkPlans[index] as Extract<StreamPlan, { kind: "write" }>;
      const current = plan.head?.revision ?? 0;
      // "stream-exists": its newest event is there; an exact revision: nothing was written after it.
      const exists = check.expected === "stream-exists";
      return {
        ConditionCheck: eventCondition(context.table.tableName, check.streamId, current + (exists ? 0 : 1), exists),
      };
    });
    const items: TransactWriteItem[] = [
      ...(putNewEvents(context.table.tableName, eventItems.flat()).TransactItems ?? []),
      ...conditions,
      ...extra.items,
    ];
    // A write that throws may still have been applied (an answer lost to a timeout): its objects stay, for the
    // sweep to judge by the event items. Only a cancellation, which writes nothing, lets them go now.
    const written = await writeTransaction(context, items);
    if (!written) await staged.discard();
    else {
      const appends = planned.map(appendedTo);
      for (const { stream } of appends) context.heads.remember(stream.streamId, stream);
      return { appends, retried: false };
    }
    if (attempt >= maxContendedAttempts) {
      throw new ThrottledError("the streams of this append are contended by other writers; retry shortly");
    }
    context.onContention?.();
    await sleep(Math.random() * Math.min(100, 2 ** attempt));
  }
}

/** What an append of the planned events answers for their stream. */
function appendedTo(write: PlannedWrite): AppendResult {
  const lastRevision = write.firstRevision + write.events.length - 1;
  const { streamId, streamType, createdAt: updatedAt } = write;
  return {
    stream: { streamId, streamType, revision: lastRevision, updatedAt },
    firstRevision: write.firstRevision,
    lastRevision,
  };
}

/** What one stream written builds on, decided as a single append decides it (append.ts). */
async function planWrite(
  context: AppendContext,
  write: Omit<StreamWrite, "events"> & { events: NewEventWithId[]; mayBeRetry: boolean },
  attempt: number,
): Promise<StreamPlan> {
  const { streamType, streamId, expected, events, mayBeRetry } = write;
  const exactRevision = exactOf(expected);
  const { head, window } = await readFirst(context, streamId, exactRevision, mayBeRetry, attempt);
  if (head && head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  const current = head?.revision ?? 0;
  const expectedHere = afterMarker(head, streamType, streamId, expected, exactRevision);
  if (expectedHere !== undefined && current !== expectedHere) {
    const original = await findRetried(context, streamType, streamId, events, expectedHere, current, mayBeRetry);
    return original ? { kind: "retried", result: original } : { kind: "failed", failure: failureOf(write, current) };
  }
  if (current === 0 && expected === "stream-exists") return { kind: "failed", failure: failureOf(write, 0) };
  if (window) {
    const match = matchWindow(aboveMarker(window), streamType, streamId, events);
    if (match.kind === "retry") return { kind: "retried", result: match.result };
    if (match.kind === "mixed") return { kind: "failed", failure: failureOf(write, current) };
  }
  return { kind: "write", head, firstRevision: current + 1 };
}

async function planCheck(context: AppendContext, check: StreamCheck, attempt: number): Promise<StreamPlan> {
  const exactRevision = exactOf(check.expected);
  const { head } = await readFirst(context, check.streamId, exactRevision, false, attempt);
  if (head && head.streamType !== check.streamType) throw new StreamNotFoundError(check.streamType, check.streamId);
  const current = head?.revision ?? 0;
  const expectedHere = afterMarker(head, check.streamType, check.streamId, check.expected, exactRevision);
  const holds = check.expected === "stream-exists" ? current > 0 : current === expectedHere;
  return holds
    ? { kind: "write", head, firstRevision: current + 1 }
    : { kind: "failed", failure: failureOf(check, current) };
}

/**
 * What a stream of a multi-append builds on: as a single append reads it (append.ts), except that "no-stream" reads
 * the head too, so that a 409 names such a stream with its revision along with every other that failed.
 */
function readFirst(
  context: AppendContext,
  streamId: string,
  exactRevision: number | undefined,
  mayBeRetry: boolean,
  attempt: number,
): ReturnType<typeof readBeforeAppend> {
  if (exactRevision === 0) return context.heads.read(streamId, "append").then((head) => ({ head }));
  return readBeforeAppend(context, streamId, exactRevision, mayBeRetry, attempt);
}

function exactOf(expected: ExpectedRevision): number | undefined {
  return expected === "no-stream" ? 0 : typeof expected === "number" ? expected : undefined;
}

function failureOf(
  stream: { streamType: string; streamId: string; expected: ExpectedRevision },
  currentRevision: number,
): StreamExpectationFailure {
  return {
    streamType: stream.streamType,
    streamId: stream.streamId,
    expectedRevision: stream.expected,
    currentRevision,
  };
}

/**
 * The rules the API states too (the store keeps them whoever calls it): at least one stream written, no stream
 * named twice, and DynamoDB's 100 items per transaction for the events, the checks and the caller's items together.
 */
function checkShape(writes: StreamWrite[], checks: StreamCheck[], extensionItems: number): void {
  if (writes.length === 0) {
    throw new InvalidInputError("a multi-stream append writes at least one stream", {
      appends: ["must name at least one stream to append to"],
    });
  }
  const seen = new Set<string>();
  const errors: Record<string, string[]> = {};
  const named = [
    ...writes.map((write, index) => [`appends[${index}]`, write] as const),
    ...checks.map((check, index) => [`checks[${index}]`, check] as const),
  ];
  for (const [field, stream] of named) {
    if (seen.has(stream.streamId)) errors[`${field}.streamId`] = ["names a stream this request names already"];
    seen.add(stream.streamId);
    if (field.startsWith("appends") && (stream as StreamWrite).events.length === 0) {
      errors[`${field}.events`] = ["must hold at least one event"];
    }
  }
  if (Object.keys(errors).length > 0) throw new InvalidInputError("streams are named twice or empty", errors);
  const events = writes.reduce((sum, write) => sum + write.events.length, 0);
  const items = events + checks.length + extensionItems;
  if (items > maxTransactionItems) {
    const parts = `${events} events + ${checks.length} checks${extensionItems ? ` + ${extensionItems} index items` : ""}`;
    throw new InvalidInputError(
      `one append writes at most ${maxTransactionItems} items in DynamoDB's one transaction, this one ${items} (${parts})`,
      { appends: [`${parts} make ${items} items; DynamoDB takes at most ${maxTransactionItems} in one transaction`] },
    );
  }
}

/** True when written; false when cancelled by a condition or another transaction (the caller reads again). */
async function writeTransaction(context: AppendContext, items: TransactWriteItem[]): Promise<boolean> {
  try {
    await context.table.transactWriteItems("append", { TransactItems: items, ReturnConsumedCapacity: "INDEXES" });
    return true;
  } catch (error) {
    if (errorName(error) === "TransactionConflictException") return false;
    if (errorName(error) !== "TransactionCanceledException") throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    if (reasons.some((reason) => reason.Code === "ThrottlingError")) throw throttled();
    return false;
  }
}
