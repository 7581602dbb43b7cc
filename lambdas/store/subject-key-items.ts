/**
 * The subject keys table (SPEC section 13): one item per data subject, kept apart from the event table so that the
 * event table's backups never hold a key. Read by the CDK construct and local mode, like table.ts for the events.
 *
 *   live    subject (pk): wrappedKey (Binary: the data key as the key wrapper wrapped it), createdAt.
 *   erased  subject (pk): erasedAt, erasedBy. The wrapped key is removed; the tombstone refuses new personal data
 *           for the subject (a returning customer is a new subject).
 *
 * The table has no point-in-time recovery on purpose: a backup would keep an erased key recoverable for 35 days.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import type { GetCommandInput, PutCommandInput, UpdateCommandInput } from "@aws-sdk/lib-dynamodb";

export const subjectKeysTableDefinition = {
  partitionKey: { name: "subject", type: "S" },
} as const;

const pk = subjectKeysTableDefinition.partitionKey.name;

/** A subject's key item as read: a live wrapped key, or the record of its erasure. */
export type SubjectKeyItem =
  | { state: "live"; wrappedKey: Buffer; createdAt: string }
  | { state: "erased"; erasedAt: string; erasedBy: string };

export function subjectKeyOf(item: Record<string, unknown> | undefined): SubjectKeyItem | undefined {
  if (!item) return undefined;
  if (typeof item.erasedAt === "string") {
    return { state: "erased", erasedAt: item.erasedAt, erasedBy: String(item.erasedBy) };
  }
  return { state: "live", wrappedKey: Buffer.from(item.wrappedKey as Uint8Array), createdAt: String(item.createdAt) };
}

export function getSubjectKey(tableName: string, subject: string): GetCommandInput {
  return { TableName: tableName, Key: { [pk]: subject }, ConsistentRead: true, ReturnConsumedCapacity: "TOTAL" };
}

/** Creates a subject's key unless the subject has an item already (a live key of a racing append, or a tombstone). */
export function putNewSubjectKey(
  tableName: string,
  subject: string,
  wrappedKey: Buffer,
  createdAt: string,
): PutCommandInput {
  return {
    TableName: tableName,
    Item: { [pk]: subject, wrappedKey, createdAt },
    ConditionExpression: "attribute_not_exists(#pk)",
    ExpressionAttributeNames: { "#pk": pk },
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** Removes the wrapped key and leaves a tombstone; a second erasure keeps the first one's time and caller. */
export function eraseSubjectKey(
  tableName: string,
  subject: string,
  erasedAt: string,
  erasedBy: string,
): UpdateCommandInput {
  return {
    TableName: tableName,
    Key: { [pk]: subject },
    UpdateExpression:
      "REMOVE wrappedKey, createdAt SET erasedAt = if_not_exists(erasedAt, :at), erasedBy = if_not_exists(erasedBy, :by)",
    ExpressionAttributeValues: { ":at": erasedAt, ":by": erasedBy },
    ReturnValues: "ALL_NEW",
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** CreateTable input for local mode and tests: on-demand, no stream, no index. */
export function createSubjectKeysTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: pk, AttributeType: subjectKeysTableDefinition.partitionKey.type }],
    KeySchema: [{ AttributeName: pk, KeyType: "HASH" }],
  };
}
