/**
 * Deleting and truncating streams (SPEC section 13). The store hides at once and records a removal operation; the
 * endpoint queues its first step for the worker, which deletes the hidden items, and answers 202 with where to poll.
 */

import type { Static } from "@sinclair/typebox";
import type { LambdaFunctionURLResult } from "aws-lambda";
import { readInput } from "#api/input.ts";
import {
  DeleteStreamQuery,
  LifecyclePath,
  type RetentionAnswer,
  RetentionBody,
  TruncateBody,
  type TruncatedAlreadyAnswer,
} from "#api/lifecycle-schema.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import type { ApiRequest, ApiServices, OperationsConfig } from "#api/request.ts";
import { acceptedOperation, json } from "#api/responses.ts";
import type { Operation } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** DELETE /streams/{type}/{id}?expected-revision=N&hard=true: hides the stream now; 202 with the removal. */
export async function deleteStream(
  request: ApiRequest,
  store: StreamStore,
  services: ApiServices,
): Promise<LambdaFunctionURLResult> {
  const operations = configured(services);
  const { path, query } = readInput(request, { path: LifecyclePath, query: DeleteStreamQuery });
  const operation = await store.deleteStream(path.streamType, path.streamId, {
    expectedRevision: query["expected-revision"],
    hard: query.hard === "true",
    requestedBy: request.caller,
  });
  return accepted(operations, operation);
}

/** POST /streams/{type}/{id}/truncation {"truncateBefore"}: hides the events before it now; 202 with the removal. */
export async function truncateStream(
  request: ApiRequest,
  store: StreamStore,
  services: ApiServices,
): Promise<LambdaFunctionURLResult> {
  const operations = configured(services);
  const { path, body } = readInput(request, { path: LifecyclePath, body: TruncateBody });
  const result = await store.truncateStream(path.streamType, path.streamId, body.value.truncateBefore, request.caller);
  if (!result.operation) {
    return json(200, { truncateBefore: result.hiddenBelow } satisfies Static<typeof TruncatedAlreadyAnswer>);
  }
  return accepted(operations, result.operation);
}

/** GET /streams/{type}/{id}/retention: the stream's own limits, its type's, and what applies. */
export async function getRetention(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path } = readInput(request, { path: LifecyclePath });
  const retention = await store.retention(path.streamType, path.streamId);
  return json(200, { retention } satisfies Static<typeof RetentionAnswer>);
}

/**
 * PUT /streams/{type}/{id}/retention {"maxAge","maxCount"}: the stream's own limits; what they no longer keep is
 * hidden now; 202 with the removal operation that records the change and deletes those events.
 */
export async function putRetention(
  request: ApiRequest,
  store: StreamStore,
  services: ApiServices,
): Promise<LambdaFunctionURLResult> {
  const operations = configured(services);
  const { path, body } = readInput(request, { path: LifecyclePath, body: RetentionBody });
  const operation = await store.setRetention(path.streamType, path.streamId, body.value, request.caller);
  return accepted(operations, operation);
}

/**
 * Queues the removal's first step. The hiding is done whatever the queue says; an operation the queue refused stays
 * pending, and the worker's tick queues it again (it resumes stalled operations), so the answer is 202 either way.
 */
async function accepted(operations: OperationsConfig, operation: Operation): Promise<LambdaFunctionURLResult> {
  await operations.queue.enqueue({ operationId: operation.id }).catch(() => {});
  return acceptedOperation(operation);
}

/** The operations config, if this API has one (who may remove data the router decides: admin.ts). */
function configured(services: ApiServices): OperationsConfig {
  const { operations } = services;
  if (!operations) {
    throw new HttpProblem(
      problemTypes.operationsNotConfigured,
      "this deployment cannot delete, truncate or limit streams: its API has no operation queue (OPERATIONS_QUEUE_URL)",
    );
  }
  return operations;
}
