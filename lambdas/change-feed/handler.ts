/** Lambda entry point of the change feed (DynamoDB Streams event source, partial batch responses). */
import { createDocumentClient, createSnsClient } from "#shared/aws-clients.ts";
import { environmentVariables, requiredEnvironment } from "#shared/environment.ts";
import { StreamStore } from "#store/stream-store.ts";
import { createChangeFeedHandler } from "./change-feed.ts";
import { createSnsPublisher } from "./notifications.ts";

const topicArn = process.env[environmentVariables.topicArn];

export const handler = createChangeFeedHandler({
  store: new StreamStore({
    client: createDocumentClient(),
    tableName: requiredEnvironment(environmentVariables.tableName),
  }),
  publish: topicArn ? createSnsPublisher({ sns: createSnsClient(), topicArn }) : undefined,
});
