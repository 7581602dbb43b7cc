/**
 * The Dynamic Consistency Boundary (dcb.events; SPEC section 11): tagged events, read by a query of types and tags,
 * appended on the condition that nothing matching a query came after the position a decision read.
 *
 * Where the events live: in streams. A DCB event is a stream event (of the stream it names, or by default of the
 * stream `dcb`/<id derived from its first tag>), so the change feed, notifications, the global feed, replays and
 * stream reads see it like any other; a DCB append is a multi-stream append (multi-append.ts) with "any" for each
 * stream, plus its tags. Each tag is a partition of its own (dcb-items.ts): an entry per event carrying the tag, and a
 * head. There is no item every append writes: appends contend only where their tags (or their condition's) meet.
 *
 * Positions: a Lamport clock over tags. An append's events get consecutive positions above the `last` of every tag
 * it touches (its events' and its condition's), and raise their tags' heads to them, in the same transaction as the
 * events: within a tag, positions follow the order of appends, and a read sees an event as soon as its append was
 * acknowledged. Events that share no tag may share a position (no decision can depend on their order; a read orders
 * them by stream and revision); the global feed's positions (feed.ts) are another, total order, assigned later.
 *
 * Why a read may write (its seal): a condition carries one position, `after`, for all its tags, while each tag
 * counts on its own. A read of tags A (last 5) and B (last 100) answers `after: 100`; an event appended on A a
 * moment later would get position 6 and pass the check "nothing on A after 100". So a read whose tags' heads differ
 * raises the lower ones to the highest (one conditional write per such tag, only when they differ): from then on
 * every event on any of them gets a position above the one the read answered. The condition is then checked per tag
 * in the append's transaction (`lastEntry <= after`), and where a tag did get events after `after`, they are read
 * and matched against the query: only an event that matches fails the append (409), others move that tag's
 * accepted position on.
 *
 * A query item names at least one tag, and the first is its key (the partition read and checked): a condition on
 * every event of a type would make one item of every append of that type. Read those through the global feed.
 *
 * Deleted and truncated streams (SPEC section 13): a tag entry outlives its event's visibility (the removal operation
 * deletes the stream's items, never the tag entries), so a read drops the entries its streams' settings hide
 * (visibleEntries). Positions are untouched: a hidden event keeps its position, and the read's `after` still covers it.
 *
 * Here: what reads and appends share (a query's matching and key tags, an event's stream, reading one tag, which
 * entries their streams still show). The read
 * with its seal is dcb-read.ts, the append with its condition dcb-append.ts, keys and commands dcb-items.ts.
 */
import { derivedUuid } from "#shared/uuid.ts";
import { sleep } from "./append.ts";
import { isTagHead, queryTag, type TagEntry, type TagHead, tagEntryOf, tagHeadOf } from "./dcb-items.ts";
import type { StoreTable } from "./dynamo.ts";
import { InvalidInputError, ThrottledError } from "./errors.ts";
import type { Item } from "./items.ts";
import { type StreamSettings, settingsFromItem, settingsSortKey, streamItemKey } from "./lifecycle-items.ts";
import type { DcbEvent, DcbQuery } from "./model.ts";
import { effectiveRetention, isExpired, type RetentionClock } from "./retention.ts";
import { tableDefinition } from "./table.ts";

/** The stream type of DCB events that name no stream. */
export const defaultDcbStreamType = "dcb";
/** How often a read reads a tag again because a transaction on it was half visible, or a seal lost a race. */
export const maxReadAttempts = 32;

/** The stream a DCB event is stored in: the one it names, or one derived from its type and first tag. */
export function homeStream(event: DcbEvent): { streamType: string; streamId: string } {
  const streamType = event.streamType ?? defaultDcbStreamType;
  if (event.streamId) return { streamType, streamId: event.streamId };
  const tag = event.tags[0];
  if (tag === undefined) {
    throw new InvalidInputError("a DCB event without tags names its stream", {
      streamId: ["is required for an event without tags"],
    });
  }
  return { streamType, streamId: derivedUuid(`dcb-stream:${streamType}:${tag}`) };
}

/** Whether any item of the query matches an event of this type and tags. */
export function matchesQuery(query: DcbQuery, eventType: string, tags: readonly string[]): boolean {
  return query.items.some(
    (item) =>
      (!item.types || item.types.length === 0 || item.types.includes(eventType)) &&
      item.tags.every((tag) => tags.includes(tag)),
  );
}

/** The partitions a query reads and a condition checks: each item's first tag. */
export function keyTags(query: DcbQuery): string[] {
  return [...new Set(query.items.map((item) => item.tags[0] as string))];
}

/** What a read of one tag got. */
export interface TagRead {
  tag: string;
  entries: TagEntry[];
  head: TagHead;
  /** Read up to here: every entry of the tag at or below it is in `entries` (Infinity: all of them). */
  complete: number;
}

/**
 * Reads one tag after `after`: every entry, and the head when the read got to the end. It stops early once `limit`
 * entries match (the tag is then complete only up to the last one read).
 */
export async function readTag(
  table: StoreTable,
  tag: string,
  query: DcbQuery,
  after: number,
  limit: number,
): Promise<TagRead> {
  for (let attempt = 1; ; attempt++) {
    const entries: TagEntry[] = [];
    let head: Item | undefined;
    let matched = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await table.query("dcb", queryTag(table.tableName, tag, after, startKey));
      for (const item of output.Items ?? []) {
        if (isTagHead(item)) head = item;
        else {
          const entry = tagEntryOf(item);
          entries.push(entry);
          if (matchesQuery(query, entry.eventType, entry.tags)) matched++;
        }
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey && matched < limit);
    const newest = entries.at(-1)?.position ?? after;
    if (startKey) return { tag, entries, head: { last: newest, lastEntry: newest }, complete: newest };
    const tagHead = tagHeadOf(head);
    // A query sees each item of a transaction as committed, not all of them at once: a head that names an entry
    // the read did not get means an append is landing right now. Read again.
    if (tagHead.lastEntry <= Math.max(newest, after)) {
      return {
        tag,
        entries,
        head: { last: Math.max(tagHead.last, newest), lastEntry: tagHead.lastEntry },
        complete: Infinity,
      };
    }
    if (attempt >= maxReadAttempts) throw new ThrottledError(`tag ${tag} is being written too often to read; retry`);
    await sleep(Math.min(50, 2 ** attempt));
  }
}

/**
 * The entries whose events their streams still show: one strongly consistent BatchGetItem of the settings items
 * (lifecycle-items.ts) of the distinct streams they name, and none when there are no entries. An entry is hidden when
 * its stream was hard-deleted (tombstone) or its revision is below the stream's `hiddenBelow` (a soft delete or a
 * truncation), or past its maxAge (retention.ts), as a read of the stream hides it (read.ts); a maxCount reaches them
 * when the retention sweep truncates the stream.
 */
export async function visibleEntries(
  table: StoreTable,
  entries: TagEntry[],
  clock: RetentionClock,
): Promise<TagEntry[]> {
  const now = clock.now();
  if (entries.length === 0) return entries;
  const pk = tableDefinition.partitionKey.name;
  const streamIds = [...new Set(entries.map((entry) => entry.streamId))];
  const items = await table.getItems(
    "dcb",
    streamIds.map((streamId) => streamItemKey(streamId, settingsSortKey)),
  );
  const settings = new Map<string, StreamSettings>();
  for (const item of items) settings.set(String(item[pk]), settingsFromItem(item) as StreamSettings);
  return entries.filter((entry) => {
    const stream = settings.get(entry.streamId);
    const retention = effectiveRetention(clock.retention?.[entry.streamType], stream?.retention);
    if (isExpired(entry, retention, now)) return false;
    return !stream || (!stream.tombstone && entry.revision >= stream.hiddenBelow);
  });
}
