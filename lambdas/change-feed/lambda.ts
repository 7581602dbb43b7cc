/** Lambda entry point of the change feed (DynamoDB Streams event source): configuration from the environment. */
import { environmentVariables, requiredEnvironment } from "#shared/environment.ts";
import { createChangeFeedHandler } from "./handler.ts";

export const handler = createChangeFeedHandler({
  tableName: requiredEnvironment(environmentVariables.tableName),
  topicArn: process.env[environmentVariables.topicArn],
});
