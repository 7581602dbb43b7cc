/**
 * The storage model of the global feed (SPEC section 10): every key, item shape and command of it lives here.
 *
 *   batch       pk = `feed`, sk = batch number B: `events` (Binary: the batch's entries, see encodeEntries),
 *               `count`, `streamTypes` (L of S), `lastPosition`. One per batch of the change feed, written once
 *               with `attribute_not_exists(pk)`; batches are numbered 1, 2, 3, … in the order they were written.
 *   void        pk = `feed`, sk = B: `void` = true. A batch whose writer died before writing it, so that nobody
 *               ever writes it later (no back-fill). Readers skip it.
 *   type batch  pk = `feedType#<streamType>`, sk = B: the same shape holding only that type's entries (with their
 *               positions) and the batch's `lastPosition`: a type's feed is read from its own partition.
 *   head        pk = `feed#head`, sk = 0: `claimed` (the batch being written), `claimedAt`, `settled` (the newest
 *               batch whose items are all written), `settledAt`, `lastPosition`, `lastCreatedAt`, `voids` (recent
 *               void batches with the time they were voided). The lease of the one writer (see feed-index.ts).
 *
 * Positions: the i-th entry (from 0) of batch B is at position B × 2^14 + i, so a position names its batch and
 * positions grow with batches; a batch holds at most 2^14 entries (an event source batch at most 10,000).
 *
 * No pk here is a UUID (no stream meets them), and none carries an eventId or listPk, so neither the change feed
 * nor the listing sees them.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { GetCommandInput, PutCommandInput, QueryCommandInput, UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { type Item, ifAbsent, traceContextOf } from "./items.ts";
import type { TraceContext } from "./model.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;

/** Entries per batch, and so the distance between the first positions of consecutive batches. */
export const batchCapacity = 2 ** 14;

export const feedPartition = "feed";
const headKey = { [pk]: "feed#head", [sk]: 0 };

export function typePartition(streamType: string): string {
  return `feedType#${streamType}`;
}

export function batchOfPosition(position: number): number {
  return Math.floor(position / batchCapacity);
}

export function positionIn(batch: number, index: number): number {
  return batch * batchCapacity + index;
}

/** One event in the feed: what a feed page shows of it without its payload. */
export interface FeedEntry {
  position: number;
  streamId: string;
  streamType: string;
  revision: number;
  eventType: string;
  eventId: string;
  createdAt: string;
  traceContext?: TraceContext | undefined;
  /** Epoch seconds after which TTL may remove the event (retention.ts). */
  expiresAt?: number | undefined;
  /** The data subject of the event's personal data (personal-data.ts), so that a page without payloads names it. */
  subject?: string | undefined;
}

/**
 * A batch's entries as deflated JSON columns: stream types, event types and stream ids once each per batch,
 * times as millisecond offsets. About 40 bytes an event (two UUIDs are 32 of them), where an item per event
 * would cost a write unit each. A library codec (MessagePack) would not beat deflate on repeated names.
 */
export function encodeEntries(entries: FeedEntry[]): Uint8Array {
  const streamTypes = dictionary(entries.map((entry) => entry.streamType));
  const eventTypes = dictionary(entries.map((entry) => entry.eventType));
  const streamIds = dictionary(entries.map((entry) => entry.streamId));
  const base = Math.min(...entries.map((entry) => Date.parse(entry.createdAt)));
  const columns = {
    v: 1,
    base,
    streamTypes: streamTypes.values,
    eventTypes: eventTypes.values,
    streamIds: streamIds.values,
    position: entries.map((entry) => entry.position),
    type: entries.map((entry) => streamTypes.index.get(entry.streamType)),
    stream: entries.map((entry) => streamIds.index.get(entry.streamId)),
    revision: entries.map((entry) => entry.revision),
    eventType: entries.map((entry) => eventTypes.index.get(entry.eventType)),
    eventId: entries.map((entry) => entry.eventId),
    at: entries.map((entry) => Date.parse(entry.createdAt) - base),
    // Only batches that hold traced events pay for the trace context (about 30 bytes an event, deflated).
    ...(entries.some((entry) => entry.traceContext) ? traceColumns(entries) : {}),
    // Only batches that hold events with an expiry (their type's maxAge) pay for it: a reader hides them once due.
    ...(entries.some((entry) => entry.expiresAt !== undefined)
      ? { expires: entries.map((entry) => entry.expiresAt ?? null) }
      : {}),
    // And only batches with personal data pay for their subjects.
    ...(entries.some((entry) => entry.subject !== undefined)
      ? { subject: entries.map((entry) => entry.subject ?? null) }
      : {}),
  };
  return deflateRawSync(JSON.stringify(columns));
}

interface Columns {
  base: number;
  streamTypes: string[];
  eventTypes: string[];
  streamIds: string[];
  position: number[];
  type: number[];
  stream: number[];
  revision: number[];
  eventType: number[];
  eventId: string[];
  at: number[];
  traceparent?: (string | null)[];
  tracestate?: (string | null)[];
  expires?: (number | null)[];
  subject?: (string | null)[];
}

function traceColumns(entries: FeedEntry[]): Pick<Columns, "traceparent" | "tracestate"> {
  return {
    traceparent: entries.map((entry) => entry.traceContext?.traceparent ?? null),
    tracestate: entries.map((entry) => entry.traceContext?.tracestate ?? null),
  };
}

export function decodeEntries(bytes: Uint8Array): FeedEntry[] {
  const columns = JSON.parse(inflateRawSync(bytes).toString("utf8")) as Columns;
  return columns.position.map((position, i) => ({
    position,
    streamId: columns.streamIds[columns.stream[i] as number] as string,
    streamType: columns.streamTypes[columns.type[i] as number] as string,
    revision: columns.revision[i] as number,
    eventType: columns.eventTypes[columns.eventType[i] as number] as string,
    eventId: columns.eventId[i] as string,
    createdAt: new Date(columns.base + (columns.at[i] as number)).toISOString(),
    ...traceContextOf({ traceparent: columns.traceparent?.[i], tracestate: columns.tracestate?.[i] }),
    ...(typeof columns.expires?.[i] === "number" ? { expiresAt: columns.expires[i] as number } : {}),
    ...(typeof columns.subject?.[i] === "string" ? { subject: columns.subject[i] as string } : {}),
  }));
}

function dictionary(values: string[]): { values: string[]; index: Map<string, number> } {
  const index = new Map<string, number>();
  for (const value of values) if (!index.has(value)) index.set(value, index.size);
  return { values: [...index.keys()], index };
}

/** A batch item (global, or one type's share of it), written once. */
export function putBatch(
  tableName: string,
  partition: string,
  batch: number,
  entries: FeedEntry[],
  lastPosition: number,
  streamTypes: string[],
): PutCommandInput {
  return {
    TableName: tableName,
    Item: {
      [pk]: partition,
      [sk]: batch,
      events: encodeEntries(entries),
      count: entries.length,
      lastPosition,
      ...(partition === feedPartition ? { streamTypes } : {}),
    },
    // The global batch item is the commit point; a type's share is written again, the same, by a resuming writer.
    ...(partition === feedPartition ? ifAbsent : {}),
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** Marks a batch that was claimed and never written as void, unless it was written after all. */
export function putVoidBatch(tableName: string, batch: number): PutCommandInput {
  return {
    TableName: tableName,
    Item: { [pk]: feedPartition, [sk]: batch, void: true },
    ...ifAbsent,
    ReturnConsumedCapacity: "TOTAL",
  };
}

export function getBatch(tableName: string, batch: number): GetCommandInput {
  return { TableName: tableName, Key: { [pk]: feedPartition, [sk]: batch }, ConsistentRead: true };
}

/**
 * Batches of a partition from `fromBatch` on, oldest first, strongly consistent: a batch item is written only after
 * every earlier one (or its void mark), so what a reader sees is a prefix and nothing appears behind it later.
 */
export function queryBatches(
  tableName: string,
  partition: string,
  fromBatch: number,
  limit: number,
  exclusiveStartKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :partition AND #sk >= :from",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: { ":partition": partition, ":from": fromBatch },
    ConsistentRead: true,
    Limit: limit,
    ExclusiveStartKey: exclusiveStartKey,
    ReturnConsumedCapacity: "TOTAL",
  };
}

export interface StoredBatch {
  batch: number;
  void: boolean;
  entries: FeedEntry[];
  lastPosition: number;
  streamTypes: string[];
}

export function storedBatch(item: Item): StoredBatch {
  if (item.void === true) {
    return { batch: Number(item[sk]), void: true, entries: [], lastPosition: 0, streamTypes: [] };
  }
  return {
    batch: Number(item[sk]),
    void: false,
    entries: decodeEntries(item.events as Uint8Array),
    lastPosition: Number(item.lastPosition),
    streamTypes: Array.isArray(item.streamTypes) ? item.streamTypes.map(String) : [],
  };
}

/** The head: who is writing which batch, and what is complete. */
export interface FeedHeadItem {
  claimed: number;
  claimedAt: number;
  settled: number;
  settledAt: number;
  lastPosition: number;
  lastCreatedAt?: string | undefined;
  voids: { batch: number; at: number }[];
}

export function getHead(tableName: string, consistent: boolean): GetCommandInput {
  return { TableName: tableName, Key: headKey, ConsistentRead: consistent, ReturnConsumedCapacity: "TOTAL" };
}

export function headFromItem(item: Item | undefined): FeedHeadItem {
  if (!item) return { claimed: 0, claimedAt: 0, settled: 0, settledAt: 0, lastPosition: 0, voids: [] };
  return {
    claimed: Number(item.claimed),
    claimedAt: Number(item.claimedAt),
    settled: Number(item.settled),
    settledAt: Number(item.settledAt ?? 0),
    lastPosition: Number(item.lastPosition ?? 0),
    lastCreatedAt: typeof item.lastCreatedAt === "string" ? item.lastCreatedAt : undefined,
    voids: Array.isArray(item.voids)
      ? item.voids.map((v: Record<string, unknown>) => ({ batch: Number(v.batch), at: Number(v.at) }))
      : [],
  };
}

/**
 * Claims batch `settled + 1` when the head is settled at `settled` (nobody is writing): the writer's lease.
 * `exists: false` for the very first claim of a table.
 */
export function claimBatch(tableName: string, settled: number, now: number, exists: boolean): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: headKey,
    UpdateExpression: exists
      ? "SET claimed = :next, claimedAt = :now"
      : "SET claimed = :next, claimedAt = :now, settled = :settled, settledAt = :now, lastPosition = :zero, voids = :none",
    ConditionExpression: exists ? "claimed = :settled AND settled = :settled" : "attribute_not_exists(#pk)",
    ExpressionAttributeNames: exists ? undefined : { "#pk": pk },
    ExpressionAttributeValues: {
      ":next": settled + 1,
      ":now": now,
      ":settled": settled,
      ...(exists ? {} : { ":zero": 0, ":none": [] }),
    },
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** Settles the claimed batch: its items (or its void mark) are all written. */
export function settleBatch(
  tableName: string,
  batch: number,
  now: number,
  progress: { lastPosition: number; lastCreatedAt: string } | undefined,
  voids?: FeedHeadItem["voids"],
): UpdateCommandInput {
  const sets = ["settled = :batch", "settledAt = :now"];
  const values: Record<string, unknown> = { ":batch": batch, ":now": now };
  if (progress) {
    sets.push("lastPosition = :lastPosition", "lastCreatedAt = :lastCreatedAt");
    values[":lastPosition"] = progress.lastPosition;
    values[":lastCreatedAt"] = progress.lastCreatedAt;
  }
  if (voids) {
    sets.push("voids = :voids");
    values[":voids"] = voids;
  }
  return {
    TableName: tableName,
    Key: headKey,
    UpdateExpression: `SET ${sets.join(", ")}`,
    ConditionExpression: "claimed = :batch",
    ExpressionAttributeValues: values,
    ReturnConsumedCapacity: "TOTAL",
  };
}
