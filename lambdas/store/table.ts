/**
 * The one definition of the event table: keys, attribute types, the listing index, TTL and the change feed.
 * Local mode and the tests create the table from `createTableInput`; the CDK construct reads the same constants.
 * The item layout that lives in this table is described in `items.ts`.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export type KeyAttributeType = "S" | "N";

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export const tableDefinition = {
  /** Stream id (UUID, lower case). */
  partitionKey: { name: "pk", type: "S" },
  /** Revision for event items (1, 2, 3, …); 0 for the stream's summary item. */
  sortKey: { name: "sk", type: "N" },
  /**
   * Sparse index over stream summaries only, serving "streams of type T updated after U".
   * Its partition key is `<streamType>#<shard>` so that one busy stream type is spread over
   * `listingShards` partitions; its sort key `<updatedAt>#<streamId>` orders streams totally.
   */
  listingIndex: {
    name: "byTypeAndUpdatedAt",
    partitionKey: { name: "listPk", type: "S" },
    sortKey: { name: "listSk", type: "S" },
    nonKeyAttributes: ["streamType", "revision", "updatedAt"],
  },
  /**
   * The default number of listing shards (the stack option `listingShards` chooses another). Each shard is one
   * partition of the index per stream type: DynamoDB gives a partition about 1,000 write units per second, and every
   * summary upkeep writes the index (a delete and a put), so a type sustains about 500 × shards summary upkeeps
   * per second; a listing page queries every shard. Undelivered notifications keep this many shards of their own.
   */
  listingShards: 4,
  /**
   * Sparse index over the store's own records (undelivered notifications, operations), projecting all their
   * attributes: `recPk` names a kind (`undelivered#<shard>`, `operation#<kind>`), `recSk` orders it by time.
   */
  recordsIndex: {
    name: "byRecordKindAndTime",
    partitionKey: { name: "recPk", type: "S" },
    sortKey: { name: "recSk", type: "S" },
  },
  /** Epoch seconds; items carrying it expire (events never do). */
  timeToLiveAttribute: "expiresAt",
  /** The change feed needs the new item only. */
  streamViewType: "NEW_IMAGE",
} as const satisfies {
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  listingIndex: { name: string; partitionKey: KeyAttribute; sortKey: KeyAttribute; nonKeyAttributes: string[] };
  listingShards: number;
  recordsIndex: { name: string; partitionKey: KeyAttribute; sortKey: KeyAttribute };
  timeToLiveAttribute: string;
  streamViewType: "NEW_IMAGE";
};

/** The listing shards a deployment may choose (stack option `listingShards`). */
export const listingShardsRange = { min: 1, max: 32 } as const;

/** `shards` if it is a whole number in listingShardsRange; otherwise an error that says the range. */
export function checkListingShards(shards: number): number {
  const { min, max } = listingShardsRange;
  if (!Number.isInteger(shards) || shards < min || shards > max) {
    throw new RangeError(`listingShards must be a whole number from ${min} to ${max}, not ${shards}`);
  }
  return shards;
}

/** The key attributes every index and the table use, once each, as CreateTable and UpdateTable name them. */
export function attributeDefinitions() {
  const { partitionKey, sortKey, listingIndex, recordsIndex } = tableDefinition;
  const keys = [partitionKey, sortKey, listingIndex.partitionKey, listingIndex.sortKey];
  return [...keys, recordsIndex.partitionKey, recordsIndex.sortKey].map((key) => ({
    AttributeName: key.name,
    AttributeType: key.type,
  }));
}

/** The records index as CreateTable and UpdateTable describe it (local mode adds it to older local tables). */
export function recordsIndexInput() {
  const { recordsIndex } = tableDefinition;
  return {
    IndexName: recordsIndex.name,
    KeySchema: [
      { AttributeName: recordsIndex.partitionKey.name, KeyType: "HASH" as const },
      { AttributeName: recordsIndex.sortKey.name, KeyType: "RANGE" as const },
    ],
    Projection: { ProjectionType: "ALL" as const },
  };
}

/** CreateTable input for local mode and tests (on-demand, stream enabled, listing and records indexes). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, listingIndex, streamViewType } = tableDefinition;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: attributeDefinitions(),
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: "HASH" },
      { AttributeName: sortKey.name, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: listingIndex.name,
        KeySchema: [
          { AttributeName: listingIndex.partitionKey.name, KeyType: "HASH" },
          { AttributeName: listingIndex.sortKey.name, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...listingIndex.nonKeyAttributes] },
      },
      recordsIndexInput(),
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
  };
}
