/** Operations (seed 003): poll one, list them, cancel one. The worker changes them; so can a cancel. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { readInput } from "#api/input.ts";
import { ListOperationsQuery, OperationPath } from "#api/operation-schema.ts";
import { HttpProblem, problemTypes } from "#api/problem.ts";
import type { ApiRequest } from "#api/request.ts";
import { json, operationBody } from "#api/responses.ts";
import { ThrottledError } from "#store/errors.ts";
import { isoTime, type Operation } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** How often a cancel reads again after the worker checkpointed between its read and its write. */
const cancelAttempts = 5;

/** GET /operations/{id}: the operation's state and progress (strongly consistent). */
export async function operationDetails(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path } = readInput(request, { path: OperationPath });
  return json(200, operationBody(found(path.id, await store.getOperation(path.id))));
}

/** GET /operations?kind=&state=: operations oldest first, of one kind or both, in one state or any. */
export async function listOperations(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { query } = readInput(request, { query: ListOperationsQuery });
  const page = await store.listOperations({
    kind: query.kind,
    state: query.state,
    limit: query.limit,
    pageKey: query.nextPageKey || undefined,
  });
  return json(200, { operationPage: { ...page, operations: page.operations.map(operationBody) } });
}

/**
 * DELETE /operations/{id}: a pending operation is canceled at once; a running one is asked to stop, which the
 * worker does at its next step (its checkpoints are conditional on the version, so it cannot miss the request).
 * 202 with the operation; 409 when it has finished already.
 */
export async function cancelOperation(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path } = readInput(request, { path: OperationPath });
  let operation = found(path.id, await store.getOperation(path.id));
  for (let attempt = 1; ; attempt++) {
    const next = canceled(operation);
    if (next === operation) return json(202, operationBody(operation));
    const saved = await store.saveOperation(next, operation.version);
    if (saved.saved) return json(202, operationBody(next));
    if (attempt === cancelAttempts) {
      throw new ThrottledError(`operation ${path.id} kept changing while it was being canceled; retry the cancel`);
    }
    operation = found(path.id, saved.current);
  }
}

/** The operation with the cancel applied; itself when a cancel is under way already. */
function canceled(operation: Operation): Operation {
  const { state, id } = operation;
  if (state === "succeeded" || state === "failed" || state === "canceled") {
    throw new HttpProblem(problemTypes.operationFinished, `operation ${id} has ${state} already: nothing to cancel`);
  }
  if (state === "running" && operation.cancelRequested) return operation;
  const change = state === "pending" ? { state: "canceled" as const } : { cancelRequested: true };
  return { ...operation, ...change, updatedAt: isoTime(Date.now()), version: operation.version + 1 };
}

function found(id: string, operation: Operation | undefined): Operation {
  if (operation) return operation;
  throw new HttpProblem(problemTypes.operationNotFound, `there is no operation ${id}`);
}
