/**
 * Fuzz cases about the shape of requests (fuzz.test.ts runs them): unknown members, sizes over the limits,
 * values of the wrong type, and bodies or paths that do not parse.
 */
import {
  append,
  create,
  event,
  everyWrite,
  type FuzzCase,
  put,
  type RawRequest,
  read,
  type Target,
  text,
} from "./requests.ts";

function unknownMemberCases(): FuzzCase[] {
  const withMember = (name: string) => `{"initialEvent":{"eventType":"A","payload":1},${JSON.stringify(name)}:{}}`;
  return [
    { name: "create with extra", request: create({ initialEvent: event(), extra: 1 }), field: "extra" },
    { name: "put with extra", request: put({ event: event(), extra: null }), field: "extra" },
    {
      name: "append with extra",
      request: append({ expectedRevision: 0, events: [event()], extra: {} }),
      field: "extra",
    },
    { name: "create with event", request: create({ initialEvent: event(), event: event() }), field: "event" },
    { name: "put with initialEvent", request: put({ event: event(), initialEvent: event() }), field: "initialEvent" },
    { name: "create with __proto__", request: create(withMember("__proto__")), field: "__proto__" },
    { name: "create with constructor", request: create(withMember("constructor")), field: "constructor" },
    { name: "create with an empty member name", request: create(withMember("")), field: "" },
    { name: "create with a member named 0", request: create(withMember("0")), field: "0" },
    ...everyWrite("an event with colour", event({ colour: "red" }), "colour"),
    ...everyWrite("an event with meta (not metadata)", event({ meta: {} }), "meta"),
  ];
}

const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
const longId = "a".repeat(1100);
/** A request to another path or with headers than the builder gives. */
const changed = (request: (t: Target) => RawRequest, change: (t: Target) => Partial<RawRequest>) => (t: Target) => ({
  ...request(t),
  ...change(t),
});

function sizeCases(): FuzzCase[] {
  const batch = (expectedRevision: string) =>
    append(`{"expectedRevision":${expectedRevision},"events":[{"eventType":"A","payload":1}]}`);
  return [
    ...everyWrite("eventType of 257 characters", event({ eventType: "x".repeat(257) }), "eventType"),
    ...everyWrite("eventId of 1100 characters", event({ eventId: longId }), "eventId"),
    {
      name: "101 events",
      request: append({ expectedRevision: 0, events: Array.from({ length: 101 }, () => event()) }),
      field: "events",
    },
    {
      name: "streamId of 1100 characters",
      request: (t) => put({ event: event() })({ ...t, streamId: longId }),
      field: "streamId",
    },
    {
      name: "streamType of 1100 characters",
      request: (t) => create({ initialEvent: event() })({ ...t, streamType: longId }),
      field: "streamType",
    },
    {
      name: "Idempotency-Key of 1100 characters",
      request: changed(create({ initialEvent: event() }), () => ({ headers: { "idempotency-key": longId } })),
      field: "Idempotency-Key",
    },
    { name: "expectedRevision 1e400", request: batch("1e400"), field: "expectedRevision" },
    { name: "expectedRevision 2^53", request: batch(String(2 ** 53)), field: "expectedRevision" },
    { name: "expectedRevision 0.5", request: batch("0.5"), field: "expectedRevision" },
    {
      name: "revision 1e400",
      request: changed(put({ event: event() }), (t) => ({
        path: `/streams/${t.streamType}/${t.streamId}/events/1e400`,
      })),
      field: "revision",
    },
    { name: "after-revision=1e400", request: read("after-revision=1e400"), field: "after-revision" },
    { name: "limit=1e400", request: read("limit=1e400"), field: "limit" },
    {
      name: "initialEvent nested 100,000 levels",
      request: create(`{"initialEvent":${nested(100_000)}}`),
      field: "initialEvent",
    },
    {
      name: "an event nested 100,000 levels",
      request: append(`{"expectedRevision":0,"events":[${nested(100_000)}]}`),
      field: "events[0]",
    },
    {
      name: "eventType nested 100,000 levels",
      request: put(`{"event":{"eventType":${nested(100_000)},"payload":1}}`),
      field: "event.eventType",
    },
    { name: "expectedRevision nested 100,000 levels", request: batch(nested(100_000)), field: "expectedRevision" },
    { name: "an event over 400 KB (413)", request: put({ event: event({ payload: "x".repeat(410 * 1024) }) }) },
    {
      name: "a body over 6 MB (413)",
      request: create({ initialEvent: event({ payload: "x".repeat(6.5 * 1024 * 1024) }) }),
    },
  ];
}

function typeCases(): FuzzCase[] {
  const values = [[], null, "text", 1, true];
  return [
    ...values.flatMap((body) => [
      { name: `create body ${JSON.stringify(body)}`, request: create(JSON.stringify(body)), field: "body" },
      { name: `append body ${JSON.stringify(body)}`, request: append(JSON.stringify(body)), field: "body" },
    ]),
    ...values.map((value) => ({
      name: `initialEvent ${JSON.stringify(value)}`,
      request: create({ initialEvent: value }),
      field: "initialEvent",
    })),
    ...values.map((value) => ({
      name: `events[0] ${JSON.stringify(value)}`,
      request: append({ expectedRevision: 0, events: [value] }),
      field: "events[0]",
    })),
    ...[event(), "[]", null].map((events) => ({
      name: `events ${JSON.stringify(events)}`,
      request: append({ expectedRevision: 0, events }),
      field: "events",
    })),
    ...["3", true, null, [0], "no_stream"].map((expectedRevision) => ({
      name: `expectedRevision ${JSON.stringify(expectedRevision)}`,
      request: append({ expectedRevision, events: [event()] }),
      field: "expectedRevision",
    })),
    ...[1, true, null, ["A"]].flatMap((eventType) =>
      everyWrite(`eventType ${JSON.stringify(eventType)}`, event({ eventType }), "eventType"),
    ),
    ...["x", [], null, true, 1].map((metadata) => ({
      name: `metadata ${JSON.stringify(metadata)}`,
      request: put({ event: event({ metadata }) }),
      field: "event.metadata",
    })),
    ...[123, true, null, "not-a-uuid"].map((eventId) => ({
      name: `eventId ${JSON.stringify(eventId)}`,
      request: put({ event: event({ eventId }) }),
      field: "event.eventId",
    })),
    { name: "no payload", request: create({ initialEvent: { eventType: "A" } }), field: "initialEvent.payload" },
  ];
}

function malformedCases(): FuzzCase[] {
  const bodies = ["{", "", " ", '{"initialEvent":}', '{"initialEvent":{"eventType":"A","payload":1},}', "{'a':1}"];
  const more = ['{"initialEvent":{"eventType":"A","payload":NaN}}', '{"a":1}{"b":2}', "/* c */ {}", "\u0000"];
  const form = { headers: { "content-type": "application/x-www-form-urlencoded" } };
  const badPath = (t: Target) => ({ path: `/streams/${t.streamType}/%E0%A4%A/events/1` });
  return [
    ...[...bodies, ...more].map((body) => ({
      name: `malformed JSON ${JSON.stringify(body)}`,
      request: create(body),
      field: "body",
    })),
    { name: "no body", request: (t) => ({ method: "POST", path: `/streams/${t.streamType}` }), field: "body" },
    { name: "malformed percent-encoding", request: changed(put({ event: event() }), badPath), field: "path" },
    { name: "a form body (415)", request: changed(create("a=1"), () => form) },
    {
      name: "a JSON body sent as text/plain (415)",
      request: changed(create(text({ initialEvent: event() })), () => ({ headers: { "content-type": "text/plain" } })),
    },
  ];
}

export function shapeCases(): FuzzCase[] {
  return [...unknownMemberCases(), ...sizeCases(), ...typeCases(), ...malformedCases()];
}
