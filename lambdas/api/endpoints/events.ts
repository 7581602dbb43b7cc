/** The events of a stream: append one at its revision, append a batch, read them forward or backward. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { invalidInput, newEventAt, readInput, rejectRepeatedEventIds } from "#api/input.ts";
import type { ApiRequest } from "#api/request.ts";
import { eventBody, json } from "#api/responses.ts";
import { AppendAtRevisionBody, AppendBody, EventPath, ReadEventsQuery, StreamPath } from "#api/streams-schema.ts";
import { TraceContextHeaders, traceContextOf } from "#api/trace-context.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** PUT /streams/{type}/{id}/events/{revision} {"event"}: exactly the next revision (the Go client's append). */
export async function appendAtRevision(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, headers, body } = readInput(request, {
    path: EventPath,
    headers: TraceContextHeaders,
    body: AppendAtRevisionBody,
  });
  const event = { ...newEventAt(body, "event"), traceContext: traceContextOf(headers) };
  const { stream } = await store.append(path.streamType, path.streamId, path.revision - 1, [event]);
  return json(201, { stream });
}

/** POST /streams/{type}/{id}/events {"expectedRevision", "events"}: 1–100 events, atomically. */
export async function appendEvents(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, headers, body } = readInput(request, {
    path: StreamPath,
    headers: TraceContextHeaders,
    body: AppendBody,
  });
  const traceContext = traceContextOf(headers);
  const events = body.value.events.map((_, index) => ({ ...newEventAt(body, "events", index), traceContext }));
  rejectRepeatedEventIds(events, "events");
  const result = await store.append(path.streamType, path.streamId, body.value.expectedRevision, events);
  return json(201, result);
}

/**
 * GET /streams/{type}/{id}/events: forward after a revision (default), or backward from one; payloads as JSON values
 * (default) or, with payload-encoding=string, as strings (see responses.ts `eventBody`).
 */
export async function readEvents(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path, query } = readInput(request, { path: StreamPath, query: ReadEventsQuery });
  const backward = query.direction === "backward";
  // Each direction has its own starting point; the other one would be silently ignored, so it is refused.
  if (backward && request.query.has("after-revision")) {
    throw invalidInput({ "after-revision": ["applies to forward reads; use from-revision"] });
  }
  if (!backward && request.query.has("from-revision")) {
    throw invalidInput({ "from-revision": ["applies to backward reads; use after-revision"] });
  }
  const page = await store.readEvents(path.streamType, path.streamId, {
    direction: query.direction,
    afterRevision: backward ? undefined : query["after-revision"],
    fromRevision: query["from-revision"],
    limit: query.limit,
    escapedPayloads: query["payload-encoding"] === "string",
  });
  const events = page.events.map((event) => eventBody(event, query["payload-encoding"]));
  return json(200, { eventPage: { ...page, events } });
}
