/** Replays and redrives (SPEC section 5): each starts an operation that the worker carries out step by step. */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { Static } from "@sinclair/typebox";
import type { LambdaFunctionURLResult } from "aws-lambda";
import { epochMillis, invalidInput, readInput } from "#api/input.ts";
import { ReplayHeaders, ReplaysBody } from "#api/operation-schema.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import type { ApiRequest, ApiServices, OperationsConfig } from "#api/request.ts";
import { acceptedOperation } from "#api/responses.ts";
import { isAllowedTarget, targetArn } from "#operations/targets.ts";
import { keyedUuid } from "#shared/uuid.ts";
import { isoTime, type Operation, type ReplayRequest } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";

/**
 * POST /replays: creates a pending operation and queues its first step; 202 with where to poll it.
 *
 * With an Idempotency-Key the operation's id is derived from the key and the caller with this deployment's secret
 * (as a created stream's, see streams.ts): a retry finds the same operation, and queues its first step again while
 * it is still pending (the worker's steps are idempotent), so a retry after a lost queue message is what repairs it.
 */
export async function createReplay(
  request: ApiRequest,
  store: StreamStore,
  services: ApiServices,
): Promise<LambdaFunctionURLResult> {
  const operations = configured(services);
  const { headers, body } = readInput(request, { headers: ReplayHeaders, body: ReplaysBody });
  const replay = replayRequest(body.value);
  checkTarget(replay, operations.allowedReplayTargets);
  const idempotencyKey = headers["Idempotency-Key"];
  const id =
    idempotencyKey === undefined
      ? randomUUID()
      : keyedUuid(await store.deploymentSecret(), JSON.stringify(["operation", request.caller, idempotencyKey]));
  const now = isoTime(Date.now());
  const { operation, created } = await store.createOperation({
    id,
    kind: replay.undelivered ? "redrive" : "replay",
    state: "pending",
    createdAt: now,
    updatedAt: now,
    request: replay,
    progress: { streams: 0, events: 0 },
    version: 1,
  });
  if (!created && !isDeepStrictEqual(operation.request, replay)) {
    throw new HttpProblem(
      problemTypes.unprocessable,
      "this Idempotency-Key was used before with another request body; use a new key for a new operation",
    );
  }
  if (operation.state === "pending") await queueFirstStep(store, operations, operation, idempotencyKey !== undefined);
  return acceptedOperation(operation);
}

function configured(services: ApiServices): OperationsConfig {
  if (services.operations) return services.operations;
  throw new HttpProblem(
    problemTypes.operationsNotConfigured,
    "this deployment runs no replays or redrives: its API has no operation queue (OPERATIONS_QUEUE_URL)",
  );
}

/** The request as the operation keeps it: stream ids in lower case and once each, updatedAfter in UTC. */
function replayRequest(body: Static<typeof ReplaysBody>): ReplayRequest {
  if ("undelivered" in body) return { undelivered: true };
  const { streamType, streamIds, updatedAfter, fromRevision, eventTypes, target } = body;
  return {
    streamType,
    ...(streamIds ? { streamIds: [...new Set(streamIds.map((id) => id.toLowerCase()))] } : {}),
    // Rounded down to the millisecond, as updated-after: at or after it stays at-least-once.
    ...(updatedAfter !== undefined ? { updatedAfter: isoTime(epochMillis(updatedAfter) as number) } : {}),
    ...(fromRevision !== undefined ? { fromRevision } : {}),
    ...(eventTypes ? { eventTypes } : {}),
    ...(target ? { target } : {}),
  };
}

/** The worker can write only to targets the stack allows; any other is refused before anything is created. */
function checkTarget(replay: ReplayRequest, allowed: readonly string[]): void {
  if (!replay.target || isAllowedTarget(replay.target, allowed)) return;
  const arn = targetArn(replay.target);
  throw invalidInput({
    target: [
      `is not a target this stack allows: add ${arn ?? "its ARN"} to the replayTargets option of the EventStore ` +
        "construct, or leave target out to replay to the store's own topic",
    ],
  });
}

/**
 * Sends the operation's first step to the worker. When the queue refuses it, an operation created without an
 * Idempotency-Key is marked failed, since nobody can retry it and it would wait for ever; a keyed one stays pending
 * for the caller's retry. The caller gets a 500 either way (logged with the queue's error).
 */
async function queueFirstStep(
  store: StreamStore,
  operations: OperationsConfig,
  operation: Operation,
  retriable: boolean,
): Promise<void> {
  try {
    await operations.queue.enqueue({ operationId: operation.id });
  } catch (error) {
    if (!retriable) {
      const problem = { title: "Not queued", detail: "the operation queue did not accept its first step" };
      const failed = { ...operation, state: "failed" as const, problem, updatedAt: isoTime(Date.now()) };
      await store.saveOperation({ ...failed, version: operation.version + 1 }, operation.version);
    }
    throw error;
  }
}
