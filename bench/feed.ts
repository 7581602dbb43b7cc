/**
 * Part 10: the global feed (SPEC sections 7 and 10), on two DynamoDB Locals of its own, one for the upkeep and the
 * reads, one for local mode (lag, then catch-up): every request costs DynamoDB Local more the more stream records
 * it holds, in any table, so each heavy piece starts on an engine without them.
 *
 * - **index upkeep**: `upkeepEvents` single-event appends over `upkeepStreams` streams (1 in `rareTypeEvery` of
 *   them of a rare stream type), then the change-feed handler in this process over the table's stream records
 *   (feed-indexer.ts), with the event source's batch size of local mode and the stack (1,000, GetRecords' most and
 *   `changeFeedBatchSize`'s default) and a smaller one (100, the stack's default before the feed). The store's capacity hook sums what DynamoDB reports per logical operation: "feed" is the index's
 *   upkeep, "summary" the listing's (which existed before the feed). The batches of 100 index the same records
 *   into a table of their own, without a stream: the writes depend on the records only, so it needs no events.
 * - **reading**: each feed read through the store in pages of 1,000: all of it without payloads and the rare type's
 *   alone; the feed of batches of 1,000 (whose table has the events) also with payloads (a read of each event
 *   item, the documented cost).
 * - **lag** and **catch-up** over local mode's HTTP API (feed-http.ts).
 */
import { Agent } from "node:http";
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { ensureTable } from "#local/table.ts";
import { type StoreOperation, StreamStore } from "#store/stream-store.ts";
import { createTableInput } from "#store/table.ts";
import type { BenchConfig } from "./config.ts";
import { newEvents } from "./events.ts";
import { type FeedCatchUpResult, type FeedLagResult, measureCatchUp, measureLag } from "./feed-http.ts";
import { feedIndexer, readEventRecords } from "./feed-indexer.ts";
import { feedItemSizes } from "./feed-item-sizes.ts";
import { capacityMeter, readWholeFeed } from "./feed-reads.ts";
import { streamsSharing } from "./replay.ts";
import { ratio, round } from "./stats.ts";

export interface FeedUpkeepRow {
  /** Records per handler call (the event source's batch size). */
  batchSize: number;
  events: number;
  /** Handler calls it took. */
  invocations: number;
  /** Capacity units per store operation, summed over the indexing. */
  writeUnits: Partial<Record<StoreOperation, number>>;
  feedWcuPerEvent: number;
  summaryWcuPerEvent: number;
  /** The written items, for the figures on paper (feed-item-sizes.ts). */
  items: Awaited<ReturnType<typeof feedItemSizes>>;
}

export interface FeedReadRow {
  /** The event-source batch size the feed read was indexed with. */
  batchSize: number;
  read: "all, no payloads" | "one stream type, no payloads" | "all, with payloads";
  events: number;
  pages: number;
  readUnits: number;
  rruPerEvent: number;
  /** Read units against those of reading all without payloads. */
  toAll: number;
}

export interface FeedResult {
  upkeepEvents: number;
  upkeepStreams: number;
  /** Share of the events that are of the rare stream type, whose feed is read alone. */
  rareTypeShare: number;
  upkeep: FeedUpkeepRow[];
  /** The reads of each feed; `toAll` against reading all of the same feed. */
  reads: FeedReadRow[];
  lag: FeedLagResult;
  catchUp: FeedCatchUpResult;
}

const upkeepTable = "feed";
const upkeepTableOfBatch100 = "feed-batch-100";
const commonType = "bench-feed";
const rareType = "bench-feed-rare";
const seedConcurrency = 8;

export async function measureFeed(options: {
  config: BenchConfig["feed"];
  progress: (message: string) => void;
}): Promise<FeedResult> {
  const { config, progress } = options;
  let upkeepAndReads: Awaited<ReturnType<typeof measureUpkeepAndReads>>;
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  try {
    progress(`   upkeep: ${config.upkeepEvents} single-event appends, indexed with batches of 1000 and of 100; reads`);
    upkeepAndReads = await measureUpkeepAndReads(dynamoDb.endpoint, config);
  } finally {
    await dynamoDb.stop();
  }
  const httpDynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  try {
    progress("   lag: append → visible in GET /feed, local mode over HTTP (on a new DynamoDB Local)");
    const lag = await measureLag({ dynamoDbEndpoint: httpDynamoDb.endpoint, config: config.lag });
    progress(`   catch-up: ${config.catchUp.events} events through the TypeScript client`);
    const catchUp = await measureCatchUp({ dynamoDbEndpoint: httpDynamoDb.endpoint, config: config.catchUp, progress });
    return {
      upkeepEvents: config.upkeepEvents,
      upkeepStreams: config.upkeepStreams,
      ...upkeepAndReads,
      lag,
      catchUp,
    };
  } finally {
    await httpDynamoDb.stop();
  }
}

async function measureUpkeepAndReads(endpoint: string, config: BenchConfig["feed"]) {
  const client = indexingClient(endpoint);
  const streams = new DynamoDBStreamsClient(localAwsClientConfig(endpoint));
  try {
    const streamArn = await ensureTable(client, upkeepTable);
    // Without a stream: nothing reads it, and its records would slow DynamoDB Local down for the rest of the part.
    const { StreamSpecification: _stream, ...tableWithoutStream } = createTableInput(upkeepTableOfBatch100);
    await client.send(new CreateTableCommand(tableWithoutStream));
    await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: upkeepTableOfBatch100 });
    const { rareEvents } = await appendSingleEvents(new StreamStore({ client, tableName: upkeepTable }), config);
    const records: DynamoDBRecord[] = [];
    await readEventRecords(streams, streamArn, async (page) => {
      records.push(...page);
    });
    if (records.length !== config.upkeepEvents) {
      throw new Error(`the stream holds ${records.length} event records, expected ${config.upkeepEvents}`);
    }
    const upkeep: FeedUpkeepRow[] = [];
    for (const [batchSize, tableName] of [
      [1000, upkeepTable],
      [100, upkeepTableOfBatch100],
    ] as const) {
      const meter = capacityMeter();
      const store = new StreamStore({ client, tableName, onConsumedCapacity: meter.hook });
      const indexer = feedIndexer(store, batchSize);
      await indexer.add(records);
      await indexer.flush();
      upkeep.push({
        batchSize,
        events: records.length,
        invocations: indexer.invocations,
        writeUnits: { ...meter.units },
        feedWcuPerEvent: round((meter.units.feed ?? 0) / records.length, 4),
        summaryWcuPerEvent: round((meter.units.summary ?? 0) / records.length, 3),
        items: await feedItemSizes(client, tableName, [commonType, rareType]),
      });
    }
    const reads = [
      ...(await measureReads(client, upkeepTable, 1000, rareEvents, true)),
      ...(await measureReads(client, upkeepTableOfBatch100, 100, rareEvents, false)),
    ];
    return { upkeep, reads, rareTypeShare: round(rareEvents / config.upkeepEvents, 4) };
  } finally {
    streams.destroy();
    client.destroy();
  }
}

async function measureReads(
  client: DynamoDBDocumentClient,
  tableName: string,
  batchSize: number,
  rareEvents: number,
  withPayloads: boolean,
): Promise<FeedReadRow[]> {
  const meter = capacityMeter();
  const store = new StreamStore({ client, tableName, onConsumedCapacity: meter.hook });
  const readAll = async (read: FeedReadRow["read"], filter: { streamTypes?: string[]; includePayload?: boolean }) => {
    meter.reset();
    const { events, pages } = await readWholeFeed(store, filter);
    const readUnits = meter.units.feedRead ?? 0;
    return { batchSize, read, events, pages, readUnits, rruPerEvent: round(readUnits / events, 4), toAll: Number.NaN };
  };
  const all = await readAll("all, no payloads", {});
  const rare = await readAll("one stream type, no payloads", { streamTypes: [rareType] });
  if (rare.events !== rareEvents) throw new Error(`the rare type's feed has ${rare.events} events, not ${rareEvents}`);
  const rows = [all, rare, ...(withPayloads ? [await readAll("all, with payloads", { includePayload: true })] : [])];
  return rows.map((row) => ({ ...row, toAll: round(ratio(row.readUnits, all.readUnits), 3) }));
}

/**
 * `upkeepEvents` single-event appends over `upkeepStreams` streams, `seedConcurrency` at a time: each worker owns
 * some of the streams and appends to them in turn, so that the stream records interleave the streams (as in
 * drain.ts). Every `rareTypeEvery`-th stream is of the rare type.
 */
async function appendSingleEvents(store: StreamStore, config: BenchConfig["feed"]): Promise<{ rareEvents: number }> {
  const streams = streamsSharing({ events: config.upkeepEvents, streams: config.upkeepStreams }).map(
    (stream, index) => ({ ...stream, type: index % config.rareTypeEvery === 0 ? rareType : commonType }),
  );
  const most = streams[0]?.events ?? 0;
  const worker = async (first: number) => {
    const mine = streams.filter((_, index) => index % seedConcurrency === first);
    for (let revision = 0; revision < most; revision++) {
      for (const stream of mine) {
        if (revision < stream.events) await store.append(stream.type, stream.id, revision, newEvents(1));
      }
    }
  };
  await Promise.all(Array.from({ length: seedConcurrency }, (_, first) => worker(first)));
  return { rareEvents: streams.reduce((sum, stream) => sum + (stream.type === rareType ? stream.events : 0), 0) };
}

/**
 * DynamoDB Local serves one request at a time. A batch of 1,000 records of as many streams sends their summary
 * claims at once, and with the functions' 1-second connection timeout some fail and their batch comes again: the
 * units counted here would then depend on the engine's queue. This client keeps 8 connections and waits.
 */
function indexingClient(endpoint: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...localAwsClientConfig(endpoint),
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 8 }), requestTimeout: 30_000 },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
