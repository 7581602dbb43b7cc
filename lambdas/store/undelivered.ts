/**
 * Undelivered notifications (SPEC sections 2 and 4): what the change feed could not publish after its retries is
 * recorded here by its keys (stream, revisions, cause, first failure), in AWS and locally by the same code, and
 * stays until a redrive publishes it and clears it. Nothing is lost when SNS is down for longer than the
 * retries, and nothing depends on the 24-hour life of the change feed's records.
 */
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, type StoreTable } from "./dynamo.ts";
import type { Item } from "./items.ts";
import type { UndeliveredNotification, UndeliveredPage } from "./model.ts";
import {
  deleteUndelivered,
  putUndelivered,
  queryRecords,
  queryUndeliveredOfStream,
  undeliveredFromItem,
  undeliveredPartition,
} from "./record-items.ts";
import { decodeRecordsPageKey, mergedRecordsPage } from "./records-page.ts";
import { tableDefinition } from "./table.ts";

/** Records each range unless it is recorded already (a redelivered record keeps its first failure's time). */
export async function recordUndelivered(table: StoreTable, notifications: UndeliveredNotification[]): Promise<void> {
  await Promise.all(
    notifications.map(async (notification) => {
      try {
        await table.send("undelivered", (client) =>
          client.send(new PutCommand(putUndelivered(table.tableName, notification))),
        );
      } catch (error) {
        if (errorName(error) !== "ConditionalCheckFailedException") throw error;
      }
    }),
  );
}

/** A stream's undelivered notifications in revision order, at most `limit` ranges (strongly consistent). */
export async function undeliveredOfStream(
  table: StoreTable,
  streamId: string,
  limit: number,
): Promise<UndeliveredNotification[]> {
  const output = await table.query("undelivered", queryUndeliveredOfStream(table.tableName, streamId, limit));
  return (output.Items ?? []).map(undeliveredFromItem);
}

/** Clears a range once it is published (a redrive); clearing twice is harmless. */
export async function clearUndelivered(table: StoreTable, streamId: string, firstRevision: number): Promise<void> {
  await table.send("undelivered", (client) =>
    client.send(new DeleteCommand(deleteUndelivered(table.tableName, streamId, firstRevision))),
  );
}

/**
 * What waits for a redrive, oldest failure first, across the shards of the records index: each shard gives its
 * first `limit + 1` after the position, so the first `limit` of all of them merged are complete.
 */
export async function listUndelivered(
  table: StoreTable,
  options: { limit: number; pageKey?: string | undefined },
): Promise<UndeliveredPage> {
  const after = options.pageKey ? decodeRecordsPageKey(options.pageKey) : "";
  const shards = Array.from({ length: tableDefinition.listingShards }, (_, shard) => shard);
  const items: Item[] = (
    await Promise.all(
      shards.map(async (shard) => {
        const query = queryRecords(table.tableName, undeliveredPartition(shard), after, options.limit + 1);
        return (await table.query("undelivered", query)).Items ?? [];
      }),
    )
  ).flat();
  const { records, hasMore, nextPageKey } = mergedRecordsPage(items, options.limit);
  return { notifications: records.map(undeliveredFromItem), hasMore, ...(nextPageKey ? { nextPageKey } : {}) };
}
