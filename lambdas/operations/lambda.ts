/**
 * Lambda entry point of the operation worker (SQS event source, and the hourly `{"sweep":"hourly"}` of its
 * schedule): configuration from the environment.
 */
import {
  environmentVariables,
  listingShardsFromEnvironment,
  notificationMaxBytesFromEnvironment,
  payloadsFromEnvironment,
  requiredEnvironment,
  retentionFromEnvironment,
  subjectKeysFromEnvironment,
} from "#shared/environment.ts";
import { quietObservability } from "#shared/observability.ts";
import { powertoolsObservability } from "#shared/powertools.ts";
import { createOperationWorkerHandler } from "./handler.ts";
import { parseAllowedTargets } from "./targets.ts";

// Lambda sets the function's name; outside Lambda nothing reads EMF lines (see api/lambda.ts).
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

export const handler = createOperationWorkerHandler({
  tableName: requiredEnvironment(environmentVariables.tableName),
  topicArn: requiredEnvironment(environmentVariables.topicArn),
  operationsQueueUrl: requiredEnvironment(environmentVariables.operationsQueueUrl),
  allowedReplayTargets: parseAllowedTargets(process.env[environmentVariables.allowedReplayTargets]),
  notificationBody: process.env[environmentVariables.notificationBody] === "full" ? "full" : "go",
  notificationMaxBytes: notificationMaxBytesFromEnvironment(),
  listingShards: listingShardsFromEnvironment(),
  subjectKeys: subjectKeysFromEnvironment(),
  payloads: payloadsFromEnvironment(),
  retention: retentionFromEnvironment(),
  observability: functionName
    ? powertoolsObservability({ serviceName: "event-store-operations", functionName })
    : quietObservability,
});
