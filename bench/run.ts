/**
 * `npm run bench` (`-- --smoke` or `npm run bench:smoke` for the ten-second version): cost, speed and size of the
 * event store, each figure next to a baseline measured in the same run, since these machines are shared and
 * noisy. Starts its own in-memory DynamoDB Local on a free port (one stream-enabled table in it, plus the
 * baseline's table without a stream), prints a table and writes bench/results/latest.json (smoke: smoke.json).
 *
 * Parts, in the order they run (the heaviest DynamoDB load last, so the earlier parts see a small table):
 *   5. Lambda bundles and cold init — before Java starts, on a quiet machine
 *   1. capacity per operation, ours against the Go project's access pattern
 *   4. fan-out delay in local mode (HTTP append → filtered SQS queue)
 *   3. HTTP throughput and latency of local mode (change feed stopped)
 *   2. store throughput against raw DynamoDB calls
 *   9. one hot stream type: appends with their summary upkeep, and a listing page's cost, by listing shard count
 *   7. the TypeScript client's overhead on an append, against a bare fetch (local mode still up after part 3)
 *   6. a replay of the history (100,000 events) in local mode, on a DynamoDB Local of its own
 *   8. the change feed's drain rate in local mode against a bare GetRecords → PublishBatch loop, on another one,
 *      and without the global feed's indexing
 *  10. the global feed: index upkeep, reads, lag and a catch-up through the client, on another one
 *  11. consistency across streams: multi-stream and DCB appends against single appends, through the store, on another
 *  12. large payloads (S3) against an inline event, and a stream's load with and without a snapshot, through the store,
 *      on another, with local mode's S3 (s3rver) of its own
 *  13. deleting and truncating streams: the cost of a soft delete, a truncation, a hard delete and the removal of a
 *      hard-deleted stream per 1,000 events, through the store, on another
 *  14. personal data (crypto-shredding): appends and reads with and without it (units, KMS calls, bytes), on another
 * Budgets (SPEC section 7, judged in budgets.ts) are reported, never asserted: the exit code says only whether the
 * bench ran.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { localAwsClientConfig, localAwsEnvironment } from "#local/aws-local.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { ensureTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import { createTableInput } from "#store/table.ts";
import { baselineCreateTableInput, baselineTableName } from "./baseline-store.ts";
import { budgets } from "./budgets.ts";
import { measureBundles } from "./bundles.ts";
import { measureCapacity } from "./capacity.ts";
import { CapacityMeter, twinTableName } from "./capacity-meter.ts";
import { type ClientOverheadRow, measureClientOverhead } from "./client-overhead.ts";
import { type BenchConfig, fullConfig, smokeConfig } from "./config.ts";
import { measureConsistency } from "./consistency.ts";
import { measureCryptoShredding } from "./crypto-shredding.ts";
import { measureDrain } from "./drain.ts";
import { machine, versions } from "./environment.ts";
import { newEvent, newStreamId } from "./events.ts";
import { measureFanOut } from "./fan-out.ts";
import { measureFeed } from "./feed.ts";
import { measureHotType } from "./hot-type.ts";
import { httpListingStreamType, measureHttp } from "./http.ts";
import { measureLarge } from "./large-payloads.ts";
import { measureLifecycle } from "./lifecycle.ts";
import { inParallel } from "./load.ts";
import { startLocalMode } from "./local-mode.ts";
import { prices } from "./prices.ts";
import { measureReplay } from "./replay.ts";
import { type BenchResults, renderReport } from "./report.ts";
import { ratio, round } from "./stats.ts";
import { measureStoreThroughput, prepareReadStreams, type WarmUpResult, warmUpDynamoDbLocal } from "./throughput.ts";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const eventsTable = "events";

async function main(): Promise<void> {
  const config: BenchConfig = process.argv.includes("--smoke") ? smokeConfig : fullConfig;
  // The lockfile keeps the SDK on versions that run on Node 20; its "Node 22 needed from 2027" notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  // Every client of this process and of its children talks to local emulators only.
  Object.assign(process.env, localAwsEnvironment());
  const started = performance.now();
  const progress = (message: string) =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

  progress("5. Lambda bundles and cold init");
  const bundles = await measureBundles({ coldStarts: config.bundles.coldStarts });

  progress("starting DynamoDB Local (in memory)");
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  let partial: Omit<
    BenchResults,
    | "mode"
    | "date"
    | "seconds"
    | "machine"
    | "versions"
    | "bundles"
    | "budgets"
    | "replay"
    | "drain"
    | "feed"
    | "consistency"
    | "large"
    | "lifecycle"
    | "shredding"
  >;
  try {
    const admin = new DynamoDBClient(localAwsClientConfig(dynamoDb.endpoint));
    await ensureTable(admin, eventsTable);
    // The baseline's table and the twins the capacity meter replays transactions on carry no DynamoDB stream:
    // capacity does not depend on it, and DynamoDB Local slows down with every stream-enabled table.
    const { StreamSpecification: _stream, ...eventsTwin } = createTableInput(twinTableName(eventsTable));
    for (const input of [
      baselineCreateTableInput(baselineTableName),
      baselineCreateTableInput(twinTableName(baselineTableName)),
      eventsTwin,
    ]) {
      await admin.send(new CreateTableCommand(input));
      await waitUntilTableExists({ client: admin, maxWaitTime: 60 }, { TableName: input.TableName });
    }

    progress("1. capacity per operation");
    const meter = new CapacityMeter({ client: admin, twinOf: twinTableName });
    const meteredClient = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
    meter.attach(meteredClient);
    const capacity = await measureCapacity({
      client: meteredClient,
      meter,
      tableName: eventsTable,
      baselineTableName,
      config: config.capacity,
    });

    // A client without the meter for the load parts, so that both sides of every comparison run the same stack.
    const client = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
    const store = new StreamStore({ client, tableName: eventsTable });
    const readStreamIds = await prepareReadStreams(store, config.throughput);
    // The HTTP part's listing streams, with their summaries kept as the change feed would.
    await inParallel(config.http.listingStreams, 8, async () => {
      const { stream } = await store.append(httpListingStreamType, newStreamId(), "no-stream", [newEvent()]);
      await store.raiseSummary(stream);
    });

    progress("starting local mode (API server, change feed, local SNS/SQS) in a child process");
    const localMode = await startLocalMode({ dynamoDbEndpoint: dynamoDb.endpoint, tableName: eventsTable });
    let fanOut: BenchResults["fanOut"];
    let warmUp: WarmUpResult;
    let http: Awaited<ReturnType<typeof measureHttp>>;
    let clientOverhead: ClientOverheadRow[];
    try {
      progress("4. fan-out delay");
      fanOut = await measureFanOut({
        apiUrl: localMode.url,
        snsEndpoint: localMode.snsEndpoint,
        topicArn: localMode.topicArn,
        config: config.fanOut,
      });
      await localMode.stopChangeFeed();
      progress("warming DynamoDB Local up until its throughput settles");
      warmUp = await warmUpDynamoDbLocal(store, readStreamIds, config.warmUp);
      progress(`3. HTTP throughput and latency (warm-up took ${warmUp.seconds} s)`);
      http = await measureHttp({
        url: localMode.url,
        readStreamIds,
        connections: config.http.connections,
        durationSeconds: config.http.durationSeconds,
        warmUpSeconds: config.http.warmUpSeconds,
        listingStreams: config.http.listingStreams,
        cpuUsage: () => localMode.cpuUsage(),
      });
      progress("7. TypeScript client overhead on an append");
      clientOverhead = await measureClientOverhead({ url: localMode.url, config: config.clientOverhead });
    } finally {
      await localMode.stop();
    }

    progress("2. store throughput against raw DynamoDB calls");
    const storeThroughput = await measureStoreThroughput({
      client,
      store,
      tableName: eventsTable,
      readStreamIds,
      config: config.throughput,
    });
    progress(`9. one hot stream type with ${config.hotType.shards.join(", ")} listing shards`);
    const hotType = await measureHotType({ client, tableName: eventsTable, config: config.hotType });
    client.destroy();
    meteredClient.destroy();
    admin.destroy();

    partial = {
      warmUp,
      capacity,
      storeThroughput,
      http: http.map((row) => {
        const storeRow = storeThroughput.find((s) => s.id === row.id && s.concurrency === row.connections);
        return storeRow
          ? {
              ...row,
              storePerSecond: storeRow.store.perSecond,
              httpToStore: round(ratio(row.requestsPerSecond, storeRow.store.perSecond), 3),
            }
          : row;
      }),
      fanOut,
      clientOverhead,
      hotType,
    };
  } finally {
    progress("stopping DynamoDB Local");
    await dynamoDb.stop();
  }
  progress(`6. replay of ${config.replay.events} events in local mode (on a new DynamoDB Local)`);
  const replay = await measureReplay({ config: config.replay, progress });
  progress(`8. change-feed drain of ${config.drain.events} events in local mode (on a new DynamoDB Local)`);
  const drain = await measureDrain({ config: config.drain, progress });
  progress("10. global feed (on a new DynamoDB Local)");
  const feed = await measureFeed({ config: config.feed, progress });
  progress("11. consistency across streams (on a new DynamoDB Local)");
  const consistency = await measureConsistency({ config: config.consistency, progress });
  progress("12. large payloads and snapshots (on a new DynamoDB Local and a local S3)");
  const large = await measureLarge({ config: config.large, progress });
  progress("13. deleting and truncating streams (on a new DynamoDB Local)");
  const lifecycle = await measureLifecycle({ config: config.lifecycle, progress });
  progress("14. personal data, crypto-shredding (on a new DynamoDB Local)");
  const shredding = await measureCryptoShredding({ progress });

  const results: BenchResults = {
    mode: config.mode,
    date: new Date().toISOString(),
    seconds: round((performance.now() - started) / 1000, 1),
    machine: machine(),
    versions: versions(),
    ...partial,
    replay,
    drain,
    feed,
    consistency,
    large,
    lifecycle,
    shredding,
    bundles,
    budgets: [],
  };
  results.budgets = budgets(results);
  const report = renderReport(results);
  console.log(report);

  const file = join(projectRoot, config.resultFile);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ schema: 1, ...results, prices, config }, null, 2)}\n`);
  console.error(`\nwrote ${config.resultFile}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
