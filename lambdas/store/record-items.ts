/**
 * The storage model of the store's own records, beside the streams' (items.ts): undelivered notifications and
 * operations. Every key, item shape and expression of them lives here.
 *
 *   undelivered  pk = `undelivered#<streamId>`, sk = first revision: streamId, streamType, firstRevision,
 *                lastRevision, cause, since; recPk = `undelivered#<shard>`, recSk = `<since>#<streamId>#<first>`.
 *   operation    pk = `operation#<id>`, sk = 0: id, kind, state, createdAt, updatedAt, request, progress, cursor,
 *                result, problem, cancelRequested, version; recPk = `operation#<kind>`, recSk = `<createdAt>#<id>`.
 *   stream type  pk = `streamType#<type>`, sk = 0: streamType, streamCount, lastStreamCreatedAt; recPk = `streamType`,
 *                recSk = `<type>`: every type in one partition of the records index, in name order. Kept by the
 *                change feed (see stream-types.ts).
 *
 * Their pks are no UUIDs (no stream meets them) and they carry neither eventId nor listPk (neither the change feed
 * nor the stream listing sees them); the records index finds them by kind and time.
 */
import type { DeleteCommandInput, PutCommandInput, QueryCommandInput, UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { type Item, ifAbsent, summarySortKey } from "./items.ts";
import { listingShard } from "./listing-items.ts";
import type { Operation, StreamTypeSummary, UndeliveredNotification } from "./model.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;

const records = tableDefinition.recordsIndex;

/** Revisions padded to one width, so that record sort keys order them as numbers. */
function paddedRevision(revision: number): string {
  return String(revision).padStart(16, "0");
}

export function undeliveredItem(notification: UndeliveredNotification): Item {
  return {
    [pk]: `undelivered#${notification.streamId}`,
    [sk]: notification.firstRevision,
    ...notification,
    [records.partitionKey.name]: `undelivered#${listingShard(notification.streamId)}`,
    [records.sortKey.name]:
      `${notification.since}#${notification.streamId}#${paddedRevision(notification.firstRevision)}`,
  };
}

export function undeliveredFromItem(item: Item): UndeliveredNotification {
  return {
    streamId: String(item.streamId),
    streamType: String(item.streamType),
    firstRevision: Number(item.firstRevision),
    lastRevision: Number(item.lastRevision),
    cause: String(item.cause),
    since: String(item.since),
  };
}

/** Records undelivered notifications unless that range is recorded already (the first failure's time stays). */
export function putUndelivered(tableName: string, notification: UndeliveredNotification): PutCommandInput {
  return {
    TableName: tableName,
    Item: undeliveredItem(notification),
    ...ifAbsent,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** A stream's undelivered notifications in revision order (strongly consistent). */
export function queryUndeliveredOfStream(tableName: string, streamId: string, limit: number): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :pk",
    ExpressionAttributeNames: { "#pk": pk },
    ExpressionAttributeValues: { ":pk": `undelivered#${streamId}` },
    Limit: limit,
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

export function deleteUndelivered(tableName: string, streamId: string, firstRevision: number): DeleteCommandInput {
  return {
    TableName: tableName,
    Key: { [pk]: `undelivered#${streamId}`, [sk]: firstRevision },
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** Records of one partition of the records index after a sort key (from its start when empty), oldest first. */
export function queryRecords(
  tableName: string,
  partition: string,
  afterSortKey: string,
  limit: number,
  filter?: { state: string },
): QueryCommandInput {
  const after = afterSortKey !== "";
  return {
    TableName: tableName,
    IndexName: records.name,
    KeyConditionExpression: after ? "#recPk = :recPk AND #recSk > :after" : "#recPk = :recPk",
    ExpressionAttributeNames: {
      "#recPk": records.partitionKey.name,
      ...(after ? { "#recSk": records.sortKey.name } : {}),
      ...(filter ? { "#state": "state" } : {}),
    },
    ExpressionAttributeValues: {
      ":recPk": partition,
      ...(after ? { ":after": afterSortKey } : {}),
      ...(filter ? { ":state": filter.state } : {}),
    },
    ...(filter ? { FilterExpression: "#state = :state" } : {}),
    Limit: limit,
    ReturnConsumedCapacity: "INDEXES",
  };
}

export function recordSortKeyOf(item: Item): string {
  return String(item[records.sortKey.name]);
}

export function undeliveredPartition(shard: number): string {
  return `undelivered#${shard}`;
}

export function operationsPartition(kind: string): string {
  return `operation#${kind}`;
}

/** Operation items keep request, cursor and result as JSON text: DynamoDB maps cannot hold every JSON value. */
export function operationItem(operation: Operation): Item {
  const { request, cursor, result, ...plain } = operation;
  return {
    [pk]: `operation#${operation.id}`,
    [sk]: summarySortKey,
    ...plain,
    request: JSON.stringify(request),
    ...(cursor !== undefined ? { cursor: JSON.stringify(cursor) } : {}),
    ...(result !== undefined ? { result: JSON.stringify(result) } : {}),
    [records.partitionKey.name]: operationsPartition(operation.kind),
    [records.sortKey.name]: `${operation.createdAt}#${operation.id}`,
  };
}

export function operationFromItem(item: Item): Operation {
  return {
    id: String(item.id),
    kind: item.kind as Operation["kind"],
    state: item.state as Operation["state"],
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    request: JSON.parse(String(item.request)) as Operation["request"],
    progress: item.progress as Operation["progress"],
    ...(typeof item.cursor === "string" ? { cursor: JSON.parse(item.cursor) } : {}),
    ...(typeof item.result === "string" ? { result: JSON.parse(item.result) } : {}),
    ...(item.problem ? { problem: item.problem as Operation["problem"] } : {}),
    ...(item.cancelRequested === true ? { cancelRequested: true } : {}),
    ...(typeof item.requestedBy === "string" ? { requestedBy: item.requestedBy } : {}),
    version: Number(item.version),
  };
}

/** Creates an operation unless one with its id exists (an Idempotency-Key's retry). */
export function putNewOperation(tableName: string, operation: Operation): PutCommandInput {
  return {
    TableName: tableName,
    Item: operationItem(operation),
    ...ifAbsent,
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    ReturnConsumedCapacity: "TOTAL",
  };
}

export function queryOperation(tableName: string, id: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :pk",
    ExpressionAttributeNames: { "#pk": pk },
    ExpressionAttributeValues: { ":pk": `operation#${id}` },
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/**
 * Replaces an operation with its next version if it is still at `expectedVersion`: the worker's checkpoint and a
 * cancel cannot overwrite each other, and a repeated (redelivered) step finds the version moved on.
 */
export function putOperationVersion(tableName: string, next: Operation, expectedVersion: number): PutCommandInput {
  return {
    TableName: tableName,
    Item: operationItem(next),
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: { "#version": "version" },
    ExpressionAttributeValues: { ":expected": expectedVersion },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** The partition of the records index that holds every stream type record, sorted by the type's name. */
export const streamTypesPartition = "streamType";

/**
 * Adds `count` new streams to their type's record (creating it with the first), and moves its lastStreamCreatedAt
 * to `createdAt` on the condition that that is later: DynamoDB has no max(), so a write that would move the time
 * backwards fails and is sent again without `createdAt` (see stream-types.ts).
 */
export function addStreamsOfType(
  tableName: string,
  streamType: string,
  count: number,
  createdAt: string | undefined,
): UpdateCommandInput {
  const moveTime = createdAt !== undefined;
  return {
    TableName: tableName,
    Key: { [pk]: `streamType#${streamType}`, [sk]: summarySortKey },
    UpdateExpression: `ADD streamCount :count SET streamType = :streamType, #recPk = :recPk, #recSk = :recSk${
      moveTime ? ", lastStreamCreatedAt = :createdAt" : ""
    }`,
    ...(moveTime
      ? { ConditionExpression: "attribute_not_exists(lastStreamCreatedAt) OR lastStreamCreatedAt < :createdAt" }
      : {}),
    ExpressionAttributeNames: { "#recPk": records.partitionKey.name, "#recSk": records.sortKey.name },
    ExpressionAttributeValues: {
      ":count": count,
      ":streamType": streamType,
      ":recPk": streamTypesPartition,
      ":recSk": streamType,
      ...(moveTime ? { ":createdAt": createdAt } : {}),
    },
    ReturnConsumedCapacity: "INDEXES",
  };
}

export function streamTypeFromItem(item: Item): StreamTypeSummary {
  return {
    streamType: String(item.streamType),
    streamCount: Number(item.streamCount),
    lastStreamCreatedAt: String(item.lastStreamCreatedAt),
  };
}
