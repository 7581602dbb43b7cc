/**
 * How a stream is read: its events forward or backward, and its details (the head). Both strongly consistent:
 * a reader sees every acknowledged append.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { StoreTable } from "./dynamo.ts";
import { StreamDeletedError, StreamNotFoundError, ThrottledError } from "./errors.ts";
import type { StreamHeads } from "./heads.ts";
import { type Item, maxRevision, queryEvents, recordedEvent, summarySortKey } from "./items.ts";
import { fitPage, type LargePayloads } from "./large-payloads.ts";
import {
  getSettings,
  isSettingsItem,
  markerOf,
  type StreamSettings,
  settingsFromItem,
  settingsSortKey,
} from "./lifecycle-items.ts";
import type { EventPage, ReadEventsOptions, Stream } from "./model.ts";
import { effectiveRetention, eventTimesOf, firstKeptByCount, isExpired, type RetentionByType } from "./retention.ts";
import { openPersonalData, type SubjectKeys } from "./subject-keys.ts";
import { tableDefinition } from "./table.ts";

const sk = tableDefinition.sortKey.name;

export interface ReadContext {
  table: StoreTable;
  heads: StreamHeads;
  payloads?: LargePayloads | undefined;
  /** The subjects' data keys, which open events' personal data (subject-keys.ts). */
  subjects?: SubjectKeys | undefined;
  /** Each stream type's retention (retention.ts); a stream's own is in its settings. */
  retention?: RetentionByType | undefined;
  /** Milliseconds since the epoch: the clock by which events are past their maxAge. */
  now: () => number;
}

/** How often a read starts again when what it read shows a delete or truncation it did not know of yet. */
const maxReadAttempts = 4;

/** Items more than a page that a read reading on past expired events asks for at once. */
const skipPage = 1000;

const ttl = tableDefinition.timeToLiveAttribute;

/**
 * Events of a stream in revision order (forward) or newest first (backward), without the events a delete or
 * truncation hid (the stream's settings, lifecycle-items.ts). A forward read from the start queries from the
 * settings item on, so that it pays nothing extra; any other read gets the settings in parallel (1 RRU). A read that
 * meets a marker its settings do not explain, or a gap in the revisions (events the removal operation of a newer
 * truncation is deleting), read the settings before what changed: it starts again, so a reader sees either the
 * truncation or the whole stream as it was, never a mix.
 *
 * Retention (retention.ts) hides more, at once and by this process's clock: events past the stream's maxAge (a
 * prefix of the stream: times only grow along revisions) and, with a maxCount, those before the newest N (which
 * costs a read of the head, 1 RRU). Expired events TTL has not removed yet are read and skipped.
 */
export async function readEvents(
  context: ReadContext,
  streamType: string,
  streamId: string,
  options: ReadEventsOptions,
): Promise<EventPage> {
  for (let attempt = 1; ; attempt++) {
    const page = await readOnce(context, streamType, streamId, options);
    if (page !== "changed") return page;
    if (attempt >= maxReadAttempts) {
      throw new ThrottledError(`stream ${streamId} kept being deleted or truncated while it was read; retry shortly`);
    }
  }
}

async function readOnce(
  context: ReadContext,
  streamType: string,
  streamId: string,
  options: ReadEventsOptions,
): Promise<EventPage | "changed"> {
  const forward = options.direction === "forward";
  const fromStart = forward && (options.afterRevision ?? 0) === 0;
  const asked = forward
    ? { from: (options.afterRevision ?? 0) + 1, to: maxRevision }
    : { from: 1, to: options.fromRevision ?? maxRevision };
  // One item more than the page tells whether another page exists without a second round trip; a read from the
  // start also gets the settings and summary items (below revision 1), which are dropped.
  const query = (range: { from: number; to: number }, extra: number) =>
    range.from <= range.to
      ? context.table.queryItems(
          "read",
          queryEvents(context.table.tableName, streamId, range, forward, options.limit + 1 + extra),
        )
      : Promise.resolve({ items: [], lastEvaluatedKey: undefined });
  let settings: StreamSettings | undefined;
  let read: Awaited<ReturnType<typeof query>>;
  if (fromStart) {
    read = await query({ from: settingsSortKey, to: maxRevision }, 2);
    const first = read.items[0];
    settings = first && isSettingsItem(first) ? settingsFromItem(first) : undefined;
    read.items = read.items.filter((item) => Number(item[sk]) > summarySortKey);
    // A truncated stream: the events start further on; ask from there (rare: only after a truncation or delete).
    if (settings && settings.hiddenBelow > 1 && !settings.tombstone) {
      read = await query({ from: settings.hiddenBelow, to: maxRevision }, 0);
    }
  } else {
    const [stored, got] = await Promise.all([query(asked, 0), readSettings(context.table, streamId)]);
    read = stored;
    settings = got;
  }
  if (settings?.tombstone) {
    if (settings.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    throw new StreamDeletedError(streamType, streamId);
  }
  const retention = effectiveRetention(context.retention?.[streamType], settings?.retention);
  const expiring = retention.maxAge !== undefined || read.items.some((item) => item[ttl] !== undefined);
  let hiddenBelow = settings?.hiddenBelow ?? 1;
  if (retention.maxCount !== undefined) {
    const head = await context.heads.read(streamId, "read");
    if (head) hiddenBelow = Math.max(hiddenBelow, firstKeptByCount(retention, head.revision));
  }
  if (expiring) {
    const now = context.now();
    const expired = (item: Item) => isExpired(eventTimesOf(item), retention, now);
    // Forward, a page that is all expired says nothing of what follows: read on past it (TTL removes them later).
    while (forward && read.lastEvaluatedKey && read.items.length > 0 && read.items.every(expired)) {
      const last = Number(read.items.at(-1)?.[sk]);
      hiddenBelow = Math.max(hiddenBelow, last + 1);
      read = await query({ from: last + 1, to: maxRevision }, skipPage);
    }
    const newestExpired = Math.max(0, ...read.items.filter(expired).map((item) => Number(item[sk])));
    hiddenBelow = Math.max(hiddenBelow, newestExpired + 1);
  }
  const items = read.items.filter((item) => Number(item[sk]) >= hiddenBelow);
  const firstVisible = Math.max(asked.from, hiddenBelow);
  if (!contiguous(items, forward, forward ? firstVisible : undefined)) {
    // Forward, events missing before the first one read are TTL's when they expired (it removes expired events in
    // any order, and by its own clock) or a newer truncation's: the settings, read again, tell which.
    const removedByTtl =
      forward && expiring && contiguous(items, forward, undefined) && (await sameSettings(context, streamId, settings));
    if (!removedByTtl) return "changed";
  }
  // A marker the settings do not hide: they were read before its delete.
  if (items.some((item) => markerOf(item) !== undefined)) return "changed";
  const events = items;
  // Backward, a hidden event read means the visible ones end here.
  const lastEvaluatedKey = items.length < read.items.length && !forward ? undefined : read.lastEvaluatedKey;
  if (events.length === 0) {
    const head = await context.heads.read(streamId, "read");
    if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    if (head.marker === "tombstone") throw new StreamDeletedError(streamType, streamId);
    if (head.marker === "deleted") throw new StreamNotFoundError(streamType, streamId);
    // Nothing after the position asked for: an empty last page that keeps the caller's position.
    return { events: [], hasMore: false, lastEvaluatedRevision: forward ? Math.max(asked.from, hiddenBelow) - 1 : 0 };
  }
  if (events[0]?.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  // A page ends early rather than pass the function URL's 6 MB (payloads sent as strings are escaped: counted twice).
  const weight = options.escapedPayloads ? 2 : 1;
  const recorded = await openPersonalData(context.subjects, events.slice(0, options.limit).map(recordedEvent));
  const fitted = options.payloadReferences
    ? { events: recorded, cut: false }
    : await fitPage(context.payloads, recorded, undefined, weight);
  const page = fitted.events;
  const hasMore = fitted.cut || events.length > options.limit || lastEvaluatedKey !== undefined;
  // Reading to the end is how a writer loads a stream before appending to it: remember where it ends.
  const sawNewest = forward ? !hasMore : options.fromRevision === undefined;
  const newest = forward ? page.at(-1) : page[0];
  if (sawNewest && newest) {
    context.heads.remember(streamId, { revision: newest.revision, streamType, updatedAt: newest.createdAt });
  }
  return { events: page, hasMore, lastEvaluatedRevision: page.at(-1)?.revision ?? 0 };
}

/**
 * Whether the revisions read follow each other with no gap (and, forward, start where they must): revisions have
 * none, so a gap is events being removed under a truncation newer than the settings read.
 */
function contiguous(items: Item[], forward: boolean, firstExpected: number | undefined): boolean {
  const step = forward ? 1 : -1;
  let expected = firstExpected ?? Number(items[0]?.[sk]);
  for (const item of items) {
    if (Number(item[sk]) !== expected) return false;
    expected += step;
  }
  return true;
}

/** Whether the stream's settings, read again, still hide what `settings` hid (no delete or truncation since). */
async function sameSettings(
  context: ReadContext,
  streamId: string,
  settings: StreamSettings | undefined,
): Promise<boolean> {
  const fresh = await readSettings(context.table, streamId);
  return (fresh?.hiddenBelow ?? 1) === (settings?.hiddenBelow ?? 1) && !fresh?.tombstone;
}

/** The stream's settings (strongly consistent, 1 RRU); undefined when it was never deleted or truncated. */
export async function readSettings(table: StoreTable, streamId: string): Promise<StreamSettings | undefined> {
  const output = await table.send("read", (client) =>
    client.send(new GetCommand(getSettings(table.tableName, streamId))),
  );
  return settingsFromItem(output.Item);
}

/** The stream's type, revision and time of its last event; 404 after a (soft) delete, 410 after a hard one. */
export async function streamDetails(context: ReadContext, streamType: string, streamId: string): Promise<Stream> {
  const head = await context.heads.read(streamId, "details");
  if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  if (head.marker === "tombstone") throw new StreamDeletedError(streamType, streamId);
  if (head.marker === "deleted") throw new StreamNotFoundError(streamType, streamId);
  return { streamId, streamType, revision: head.revision, updatedAt: head.updatedAt };
}
