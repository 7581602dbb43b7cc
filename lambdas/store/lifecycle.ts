/**
 * Deleting and truncating streams (SPEC section 13). A delete or truncation hides at once, in one transaction, and
 * records a removal operation that deletes the hidden items later, step by step (removeHidden, run by the operations
 * worker): hiding is what readers see, removal is what storage sees.
 *
 * A delete writes a marker at the stream's next revision, on the same condition as an append writes an event, so a
 * delete and an append racing for that revision cannot both win: the conditional write of the next revision is the
 * store's one concurrency mechanism. (EventStoreDB's soft delete takes no revision; here the marker does, and the
 * stream's revisions go on after it.) A soft delete hides every event up to its marker; a hard delete marks a
 * tombstone, after which no append can be written (410). A truncation only raises what is hidden.
 */
import { randomUUID } from "node:crypto";
import { BatchWriteCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterLostRace, sleep } from "./append.ts";
import { errorName, type StoreTable } from "./dynamo.ts";
import {
  InvalidInputError,
  StreamDeletedError,
  StreamNotFoundError,
  ThrottledError,
  WrongExpectedRevisionError,
} from "./errors.ts";
import type { StreamHead, StreamHeads } from "./heads.ts";
import { maxRevision } from "./items.ts";
import {
  type LifecycleWrite,
  lifecycleTransaction,
  markerOf,
  queryHiddenItems,
  removalKeyAt,
  streamItemKey,
  type TransactionPart,
  transactionParts,
} from "./lifecycle-items.ts";
import { isoTime, type Operation, type RemovalRequest } from "./model.ts";
import type { PayloadObjects } from "./payload-objects.ts";
import { readSettings } from "./read.ts";
import {
  effectiveRetention,
  eventTimesOf,
  firstKeptByCount,
  isExpired,
  type Retention,
  type RetentionByType,
} from "./retention.ts";
import { queryEventTimes } from "./retention-items.ts";
import { tableDefinition } from "./table.ts";

export interface LifecycleContext {
  table: StoreTable;
  heads: StreamHeads;
  now: () => number;
  retention?: RetentionByType | undefined;
  payloads?: { objects: PayloadObjects } | undefined;
}

export interface DeleteOptions {
  /** Delete only if the stream is at this revision (else 409). */
  expectedRevision?: number | undefined;
  /** A tombstone: the stream can never be written again. */
  hard?: boolean | undefined;
  /** Who asked, for the record. */
  requestedBy: string;
}

/** What a truncation did: its removal operation, or nothing when events before that revision were hidden already. */
export type TruncateResult = { operation: Operation } | { operation: undefined; hiddenBelow: number };

/** Hides the stream (soft) or ends it (hard) and records the removal operation of its items (pending). */
export async function deleteStream(
  context: LifecycleContext,
  streamType: string,
  streamId: string,
  options: DeleteOptions,
): Promise<Operation> {
  const action = options.hard ? "hard-delete" : "delete";
  let counted = true;
  for (let attempt = 1; ; attempt++) {
    const head = await existingHead(context, streamType, streamId, action);
    if (options.expectedRevision !== undefined && head.revision !== options.expectedRevision) {
      throw new WrongExpectedRevisionError(
        `stream ${streamId} is at revision ${head.revision}; the delete expected revision ${options.expectedRevision}`,
        head.revision,
      );
    }
    const markerRevision = head.revision + 1;
    const hiddenBelow = options.hard ? maxRevision : markerRevision + 1;
    const request: RemovalRequest = {
      streamType,
      streamId,
      action,
      ...(options.expectedRevision !== undefined ? { expectedRevision: options.expectedRevision } : {}),
      hiddenBelow,
      markerRevision,
      requestedBy: options.requestedBy,
    };
    const write: LifecycleWrite = {
      streamType,
      streamId,
      hiddenBelow,
      tombstone: options.hard === true,
      marker: { revision: markerRevision, kind: options.hard ? "tombstone" : "deleted" },
      // A stream already soft-deleted is out of the listing and its count.
      unlist: { counted: counted && head.marker === undefined },
      ...timesOf(context.now()),
      operation: removalOperation(request, context.now()),
    };
    const failed = await transact(context.table, write);
    if (!failed) return write.operation;
    // Lost the marker's revision to an append (or another delete): with an expectation that is a conflict.
    if (failed === "marker" && options.expectedRevision !== undefined) {
      const latest = await context.heads.read(streamId, "append");
      if (latest?.marker === "tombstone") throw new StreamDeletedError(streamType, streamId);
      throw new WrongExpectedRevisionError(
        `stream ${streamId} moved on to revision ${latest?.revision ?? 0} while it was being deleted`,
        latest?.revision ?? 0,
      );
    }
    if (failed === "summary") counted = !counted;
    await retryLater(attempt, streamId);
  }
}

/** Hides the stream's events before `truncateBefore` (at most its revision + 1) and records their removal. */
export async function truncateStream(
  context: LifecycleContext,
  streamType: string,
  streamId: string,
  truncateBefore: number,
  requestedBy: string,
): Promise<TruncateResult> {
  for (let attempt = 1; ; attempt++) {
    const head = await existingHead(context, streamType, streamId, "truncate");
    if (truncateBefore > head.revision + 1) {
      throw new InvalidInputError(
        `stream ${streamId} is at revision ${head.revision}: truncateBefore may be at most ${head.revision + 1}`,
        { truncateBefore: [`must be at most the stream's revision + 1 (${head.revision + 1}), got ${truncateBefore}`] },
      );
    }
    const settings = await readSettings(context.table, streamId);
    const hidden = settings?.hiddenBelow ?? 1;
    if (truncateBefore <= hidden) return { operation: undefined, hiddenBelow: hidden };
    const request: RemovalRequest = {
      streamType,
      streamId,
      action: "truncate",
      truncateBefore,
      hiddenBelow: truncateBefore,
      requestedBy,
    };
    const write: LifecycleWrite = {
      streamType,
      streamId,
      hiddenBelow: truncateBefore,
      tombstone: false,
      ...timesOf(context.now()),
      operation: removalOperation(request, context.now()),
    };
    const failed = await transact(context.table, write);
    if (!failed) return { operation: write.operation };
    await retryLater(attempt, streamId);
  }
}

/**
 * Sets the stream's own retention limits (replacing those it had; none: its type's apply), hides at once what they no
 * longer keep and records a removal operation of those events, which also says who set what.
 */
export async function setStreamRetention(
  context: LifecycleContext,
  streamType: string,
  streamId: string,
  retention: Retention,
  requestedBy: string,
): Promise<Operation> {
  for (let attempt = 1; ; attempt++) {
    const head = await existingHead(context, streamType, streamId, "retention");
    const settings = await readSettings(context.table, streamId);
    const effective = effectiveRetention(context.retention?.[streamType], retention);
    const hiddenBelow = await retainedFrom(context, streamId, effective, head.revision, settings?.hiddenBelow ?? 1);
    const request: RemovalRequest = { streamType, streamId, action: "retention", retention, hiddenBelow, requestedBy };
    const write: LifecycleWrite = {
      streamType,
      streamId,
      hiddenBelow,
      tombstone: false,
      retention,
      ...timesOf(context.now()),
      operation: removalOperation(request, context.now()),
    };
    const failed = await transact(context.table, write);
    if (!failed) return write.operation;
    await retryLater(attempt, streamId);
  }
}

/**
 * The first revision that `retention` keeps of a stream at `headRevision`, never below `hiddenBelow`: by count, then
 * past the events older than maxAge (a prefix: times only grow along revisions), read from there with their times only.
 */
export async function retainedFrom(
  context: LifecycleContext,
  streamId: string,
  retention: Retention,
  headRevision: number,
  hiddenBelow: number,
): Promise<number> {
  let first = Math.max(hiddenBelow, firstKeptByCount(retention, headRevision));
  if (retention.maxAge === undefined) return first;
  const now = context.now();
  const sk = tableDefinition.sortKey.name;
  for (;;) {
    const { items, lastEvaluatedKey } = await context.table.queryItems(
      "lifecycle",
      queryEventTimes(context.table.tableName, streamId, first, 500),
    );
    for (const item of items) {
      // A marker in the way (a soft delete's) ages as the events do.
      if (!isExpired(eventTimesOf(item), retention, now)) return first;
      first = Number(item[sk]) + 1;
    }
    if (!lastEvaluatedKey) return Math.min(first, headRevision + 1);
  }
}

/** What one removal step did. */
export interface RemovalStep {
  /** Items deleted (events; payload objects go with them). */
  removed: number;
  /** The last revision looked at: the next step starts after it. */
  after: number;
  done: boolean;
}

/**
 * Deletes up to `limit` hidden items of the stream after revision `after` (BatchWriteItem, 25 a call, and their
 * payload objects), never a marker nor the settings: a tombstone and its settings stay, so the stream can never be
 * written again, and a soft delete's marker stays below the revisions that follow it. Idempotent.
 */
export async function removeHidden(
  context: LifecycleContext,
  request: RemovalRequest,
  after: number,
  limit: number,
): Promise<RemovalStep> {
  const { table } = context;
  const range = { from: Math.max(1, after + 1), below: request.hiddenBelow };
  if (range.from >= range.below) return { removed: 0, after, done: true };
  const { items, lastEvaluatedKey } = await table.queryItems(
    "lifecycle",
    queryHiddenItems(table.tableName, request.streamId, range, limit),
  );
  const events = items.filter((item) => markerOf(item) === undefined);
  const sk = tableDefinition.sortKey.name;
  for (let start = 0; start < events.length; start += 25) {
    const keys = events.slice(start, start + 25).map((item) => streamItemKey(request.streamId, Number(item[sk])));
    await batchDelete(table, keys);
  }
  const payloadKeys = events.flatMap((item) => (typeof item.payloadKey === "string" ? [item.payloadKey] : []));
  if (payloadKeys.length > 0) await context.payloads?.objects.delete(payloadKeys);
  const last = items.at(-1);
  return {
    removed: events.length,
    after: last ? Number(last[sk]) : after,
    done: lastEvaluatedKey === undefined && items.length < limit,
  };
}

/** The stream's newest item, which must be there: 404 when there is none, 410 after a hard delete. */
async function existingHead(
  context: LifecycleContext,
  streamType: string,
  streamId: string,
  action: RemovalRequest["action"],
): Promise<StreamHead> {
  const head = await context.heads.read(streamId, "append");
  if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  if (head.marker === "tombstone") throw new StreamDeletedError(streamType, streamId);
  // A soft-deleted stream does not exist; only a hard delete may still end it for good.
  if (head.marker === "deleted" && action !== "hard-delete") throw new StreamNotFoundError(streamType, streamId);
  return head;
}

function timesOf(now: number): { at: string; removalKey: number } {
  return { at: isoTime(now), removalKey: removalKeyAt(now) };
}

function removalOperation(request: RemovalRequest, now: number): Operation {
  const time = isoTime(now);
  return {
    id: randomUUID(),
    kind: "removal",
    state: "pending",
    createdAt: time,
    updatedAt: time,
    request,
    progress: { streams: 0, events: 0 },
    // Who asked is where every operation that records it keeps it (erasures too); the request keeps it as well.
    requestedBy: request.requestedBy,
    version: 1,
  };
}

/** Writes the transaction; undefined when written, else the part whose condition failed ("other" for contention). */
async function transact(table: StoreTable, write: LifecycleWrite): Promise<TransactionPart | "other" | undefined> {
  try {
    await table.send("lifecycle", (client) =>
      client.send(new TransactWriteCommand(lifecycleTransaction(table.tableName, write))),
    );
    return undefined;
  } catch (error) {
    if (errorName(error) === "TransactionConflictException") return "other";
    if (errorName(error) !== "TransactionCanceledException") throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    const index = reasons.findIndex((reason) => reason.Code === "ConditionalCheckFailed");
    if (reasons.some((reason) => reason.Code === "ThrottlingError")) {
      throw new ThrottledError("DynamoDB is throttling this table; retry shortly");
    }
    return index === -1 ? "other" : (transactionParts(write)[index] ?? "other");
  }
}

function retryLater(attempt: number, streamId: string): Promise<void> {
  return afterLostRace(attempt, streamId, "retry the delete or truncation");
}

async function batchDelete(table: StoreTable, keys: Record<string, unknown>[]): Promise<void> {
  let pending = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    const requests = pending;
    const output = await table.send("lifecycle", (client) =>
      client.send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: requests }, ReturnConsumedCapacity: "TOTAL" }),
      ),
    );
    pending = (output.UnprocessedItems?.[table.tableName] ?? []) as typeof pending;
    if (pending.length > 0) await sleep(Math.min(20 * 2 ** attempt, 1000));
  }
}
