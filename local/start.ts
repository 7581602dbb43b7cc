/**
 * `npm start`: the whole event store on a laptop. DynamoDB Local holds the table (created from the stack's own
 * definition), s3rver the payload bucket (in `<data folder>/s3`), a Node HTTP server stands in for the function URL,
 * and a poller stands in for the DynamoDB Streams event source mapping; the Lambda handlers themselves are the ones
 * deployed to AWS.
 *
 * When a part dies: DynamoDB Local exiting on its own (killed, crashed) stops local mode with exit code 1 and
 * one line on stderr (no restart: an in-memory database would come back empty under a running change feed).
 * So does the change feed's worker thread (poller, change-feed handler, local SNS/SQS) failing or exiting.
 * This process killed, even with SIGKILL: DynamoDB Local's watchdog ends it (watchdog.ts). A second start on the
 * same data folder: refused, naming the folder and the pid that holds it (data-dir-lock.ts).
 */
import { resolve } from "node:path";
import { problemResponse, problemTypes } from "#api/problem.ts";
import { formatRetentionByType } from "#store/retention.ts";
import { localRegion } from "./aws-local.ts";
import { composeLocalMode, type LocalMode } from "./compose.ts";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.ts";
import { type DynamoDbLocal, type DynamoDbLocalExit, startDynamoDbLocal } from "./dynamodb-local.ts";
import { type FunctionUrlHandler, type HttpServer, startHttpServer } from "./http-server.ts";
import { type S3Local, startS3Local } from "./s3-local.ts";
import { parseStartOptions, type StartOptions, usage } from "./start-options.ts";
import { loadWrappingKey } from "./subject-wrapping-key.ts";

const tableName = "events";

async function main(): Promise<void> {
  const startedAt = Date.now();
  let options: StartOptions | undefined;
  try {
    options = parseStartOptions(process.argv.slice(2));
  } catch (error) {
    fail(new Error(`${(error as Error).message} (see npm start -- --help)`));
  }
  if (!options) {
    console.log(usage);
    return;
  }
  // The lockfile keeps the SDK on versions that run on Node 20; its "Node 22 needed from 2027" notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

  let lock: DataDirLock | undefined;
  let server: HttpServer | undefined;
  let dynamoDb: DynamoDbLocal | undefined;
  let s3: S3Local | undefined;
  let local: LocalMode | undefined;
  let stopping = false;

  // Stop in the order data flows in: no new requests, then the change feed and notifications, then DynamoDB.
  const stopAll = async () => {
    stopping = true;
    await server?.close().catch(() => {});
    await local?.stop().catch(() => {});
    await s3?.stop().catch(() => {});
    await dynamoDb?.stop().catch(() => {});
    lock?.release();
  };
  const onSignal = () => {
    if (stopping) {
      // A second Ctrl-C: leave now (the exit hooks still kill Java and release the lock).
      process.exit(1);
    }
    console.log("\nStopping…");
    stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onDynamoDbExit = (exit: DynamoDbLocalExit) => {
    if (exit.expected || stopping) return;
    const how = exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`;
    const data = options.dataDir ? `its data in ${options.dataDir} is kept` : "its in-memory data is gone";
    const message = `DynamoDB Local (pid ${dynamoDb?.pid}) ${how}, so local mode stops; ${data}. Run npm start again`;
    stopAll().then(() => fail(new Error(message)));
  };

  try {
    // The lock first, then the HTTP port: both fail in milliseconds, before Java starts. Until the handlers are
    // built the API answers 503, as a function still initialising would be retried.
    if (options.dataDir) lock = lockDataDir(options.dataDir);
    let apiHandler: FunctionUrlHandler | undefined;
    server = await startHttpServer({
      port: options.port,
      handler: (event) => (apiHandler ?? starting)(event),
      // The console needs the local SNS/SQS: until local mode is composed, `/` gets the API's 503 like the rest.
      localRoutes: {
        serve: async (request, response, requestId) => local?.console.serve(request, response, requestId),
        close: async () => local?.console.close(),
      },
      allowedHosts: options.allowedHosts,
      log: options.quiet ? undefined : (line) => console.log(line),
    });

    let dynamoDbEndpoint: string;
    if ("endpoint" in options.dynamoDb) {
      dynamoDbEndpoint = options.dynamoDb.endpoint;
    } else {
      dynamoDb = await startDynamoDbLocal({
        port: options.dynamoDb.port,
        dataDir: options.dataDir,
        inMemory: options.dataDir === undefined,
      });
      dynamoDb.exited.then(onDynamoDbExit);
      dynamoDbEndpoint = dynamoDb.endpoint;
    }
    s3 = await startS3Local({ dataDir: options.dataDir });
    local = await composeLocalMode({
      dynamoDbEndpoint,
      tableName,
      payloads: { bucket: s3.bucket, s3: s3.clientConfig },
      retention: options.retention,
      subjectWrappingKey: loadWrappingKey(options.dataDir),
      ...("endpoint" in options.sns ? { snsEndpoint: options.sns.endpoint } : { snsPort: options.sns.port }),
      checkpointFile: options.dataDir ? resolve(options.dataDir, "change-feed-checkpoints.json") : undefined,
      onChangeFeedDied: (error) => {
        if (stopping) return;
        stopAll().then(() => fail(new Error(`${error.message}, so local mode stops. Run npm start again`)));
      },
    });
    apiHandler = local.api;

    if (stopping) return;
    console.log(
      banner({
        apiUrl: server.url,
        dynamoDb: dynamoDb
          ? `${dynamoDb.endpoint}  (pid ${dynamoDb.pid}, listening on ${dynamoDb.bindAddress}, table "${tableName}")`
          : `${dynamoDbEndpoint}  (given, table "${tableName}")`,
        data: dataLine(options, dynamoDb),
        s3: `${s3.endpoint}  (s3rver, bucket "${s3.bucket}": payloads over 350 KB)`,
        notifications: `${local.notifications.endpoint} (SNS + SQS, region ${localRegion}${"endpoint" in options.sns ? ", given" : ""}), topic ${local.notifications.topicArn}`,
        retention: options.retention && formatRetentionByType(options.retention),
        seconds: (Date.now() - startedAt) / 1000,
      }),
    );
  } catch (error) {
    await stopAll();
    fail(error);
  }
}

const starting: FunctionUrlHandler = async (event) =>
  problemResponse(
    problemTypes.serviceStarting,
    "the event store is starting; retry in a second",
    event.requestContext.requestId,
    { headers: { "retry-after": "1" } },
  );

function dataLine(options: StartOptions, dynamoDb: DynamoDbLocal | undefined): string {
  if (!dynamoDb) {
    const checkpoints = options.dataDir
      ? `change-feed checkpoints and payload objects in ${options.dataDir}`
      : "checkpoints in memory";
    return `in the given DynamoDB; ${checkpoints}`;
  }
  return options.dataDir ?? "in memory (nothing is kept)";
}

function banner(info: {
  apiUrl: string;
  dynamoDb: string;
  s3: string;
  data: string;
  notifications: string;
  /** The stream types' retention (--retention), as given back; undefined when none. */
  retention?: string | undefined;
  seconds: number;
}) {
  const curl = `curl -s -X POST ${info.apiUrl}/streams/order -H 'content-type: application/json' -d '{"initialEvent":{"eventType":"OrderPlaced","payload":{"total":42}}}'`;
  return [
    `Event store running locally (ready in ${info.seconds.toFixed(1)} s)`,
    `  API             ${info.apiUrl}`,
    `  Console         ${info.apiUrl}/  (open it in a browser)`,
    `  DynamoDB        ${info.dynamoDb}`,
    `  S3              ${info.s3}`,
    `  Data            ${info.data}`,
    `  Change feed     table stream → local/change-feed/poller.ts → lambdas/change-feed/handler.ts`,
    `  Notifications   ${info.notifications}`,
    ...(info.retention ? [`  Retention       ${info.retention.replaceAll(";", "; ")} (maxAge in seconds)`] : []),
    "",
    "Create a stream of type order:",
    `  ${curl}`,
    "Watch notifications of type order (in another terminal):",
    "  npm run tail -- --stream-type order",
    "",
    "Ctrl-C stops everything.",
  ].join("\n");
}

/** One line on stderr and exit 1: users need the cause and the fix, not our stack. */
function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`npm start: ${message.replace(/\s*\n\s*/g, " ")}`);
  if (process.env.DEBUG && error instanceof Error) console.error(error.stack);
  process.exit(1);
}

await main();
