/**
 * The worker thread's entry (started by thread.ts): the local SNS/SQS endpoint with its topic, the change-feed
 * handler and the stream poller that drives it, built from the config in `workerData`, so that their work does not
 * share an event loop with the API. It answers the messages of `ChangeFeedCommand` and reports with those of
 * `ChangeFeedReport`; it builds nothing that thread.ts did not ask for in its config.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { createChangeFeedHandler } from "#change-feed/handler.ts";
import type { AwsClientConfig } from "#shared/aws-clients.ts";
import { type LocalClientTimeouts, localAwsClientConfig, localClientWithTimeouts } from "../aws-local.ts";
import { type LocalNotifications, startLocalNotifications, useNotificationsAt } from "../notifications.ts";
import { type StreamPoller, startStreamPoller } from "./poller.ts";

/** What the worker builds (structured-cloned into `workerData`). */
export interface ChangeFeedWorkerConfig {
  tableName: string;
  streamArn: string;
  dynamoDb: AwsClientConfig;
  dynamoDbTimeouts?: LocalClientTimeouts;
  /** Start the local SNS/SQS on this port (0: a free one), or create the topic at a running endpoint. */
  notifications: { port: number } | { endpoint: string };
  checkpointFile?: string;
  batchSize: number;
  maxRetryAttempts: number;
  /** The handler indexes the global feed (default); false for the bench's drain without it (compose.ts). */
  globalFeed?: boolean;
}

/** From the API's thread to the worker. */
export type ChangeFeedCommand = { type: "idle"; id: number } | { type: "stop-change-feed" } | { type: "stop" };

/** From the worker to the API's thread. */
export type ChangeFeedReport =
  | { type: "ready"; endpoint: string; topicArn: string }
  | { type: "start-failed"; message: string }
  | { type: "change-feed-error"; message: string }
  | { type: "idle"; id: number; error?: string }
  | { type: "change-feed-stopped" }
  | { type: "stopped" };

if (!parentPort) throw new Error("local/change-feed/worker.ts runs as a worker thread (see thread.ts)");
const port: MessagePort = parentPort;
const report = (message: ChangeFeedReport) => port.postMessage(message);

async function start(config: ChangeFeedWorkerConfig): Promise<void> {
  let notifications: LocalNotifications;
  try {
    notifications =
      "endpoint" in config.notifications
        ? await useNotificationsAt(config.notifications.endpoint)
        : await startLocalNotifications({ port: config.notifications.port });
  } catch (error) {
    report({ type: "start-failed", message: (error as Error).message });
    return;
  }
  const handler = createChangeFeedHandler({
    tableName: config.tableName,
    topicArn: notifications.topicArn,
    dynamoDb: config.dynamoDb,
    sns: localAwsClientConfig(notifications.endpoint),
    // One local process per data folder (local/data-dir-lock.ts): a claim left by a dead one is waited out briefly.
    feedLeaseMs: 3000,
    globalFeed: config.globalFeed,
  });
  let poller: StreamPoller | undefined = startStreamPoller({
    streamsClient: new DynamoDBStreamsClient(
      localClientWithTimeouts(config.dynamoDb.endpoint as string, config.dynamoDbTimeouts),
    ),
    streamArn: config.streamArn,
    handler,
    batchSize: config.batchSize,
    checkpointFile: config.checkpointFile,
    maxRetryAttempts: config.maxRetryAttempts,
    onError: (error) => report({ type: "change-feed-error", message: error.message }),
  });
  const stopChangeFeed = async () => {
    const stopping = poller?.stop();
    poller = undefined;
    await stopping;
  };

  port.on("message", (command: ChangeFeedCommand) => {
    if (command.type === "idle") {
      const idle = poller?.idle() ?? Promise.reject(new Error("the change feed is stopped"));
      idle.then(
        () => report({ type: "idle", id: command.id }),
        (error: Error) => report({ type: "idle", id: command.id, error: error.message }),
      );
    }
    if (command.type === "stop-change-feed") void stopChangeFeed().then(() => report({ type: "change-feed-stopped" }));
    if (command.type === "stop") {
      void (async () => {
        await stopChangeFeed().catch(() => {});
        await notifications.stop().catch(() => {});
        report({ type: "stopped" });
      })();
    }
  });
  report({ type: "ready", endpoint: notifications.endpoint, topicArn: notifications.topicArn });
}

void start(workerData as ChangeFeedWorkerConfig);
