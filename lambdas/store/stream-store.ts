/**
 * The event store: append, read, details and listing over one DynamoDB table. The one implementation that
 * runs in Lambda, in local mode and in the tests. Keys and expressions come from items.ts.
 *
 * Cost design: an append of one event is one strongly consistent read of the stream's newest event (to learn
 * the revision and prove the predecessor exists) and one conditional PutItem of the new event — no stream
 * header item, no transaction. Several events go in one TransactWriteItems. The stream summary that serves
 * the listing is kept by the change feed (`raiseSummary`), so listings lag by the feed's delay.
 */
import { randomUUID } from "node:crypto";
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  InvalidInputError,
  StreamNotFoundError,
  ThrottledError,
  TooLargeError,
  WrongExpectedRevisionError,
} from "./errors.ts";
import {
  eventItem,
  type Item,
  itemSizeBytes,
  listingSortKeyAfterTime,
  listingSortKeyOf,
  maxItemBytes,
  maxRevision,
  maxTransactionBytes,
  type NewEventWithId,
  putNewEvent,
  putNewEvents,
  queryEvents,
  queryHead,
  queryListingShard,
  raiseSummary,
  recordedEvent,
  sameEvent,
  streamFromSummary,
} from "./items.ts";
import { KnownHeads, type StreamHead } from "./known-heads.ts";
import {
  type AppendResult,
  type EventPage,
  type ExpectedRevision,
  type ListStreamsOptions,
  maxEventsPerAppend,
  maxEventTypeLength,
  type NewEvent,
  type ReadEventsOptions,
  type Stream,
  type StreamPage,
  streamTypePattern,
} from "./model.ts";
import { tableDefinition } from "./table.ts";

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The store's logical operations, as the capacity hook names them. */
export type StoreOperation = "append" | "read" | "details" | "list" | "summary";

export interface StreamStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Milliseconds since the epoch; tests and the bench may pin it. */
  now?: () => number;
  /** Called with the capacity of every DynamoDB call, for the bench and cost tests. */
  onConsumedCapacity?: (operation: StoreOperation, capacity: ConsumedCapacity) => void;
}

/** How often an append with "any" / "stream-exists" re-reads and retries when other writers win the race. */
const maxContendedAttempts = 64;

type WriteOutcome =
  | { kind: "written" }
  /** The first revision is taken; `existing` is what is stored there. */
  | { kind: "occupied"; existing: Item | undefined }
  /** A concurrent transaction touched the same items; nothing was written. */
  | { kind: "contended" };

export class StreamStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly onConsumedCapacity: StreamStoreOptions["onConsumedCapacity"];
  private readonly knownHeads = new KnownHeads();

  constructor(options: StreamStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.onConsumedCapacity = options.onConsumedCapacity;
  }

  /**
   * Appends events atomically if the stream is in the state `expected` describes. A retry of an append whose
   * events are already stored at that position (same eventIds and content) returns the original result and
   * writes nothing.
   */
  async append(
    streamType: string,
    streamId: string,
    expected: ExpectedRevision,
    newEvents: NewEvent[],
  ): Promise<AppendResult> {
    validateStreamKey(streamType, streamId);
    validateNewEvents(newEvents);
    const events: NewEventWithId[] = newEvents.map((event) => ({ ...event, eventId: event.eventId ?? randomUUID() }));
    checkSizes(events.map((event, index) => eventItem(streamType, streamId, index + 1, event, isoTime(0))));
    const exactRevision = expected === "no-stream" ? 0 : typeof expected === "number" ? expected : undefined;

    for (let attempt = 1; ; attempt++) {
      const head = await this.headForAppend(streamId, exactRevision, attempt);
      if (head && head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
      const current = head?.revision ?? 0;

      if (exactRevision !== undefined && current !== exactRevision) {
        const original =
          current > exactRevision
            ? await this.findAppended(streamType, streamId, exactRevision + 1, events)
            : undefined;
        if (original) return original;
        throw wrongRevision(streamId, current, expected);
      }
      if (expected === "stream-exists" && current === 0) throw wrongRevision(streamId, 0, expected);
      if (exactRevision === undefined && head && head.eventId === events.at(-1)?.eventId) {
        const original = await this.findAppended(streamType, streamId, current - events.length + 1, events);
        if (original) return original;
      }

      const firstRevision = current + 1;
      // Never earlier than the predecessor, so updatedAt only grows even if clocks of writers disagree.
      const createdAt = laterTime(isoTime(this.now()), head?.createdAt);
      const items = events.map((event, index) =>
        eventItem(streamType, streamId, firstRevision + index, event, createdAt),
      );
      const outcome = await this.writeNewEvents(items);
      if (outcome.kind === "written") {
        const lastRevision = firstRevision + items.length - 1;
        const newest = events.at(-1) as NewEventWithId;
        this.knownHeads.remember(streamId, { revision: lastRevision, streamType, createdAt, eventId: newest.eventId });
        return {
          stream: { streamId, streamType, revision: lastRevision, updatedAt: createdAt },
          firstRevision,
          lastRevision,
        };
      }
      const first = items[0] as Item;
      if (outcome.kind === "occupied" && outcome.existing && sameEvent(outcome.existing, first)) {
        const original = await this.findAppended(streamType, streamId, firstRevision, events);
        if (original) return original;
      }
      if (exactRevision !== undefined && outcome.kind === "occupied") {
        const latest = await this.readHead(streamId, "append");
        throw wrongRevision(streamId, latest?.revision ?? 0, expected);
      }
      if (attempt >= maxContendedAttempts) {
        throw new ThrottledError(`stream ${streamId} is contended by other writers; retry shortly`);
      }
      await sleep(Math.random() * Math.min(100, 2 ** attempt));
    }
  }

  /**
   * What the append builds on. "no-stream" needs nothing: the condition on revision 1 is the whole check. An exact
   * expectation that this process already saw as the stream's newest revision needs no read either (see
   * KnownHeads). Everything else reads the newest event, strongly consistent.
   */
  private async headForAppend(
    streamId: string,
    exactRevision: number | undefined,
    attempt: number,
  ): Promise<StreamHead | undefined> {
    if (exactRevision === 0) return undefined;
    const known = this.knownHeads.get(streamId);
    if (attempt === 1 && known && known.revision === exactRevision) return known;
    return this.readHead(streamId, "append");
  }

  /** Events of a stream in revision order (forward) or newest first (backward); strongly consistent. */
  async readEvents(streamType: string, streamId: string, options: ReadEventsOptions): Promise<EventPage> {
    validateStreamKey(streamType, streamId);
    const forward = options.direction === "forward";
    const range = forward
      ? { from: (options.afterRevision ?? 0) + 1, to: maxRevision }
      : { from: 1, to: options.fromRevision ?? maxRevision };
    // One item more than the page tells whether another page exists without a second round trip.
    // A range past the largest revision (after-revision at the very top) is empty without asking DynamoDB.
    const output: Pick<QueryCommandOutput, "Items" | "LastEvaluatedKey"> =
      range.from <= range.to
        ? await this.query("read", queryEvents(this.tableName, streamId, range, forward, options.limit + 1))
        : {};
    const items = output.Items ?? [];
    if (items.length === 0) {
      const head = await this.readHead(streamId, "read");
      if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
      // Nothing after the position asked for: an empty last page that keeps the caller's position.
      return { events: [], hasMore: false, lastEvaluatedRevision: forward ? range.from - 1 : 0 };
    }
    if (items[0]?.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    const page = items.slice(0, options.limit).map(recordedEvent);
    const hasMore = items.length > options.limit || output.LastEvaluatedKey !== undefined;
    // Reading to the end is how a writer loads a stream before appending to it: remember where it ends.
    const sawNewest = forward ? !hasMore : options.fromRevision === undefined;
    const newest = forward ? page.at(-1) : page[0];
    if (sawNewest && newest) this.knownHeads.remember(streamId, newest);
    return { events: page, hasMore, lastEvaluatedRevision: page.at(-1)?.revision ?? 0 };
  }

  /** The stream's type, revision and time of its last event; strongly consistent. */
  async streamDetails(streamType: string, streamId: string): Promise<Stream> {
    validateStreamKey(streamType, streamId);
    const head = await this.readHead(streamId, "details");
    if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    return { streamId, streamType, revision: head.revision, updatedAt: head.createdAt };
  }

  /**
   * Streams of a type updated after a time, oldest update first. Served by the sharded listing index: every
   * shard is read from the same position and the results merged. Because the index's sort key
   * `<updatedAt>#<streamId>` orders streams totally, the last key of a page is every shard's position, and
   * the page key carries just that. Eventually consistent: it lags appends by the change feed's delay.
   */
  async listStreams(streamType: string, options: ListStreamsOptions): Promise<StreamPage> {
    if (!streamTypePattern.test(streamType)) throw invalidStreamType();
    const after = options.pageKey
      ? decodeListingPageKey(options.pageKey)
      : listingSortKeyAfterTime(isoTime(options.updatedAfter));
    const complete = await this.readListingShards(streamType, after, options.limit);
    const merged = complete.items.sort((a, b) => (listingSortKeyOf(a) < listingSortKeyOf(b) ? -1 : 1));
    const page = merged.slice(0, options.limit);
    const hasMore = merged.length > options.limit;
    const last = page.at(-1);
    return {
      streams: page.map(streamFromSummary),
      hasMore,
      ...(hasMore && last ? { nextPageKey: encodeListingPageKey(listingSortKeyOf(last)) } : {}),
    };
  }

  /**
   * Reads the listing shards after `after` until the items known complete — those up to the smallest last key
   * of any shard that has more — number more than `limit` (so another page exists), or no shard has more. Streams spread evenly over
   * the shards, so each round asks each unfinished shard for its share of what is missing (with a margin): a page
   * costs about one page of reads plus DynamoDB's rounding per shard, not a page per shard.
   */
  private async readListingShards(streamType: string, after: string, limit: number): Promise<{ items: Item[] }> {
    const shards = Array.from({ length: tableDefinition.listingShards }, (_, shard) => ({
      shard,
      items: [] as Item[],
      after,
      hasMore: true,
    }));
    // Each shard's share of what is missing, with a margin for uneven spread; DynamoDB bills a query by 4 KB
    // (about 20 summaries), so the margin is nearly free while a second round costs a query per shard.
    const share = (missing: number, among: number) => Math.ceil((missing / among) * 1.5) + 1;
    let perShardLimit = share(limit + 1, shards.length);
    for (;;) {
      await Promise.all(
        shards
          .filter((read) => read.hasMore)
          .map(async (read) => {
            const output = await this.query(
              "list",
              queryListingShard(this.tableName, streamType, read.shard, read.after, perShardLimit),
            );
            const items = output.Items ?? [];
            read.items.push(...items);
            read.hasMore = output.LastEvaluatedKey !== undefined;
            const last = items.at(-1);
            if (last) read.after = listingSortKeyOf(last);
          }),
      );
      // A shard with more has unseen keys beyond its last one: only keys up to the smallest such are complete.
      const unfinished = shards.filter((read) => read.hasMore).map((read) => read.after);
      const bound = unfinished.sort()[0]; // string order, the index's order
      const items = shards
        .flatMap((read) => read.items)
        .filter((item) => bound === undefined || listingSortKeyOf(item) <= bound);
      if (bound === undefined || items.length > limit) return { items };
      perShardLimit = share(limit + 1 - items.length, unfinished.length);
    }
  }

  /**
   * Raises the stream's summary (listing entry) to this revision; a no-op if it is there already or beyond.
   * Called by the change feed, which may redeliver or reorder records.
   */
  async raiseSummary(stream: Stream): Promise<void> {
    try {
      await this.send("summary", () => this.client.send(new UpdateCommand(raiseSummary(this.tableName, stream))));
    } catch (error) {
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    }
  }

  private async readHead(streamId: string, operation: StoreOperation): Promise<StreamHead | undefined> {
    const output = await this.query(operation, queryHead(this.tableName, streamId));
    const item = output.Items?.[0];
    if (!item) return undefined;
    const newest = recordedEvent(item);
    const head = {
      revision: newest.revision,
      streamType: newest.streamType,
      createdAt: newest.createdAt,
      eventId: newest.eventId,
    };
    this.knownHeads.remember(streamId, head);
    return head;
  }

  /**
   * The result of an earlier append of exactly these events starting at `firstRevision`, or undefined if
   * the events stored there are not these.
   */
  private async findAppended(
    streamType: string,
    streamId: string,
    firstRevision: number,
    events: NewEventWithId[],
  ): Promise<AppendResult | undefined> {
    if (firstRevision < 1) return undefined;
    const lastRevision = firstRevision + events.length - 1;
    const output = await this.query(
      "append",
      queryEvents(this.tableName, streamId, { from: firstRevision, to: lastRevision }, true, events.length),
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

  private async writeNewEvents(items: Item[]): Promise<WriteOutcome> {
    if (items.length === 1) {
      try {
        await this.send("append", () =>
          this.client.send(new PutCommand(putNewEvent(this.tableName, items[0] as Item))),
        );
        return { kind: "written" };
      } catch (error) {
        if (errorName(error) !== "ConditionalCheckFailedException") throw error;
        return { kind: "occupied", existing: plainItem((error as { Item?: unknown }).Item) };
      }
    }
    try {
      await this.send("append", () => this.client.send(new TransactWriteCommand(putNewEvents(this.tableName, items))));
      return { kind: "written" };
    } catch (error) {
      if (errorName(error) !== "TransactionCanceledException") throw error;
      const reasons =
        (error as { CancellationReasons?: { Code?: string; Item?: unknown }[] }).CancellationReasons ?? [];
      const occupied = reasons.find((reason) => reason.Code === "ConditionalCheckFailed");
      if (occupied) return { kind: "occupied", existing: plainItem(occupied.Item) };
      if (reasons.some((reason) => reason.Code === "ThrottlingError")) throw throttled();
      return { kind: "contended" };
    }
  }

  private query(operation: StoreOperation, input: QueryCommand["input"]): Promise<QueryCommandOutput> {
    return this.send(operation, () => this.client.send(new QueryCommand(input)));
  }

  /** Every DynamoDB call goes through here: capacity is reported and throttling becomes a ThrottledError. */
  private async send<Output extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(
    operation: StoreOperation,
    call: () => Promise<Output>,
  ): Promise<Output> {
    let output: Output;
    try {
      output = await call();
    } catch (error) {
      if (throttlingErrors.has(errorName(error))) throw throttled();
      if (errorName(error) === "ValidationException" && /item size|size has exceeded/i.test(String(error))) {
        throw new TooLargeError("an event is larger than DynamoDB's item size limit", maxItemBytes);
      }
      throw error;
    }
    if (this.onConsumedCapacity && output.ConsumedCapacity) {
      const consumed = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
      for (const capacity of consumed) this.onConsumedCapacity(operation, capacity);
    }
    return output;
  }
}

const throttlingErrors = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

function throttled(): ThrottledError {
  return new ThrottledError("DynamoDB is throttling this table; retry shortly");
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

function validateStreamKey(streamType: string, streamId: string): void {
  if (!streamTypePattern.test(streamType)) throw invalidStreamType();
  if (!uuidPattern.test(streamId)) {
    throw new InvalidInputError("the stream id is not a UUID", { streamId: ["must be a lower-case UUID"] });
  }
}

function invalidStreamType(): InvalidInputError {
  return new InvalidInputError("the stream type is not valid", {
    streamType: [`must match ${streamTypePattern.source}`],
  });
}

function validateNewEvents(events: NewEvent[]): void {
  if (events.length === 0 || events.length > maxEventsPerAppend) {
    throw new InvalidInputError(`an append carries 1 to ${maxEventsPerAppend} events`, {
      events: [`must hold 1 to ${maxEventsPerAppend} events, got ${events.length}`],
    });
  }
  const errors: Record<string, string[]> = {};
  const eventIds = new Set<string>();
  events.forEach((event, index) => {
    if (event.eventType.length < 1 || event.eventType.length > maxEventTypeLength) {
      errors[`events[${index}].eventType`] = [`must be 1 to ${maxEventTypeLength} characters`];
    }
    if (event.eventId !== undefined) {
      if (!uuidPattern.test(event.eventId)) errors[`events[${index}].eventId`] = ["must be a lower-case UUID"];
      else if (eventIds.has(event.eventId)) errors[`events[${index}].eventId`] = ["appears twice in this append"];
      eventIds.add(event.eventId);
    }
  });
  if (Object.keys(errors).length > 0) throw new InvalidInputError("some events are not valid", errors);
}

function checkSizes(items: Item[]): void {
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

const listingPageKeyVersion = 1;

function encodeListingPageKey(afterSortKey: string): string {
  return Buffer.from(JSON.stringify({ v: listingPageKeyVersion, after: afterSortKey })).toString("base64url");
}

function decodeListingPageKey(pageKey: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(pageKey, "base64url").toString("utf8")) as { v?: unknown; after?: unknown };
    if (decoded.v === listingPageKeyVersion && typeof decoded.after === "string") return decoded.after;
  } catch {
    // falls through to the error below
  }
  throw new InvalidInputError("the page key is not one this API gave out", {
    nextPageKey: ["pass the nextPageKey of the previous page unchanged"],
  });
}

/** RFC 3339 UTC with milliseconds; the width is fixed for years 0000–9999, so strings sort as times. */
export function isoTime(epochMillis: number): string {
  return new Date(epochMillis).toISOString();
}

function laterTime(time: string, other: string | undefined): string {
  return other !== undefined && other > time ? other : time;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/** Items in SDK exceptions come in DynamoDB's wire format even through the document client. */
function plainItem(item: unknown): Item | undefined {
  if (!item || typeof item !== "object") return undefined;
  const key = (item as Record<string, unknown>)[tableDefinition.partitionKey.name];
  const wireFormat = key !== null && typeof key === "object";
  return wireFormat ? unmarshall(item as Parameters<typeof unmarshall>[0]) : (item as Item);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
