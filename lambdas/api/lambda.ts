/** Lambda entry point of the HTTP API (function URL, payload format 2.0): configuration from the environment. */
import type { OperationQueue } from "#operations/queue.ts";
import { parseAllowedTargets } from "#operations/targets.ts";
import {
  environmentVariables,
  listingShardsFromEnvironment,
  payloadsFromEnvironment,
  requiredEnvironment,
  retentionFromEnvironment,
  subjectKeysFromEnvironment,
} from "#shared/environment.ts";
import { observabilityOnFirstUse, quietObservability } from "#shared/observability.ts";
import { createApiHandler } from "./handler.ts";
import type { OperationsConfig } from "./request.ts";

// Lambda sets the function's name. Outside Lambda (a script importing this entry without setting it) nothing reads EMF
// lines, and they would litter the importer's stdout. Powertools is imported by the first invocation that logs or
// counts (observabilityOnFirstUse), not by the cold start.
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

export const handler = createApiHandler({
  tableName: requiredEnvironment(environmentVariables.tableName),
  observability: functionName
    ? observabilityOnFirstUse(() =>
        import("#shared/powertools.ts").then((powertools) =>
          powertools.powertoolsObservability({ serviceName: "event-store-api", functionName }),
        ),
      )
    : quietObservability,
  operations: operationsFromEnvironment(),
  listingShards: listingShardsFromEnvironment(),
  subjectKeys: subjectKeysFromEnvironment(),
  retention: retentionFromEnvironment(),
  payloads: payloadsFromEnvironment(),
  adminAlias: process.env[environmentVariables.adminAlias],
});

/** The operation queue, when the stack has one, and the replay targets it allows (a JSON array; default none). */
function operationsFromEnvironment(): OperationsConfig | undefined {
  const queueUrl = process.env[environmentVariables.operationsQueueUrl];
  if (!queueUrl) return undefined;
  return {
    queue: sqsQueueOnFirstUse(queueUrl),
    allowedReplayTargets: parseAllowedTargets(process.env[environmentVariables.allowedReplayTargets]),
  };
}

/**
 * The SQS queue, its client module imported and its client built by the first message: only replays and redrives
 * send one, so a cold start neither evaluates the SQS client (a chunk of its own in the bundle) nor builds it.
 */
function sqsQueueOnFirstUse(queueUrl: string): OperationQueue {
  let queue: Promise<OperationQueue> | undefined;
  return {
    enqueue: async (message) => {
      queue ??= import("#operations/queue.ts").then((module) => module.createSqsOperationQueue({}, queueUrl));
      await (await queue).enqueue(message);
    },
  };
}
