/**
 * The change-feed handler built from its configuration: summary upkeep, the global feed and undelivered notifications
 * through the store, notifications through the SNS publisher when a topic is configured. The Lambda entry (lambda.ts) and local mode call this factory.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { type AwsClientConfig, createDocumentClient, createSnsClient } from "#shared/aws-clients.ts";
import { type Observability, observeInvocations, quietObservability } from "#shared/observability.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { SubjectKeysOptions } from "#store/subject-keys.ts";
import { createChangeFeed } from "./change-feed.ts";
import { createSnsPublisher } from "./notifications.ts";

export interface ChangeFeedConfig {
  tableName: string;
  /** The topic notifications go to; absent: nothing is published. */
  topicArn?: string | undefined;
  /** The notification body: `go` (the default, the Go project's) or `full` (with payload and metadata when they fit). */
  notificationBody?: "go" | "full" | undefined;
  /** The topic's `MaximumMessageSize` (the stack option `largeNotifications`). Default: SNS's default, 256 KiB. */
  notificationMaxBytes?: number | undefined;
  /** Client settings; empty in AWS. */
  dynamoDb?: AwsClientConfig;
  sns?: AwsClientConfig;
  /** Partitions of the listing index per stream type (the stack option `listingShards`). Default: 4. */
  listingShards?: number | undefined;
  /**
   * How long a feed batch's claim keeps other writers waiting before they take its writer for dead
   * (store/feed-index.ts). Default: 15 s. Local mode, one process per data folder, passes less.
   */
  feedLeaseMs?: number | undefined;
  /**
   * Index the global feed (SPEC section 10). Default: true. Off, the handler keeps summaries and publishes only, as
   * before the feed: the bench turns it off to measure what indexing costs the drain (bench/drain.ts).
   */
  globalFeed?: boolean | undefined;
  /** The subject keys of personal data (store/subject-keys.ts), which full bodies open; absent: shown as erased. */
  subjectKeys?: SubjectKeysOptions | undefined;
  /** Where counters and failures go. Default: nowhere but failures to stderr (local mode, tests). */
  observability?: Observability;
}

export function createChangeFeedHandler(
  config: ChangeFeedConfig,
): (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse> {
  const { topicArn } = config;
  const observability = config.observability ?? quietObservability;
  const store = new StreamStore({
    client: createDocumentClient(config.dynamoDb),
    tableName: config.tableName,
    listingShards: config.listingShards,
    subjectKeys: config.subjectKeys,
  });
  const changeFeed = createChangeFeed({
    store,
    feed: config.globalFeed === false ? undefined : store.feedIndex(config.feedLeaseMs),
    publish: topicArn
      ? createSnsPublisher({
          sns: createSnsClient(config.sns),
          topicArn,
          body: config.notificationBody,
          maxMessageBytes: config.notificationMaxBytes,
          observability,
        })
      : undefined,
    fifo: topicArn?.endsWith(".fifo") ?? false,
    ...(config.notificationBody === "full" ? { openPersonalData: (events) => store.openPersonalData(events) } : {}),
    observability,
  });
  return observeInvocations(observability, changeFeed);
}
