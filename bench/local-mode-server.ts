/**
 * Child process of the bench: local mode composed from the local/ modules, as `npm start` composes it, but on
 * the bench's own DynamoDB Local and table: the API handler behind the local function-URL server, the change
 * feed handler driven by the stream poller, and the local SNS/SQS endpoint it publishes to. It runs apart from
 * the load generator so that autocannon and the server do not share one event loop.
 *
 * Talks to the parent over IPC: sends {type:"ready", url, snsEndpoint, topicArn}; obeys {type:"stop-change-feed"}
 * (answers {type:"change-feed-stopped"}) and {type:"exit"}.
 *
 * Usage (by bench/local-mode.ts): node --import tsx bench/local-mode-server.ts --dynamodb-endpoint URL --table T
 */
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { localAwsClientConfig, localAwsEnvironment } from "#local/aws-local.ts";
import { startHttpServer } from "#local/http-server.ts";
import { startLocalNotifications } from "#local/notifications.ts";
import { type StreamPoller, startStreamPoller } from "#local/stream-poller.ts";
import { ensureTable } from "#local/table.ts";
import { environmentVariables } from "#shared/environment.ts";

export type LocalModeMessage =
  | { type: "ready"; url: string; snsEndpoint: string; topicArn: string }
  | { type: "change-feed-stopped" };

export type LocalModeCommand = { type: "stop-change-feed" } | { type: "exit" };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { "dynamodb-endpoint": { type: "string" }, table: { type: "string" } },
    strict: true,
  });
  const dynamoDbEndpoint = values["dynamodb-endpoint"];
  const table = values.table;
  if (!dynamoDbEndpoint || !table) throw new Error("--dynamodb-endpoint and --table are required");
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

  const clientConfig = localAwsClientConfig(dynamoDbEndpoint);
  const streamArn = await ensureTable(new DynamoDBClient(clientConfig), table);
  const notifications = await startLocalNotifications();
  Object.assign(process.env, localAwsEnvironment(), {
    [environmentVariables.tableName]: table,
    [environmentVariables.dynamoDbEndpoint]: dynamoDbEndpoint,
    [environmentVariables.snsEndpoint]: notifications.endpoint,
    [environmentVariables.topicArn]: notifications.topicArn,
  });
  // Imported only now: the handlers read their configuration from the environment when their modules load.
  const [api, changeFeed] = await Promise.all([import("#api/handler.ts"), import("#change-feed/handler.ts")]);
  const server = await startHttpServer({ port: 0, handler: api.handler });
  let poller: StreamPoller | undefined = startStreamPoller({
    streamsClient: new DynamoDBStreamsClient(clientConfig),
    streamArn,
    handler: changeFeed.handler,
    maxRetryAttempts: 10,
    onError: (error) => console.error(`bench local mode, change feed: ${error.message}`),
  });

  const shutdown = async () => {
    await server.close().catch(() => {});
    await poller?.stop().catch(() => {});
    await notifications.stop().catch(() => {});
    process.exit(0);
  };
  process.on("disconnect", () => void shutdown());
  process.on("message", (command: LocalModeCommand) => {
    if (command.type === "exit") void shutdown();
    if (command.type === "stop-change-feed") {
      const stopping = poller?.stop() ?? Promise.resolve();
      poller = undefined;
      void stopping.then(() => send({ type: "change-feed-stopped" }));
    }
  });
  send({ type: "ready", url: server.url, snsEndpoint: notifications.endpoint, topicArn: notifications.topicArn });
}

function send(message: LocalModeMessage): void {
  process.send?.(message);
}

main().catch((error: unknown) => {
  console.error(`bench local mode: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
