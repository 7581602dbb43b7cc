/**
 * The storage model of the Dynamic Consistency Boundary (dcb.ts): the tag partitions. Every key and command of
 * them lives here.
 *
 *   tag entry  pk = `dcbTag#<tag>`, sk = position: `dcbEvent` (JSON text: streamId, streamType, revision,
 *              eventType, eventId, tags, createdAt), and the event's `payload` and `metadata` (its text, exactly as
 *              stored) when the event item takes at most 1 KB — a copy that costs no more write units than a
 *              pointer would and spares the read its BatchGetItem. One per tag of each event.
 *   tag head   pk = `dcbTag#<tag>`, sk = 2^53 − 1 (after every entry, so a query of the partition ends with it):
 *              `last`, the highest position given out on this tag (to an event, or by a read's seal), and
 *              `lastEntry`, the highest position of an event carrying the tag.
 *
 * The pks are no UUIDs (no stream meets them), and no item here carries eventId or listPk: neither the change feed
 * nor the listing sees them. The events themselves are stream events (items.ts), with `tags` and `dcbPosition`.
 */
import type { AttributeValue, TransactWriteItem } from "@aws-sdk/client-dynamodb";
import type { QueryCommandInput, UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { type Item, itemSizeBytes, toAttributes } from "./items.ts";
import type { SequencedEvent } from "./model.ts";
import { RawJson } from "./raw-json.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;

/** The tag head's sort key: above every position (positions stay far below, see dcb.ts). */
export const tagHeadSortKey = Number.MAX_SAFE_INTEGER;
/** Event items up to this size are copied into their tag entries whole (1 write unit either way). */
export const inlineEventBytes = 1024;

/** What a tag entry holds: the whole event, or (for larger events) all but payload and metadata. */
export type TagEntry = Omit<SequencedEvent, "payload" | "metadata"> & {
  payload?: RawJson | undefined;
  metadata?: RawJson | undefined;
};

/** What a read knows of a tag's head; zeros for a tag no event or read has used. */
export interface TagHead {
  last: number;
  lastEntry: number;
}

export function tagPartition(tag: string): string {
  return `dcbTag#${tag}`;
}

export function tagHeadKey(tag: string): Item {
  return { [pk]: tagPartition(tag), [sk]: tagHeadSortKey };
}

export function tagHeadOf(item: Item | undefined): TagHead {
  return { last: Number(item?.last ?? 0), lastEntry: Number(item?.lastEntry ?? 0) };
}

export function isTagHead(item: Item): boolean {
  return Number(item[sk]) === tagHeadSortKey;
}

/** The entry of `event` under one of its tags. */
export function tagEntryItem(tag: string, event: SequencedEvent, eventItem: Item): Item {
  // Personal data stays in the event's own item: the entry names the event, the item holds the sealed values.
  const { payload, metadata, position, sealed: _sealed, subject: _subject, personalData: _pointers, ...rest } = event;
  const item: Item = { [pk]: tagPartition(tag), [sk]: position, dcbEvent: JSON.stringify(rest) };
  // An event that expires takes its tag entries with it (TTL, retention.ts).
  if (rest.expiresAt !== undefined) item[tableDefinition.timeToLiveAttribute] = rest.expiresAt;
  // An event with personal data is read from its own item, which holds the sealed values (personal-data.ts).
  if (payload instanceof RawJson && eventItem.sealed === undefined && itemSizeBytes(eventItem) <= inlineEventBytes) {
    item.payload = payload.text;
    if (metadata) item.metadata = metadata.text;
  }
  return item;
}

export function tagEntryOf(item: Item): TagEntry {
  const entry = JSON.parse(String(item.dcbEvent)) as Omit<TagEntry, "position">;
  return {
    ...entry,
    position: Number(item[sk]),
    ...(typeof item.payload === "string" ? { payload: new RawJson(item.payload) } : {}),
    ...(typeof item.metadata === "string" ? { metadata: new RawJson(item.metadata) } : {}),
  };
}

/** A tag's entries after a position, then its head (strongly consistent). */
export function queryTag(
  tableName: string,
  tag: string,
  after: number,
  exclusiveStartKey: Record<string, unknown> | undefined,
): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :pk AND #sk > :after",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: { ":pk": tagPartition(tag), ":after": after },
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/**
 * A read's seal: raises the tag's `last` to the position the read answers, if the head is still what the read saw,
 * so that every event appended on the tag afterwards gets a higher position (dcb.ts, why).
 */
export function sealTag(tableName: string, tag: string, seen: TagHead, to: number): UpdateCommandInput {
  const unseen = seen.last === 0 && seen.lastEntry === 0;
  return {
    TableName: tableName,
    Key: tagHeadKey(tag),
    UpdateExpression: "SET #last = :to",
    ConditionExpression: unseen ? "attribute_not_exists(#pk)" : "#last = :seen",
    ExpressionAttributeNames: { "#last": "last", ...(unseen ? { "#pk": pk } : {}) },
    ExpressionAttributeValues: { ":to": to, ...(unseen ? {} : { ":seen": seen.last }) },
    ReturnConsumedCapacity: "TOTAL",
  };
}

/**
 * An append's update of the head of a tag its events carry: `last` and `lastEntry` become the position of its last
 * event with the tag, if nothing raised `last` to the append's first position meanwhile, and (when the tag keys its
 * condition) no event on the tag came after the position the condition accepts.
 */
export function raiseTagHead(
  tableName: string,
  tag: string,
  firstPosition: number,
  lastPosition: number,
  accepted: number | undefined,
): TransactWriteItem {
  const values: Record<string, AttributeValue> = {
    ":first": { N: String(firstPosition) },
    ":last": { N: String(lastPosition) },
  };
  let condition = "(attribute_not_exists(#pk) OR #last < :first)";
  if (accepted !== undefined) {
    condition += ` AND ${acceptedCondition}`;
    values[":accepted"] = { N: String(accepted) };
  }
  return {
    Update: {
      TableName: tableName,
      Key: toAttributes(tagHeadKey(tag)),
      UpdateExpression: "SET #last = :last, #lastEntry = :last",
      ConditionExpression: condition,
      ExpressionAttributeNames: { "#pk": pk, "#last": "last", "#lastEntry": "lastEntry" },
      ExpressionAttributeValues: values,
    },
  };
}

/** A condition's tag that the append's events do not carry: no event on it after the accepted position. */
export function checkTagHead(tableName: string, tag: string, accepted: number): TransactWriteItem {
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: toAttributes(tagHeadKey(tag)),
      ConditionExpression: `attribute_not_exists(#pk) OR ${acceptedCondition}`,
      ExpressionAttributeNames: { "#pk": pk, "#lastEntry": "lastEntry" },
      ExpressionAttributeValues: { ":accepted": { N: String(accepted) } },
    },
  };
}

const acceptedCondition = "(attribute_not_exists(#lastEntry) OR #lastEntry <= :accepted)";

/** Puts a tag entry; its position is above the tag's head, so nothing stands there. */
export function putTagEntry(tableName: string, item: Item): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: toAttributes(item),
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": pk },
    },
  };
}
