/**
 * Appending to the Dynamic Consistency Boundary (dcb.ts has the design): tagged events as a multi-stream append with
 * their tag entries and heads in the same transaction, on a condition checked per tag.
 */
import type { TransactWriteItem } from "@aws-sdk/client-dynamodb";
import type { AppendContext } from "./append.ts";
import { homeStream, keyTags, matchesQuery, readTag, visibleEntries } from "./dcb.ts";
import {
  checkTagHead,
  putTagEntry,
  raiseTagHead,
  type TagHead,
  tagEntryItem,
  tagHeadKey,
  tagHeadOf,
  tagPartition,
} from "./dcb-items.ts";
import type { StoreTable } from "./dynamo.ts";
import { AppendConditionFailedError, InvalidInputError } from "./errors.ts";
import { eventItem, recordedEvent } from "./items.ts";
import type { DcbAppendCondition, DcbAppendResult, DcbEvent, SequencedEvent } from "./model.ts";
import { appendToStreams, type PlannedWrite, type StreamWrite } from "./multi-append.ts";
import { tableDefinition } from "./table.ts";

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
      const accepted = condition ? await acceptedPositions(context, condition, heads, ownIds) : new Map();
      const first = Math.max(0, ...[...heads.values()].map((head) => head.last)) + 1;
      positions = events.map((_, index) => first + index);
      const items: TransactWriteItem[] = [];
      const lastOnTag = new Map<string, number>();
      const eventAttributes = planned.map((write, w) => {
        const group = writes[w] as (typeof writes)[number];
        return write.events.map((event, e) => {
          const dcbEvent = group.dcbEvents[e] as DcbEvent;
          const position = positions[group.indexes[e] as number] as number;
          const stored = eventItem(
            write.streamType,
            write.streamId,
            write.firstRevision + e,
            event,
            write.createdAt,
            write.expiresAt,
          );
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
  context: AppendContext,
  condition: DcbAppendCondition,
  heads: Map<string, TagHead>,
  ownIds: Set<string> | undefined,
): Promise<Map<string, number>> {
  const { table } = context;
  const query = condition.failIfEventsMatch;
  const accepted = new Map<string, number>();
  await Promise.all(
    keyTags(query).map(async (tag) => {
      const head = heads.get(tag) as TagHead;
      if (head.lastEntry <= condition.after) {
        accepted.set(tag, condition.after);
        return;
      }
      // The first match after `after` that a read would still show fails the condition: a match that a delete,
      // truncation or retention hid since is passed by (a read would not have shown it either), and the tag is
      // read on after it. Only a match costs the check of its stream's settings (visibleEntries).
      for (let from = condition.after; ; ) {
        const read = await readTag(table, tag, query, from, 1);
        const matches = read.entries.filter((entry) => matchesQuery(query, entry.eventType, entry.tags));
        const [conflict] = matches.length > 0 ? await visibleEntries(table, matches, context) : [];
        // The first match after `after` is this append's own: its original went through (an earlier match would
        // have failed it).
        if (conflict && ownIds?.has(conflict.eventId)) throw new OwnEventsFound();
        if (conflict) {
          throw new AppendConditionFailedError(
            `an event matching the condition (${conflict.eventType} at position ${conflict.position}, tag ${tag}) ` +
              `was appended after position ${condition.after}`,
            conflict.position,
          );
        }
        if (read.complete === Number.POSITIVE_INFINITY) {
          accepted.set(tag, Math.max(condition.after, read.head.lastEntry, read.entries.at(-1)?.position ?? 0));
          return;
        }
        from = read.complete;
      }
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
