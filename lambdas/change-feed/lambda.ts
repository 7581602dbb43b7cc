/** Lambda entry point of the change feed (DynamoDB Streams event source): configuration from the environment. */
import {
  environmentVariables,
  listingShardsFromEnvironment,
  notificationMaxBytesFromEnvironment,
  requiredEnvironment,
  subjectKeysFromEnvironment,
} from "#shared/environment.ts";
import { quietObservability } from "#shared/observability.ts";
import { powertoolsObservability } from "#shared/powertools.ts";
import { createChangeFeedHandler } from "./handler.ts";

// Lambda sets the function's name; outside Lambda nothing reads EMF lines (see api/lambda.ts).
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

export const handler = createChangeFeedHandler({
  tableName: requiredEnvironment(environmentVariables.tableName),
  topicArn: process.env[environmentVariables.topicArn],
  notificationBody: notificationBody(process.env[environmentVariables.notificationBody]),
  notificationMaxBytes: notificationMaxBytesFromEnvironment(),
  listingShards: listingShardsFromEnvironment(),
  subjectKeys: subjectKeysFromEnvironment(),
  observability: functionName
    ? powertoolsObservability({ serviceName: "event-store-change-feed", functionName })
    : quietObservability,
});

/** `go` (also when unset) or `full`; anything else is a misconfiguration that must not go unnoticed. */
function notificationBody(value: string | undefined): "go" | "full" {
  if (value === undefined || value === "" || value === "go" || value === "full")
    return value === "full" ? "full" : "go";
  throw new Error(`${environmentVariables.notificationBody} must be "go" or "full", not ${JSON.stringify(value)}`);
}
