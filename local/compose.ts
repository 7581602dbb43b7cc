/**
 * Local mode, composed once: the table (from the stack's own definition) in a running DynamoDB Local, the local
 * SNS/SQS endpoint with the notification topic, the API handler, and the change-feed handler driven by the stream
 * poller — each handler built by the same factory its Lambda entry calls, with configuration passed in (never
 * through `process.env`). `npm start`, the bench and the tests all start local mode through `composeLocalMode`.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { createApiHandler } from "#api/handler.ts";
import { createChangeFeedHandler } from "#change-feed/handler.ts";
import { localAwsClientConfig } from "./aws-local.ts";
import { type StreamPoller, startStreamPoller } from "./change-feed/poller.ts";
import type { FunctionUrlHandler } from "./http-server.ts";
import { type LocalNotifications, startLocalNotifications } from "./notifications.ts";
import { ensureTable } from "./table.ts";

export interface LocalModeOptions {
  /** A running DynamoDB Local (see dynamodb-local.ts). */
  dynamoDbEndpoint: string;
  /** Created when missing. */
  tableName: string;
  /** Port of the local SNS/SQS endpoint; 0 (the default) picks a free one. */
  snsPort?: number;
  /** Keep the change feed's checkpoints in this file across restarts; in memory when absent. */
  checkpointFile?: string;
  /** Told about change-feed failures. Default: one line on stderr. */
  onChangeFeedError?: (error: Error) => void;
}

export interface LocalMode {
  /** The API's handler, to serve behind the local function-URL server. */
  api: FunctionUrlHandler;
  tableName: string;
  /** The local SNS/SQS endpoint and the topic the change feed publishes to. */
  notifications: LocalNotifications;
  /** Stops the change feed; the API keeps answering (the bench measures it alone this way). */
  stopChangeFeed(): Promise<void>;
  /** Stops the change feed, then the local SNS/SQS. DynamoDB Local belongs to the caller. */
  stop(): Promise<void>;
}

/** Failed deliveries of a change-feed batch before it is reported and skipped, like the stack's bounded retries. */
const changeFeedMaxRetryAttempts = 10;

export async function composeLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const dynamoDb = localAwsClientConfig(options.dynamoDbEndpoint);
  const streamArn = await ensureTable(new DynamoDBClient(dynamoDb), options.tableName);
  const notifications = await startLocalNotifications({ port: options.snsPort ?? 0 });

  const api = createApiHandler({ tableName: options.tableName, dynamoDb });
  const changeFeed = createChangeFeedHandler({
    tableName: options.tableName,
    topicArn: notifications.topicArn,
    dynamoDb,
    sns: localAwsClientConfig(notifications.endpoint),
  });
  let poller: StreamPoller | undefined = startStreamPoller({
    streamsClient: new DynamoDBStreamsClient(dynamoDb),
    streamArn,
    handler: changeFeed,
    checkpointFile: options.checkpointFile,
    // A poison record is reported and skipped instead of blocking the feed.
    maxRetryAttempts: changeFeedMaxRetryAttempts,
    onError: options.onChangeFeedError ?? ((error) => console.error(`change feed: ${error.message}`)),
  });

  const stopChangeFeed = async () => {
    const stopping = poller?.stop();
    poller = undefined;
    await stopping;
  };
  return {
    api,
    tableName: options.tableName,
    notifications,
    stopChangeFeed,
    stop: async () => {
      await stopChangeFeed().catch(() => {});
      await notifications.stop().catch(() => {});
    },
  };
}
