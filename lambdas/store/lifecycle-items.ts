/**
 * The storage model of deleting and truncating streams (SPEC section 13), beside the events' (items.ts): every key,
 * item shape and expression of it lives here.
 *
 *   marker    pk = streamId, sk = the stream's next revision: streamType, marker ("deleted" or "tombstone"),
 *             createdAt. A delete writes it with `attribute_not_exists(pk)`, as an append writes an event: a delete
 *             and an append racing for that revision cannot both win. It has no eventId, so neither the change
 *             feed nor the feed index ever takes it for an event.
 *   settings  pk = streamId, sk = -1: streamType, hiddenBelow (events with a lower revision are unreadable; it only
 *             grows), tombstone (true after a hard delete), version; the stream's own retention (maxAge, maxCount,
 *             retention.ts) and, while it has one, recPk = `retention` and recSk = streamId, which list it in the
 *             records index for the retention sweep. Below the summary (sk 0), so a forward read
 *             from revision 1 finds it in the same query as the events.
 *   removal   pk = `feedRemovals`, sk = its time in microseconds (epoch ms × 1000 + a random tie-break; the table's
 *             sort key is a number): streamId, hiddenBelow, operationId. One per delete or truncation, written only
 *             if its key is free, in one partition the feed reader follows, so that it drops the hidden events.
 */
import type { QueryCommandInput as PlainQueryInput } from "@aws-sdk/client-dynamodb";
import type { GetCommandInput, QueryCommandInput, TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { type Item, ifAbsent, maxRevision, summarySortKey } from "./items.ts";
import type { Operation } from "./model.ts";
import { operationItem } from "./record-items.ts";
import { hasLimits, type Retention } from "./retention.ts";
import { retentionRecordKind } from "./retention-items.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;
const listing = tableDefinition.listingIndex;
const records = tableDefinition.recordsIndex;

/** The sort key of a stream's settings item: below the summary (0) and the events (1, 2, …). */
export const settingsSortKey = -1;

/** The partition of removal entries, which the feed reader follows. */
export const removalsPartition = "feedRemovals";

export type MarkerKind = "deleted" | "tombstone";

/** What hides a stream's events: the settings item as the store reads it. */
export interface StreamSettings {
  streamType: string;
  /** Events with a revision below this are unreadable (1: none). */
  hiddenBelow: number;
  tombstone: boolean;
  version: number;
  /** The stream's own limits (its type's are the stack's). */
  retention?: Retention | undefined;
}

/** True for the settings item (a read from revision 1 sees it first). */
export function isSettingsItem(item: Item): boolean {
  return Number(item[sk]) === settingsSortKey;
}

/** The marker kind of an item of a stream's revision sequence; undefined for an event. */
export function markerOf(item: Item): MarkerKind | undefined {
  return item.marker === "deleted" || item.marker === "tombstone" ? item.marker : undefined;
}

export function settingsFromItem(item: Item | undefined): StreamSettings | undefined {
  if (!item) return undefined;
  return {
    streamType: String(item.streamType),
    hiddenBelow: Number(item.hiddenBelow ?? 1),
    tombstone: item.tombstone === true,
    version: Number(item.version ?? 0),
    ...(typeof item.maxAge === "number" || typeof item.maxCount === "number"
      ? {
          retention: {
            ...(typeof item.maxAge === "number" ? { maxAge: item.maxAge } : {}),
            ...(typeof item.maxCount === "number" ? { maxCount: item.maxCount } : {}),
          },
        }
      : {}),
  };
}

/** The settings item, strongly consistent (1 RRU). */
export function getSettings(tableName: string, streamId: string): GetCommandInput {
  return {
    TableName: tableName,
    Key: { [pk]: streamId, [sk]: settingsSortKey },
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** What a delete or truncation writes, in one transaction. */
export interface LifecycleWrite {
  streamType: string;
  streamId: string;
  /** Hide events below this revision. */
  hiddenBelow: number;
  tombstone: boolean;
  /** A delete's marker: its revision and kind. */
  marker?: { revision: number; kind: MarkerKind } | undefined;
  /** A delete drops the stream from the listing; `counted` says whether its summary was listed (and so counted). */
  unlist?: { counted: boolean } | undefined;
  /** The stream's own retention, replacing what it had (an empty one: none of its own); absent: unchanged. */
  retention?: Retention | undefined;
  /** RFC 3339 UTC. */
  at: string;
  /** The removal entry's sort key: see removalKeyAt. */
  removalKey: number;
  operation: Operation;
}

/**
 * The transaction of a delete or truncation: the marker (a new revision, so it races appends), the settings (hide;
 * never lower), the summary (out of the listing, at the marker's revision, so that a late raise of an older
 * revision by the change feed cannot list it again), the type's count, the removal entry and the operation record.
 */
export function lifecycleTransaction(tableName: string, write: LifecycleWrite): TransactWriteCommandInput {
  const { streamId, streamType } = write;
  const items: NonNullable<TransactWriteCommandInput["TransactItems"]> = [];
  if (write.marker) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          [pk]: streamId,
          [sk]: write.marker.revision,
          streamType,
          marker: write.marker.kind,
          createdAt: write.at,
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": pk },
      },
    });
  }
  items.push({
    Update: {
      TableName: tableName,
      Key: { [pk]: streamId, [sk]: settingsSortKey },
      ConditionExpression: "attribute_not_exists(hiddenBelow) OR hiddenBelow <= :hiddenBelow",
      ...settingsUpdate(write),
    },
  });
  if (write.unlist && write.marker) {
    items.push({
      Update: {
        TableName: tableName,
        Key: { [pk]: streamId, [sk]: summarySortKey },
        UpdateExpression:
          "SET streamType = :streamType, revision = :revision, updatedAt = :at REMOVE #listPk, #listSk, feedBatch, feedFrom",
        ConditionExpression: write.unlist.counted ? "attribute_exists(#listPk)" : "attribute_not_exists(#listPk)",
        ExpressionAttributeNames: { "#listPk": listing.partitionKey.name, "#listSk": listing.sortKey.name },
        ExpressionAttributeValues: { ":streamType": streamType, ":revision": write.marker.revision, ":at": write.at },
      },
    });
    if (write.unlist.counted) {
      items.push({
        Update: {
          TableName: tableName,
          Key: { [pk]: `streamType#${streamType}`, [sk]: summarySortKey },
          // Unconditional: a listed stream whose count write failed (stream-types.ts) leaves the type at its true
          // count less one, as every such failure does; a type record missing altogether comes back at its next count.
          UpdateExpression: "ADD streamCount :minusOne",
          ExpressionAttributeValues: { ":minusOne": -1 },
        },
      });
    }
  }
  items.push({
    Put: {
      TableName: tableName,
      Item: {
        [pk]: removalsPartition,
        [sk]: write.removalKey,
        streamId,
        hiddenBelow: write.hiddenBelow,
        operationId: write.operation.id,
      },
      ...ifAbsent,
    },
  });
  items.push({ Put: { TableName: tableName, Item: operationItem(write.operation), ...ifAbsent } });
  return { TransactItems: items, ReturnConsumedCapacity: "INDEXES" };
}

/** The settings' update: what is hidden, and the stream's own retention when the write sets it. */
function settingsUpdate(write: LifecycleWrite) {
  const set = ["streamType = :streamType", "hiddenBelow = :hiddenBelow", "tombstone = :tombstone"];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ":streamType": write.streamType,
    ":hiddenBelow": write.hiddenBelow,
    ":tombstone": write.tombstone,
    ":one": 1,
  };
  const names: Record<string, string> = {};
  if (write.retention) {
    for (const limit of ["maxAge", "maxCount"] as const) {
      const value = write.retention[limit];
      if (value === undefined) remove.push(limit);
      else {
        set.push(`${limit} = :${limit}`);
        values[`:${limit}`] = value;
      }
    }
    // Listed in the records index while it has limits of its own: the retention sweep finds it there.
    Object.assign(names, { "#recPk": records.partitionKey.name, "#recSk": records.sortKey.name });
    if (hasLimits(write.retention)) {
      set.push("#recPk = :retention", "#recSk = :streamId");
      Object.assign(values, { ":retention": retentionRecordKind, ":streamId": write.streamId });
    } else remove.push("#recPk", "#recSk");
  } else if (write.tombstone) {
    // A hard-deleted stream keeps nothing to sweep: out of the records index.
    Object.assign(names, { "#recPk": records.partitionKey.name, "#recSk": records.sortKey.name });
    remove.push("#recPk", "#recSk");
  }
  return {
    UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""} ADD version :one`,
    ExpressionAttributeValues: values,
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
  };
}

/** The index of the transaction's items that failed, by what they are. */
export type TransactionPart = "marker" | "settings" | "summary" | "count" | "removal" | "operation";

export function transactionParts(write: LifecycleWrite): TransactionPart[] {
  const parts: TransactionPart[] = [];
  if (write.marker) parts.push("marker");
  parts.push("settings");
  if (write.unlist && write.marker) {
    parts.push("summary");
    if (write.unlist.counted) parts.push("count");
  }
  parts.push("removal", "operation");
  return parts;
}

/** A removal entry's sort key: microseconds since the epoch, the last three digits a random tie-break. */
export function removalKeyAt(epochMillis: number): number {
  return epochMillis * 1000 + Math.floor(Math.random() * 1000);
}

/** Removal entries with a key above `afterKey` (strongly consistent), oldest first. */
export function queryRemovals(tableName: string, afterKey: number, startKey?: Item): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :pk AND #sk > :after",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: { ":pk": removalsPartition, ":after": afterKey },
    ConsistentRead: true,
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    ReturnConsumedCapacity: "TOTAL",
  };
}

export function removalFromItem(item: Item): { key: number; streamId: string; hiddenBelow: number } {
  return { key: Number(item[sk]), streamId: String(item.streamId), hiddenBelow: Number(item.hiddenBelow) };
}

/**
 * Items of a stream from revision `from` below `below` (keys, markers and payload references only), oldest first,
 * strongly consistent: what a removal step deletes.
 */
export function queryHiddenItems(
  tableName: string,
  streamId: string,
  range: { from: number; below: number },
  limit: number,
): PlainQueryInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :streamId AND #sk BETWEEN :from AND :to",
    ProjectionExpression: "#pk, #sk, marker, payloadKey",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: {
      ":streamId": { S: streamId },
      ":from": { N: String(range.from) },
      ":to": { N: String(Math.min(range.below - 1, maxRevision)) },
    },
    Limit: limit,
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** The key of a stream's item at a revision (for BatchWriteItem deletes). */
export function streamItemKey(streamId: string, revision: number): Item {
  return { [pk]: streamId, [sk]: revision };
}
