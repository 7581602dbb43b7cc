/**
 * Reading the Dynamic Consistency Boundary (dcb.ts has the design): the events matching a query after a position, and
 * the condition that decides on exactly them; with the read's seal, which keeps one `after` sound for several tags.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keyTags, matchesQuery, maxReadAttempts, readTag, type TagRead, visibleEntries } from "./dcb.ts";
import { sealTag, type TagEntry } from "./dcb-items.ts";
import { errorName, type StoreTable } from "./dynamo.ts";
import { ThrottledError } from "./errors.ts";
import { recordedEvent } from "./items.ts";
import { fitPage, type LargePayloads, resolvePayloads } from "./large-payloads.ts";
import type { DcbQuery, DcbReadResult, RecordedEvent, SequencedEvent } from "./model.ts";
import type { RetentionClock } from "./retention.ts";
import { openPersonalData, personalMarks, type SubjectKeys } from "./subject-keys.ts";
import { tableDefinition } from "./table.ts";

/**
 * The events matching a query after a position, in position order, and the condition that decides on exactly them.
 * Strongly consistent. At most `limit` events (more when several share the last position): `hasMore` then says to
 * read on after the last one, and the condition of such a page fails if used (events it did not return follow).
 */
/** What a DCB read uses: the table, where payloads and personal data are opened, and retention's clock. */
export interface DcbReadContext extends RetentionClock {
  table: StoreTable;
  payloads?: LargePayloads | undefined;
  subjects?: SubjectKeys | undefined;
}

export async function readDcb(
  context: DcbReadContext,
  query: DcbQuery,
  after: number,
  limit: number,
): Promise<DcbReadResult> {
  const { table, payloads } = context;
  const tags = keyTags(query);
  const reads = new Map<string, TagRead>();
  await Promise.all(tags.map(async (tag) => reads.set(tag, await readTag(table, tag, query, after, limit))));
  // Every tag is read completely up to `cut`; a page of more than `limit` events ends where the limit falls.
  let cut = Math.min(...[...reads.values()].map((read) => read.complete));
  let entries = matching(query, [...reads.values()], cut);
  const lastOfPage = entries[limit - 1];
  if (entries.length > limit && lastOfPage) {
    cut = lastOfPage.position;
    entries = entries.filter((entry) => entry.position <= cut);
  }
  const hasMore = cut !== Number.POSITIVE_INFINITY;
  const position = hasMore ? cut : await seal(table, query, after, reads);
  // A seal that lost a race read tags again: what matches is taken from the reads as they are now. Events of deleted
  // or truncated streams are left out; the position stays (their positions are covered, as on any page).
  const events = await resolveVisible(context, hasMore ? entries : matching(query, [...reads.values()], position));
  // Within the function URL's 6 MB: payloads in S3 read in while they fit and linked by URL beyond; a page of large
  // inline payloads ends early, after a whole position (events that share it stay together).
  const fitted = await fitPage(payloads, events);
  if (!fitted.cut)
    return { events: fitted.events, hasMore, appendCondition: { failIfEventsMatch: query, after: position } };
  const next = events[fitted.events.length] as SequencedEvent;
  const whole = fitted.events.filter((event) => event.position < next.position);
  const page =
    whole.length > 0
      ? whole
      : await resolvePayloads(
          payloads,
          events.filter((event) => event.position === next.position),
        );
  const last = (page.at(-1) as SequencedEvent).position;
  return { events: page, hasMore: true, appendCondition: { failIfEventsMatch: query, after: last } };
}

/**
 * The position a complete read answers: the highest `last` of its tags, once every other tag is raised to it (the
 * read's seal, see the top of this file). A seal that loses a race with an append reads that tag again.
 */
async function seal(table: StoreTable, query: DcbQuery, after: number, reads: Map<string, TagRead>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    // From the heads alone, never from the client's `after`: positions only ever come from appends.
    const position = Math.max(0, ...[...reads.values()].map((read) => read.head.last));
    const lower = [...reads.values()].filter((read) => read.head.last < position);
    if (lower.length === 0 || reads.size === 1) return position;
    const lost: string[] = [];
    await Promise.all(
      lower.map(async (read) => {
        try {
          await table.send("dcb", (client) =>
            client.send(new UpdateCommand(sealTag(table.tableName, read.tag, read.head, position))),
          );
          read.head = { ...read.head, last: position };
        } catch (error) {
          if (errorName(error) !== "ConditionalCheckFailedException") throw error;
          lost.push(read.tag);
        }
      }),
    );
    if (lost.length === 0) return position;
    if (attempt >= maxReadAttempts)
      throw new ThrottledError("the query's tags are being written too often to read; retry");
    for (const tag of lost) {
      const read = await readTag(table, tag, query, after, Number.MAX_SAFE_INTEGER);
      reads.set(tag, read);
    }
  }
}

/** The entries that match the query, up to a position, each event once, in position order. */
function matching(query: DcbQuery, reads: TagRead[], upTo: number): TagEntry[] {
  const byEventId = new Map<string, TagEntry>();
  for (const read of reads) {
    for (const entry of read.entries) {
      if (entry.position <= upTo && matchesQuery(query, entry.eventType, entry.tags)) {
        byEventId.set(entry.eventId, entry);
      }
    }
  }
  return [...byEventId.values()].sort(
    (a, b) => a.position - b.position || a.streamId.localeCompare(b.streamId) || a.revision - b.revision,
  );
}

/** How far DynamoDB's clock, by which TTL removes expired items, may run ahead of this process's. */
const ttlClockSkewMs = 60_000;

/** Whether TTL may have removed the event's item by now: it has an expiry, and that has (about) passed. */
function removableByTtl(entry: TagEntry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt * 1000 <= now + ttlClockSkewMs;
}

/** How often a read takes its streams' settings again because an event's item was removed meanwhile. */
const maxSettingsAttempts = 4;

/**
 * The entries their streams still show (dcb.ts, visibleEntries), with their payloads. Besides TTL (an event whose
 * expiry has passed, left out), only a removal operation deletes an event's item, and only once a delete or
 * truncation hid it: an item missing means the settings were read before that, so they are read again and every
 * entry is judged by them (never a mix of before and after).
 */
async function resolveVisible(context: DcbReadContext, entries: TagEntry[]): Promise<SequencedEvent[]> {
  const { table, subjects } = context;
  for (let attempt = 1; ; attempt++) {
    const events = await resolve(table, subjects, await visibleEntries(table, entries, context), context.now());
    if (events) return events;
    if (attempt >= maxSettingsAttempts) {
      throw new ThrottledError("the query's streams kept being deleted or truncated while they were read; retry");
    }
  }
}

/**
 * Entries with their payloads: copied into the entry, or read from the event's item (strongly consistent); undefined
 * when an item is gone (removed under a delete or truncation newer than the settings read).
 */
async function resolve(
  table: StoreTable,
  subjects: SubjectKeys | undefined,
  entries: TagEntry[],
  now: number,
): Promise<SequencedEvent[] | undefined> {
  const pk = tableDefinition.partitionKey.name;
  const sk = tableDefinition.sortKey.name;
  const missing = entries.filter((entry) => entry.payload === undefined);
  const stored = new Map<string, RecordedEvent>();
  if (missing.length > 0) {
    const keys = missing.map((entry) => ({ [pk]: entry.streamId, [sk]: entry.revision }));
    const items = await table.getItems("dcb", keys);
    for (const event of await openPersonalData(subjects, items.map(recordedEvent))) stored.set(event.eventId, event);
  }
  const gone = missing.filter((entry) => !stored.has(entry.eventId));
  if (gone.some((entry) => !removableByTtl(entry, now))) return undefined;
  return entries.flatMap((entry): SequencedEvent[] => {
    if (entry.payload !== undefined) return [{ ...entry, payload: entry.payload }];
    const event = stored.get(entry.eventId);
    // Gone by TTL (its expiry passed by DynamoDB's clock, which may run a little ahead of ours): left out.
    if (!event) return [];
    return [{ ...entry, payload: event.payload, metadata: event.metadata, ...personalMarks(event) }];
  });
}
