/**
 * What the global feed's items hold, read back after indexing: the raw figures that the cost of the feed on AWS
 * is worked out from on paper (a write unit per KB of each item written, a read unit per 4 KB of the items read).
 */
import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { feedPartition, queryBatches, typePartition } from "#store/feed-items.ts";
import { round } from "./stats.ts";

export interface FeedItemSizes {
  /** Batch items (the `feed` partition), void ones left out. */
  batches: number;
  events: number;
  eventsPerBatch: number;
  /** Stream-type items written next to the batch items (one per type present in a batch). */
  typeItems: number;
  typeItemsPerBatch: number;
  /** Bytes of the deflated entries (`events`) of the batch items, per event. */
  batchItemBytesPerEvent: number;
  /** The same for the type items: each event is in one of them too. */
  typeItemBytesPerEvent: number;
  /** The largest batch item's entries, in bytes. */
  largestBatchItemBytes: number;
}

export async function feedItemSizes(
  client: DynamoDBDocumentClient,
  tableName: string,
  streamTypes: string[],
): Promise<FeedItemSizes> {
  const batches = await partitionSizes(client, tableName, feedPartition);
  const types = await Promise.all(streamTypes.map((type) => partitionSizes(client, tableName, typePartition(type))));
  const typeItems = types.reduce((sum, type) => sum + type.items, 0);
  const typeBytes = types.reduce((sum, type) => sum + type.bytes, 0);
  return {
    batches: batches.items,
    events: batches.events,
    eventsPerBatch: round(batches.events / batches.items, 1),
    typeItems,
    typeItemsPerBatch: round(typeItems / batches.items, 2),
    batchItemBytesPerEvent: round(batches.bytes / batches.events, 1),
    typeItemBytesPerEvent: round(typeBytes / batches.events, 1),
    largestBatchItemBytes: batches.largest,
  };
}

async function partitionSizes(client: DynamoDBDocumentClient, tableName: string, partition: string) {
  const sizes = { items: 0, events: 0, bytes: 0, largest: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await client.send(new QueryCommand(queryBatches(tableName, partition, 0, 100, startKey)));
    for (const item of output.Items ?? []) {
      if (!(item.events instanceof Uint8Array)) continue;
      sizes.items++;
      sizes.events += Number(item.count);
      sizes.bytes += item.events.byteLength;
      sizes.largest = Math.max(sizes.largest, item.events.byteLength);
    }
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return sizes;
}
