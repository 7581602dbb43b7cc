/** Successful answers: JSON bodies (payloads written verbatim, see RawJson), events as the API shows them. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import type { Operation, RecordedEvent, Stream } from "#store/model.ts";
import { stringifyJson } from "#store/raw-json.ts";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult {
  return { statusCode: status, headers: { "content-type": "application/json", ...headers }, body: stringifyJson(body) };
}

/** The event as the API shows it (schema.ts `Event`): the Go client's fields plus eventId, metadata, streamType. */
export function eventBody(event: RecordedEvent): Record<string, unknown> {
  return {
    streamId: event.streamId,
    streamType: event.streamType,
    revision: event.revision,
    eventType: event.eventType,
    eventId: event.eventId,
    payload: event.payload,
    metadata: event.metadata,
    createdAt: event.createdAt,
  };
}

/** Where a created stream is read. */
export function streamLocation(stream: Stream): string {
  return `/streams/${encodeURIComponent(stream.streamType)}/${stream.streamId}`;
}

/** An operation as the API shows it (operation-schema.ts `Operation`): never the worker's cursor or version. */
export function operationBody(operation: Operation): Record<string, unknown> {
  const { id, kind, state, createdAt, updatedAt, progress, request, result, problem, cancelRequested } = operation;
  return {
    id,
    kind,
    state,
    createdAt,
    updatedAt,
    progress,
    request,
    ...(result !== undefined ? { result } : {}),
    ...(problem ? { problem } : {}),
    // Only while it matters: a finished operation has nothing left to cancel.
    ...(cancelRequested && state === "running" ? { cancelRequested } : {}),
  };
}

/** Where an operation is polled. */
export function operationLocation(operation: Operation): string {
  return `/operations/${operation.id}`;
}
