/**
 * The change-feed handler built from its configuration: summary upkeep through the store, notifications through
 * the SNS publisher when a topic is configured. The Lambda entry (lambda.ts) and local mode call this factory.
 */
import { type AwsClientConfig, createDocumentClient, createSnsClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import { createChangeFeed } from "./change-feed.ts";
import { createSnsPublisher } from "./notifications.ts";

export interface ChangeFeedConfig {
  tableName: string;
  /** The topic notifications go to; absent: nothing is published. */
  topicArn?: string | undefined;
  /** Client settings; empty in AWS. */
  dynamoDb?: AwsClientConfig;
  sns?: AwsClientConfig;
}

export function createChangeFeedHandler(config: ChangeFeedConfig): ReturnType<typeof createChangeFeed> {
  const { topicArn } = config;
  return createChangeFeed({
    store: new StreamStore({ client: createDocumentClient(config.dynamoDb), tableName: config.tableName }),
    publish: topicArn ? createSnsPublisher({ sns: createSnsClient(config.sns), topicArn }) : undefined,
  });
}
