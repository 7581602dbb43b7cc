/**
 * The storage model of stream summaries and the listing index over them, beside the events' (items.ts): the summary
 * write the change feed makes (which also gates each stream into the global feed), the listing's keys and shards,
 * and its queries. Every key and expression of them lives here.
 */
import type { QueryCommandInput as PlainQueryInput } from "@aws-sdk/client-dynamodb";
import type { UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { type Item, summarySortKey } from "./items.ts";
import type { Stream } from "./model.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;
const listing = tableDefinition.listingIndex;

/**
 * A stream as a listing query of its type reads it: the id is the end of the listing sort key (see
 * listingSortKey), so the query projects neither the id nor the type, which make a third of each item.
 */
export function streamFromListing(item: Item, streamType: string): Stream {
  const sortKey = listingSortKeyOf(item);
  return {
    streamId: sortKey.slice(sortKey.indexOf("#") + 1),
    streamType,
    revision: Number(item.revision),
    updatedAt: String(item.updatedAt),
  };
}

/** A summary write that also claims the stream's events for a batch of the global feed (see feed-index.ts). */
export interface FeedClaim {
  /** The first revision of the events claimed; the summary must stand at the one before it. */
  firstRevision: number;
  /** The feed batch they go to. */
  batch: number;
  /** Recent batches that were claimed and never written: a claim for them counts for nothing. */
  voids: number[];
}

/**
 * Raises a stream's summary to `stream.revision`, or leaves it if it is already there or beyond: the change
 * feed may deliver records again or out of order, and a summary never moves backwards. The summary's place in
 * the listing is `listedAt` (see listing.ts), not always the event's time. It answers the summary's old values
 * (free of charge): none when this write created it, which is how the change feed tells a new stream.
 *
 * With a feed claim the summary is also the stream's gate into the feed: it moves only from the revision just
 * before the claimed events (`feedBatch`, `feedFrom` record the claim), so revision n+1 is never claimed before n,
 * whichever shard brought it. A claim in a void batch is as if it never happened: the stream stands at its
 * `feedFrom` − 1, and the same events may claim again. On failure DynamoDB answers the old summary.
 */
export function raiseSummary(
  tableName: string,
  stream: Stream,
  listedAt: string,
  listingShards: number,
  claim?: FeedClaim,
): UpdateCommandInput {
  const values: Record<string, unknown> = {
    ":streamType": stream.streamType,
    ":revision": stream.revision,
    ":updatedAt": stream.updatedAt,
    ":listPk": listingPartition(stream.streamType, listingShard(stream.streamId, listingShards)),
    ":listSk": listingSortKey(listedAt, stream.streamId),
  };
  let set =
    "SET streamType = :streamType, revision = :revision, updatedAt = :updatedAt, #listPk = :listPk, #listSk = :listSk";
  let condition = "attribute_not_exists(#pk) OR revision < :revision";
  if (claim) {
    set += ", feedBatch = :batch, feedFrom = :from";
    values[":batch"] = claim.batch;
    values[":from"] = claim.firstRevision;
    const voids = claim.voids.map((_, i) => `:void${i}`);
    claim.voids.forEach((batch, i) => {
      values[`:void${i}`] = batch;
    });
    const inVoid = voids.length > 0 ? `feedBatch IN (${voids.join(", ")})` : undefined;
    const standsBefore =
      claim.firstRevision === 1
        ? "attribute_not_exists(#pk)"
        : inVoid
          ? `(revision = :previous AND (attribute_not_exists(feedBatch) OR NOT ${inVoid}))`
          : "revision = :previous";
    if (claim.firstRevision > 1) values[":previous"] = claim.firstRevision - 1;
    condition = inVoid ? `${standsBefore} OR (${inVoid} AND feedFrom = :from)` : standsBefore;
  }
  return {
    TableName: tableName,
    Key: { [pk]: stream.streamId, [sk]: summarySortKey },
    UpdateExpression: set,
    ConditionExpression: condition,
    ExpressionAttributeNames: {
      ...(condition.includes("#pk") ? { "#pk": pk } : {}),
      "#listPk": listing.partitionKey.name,
      "#listSk": listing.sortKey.name,
    },
    ExpressionAttributeValues: values,
    ReturnValues: "UPDATED_OLD",
    ...(claim ? { ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const } : {}),
    ReturnConsumedCapacity: "INDEXES",
  };
}

/** Where a summary leaves its stream in the feed: the last revision claimed in a batch that is not void. */
export function feedRevisionOf(summary: Item | undefined, voids: number[]): number {
  if (!summary) return 0;
  const batch = summary.feedBatch;
  if (typeof batch === "number" && voids.includes(batch)) return Number(summary.feedFrom) - 1;
  return Number(summary.revision ?? 0);
}

/**
 * The shard of a stream among `shards`: a stable hash of its id, so a busy type is spread over partitions. The
 * listing uses the deployment's listing shards; undelivered notifications the default count.
 */
export function listingShard(streamId: string, shards: number = tableDefinition.listingShards): number {
  let hash = 0x811c9dc5; // FNV-1a: cheap, stable, spreads UUIDs of every version evenly
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

export function listingPartition(streamType: string, shard: number): string {
  return `${streamType}#${shard}`;
}

/** ISO times of one width sort as they happen; the stream id breaks ties, so the order is total. */
export function listingSortKey(updatedAt: string, streamId: string): string {
  return `${updatedAt}#${streamId}`;
}

/** Whether text has the shape of a listing sort key (what a page key may carry back). */
export function isListingSortKey(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(
    text,
  );
}

/** A listing sort key that is smaller than every key of streams listed at `isoTime` or later. */
export function listingSortKeyAt(isoTime: string): string {
  return isoTime; // "<time>" sorts before every "<time>#<streamId>"
}

/** Streams of one listing shard whose sort key is greater than `afterSortKey`, oldest first. */
export function queryListingShard(
  tableName: string,
  streamType: string,
  shard: number,
  afterSortKey: string,
  limit: number,
): PlainQueryInput {
  return {
    TableName: tableName,
    IndexName: listing.name,
    KeyConditionExpression: "#listPk = :listPk AND #listSk > :after",
    ExpressionAttributeNames: { "#listPk": listing.partitionKey.name, "#listSk": listing.sortKey.name },
    ExpressionAttributeValues: { ":listPk": { S: listingPartition(streamType, shard) }, ":after": { S: afterSortKey } },
    // What a page shows and where it ends; the listing sort key carries the stream id (streamFromListing).
    ProjectionExpression: "revision, updatedAt, #listSk",
    Limit: limit,
    ReturnConsumedCapacity: "INDEXES",
  };
}

export function listingSortKeyOf(item: Item): string {
  return String(item[listing.sortKey.name]);
}
