/**
 * `npm start`: the whole event store on a laptop. DynamoDB Local holds the table (created from the stack's own
 * definition), a Node HTTP server stands in for the function URL, and a poller stands in for the DynamoDB
 * Streams event source mapping; the Lambda handlers themselves are the ones deployed to AWS.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { problemResponse, problemTypes } from "#api/problem.ts";
import { localRegion } from "./aws-local.ts";
import { composeLocalMode, type LocalMode } from "./compose.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb-local.ts";
import { type FunctionUrlHandler, type HttpServer, startHttpServer } from "./http-server.ts";
import { defaultSnsPort } from "./notifications.ts";

const tableName = "events";
const defaultDataDir = ".event-store";

const usage = `Usage: npm start -- [options]

Runs the event store locally: the HTTP API, DynamoDB Local and the change feed.

Options:
  --port N            HTTP port of the API (default: $PORT or 3000)
  --data-dir DIR      where DynamoDB Local keeps its data and the change feed its checkpoints
                      (default: ${defaultDataDir}/)
  --in-memory         keep nothing: the data is gone when the process stops
  --dynamodb-port N   port of DynamoDB Local (default: a free port)
  --sns-port N        port of the local SNS/SQS endpoint (default: $SNS_PORT or ${defaultSnsPort};
                      npm run tail finds it there)
  --help              show this help

Needs Java 17+ for DynamoDB Local.`;

interface StartOptions {
  port: number;
  /** Undefined in memory. */
  dataDir: string | undefined;
  dynamoDbPort: number;
  snsPort: number;
}

/** Parses the command line; undefined means --help was asked for. Throws one-line errors for bad input. */
function parseStartOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      "data-dir": { type: "string" },
      "in-memory": { type: "boolean", default: false },
      "dynamodb-port": { type: "string" },
      "sns-port": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  if (values["in-memory"] && values["data-dir"]) throw new Error("--in-memory and --data-dir exclude each other");
  return {
    port: parsePort(values.port ?? env.PORT ?? "3000", values.port ? "--port" : env.PORT ? "PORT" : "default port"),
    dataDir: values["in-memory"] ? undefined : resolve(values["data-dir"] ?? defaultDataDir),
    dynamoDbPort: parsePort(values["dynamodb-port"] ?? "0", "--dynamodb-port"),
    snsPort: parsePort(
      values["sns-port"] ?? env.SNS_PORT ?? String(defaultSnsPort),
      values["sns-port"] ? "--sns-port" : "SNS_PORT",
    ),
  };
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new Error(`${source} must be a port number (0–65535), got "${text}"`);
  return port;
}

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

  let server: HttpServer | undefined;
  let dynamoDb: DynamoDbLocal | undefined;
  let local: LocalMode | undefined;
  let stopping = false;

  // Stop in the order data flows in: no new requests, then the change feed and notifications, then DynamoDB.
  const stopAll = async () => {
    await server?.close().catch(() => {});
    await local?.stop().catch(() => {});
    await dynamoDb?.stop().catch(() => {});
  };
  const onSignal = () => {
    if (stopping) {
      // A second Ctrl-C: leave now (the exit hook still kills Java).
      process.exit(1);
    }
    stopping = true;
    console.log("\nStopping…");
    stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    // The HTTP port first: if it is taken we fail in milliseconds, before Java starts. Until the handlers are
    // built the API answers 503, as a function still initialising would be retried.
    let apiHandler: FunctionUrlHandler | undefined;
    server = await startHttpServer({ port: options.port, handler: (event) => (apiHandler ?? starting)(event) });

    dynamoDb = await startDynamoDbLocal({
      port: options.dynamoDbPort,
      dataDir: options.dataDir,
      inMemory: options.dataDir === undefined,
    });
    local = await composeLocalMode({
      dynamoDbEndpoint: dynamoDb.endpoint,
      tableName,
      snsPort: options.snsPort,
      checkpointFile: options.dataDir ? resolve(options.dataDir, "change-feed-checkpoints.json") : undefined,
    });
    apiHandler = local.api;

    if (stopping) return;
    console.log(
      banner({
        apiUrl: server.url,
        dynamoDbEndpoint: dynamoDb.endpoint,
        dataDir: options.dataDir,
        notifications: `${local.notifications.endpoint} (SNS + SQS, region ${localRegion}), topic ${local.notifications.topicArn}`,
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
    {
      headers: { "retry-after": "1" },
    },
  );

function banner(info: {
  apiUrl: string;
  dynamoDbEndpoint: string;
  dataDir: string | undefined;
  notifications: string;
  seconds: number;
}): string {
  const curl = `curl -s -X POST ${info.apiUrl}/streams/order -H 'content-type: application/json' -d '{"initialEvent":{"eventType":"OrderPlaced","payload":{"total":42}}}'`;
  return [
    `Event store running locally (ready in ${info.seconds.toFixed(1)} s)`,
    `  API             ${info.apiUrl}`,
    `  DynamoDB Local  ${info.dynamoDbEndpoint}  (table "${tableName}")`,
    `  Data            ${info.dataDir ?? "in memory (nothing is kept)"}`,
    `  Change feed     table stream → local/change-feed/poller.ts → lambdas/change-feed/handler.ts`,
    `  Notifications   ${info.notifications}`,
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
