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
 */
import type { TransactWriteItem } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { derivedUuid } from "#shared/uuid.ts";
import { type AppendContext, sleep } from "./append.ts";
import {
  checkTagHead,
  isTagHead,
  putTagEntry,
  queryTag,
  raiseTagHead,
  sealTag,
  type TagEntry,
  type TagHead,
  tagEntryItem,
  tagEntryOf,
  tagHeadKey,
  tagHeadOf,
  tagPartition,
} from "./dcb-items.ts";
import { errorName, type StoreTable } from "./dynamo.ts";
import { AppendConditionFailedError, InvalidInputError, ThrottledError } from "./errors.ts";
import { eventItem, type Item, recordedEvent } from "./items.ts";
import { fitPage, type LargePayloads, resolvePayloads } from "./large-payloads.ts";
import type {
  DcbAppendCondition,
  DcbAppendResult,
  DcbEvent,
  DcbQuery,
  DcbReadResult,
  SequencedEvent,
} from "./model.ts";
import { appendToStreams, type PlannedWrite, type StreamWrite } from "./multi-append.ts";
import { tableDefinition } from "./table.ts";

/** The stream type of DCB events that name no stream. */
export const defaultDcbStreamType = "dcb";
/** How often a read reads a tag again because a transaction on it was half visible, or a seal lost a race. */
const maxReadAttempts = 32;

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
function keyTags(query: DcbQuery): string[] {
  return [...new Set(query.items.map((item) => item.tags[0] as string))];
}

// ---------------------------------------------------------------------------------------------------------------
// Read

interface TagRead {
  tag: string;
  entries: TagEntry[];
  head: TagHead;
  /** Read up to here: every entry of the tag at or below it is in `entries` (Infinity: all of them). */
  complete: number;
}

/**
 * The events matching a query after a position, in position order, and the condition that decides on exactly them.
 * Strongly consistent. At most `limit` events (more when several share the last position): `hasMore` then says to
 * read on after the last one, and the condition of such a page fails if used (events it did not return follow).
 */
export async function readDcb(
  table: StoreTable,
  query: DcbQuery,
  after: number,
  limit: number,
  payloads?: LargePayloads,
): Promise<DcbReadResult> {
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
  // A seal that lost a race read tags again: what matches is taken from the reads as they are now.
  const events = await resolve(table, hasMore ? entries : matching(query, [...reads.values()], position));
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
 * Reads one tag after `after`: every entry, and the head when the read got to the end. It stops early once `limit`
 * entries match (the tag is then complete only up to the last one read).
 */
async function readTag(
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

/** Entries with their payloads: copied into the entry, or read from the event's item (strongly consistent). */
async function resolve(table: StoreTable, entries: TagEntry[]): Promise<SequencedEvent[]> {
  const pk = tableDefinition.partitionKey.name;
  const sk = tableDefinition.sortKey.name;
  const missing = entries.filter((entry) => entry.payload === undefined);
  const stored = new Map<string, Item>();
  if (missing.length > 0) {
    const keys = missing.map((entry) => ({ [pk]: entry.streamId, [sk]: entry.revision }));
    for (const item of await table.getItems("dcb", keys)) stored.set(String(item.eventId), item);
  }
  return entries.map((entry) => {
    if (entry.payload !== undefined) return { ...entry, payload: entry.payload };
    const item = stored.get(entry.eventId);
    const event = item ? recordedEvent(item) : undefined;
    if (!event) throw new Error(`the event ${entry.eventId} of tag entry ${entry.position} is missing`);
    return { ...entry, payload: event.payload, metadata: event.metadata };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Append

/**
 * Appends events atomically with their tags, if no event matching the condition's query has a position above its
 * `after`. A retry of an append whose events are stored already (client-given eventIds) answers the original.
 *
 * How a retry is recognised: when every event matches the condition's query, a retry finds its own events as the
 * events that came after `after` (the original put them there), so the streams' idempotency windows (up to 100
 * events read per stream) are read only then, to answer the original. Otherwise they are read first, as by any
 * append with client-given eventIds.
 */
export async function appendDcb(
  context: AppendContext,
  events: DcbEvent[],
  condition: DcbAppendCondition | undefined,
): Promise<DcbAppendResult> {
  const ownIds = new Set(events.flatMap((event) => (event.eventId ? [event.eventId] : [])));
  const byCondition =
    condition !== undefined &&
    ownIds.size > 0 &&
    events.every((event) => matchesQuery(condition.failIfEventsMatch, event.eventType, event.tags));
  try {
    return await appendTagged(context, events, condition, byCondition ? ownIds : undefined);
  } catch (error) {
    if (!(error instanceof OwnEventsFound)) throw error;
    return appendTagged(context, events, condition, undefined);
  }
}

/** The condition met events of this very append: it is a retry, which the streams' windows answer. */
class OwnEventsFound extends Error {}

/**
 * The multi-stream append of the events to their streams, with their tags' entries and heads and the condition's
 * checks in its transaction. With `ownIds`, retries are recognised by the condition (OwnEventsFound).
 */
async function appendTagged(
  context: AppendContext,
  events: DcbEvent[],
  condition: DcbAppendCondition | undefined,
  ownIds: Set<string> | undefined,
): Promise<DcbAppendResult> {
  const table = context.table;
  const writes = streamWrites(events);
  const eventTags = [...new Set(events.flatMap((event) => event.tags))];
  const conditionTags = condition ? keyTags(condition.failIfEventsMatch) : [];
  const touched = [...new Set([...eventTags, ...conditionTags])];
  const entryCount = events.reduce((sum, event) => sum + event.tags.length, 0);

  let positions: number[] = [];
  const result = await appendToStreams(context, writes, [], {
    itemCount: entryCount + touched.length,
    recognisesRetries: ownIds !== undefined,
    async prepare(planned: PlannedWrite[]) {
      const heads = await readHeads(table, touched);
      const accepted = condition ? await acceptedPositions(table, condition, heads, ownIds) : new Map();
      const first = Math.max(0, ...[...heads.values()].map((head) => head.last)) + 1;
      positions = events.map((_, index) => first + index);
      const items: TransactWriteItem[] = [];
      const lastOnTag = new Map<string, number>();
      const eventAttributes = planned.map((write, w) => {
        const group = writes[w] as (typeof writes)[number];
        return write.events.map((event, e) => {
          const dcbEvent = group.dcbEvents[e] as DcbEvent;
          const position = positions[group.indexes[e] as number] as number;
          const stored = eventItem(write.streamType, write.streamId, write.firstRevision + e, event, write.createdAt);
          const sequenced: SequencedEvent = { ...recordedEvent(stored), position, tags: dcbEvent.tags };
          for (const tag of dcbEvent.tags) {
            items.push(putTagEntry(table.tableName, tagEntryItem(tag, sequenced, stored)));
            lastOnTag.set(tag, Math.max(lastOnTag.get(tag) ?? 0, position));
          }
          return { tags: JSON.stringify(dcbEvent.tags), dcbPosition: position };
        });
      });
      for (const tag of touched) {
        const last = lastOnTag.get(tag);
        items.push(
          last === undefined
            ? checkTagHead(table.tableName, tag, accepted.get(tag) as number)
            : raiseTagHead(table.tableName, tag, first, last, accepted.get(tag)),
        );
      }
      return { items, eventAttributes };
    },
  });
  if (result.retried) positions = await storedPositions(table, result.appends);
  return { firstPosition: Math.min(...positions), lastPosition: Math.max(...positions), appends: result.appends };
}

/** The events by the stream they are stored in ("any": after its newest), each keeping its place in the request. */
function streamWrites(events: DcbEvent[]): (StreamWrite & { indexes: number[]; dcbEvents: DcbEvent[] })[] {
  const groups = new Map<string, StreamWrite & { indexes: number[]; dcbEvents: DcbEvent[] }>();
  events.forEach((event, index) => {
    const { streamType, streamId } = homeStream(event);
    const group = groups.get(streamId) ?? {
      streamType,
      streamId,
      expected: "any",
      events: [],
      indexes: [],
      dcbEvents: [],
    };
    if (group.streamType !== streamType) {
      throw new InvalidInputError("one stream named with two stream types", {
        [`events[${index}].streamType`]: [
          `names stream ${streamId} as ${streamType}, another event as ${group.streamType}`,
        ],
      });
    }
    const { tags: _tags, streamType: _type, streamId: _id, ...plain } = event;
    group.events.push(plain);
    group.indexes.push(index);
    group.dcbEvents.push(event);
    groups.set(streamId, group);
  });
  return [...groups.values()];
}

/** The heads of these tags (strongly consistent); zeros for tags never used. */
async function readHeads(table: StoreTable, tags: string[]): Promise<Map<string, TagHead>> {
  const pk = tableDefinition.partitionKey.name;
  const items = await table.getItems("dcb", tags.map(tagHeadKey), [pk, "last", "lastEntry"]);
  const byPartition = new Map(items.map((item) => [String(item[pk]), item]));
  return new Map(tags.map((tag) => [tag, tagHeadOf(byPartition.get(tagPartition(tag)))]));
}

/**
 * Per tag of the condition, the position up to which its events are known not to fail it: `after`, or, where the
 * tag has events after `after`, the newest of them once each is read and found not to match (409 on one that does).
 */
async function acceptedPositions(
  table: StoreTable,
  condition: DcbAppendCondition,
  heads: Map<string, TagHead>,
  ownIds: Set<string> | undefined,
): Promise<Map<string, number>> {
  const accepted = new Map<string, number>();
  await Promise.all(
    keyTags(condition.failIfEventsMatch).map(async (tag) => {
      const head = heads.get(tag) as TagHead;
      if (head.lastEntry <= condition.after) {
        accepted.set(tag, condition.after);
        return;
      }
      const read = await readTag(table, tag, condition.failIfEventsMatch, condition.after, 1);
      const conflict = read.entries.find((entry) =>
        matchesQuery(condition.failIfEventsMatch, entry.eventType, entry.tags),
      );
      // The first match after `after` is this append's own: its original went through (an earlier match would
      // have failed it).
      if (conflict && ownIds?.has(conflict.eventId)) throw new OwnEventsFound();
      if (conflict) {
        throw new AppendConditionFailedError(
          `an event matching the condition (${conflict.eventType} at position ${conflict.position}, tag ${tag}) was ` +
            `appended after position ${condition.after}`,
          conflict.position,
        );
      }
      accepted.set(tag, Math.max(condition.after, read.head.lastEntry, read.entries.at(-1)?.position ?? 0));
    }),
  );
  return accepted;
}

/** The positions of a retried append's events, read from their items. */
async function storedPositions(table: StoreTable, appends: DcbAppendResult["appends"]): Promise<number[]> {
  const pk = tableDefinition.partitionKey.name;
  const sk = tableDefinition.sortKey.name;
  const keys = appends.flatMap((append) =>
    Array.from({ length: append.lastRevision - append.firstRevision + 1 }, (_, index) => ({
      [pk]: append.stream.streamId,
      [sk]: append.firstRevision + index,
    })),
  );
  const items = await table.getItems("dcb", keys, ["dcbPosition"]);
  return items.map((item) => Number(item.dcbPosition));
}
