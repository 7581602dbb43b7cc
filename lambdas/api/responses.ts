/** Successful answers: JSON bodies (payloads written verbatim, see RawJson), events as the API shows them. */
import type { Static } from "@sinclair/typebox";
import type { LambdaFunctionURLResult } from "aws-lambda";
import type { Operation, RecordedEvent, Stream, TraceContext } from "#store/model.ts";
import { RawJson, type StoredPayload, stringifyJson } from "#store/raw-json.ts";
import type { ReadEventsQuery } from "./streams-schema.ts";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult {
  return { statusCode: status, headers: { "content-type": "application/json", ...headers }, body: stringifyJson(body) };
}

/** How a read shows payloads: the `payload-encoding` parameter of streams-schema.ts `ReadEventsQuery`. */
export type PayloadEncoding = Static<typeof ReadEventsQuery>["payload-encoding"];

/**
 * The event as the API shows it (schema.ts `Event`): the Go client's fields plus eventId, metadata, streamType;
 * its payload as `payloadEncoding` says.
 */
export function eventBody(event: RecordedEvent, payloadEncoding: PayloadEncoding = "json"): Record<string, unknown> {
  return {
    streamId: event.streamId,
    streamType: event.streamType,
    revision: event.revision,
    eventType: event.eventType,
    eventId: event.eventId,
    ...payloadMembers(event.payload, payloadEncoding),
    metadata: event.metadata,
    createdAt: event.createdAt,
    ...(event.tags ? { tags: event.tags } : {}),
    ...traceMembers(event.traceContext),
    ...personalMembers(event),
  };
}

/** An event's personal data as the members of an answer: subject, personalData and, once erased, `erased: true`. */
export function personalMembers(event: Pick<RecordedEvent, "subject" | "personalData" | "erased">) {
  if (event.subject === undefined) return {};
  return { subject: event.subject, personalData: event.personalData, ...(event.erased ? { erased: true } : {}) };
}

/** An event's trace context as the members of an answer: `traceparent` and `tracestate`, as the headers were. */
export function traceMembers(traceContext: TraceContext | undefined): Record<string, string> {
  if (!traceContext) return {};
  return {
    traceparent: traceContext.traceparent,
    ...(traceContext.tracestate ? { tracestate: traceContext.tracestate } : {}),
  };
}

/**
 * The payload's members of an event in an answer: `payload`, or for a payload in S3 that the answer had no room for,
 * `payloadUrl` (short-lived, no credentials needed) with `payloadSize` and `payloadSha256` to check it by.
 */
export function payloadMembers(
  payload: RawJson | StoredPayload,
  payloadEncoding: PayloadEncoding = "json",
): Record<string, unknown> {
  if (payload instanceof RawJson) return { payload: payloadBody(payload, payloadEncoding) };
  return { payloadUrl: payload.url, payloadSize: payload.size, payloadSha256: payload.sha256 };
}

/** A payload as `payloadEncoding` says: the JSON value as stored, or as a string (below). */
export function payloadBody(payload: RawJson, payloadEncoding: PayloadEncoding = "json"): RawJson {
  return payloadEncoding === "string" ? payloadAsString(payload) : payload;
}

/**
 * A payload as a JSON string, for clients whose type holds payloads as strings (the Go client's `Payload string`,
 * which such a client writes as a JSON string and expects back as that string): a payload that is a JSON string
 * stays as stored; any other value becomes a string holding its JSON text exactly as stored. Escaping the stored
 * text is all it costs: nothing is parsed or written again.
 */
function payloadAsString(payload: RawJson): RawJson {
  return jsonStringStart.test(payload.text) ? payload : new RawJson(JSON.stringify(payload.text));
}

const jsonStringStart = /^[ \t\n\r]*"/;

/** Where a created stream is read. */
export function streamLocation(stream: Stream): string {
  return `/streams/${encodeURIComponent(stream.streamType)}/${stream.streamId}`;
}

/** An operation as the API shows it (operation-schema.ts `Operation`): never the worker's cursor or version. */
export function operationBody(operation: Operation): Record<string, unknown> {
  const { id, kind, state, createdAt, updatedAt, progress, request, result, problem, cancelRequested, requestedBy } =
    operation;
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
    ...(requestedBy !== undefined ? { requestedBy } : {}),
  };
}

/** The 202 of a request that started an operation: what it is, and where to poll it (Location, Retry-After). */
export function acceptedOperation(operation: Operation): LambdaFunctionURLResult {
  const location = operationLocation(operation);
  const { id, kind, state } = operation;
  return json(202, { id, kind, state, location }, { location, "retry-after": "1" });
}

/** Where an operation is polled. */
export function operationLocation(operation: Operation): string {
  return `/operations/${operation.id}`;
}
