/**
 * The storage model of retention (retention.ts) beside deletes' (lifecycle-items.ts): how the streams with limits of
 * their own are listed for the sweep, and how far a maxAge reaches in a stream.
 *
 *   settings of a stream with limits of its own: recPk = `retention`, recSk = streamId (lifecycle-items.ts writes
 *   them with the limits), so that the records index lists those streams in one partition.
 */
import type { QueryCommandInput as PlainQueryInput } from "@aws-sdk/client-dynamodb";
import type { QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { type Item, maxRevision } from "./items.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;
const records = tableDefinition.recordsIndex;

/** The records index's kind of streams with retention limits of their own. */
export const retentionRecordKind = "retention";

/** Streams with retention limits of their own, a page of the records index (eventually consistent). */
export function queryStreamsWithRetention(tableName: string, startKey?: Item): QueryCommandInput {
  return {
    TableName: tableName,
    IndexName: records.name,
    KeyConditionExpression: "#recPk = :kind",
    ExpressionAttributeNames: { "#recPk": records.partitionKey.name },
    ExpressionAttributeValues: { ":kind": retentionRecordKind },
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    ReturnConsumedCapacity: "TOTAL",
  };
}

/**
 * A stream's events from revision `from` on, oldest first, with only what tells their age (strongly consistent): how
 * far a stream's maxAge reaches (retention-sweep.ts, and setting a stream's retention).
 */
export function queryEventTimes(tableName: string, streamId: string, from: number, limit: number): PlainQueryInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :streamId AND #sk BETWEEN :from AND :to",
    ProjectionExpression: "#sk, createdAt, #ttl, marker",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk, "#ttl": tableDefinition.timeToLiveAttribute },
    ExpressionAttributeValues: {
      ":streamId": { S: streamId },
      ":from": { N: String(Math.max(1, from)) },
      ":to": { N: String(maxRevision) },
    },
    Limit: limit,
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}
