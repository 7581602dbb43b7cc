/**
 * Stream types and how many streams each has: one record per type (record-items.ts), which the change feed keeps
 * beside the stream summaries, and which the records index lists in name order with one query.
 *
 * A stream counts once, when the change feed writes its first summary: the summary write answers the old values
 * (UPDATED_OLD, at no cost), and none means the stream is new. Redelivered records find their summaries written, so
 * they never count a stream again; in exchange a stream whose summary was written but not counted (the change feed
 * died in between, or the count write failed) stays uncounted. Counts are at most the number of streams, and equal
 * to it unless such a failure happened. Like the listing, the types lag appends by the change feed's delay.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { streamTypePattern } from "#shared/stream-type.ts";
import { errorName, type StoreTable } from "./dynamo.ts";
import type { StreamTypePage } from "./model.ts";
import { addStreamsOfType, queryRecords, streamTypeFromItem, streamTypesPartition } from "./record-items.ts";
import { decodeRecordsPageKey, mergedRecordsPage } from "./records-page.ts";

/** Stream types in name order, each with its number of streams; the page key carries the last type of the page. */
export async function listStreamTypes(
  table: StoreTable,
  options: { limit: number; pageKey?: string | undefined },
): Promise<StreamTypePage> {
  // A page key of another records listing holds a time, which is no stream type: it is refused as not ours.
  const after = options.pageKey ? decodeRecordsPageKey(options.pageKey, (type) => streamTypePattern.test(type)) : "";
  const query = queryRecords(table.tableName, streamTypesPartition, after, options.limit + 1);
  const items = (await table.query("streamTypes", query)).Items ?? [];
  const { records, hasMore, nextPageKey } = mergedRecordsPage(items, options.limit);
  return { streamTypes: records.map(streamTypeFromItem), hasMore, ...(nextPageKey ? { nextPageKey } : {}) };
}

/**
 * Adds `count` new streams to their type, the newest created at `lastCreatedAt`: one UpdateItem, and a second one
 * only when another batch has already moved the type's lastStreamCreatedAt past it (the first is conditional, so
 * that the time never moves backwards; the second adds the count alone).
 */
export async function countNewStreams(
  table: StoreTable,
  streamType: string,
  count: number,
  lastCreatedAt: string,
): Promise<void> {
  const add = (createdAt: string | undefined) =>
    table.send("streamTypes", (client) =>
      client.send(new UpdateCommand(addStreamsOfType(table.tableName, streamType, count, createdAt))),
    );
  try {
    await add(lastCreatedAt);
  } catch (error) {
    if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    await add(undefined);
  }
}
