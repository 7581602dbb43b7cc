/** Consistency across streams (SPEC section 11): multi-stream appends, and the Dynamic Consistency Boundary. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { AppendsBody, DcbAppendBody, DcbReadBody } from "#api/consistency-schema.ts";
import { newEventAt, readInput, rejectRepeatedEventIds } from "#api/input.ts";
import type { ApiRequest } from "#api/request.ts";
import { eventBody, json } from "#api/responses.ts";
import { maxPageSize } from "#api/schema.ts";
import { TraceContextHeaders, traceContextOf } from "#api/trace-context.ts";
import type { DcbEvent } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** POST /appends {"appends", "checks"?}: several streams at once, all or nothing. */
export async function appendToStreams(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  // Payloads lie at appends[i].events[j].payload: five levels down.
  const { headers, body } = readInput(request, { headers: TraceContextHeaders, body: AppendsBody, bodyDepth: 5 });
  const traceContext = traceContextOf(headers);
  const writes = body.value.appends.map((append, index) => {
    const events = append.events.map((_, event) => ({
      ...newEventAt(body, "appends", index, "events", event),
      traceContext,
    }));
    rejectRepeatedEventIds(events, `appends[${index}].events`);
    return {
      streamType: append.streamType,
      streamId: append.streamId.toLowerCase(),
      expected: append.expectedRevision,
      events,
    };
  });
  const checks = (body.value.checks ?? []).map((check) => ({
    streamType: check.streamType,
    streamId: check.streamId.toLowerCase(),
    // The schema refuses "any" for checks.
    expected: check.expectedRevision as Exclude<typeof check.expectedRevision, "any">,
  }));
  const { appends } = await store.appendToStreams(writes, checks);
  return json(201, { appends });
}

/** POST /dcb/read {"query", "after"?, "limit"?}: the events matching a query, and the condition to append on. */
export async function readDcb(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { body } = readInput(request, { body: DcbReadBody });
  const { query, after = 0, limit = maxPageSize } = body.value;
  const page = await store.readDcb(query, after, limit);
  const events = page.events.map((event) => ({ position: event.position, ...eventBody(event), tags: event.tags }));
  return json(200, { dcbPage: { ...page, events } });
}

/** POST /dcb/append {"events", "condition"?}: tagged events, atomically, if nothing matching the condition came. */
export async function appendDcb(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { headers, body } = readInput(request, { headers: TraceContextHeaders, body: DcbAppendBody });
  const traceContext = traceContextOf(headers);
  const events: DcbEvent[] = body.value.events.map((event, index) => ({
    ...newEventAt(body, "events", index),
    traceContext,
    tags: event.tags,
    streamType: event.streamType,
    streamId: event.streamId?.toLowerCase(),
  }));
  rejectRepeatedEventIds(events, "events");
  return json(201, await store.appendDcb(events, body.value.condition));
}
