/**
 * Part 9: one hot stream type. Every append to a stream of the type is followed by its summary upkeep (the change
 * feed's `raiseSummary`: the summary item and its listing-index entry), run here in the same closed loop so that
 * the figure is what one type sustains end to end; and a listing page of the type is read once its streams exist.
 * Run for several listing shard counts (the stack option `listingShards`), each on a stream type of its own.
 *
 * DynamoDB Local has no partitions, so its rates show the store's code path, not AWS's limit: the report puts the
 * on-paper AWS ceiling beside them. AWS gives a partition about 1,000 write units per second; a summary upkeep
 * writes the index entry of its type's shard twice (its sort key moves: a delete and a put, 1 WCU each for a small
 * summary), so one type's index sustains about 500 upkeeps per second per shard. The summary items themselves and
 * the events are keyed by stream id and spread over the table's partitions.
 */
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type StoreOperation, StreamStore } from "#store/stream-store.ts";
import type { BenchConfig } from "./config.ts";
import { newEvent, newStreamId } from "./events.ts";
import { closedLoop, inParallel } from "./load.ts";
import { percentile, round } from "./stats.ts";

export interface HotTypeRow {
  shards: number;
  /** Appends with their summary upkeep per second, one stream type, over DynamoDB Local. */
  appendsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** What one listing page of `pageSize` streams of the type costs. */
  listingPage: { pageSize: number; queries: number; readUnits: number };
  /** The AWS ceiling on paper: index partitions × 1,000 WCU/s ÷ 2 WCU per summary upkeep. */
  awsUpkeepsPerSecond: number;
}

/** WCU per second one DynamoDB partition serves (AWS's documented per-partition limit). */
const partitionWritesPerSecond = 1_000;
/** Index writes of one summary upkeep: its listing entry's sort key moves, a delete and a put. */
const indexWritesPerUpkeep = 2;

export async function measureHotType(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  config: BenchConfig["hotType"];
}): Promise<HotTypeRow[]> {
  const { client, tableName, config } = options;
  const rows: HotTypeRow[] = [];
  for (const shards of config.shards) {
    const streamType = `bench-hot-${shards}`;
    let listing = { queries: 0, readUnits: 0 };
    const onConsumedCapacity = (operation: StoreOperation, capacity: ConsumedCapacity) => {
      if (operation !== "list") return;
      listing.queries += 1;
      listing.readUnits += capacity.CapacityUnits ?? 0;
    };
    const store = new StreamStore({ client, tableName, listingShards: shards, onConsumedCapacity });
    // Streams enough for a full listing page (untimed); then each worker appends to one stream of its own, each
    // append followed by the upkeep that moves the stream's listing entry (the 2-index-write case).
    const streams = Array.from({ length: Math.max(config.pageSize + 1, config.concurrency) }, () => ({
      id: newStreamId(),
      revision: 0,
    }));
    const appendWithUpkeep = async (worker: number) => {
      const owned = streams[worker] as (typeof streams)[number];
      const expected = owned.revision === 0 ? "no-stream" : owned.revision;
      const { stream } = await store.append(streamType, owned.id, expected, [newEvent()]);
      owned.revision = stream.revision;
      await store.raiseSummary(stream);
      return "ok" as const;
    };
    await inParallel(streams.length, 8, async (index) => {
      await appendWithUpkeep(index);
    });
    const sample = await closedLoop(appendWithUpkeep, config.concurrency, config.seconds * 1000);
    listing = { queries: 0, readUnits: 0 };
    const page = await store.listStreams(streamType, { updatedAfter: 0, limit: config.pageSize });
    if (page.streams.length !== config.pageSize) {
      throw new Error(`hot type listing: ${page.streams.length} streams instead of ${config.pageSize}`);
    }
    rows.push({
      shards,
      appendsPerSecond: round((sample.operations * 1000) / sample.elapsedMs, 1),
      p50Ms: round(percentile(sample.latenciesMs, 0.5), 2),
      p99Ms: round(percentile(sample.latenciesMs, 0.99), 2),
      errors: sample.errors,
      listingPage: { pageSize: config.pageSize, queries: listing.queries, readUnits: listing.readUnits },
      awsUpkeepsPerSecond: (shards * partitionWritesPerSecond) / indexWritesPerUpkeep,
    });
  }
  return rows;
}
