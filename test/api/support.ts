/** Assertions and set-up that the API's test files share. */
import assert from "node:assert/strict";
import { type ApiResponse, type CallApi, newEvent } from "#test/support/store.ts";
import type { OperationMessage, OperationQueue } from "../../lambdas/operations/queue.ts";

/** A 4xx or 5xx answer is problem+json with the members every problem has. */
export function assertProblem(response: ApiResponse, status: number): void {
  assert.equal(response.status, status, JSON.stringify(response.json));
  assert.equal(response.headers["content-type"], "application/problem+json");
  assert.equal(response.json.status, status);
  for (const member of ["type", "title", "detail", "requestId"])
    assert.equal(typeof response.json[member], "string", member);
  assert.equal(response.headers["x-request-id"], response.json.requestId);
}

/** A 400 whose `errors` name `field` (with exactly `messages`, when given). */
export function assertInvalid(response: ApiResponse, field: string, messages?: string[]): void {
  assertProblem(response, 400);
  assert.equal(response.json.type, "tag:event-store,2026:problem:invalid-input");
  assert.ok(response.json.errors?.[field], `errors.${field} in ${response.body}`);
  if (messages) assert.deepEqual(response.json.errors[field], messages);
}

/** A new stream with one event, created through the API; its id. */
export async function createdStream(call: CallApi, streamType = "order", payload: unknown = { total: 42 }) {
  const response = await call("POST", `/streams/${streamType}`, {
    body: { initialEvent: newEvent("Placed", payload) },
  });
  assert.equal(response.status, 201, response.body);
  return response.json.stream.streamId as string;
}

/** How many events a stream holds, read through the API (0 when it does not exist). */
export async function storedEventCount(call: CallApi, streamType: string, streamId: string): Promise<number> {
  const response = await call("GET", `/streams/${streamType}/${streamId}/details`);
  return response.status === 404 ? 0 : response.json.stream.revision;
}

/** A stand-in for the operation queue that records what the API sends; `failing` makes it refuse them. */
export function recordingQueue(): OperationQueue & { messages: OperationMessage[]; failing: boolean } {
  const queue = {
    messages: [] as OperationMessage[],
    failing: false,
    async enqueue(message: OperationMessage) {
      if (queue.failing) throw new Error("the queue is down");
      queue.messages.push(message);
    },
  };
  return queue;
}
