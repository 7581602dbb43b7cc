/**
 * Reading the global feed (SPEC section 10): pages of events after a position, in position order, from the batch
 * items (feed-items.ts). Unfiltered pages read the `feed` partition; pages of some stream types read only those
 * types' partitions, so a type's feed costs in proportion to its own events. Event types filter what was read.
 *
 * Every read is strongly consistent, and batch items are written in order (feed-index.ts): what a reader sees is a
 * prefix of the feed, and no event ever appears behind a position it was served. Events a delete or truncation hid
 * are left out (feed-removals.ts).
 */
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { StoreTable } from "./dynamo.ts";
import {
  batchOfPosition,
  type FeedEntry,
  feedPartition,
  getHead,
  headFromItem,
  queryBatches,
  storedBatch,
  typePartition,
} from "./feed-items.ts";
import { currentRemovals } from "./feed-removals.ts";
import { recordedEvent } from "./items.ts";
import { fitPage, type LargePayloads } from "./large-payloads.ts";
import type { RecordedEvent } from "./model.ts";
import { isExpired, type RetentionByType } from "./retention.ts";
import { openPersonalData, personalMarks, type SubjectKeys } from "./subject-keys.ts";
import { tableDefinition } from "./table.ts";

export type { FeedEntry } from "./feed-items.ts";

export interface ReadFeedOptions {
  /** Events after this position (0: from the start). */
  after: number;
  limit: number;
  streamTypes?: string[] | undefined;
  eventTypes?: string[] | undefined;
  /** Read each event's payload and metadata too (one strongly consistent read of the event items per page). */
  includePayload?: boolean;
}

export type FeedEvent = FeedEntry &
  Partial<Pick<RecordedEvent, "payload" | "metadata" | "subject" | "personalData" | "erased">>;

export interface FeedPage {
  events: FeedEvent[];
  /** Where the next page starts: past every event read, whether or not a filter kept it. */
  lastPosition: number;
  hasMore: boolean;
}

export interface FeedHead {
  /** The newest position indexed (0: nothing yet). */
  position: number;
  /** When the newest batch was settled, RFC 3339; absent before the first. */
  indexedAt?: string;
  /** The time of the newest event indexed. */
  lastEventCreatedAt?: string;
  /** How long after its append the newest indexed event was indexed, in milliseconds. */
  lagMs?: number;
}

/** The most items asked for per query: a batch holds up to thousands of events, so a few items fill a page. */
const batchesPerQuery = 8;

/** What a feed read uses besides the table. */
export interface FeedReadContext {
  payloads?: LargePayloads | undefined;
  subjects?: SubjectKeys | undefined;
  /** Each stream type's retention: events past their type's maxAge are left out (retention.ts). */
  retention?: RetentionByType | undefined;
  now: () => number;
}

export async function readFeed(
  table: StoreTable,
  options: ReadFeedOptions,
  context: FeedReadContext,
): Promise<FeedPage> {
  const { payloads, subjects } = context;
  const now = context.now();
  const byType = Boolean(options.streamTypes?.length);
  // By type, a page that reaches the end moves on to the head: the head read first, so that every batch it counts
  // as settled was written before the queries below look (read after them, a batch settled meanwhile would be
  // passed by without its events).
  const [settled, removals] = await Promise.all([byType ? readSettledHead(table) : undefined, currentRemovals(table)]);
  const partitions = byType ? (options.streamTypes as string[]).map(typePartition) : [feedPartition];
  const readers = partitions.map((partition) => new PartitionReader(table, partition, options.after));
  const wantedEventTypes = options.eventTypes?.length ? new Set(options.eventTypes) : undefined;
  const events: FeedEntry[] = [];
  let scannedTo = options.after;
  let exhausted = false;
  while (events.length < options.limit) {
    // Merge the partitions by position: take from the one whose next entry is lowest.
    const heads = await Promise.all(readers.map((reader) => reader.peek(options.limit - events.length)));
    let next: { reader: PartitionReader; entry: FeedEntry } | undefined;
    heads.forEach((entry, index) => {
      if (entry && (!next || entry.position < next.entry.position))
        next = { reader: readers[index] as PartitionReader, entry };
    });
    if (!next) {
      exhausted = true;
      break;
    }
    next.reader.take();
    scannedTo = next.entry.position;
    // Events a delete, truncation or retention hid are left out; lastPosition still moves past them. A stream's own
    // retention limits reach the feed when the retention sweep truncates the stream, before anything is removed.
    const entry = next.entry;
    if (
      (!wantedEventTypes || wantedEventTypes.has(entry.eventType)) &&
      removals.visible(entry) &&
      !isExpired(entry, context.retention?.[entry.streamType] ?? {}, now)
    ) {
      events.push(entry);
    }
  }
  let hasMore = !exhausted;
  if (exhausted) {
    // Past the last event read: to the end of every batch read, and (by type) to the newest complete batch.
    scannedTo = Math.max(scannedTo, ...readers.map((reader) => reader.lastPositionRead));
    if (settled) scannedTo = Math.max(scannedTo, settled.lastPosition);
  } else {
    hasMore = (await Promise.all(readers.map((reader) => reader.peek(1)))).some((entry) => entry !== undefined);
    if (!hasMore) scannedTo = Math.max(scannedTo, ...readers.map((reader) => reader.lastPositionRead));
  }
  if (!options.includePayload) return { events, lastPosition: scannedTo, hasMore };
  // With payloads, a page ends early rather than pass the function URL's 6 MB: at its last event that fits.
  const fitted = await fitPage(payloads, await withPayloads(table, events, subjects));
  const last = fitted.events.at(-1);
  if (!fitted.cut || !last) return { events: fitted.events, lastPosition: scannedTo, hasMore };
  return { events: fitted.events, lastPosition: last.position, hasMore: true };
}

export async function feedHead(table: StoreTable): Promise<FeedHead> {
  const head = await readSettledHead(table);
  if (head.settledAt === 0) return { position: 0 };
  const lagMs = head.lastCreatedAt ? Math.max(0, head.settledAt - Date.parse(head.lastCreatedAt)) : undefined;
  return {
    position: head.lastPosition,
    indexedAt: new Date(head.settledAt).toISOString(),
    ...(head.lastCreatedAt ? { lastEventCreatedAt: head.lastCreatedAt } : {}),
    ...(lagMs !== undefined ? { lagMs } : {}),
  };
}

async function readSettledHead(table: StoreTable) {
  const output = await table.send("feedRead", (client) => client.send(new GetCommand(getHead(table.tableName, true))));
  return headFromItem(output.Item);
}

/** One partition's entries after a position, a few batch items per query. */
class PartitionReader {
  private buffer: FeedEntry[] = [];
  private nextBatch: number;
  private startKey: Record<string, unknown> | undefined;
  private done = false;
  /** The last position of the newest batch read (a type's batch carries the whole batch's last position). */
  lastPositionRead = 0;
  private itemsRead = 0;
  private entriesRead = 0;

  constructor(
    private readonly table: StoreTable,
    private readonly partition: string,
    private readonly after: number,
  ) {
    this.nextBatch = batchOfPosition(after);
  }

  /** The next entry; `wanted` says how many more the page needs, so that no more items are read than that. */
  async peek(wanted: number): Promise<FeedEntry | undefined> {
    while (this.buffer.length === 0 && !this.done) await this.fill(wanted);
    return this.buffer[0];
  }

  take(): void {
    this.buffer.shift();
  }

  /**
   * Reads the next few batch items. A query costs what it reads, whole items: as many are asked for as the page
   * still needs at the events per item seen so far (one, to begin with), at most `batchesPerQuery`.
   */
  private async fill(wanted: number): Promise<void> {
    const perItem = this.itemsRead > 0 ? this.entriesRead / this.itemsRead : wanted;
    const items = Math.min(batchesPerQuery, Math.max(1, Math.ceil(wanted / Math.max(1, perItem))));
    const output = await this.table.send("feedRead", (client) =>
      client.send(
        new QueryCommand(queryBatches(this.table.tableName, this.partition, this.nextBatch, items, this.startKey)),
      ),
    );
    for (const item of output.Items ?? []) {
      const stored = storedBatch(item);
      this.itemsRead++;
      this.entriesRead += stored.entries.length;
      if (stored.void) continue;
      this.lastPositionRead = Math.max(this.lastPositionRead, stored.lastPosition);
      this.buffer.push(...stored.entries.filter((entry) => entry.position > this.after));
    }
    this.startKey = output.LastEvaluatedKey;
    if (!this.startKey) this.done = true;
  }
}

/** The events' payloads and metadata, read from their items (strongly consistent). */
async function withPayloads(
  table: StoreTable,
  entries: FeedEntry[],
  subjects: SubjectKeys | undefined,
): Promise<(FeedEntry & Pick<RecordedEvent, "payload" | "metadata" | "subject" | "personalData" | "erased">)[]> {
  const pk = tableDefinition.partitionKey.name;
  const sk = tableDefinition.sortKey.name;
  const keys = entries.map((entry) => ({ [pk]: entry.streamId, [sk]: entry.revision }));
  const found = new Map<string, RecordedEvent>();
  const items = await table.getItems("feedRead", keys);
  for (const event of await openPersonalData(subjects, items.map(recordedEvent))) {
    found.set(`${event.streamId}/${event.revision}`, event);
  }
  // An event removed after the removals were read (its stream deleted meanwhile) is left out, not an error.
  return entries.flatMap((entry) => {
    const event = found.get(`${entry.streamId}/${entry.revision}`);
    if (!event) return [];
    const metadata = event.metadata ? { metadata: event.metadata } : {};
    return [{ ...entry, payload: event.payload, ...metadata, ...personalMarks(event) }];
  });
}
