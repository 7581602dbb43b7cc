/**
 * Child process of the bench: local mode composed by local/compose.ts, as `npm start` composes it, but on
 * the bench's own DynamoDB Local and table: the API handler behind the local function-URL server, the change
 * feed handler driven by the stream poller, and the local SNS/SQS endpoint it publishes to (these two on a worker
 * thread of this process, as in `npm start`). It runs apart from the load generator so that autocannon and the
 * server do not share one event loop.
 *
 * Talks to the parent over IPC: sends {type:"ready", url, snsEndpoint, topicArn}; obeys {type:"stop-change-feed"}
 * (answers {type:"change-feed-stopped"}), {type:"cpu-usage"} (answers {type:"cpu-usage", micros}: this process's
 * user + system CPU time so far, all threads', which the HTTP part reads around each measured window) and
 * {type:"exit"}.
 *
 * Usage (by bench/local-mode.ts): node --import tsx bench/local-mode-server.ts --dynamodb-endpoint URL --table T
 */
import { parseArgs } from "node:util";
import { composeLocalMode } from "#local/compose.ts";
import { startHttpServer } from "#local/http-server.ts";

export type LocalModeMessage =
  | { type: "ready"; url: string; snsEndpoint: string; topicArn: string }
  | { type: "change-feed-stopped" }
  | { type: "cpu-usage"; micros: number };

export type LocalModeCommand = { type: "stop-change-feed" } | { type: "cpu-usage" } | { type: "exit" };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { "dynamodb-endpoint": { type: "string" }, table: { type: "string" } },
    strict: true,
  });
  const dynamoDbEndpoint = values["dynamodb-endpoint"];
  const tableName = values.table;
  if (!dynamoDbEndpoint || !tableName) throw new Error("--dynamodb-endpoint and --table are required");
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

  const local = await composeLocalMode({
    dynamoDbEndpoint,
    tableName,
    onChangeFeedError: (error) => console.error(`bench local mode, change feed: ${error.message}`),
  });
  const server = await startHttpServer({ port: 0, handler: local.api });

  const shutdown = async () => {
    await server.close().catch(() => {});
    await local.stop();
    process.exit(0);
  };
  process.on("disconnect", () => void shutdown());
  process.on("message", (command: LocalModeCommand) => {
    if (command.type === "exit") void shutdown();
    if (command.type === "stop-change-feed")
      void local.stopChangeFeed().then(() => send({ type: "change-feed-stopped" }));
    if (command.type === "cpu-usage") {
      const { user, system } = process.cpuUsage();
      send({ type: "cpu-usage", micros: user + system });
    }
  });
  const { endpoint, topicArn } = local.notifications;
  send({ type: "ready", url: server.url, snsEndpoint: endpoint, topicArn });
}

function send(message: LocalModeMessage): void {
  process.send?.(message);
}

main().catch((error: unknown) => {
  console.error(`bench local mode: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
