import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type CallApi, newEvent, testApi } from "#test/support/store.ts";
import { assertInvalid, assertProblem, storedEventCount } from "./support.ts";

let call: CallApi;

before(async () => {
  ({ call } = await testApi());
});

const eventCount = (streamType: string, streamId: string) => storedEventCount(call, streamType, streamId);

/** A request to every endpoint that names a stream type, with a valid body where it takes one. */
function everyStreamPath(streamType: string, streamId: string): [string, string, unknown][] {
  return [
    ["POST", `/streams/${streamType}`, { initialEvent: newEvent() }],
    ["GET", `/streams/${streamType}`, undefined],
    ["GET", `/streams/${streamType}/${streamId}`, undefined],
    ["GET", `/streams/${streamType}/${streamId}/details`, undefined],
    ["GET", `/streams/${streamType}/${streamId}/events`, undefined],
    ["POST", `/streams/${streamType}/${streamId}/events`, { expectedRevision: "any", events: [newEvent()] }],
    ["PUT", `/streams/${streamType}/${streamId}/events/1`, { event: newEvent() }],
  ];
}

describe("bad input is answered 4xx with problem+json and writes nothing", () => {
  it("a stream type that breaks the pattern is 400 naming streamType, on every endpoint", async () => {
    for (const streamType of ["bad%20type", "-leading-dash", "a".repeat(129), "caf%C3%A9"]) {
      for (const [method, path, body] of everyStreamPath(streamType, randomUUID())) {
        assertInvalid(await call(method, path, { body }), "streamType");
      }
    }
    const longest = "a".repeat(128);
    assert.equal((await call("POST", `/streams/${longest}`, { body: { initialEvent: newEvent() } })).status, 201);
  });

  it("a stream id that is not a UUID is 400 naming streamId, on every endpoint; any case is read as lower", async () => {
    for (const [method, path, body] of everyStreamPath("order", "not-a-uuid").slice(2)) {
      assertInvalid(await call(method, path, { body }), "streamId");
    }
    const id = randomUUID();
    const created = await call("PUT", `/streams/order/${id.toUpperCase()}/events/1`, { body: { event: newEvent() } });
    assert.equal(created.json.stream.streamId, id);
  });

  it("bad revisions, limits, directions and times are 400 with errors per field", async () => {
    const cases: [string, string, string | undefined, string][] = [
      ["PUT", `/streams/order/${randomUUID()}/events/0`, undefined, "revision"],
      ["PUT", `/streams/order/${randomUUID()}/events/-1`, undefined, "revision"],
      ["PUT", `/streams/order/${randomUUID()}/events/1.5`, undefined, "revision"],
      ["PUT", `/streams/order/${randomUUID()}/events/99999999999999999999`, undefined, "revision"],
      ["GET", `/streams/order/${randomUUID()}/events`, "after-revision=abc", "after-revision"],
      ["GET", `/streams/order/${randomUUID()}/events`, "limit=0", "limit"],
      ["GET", `/streams/order/${randomUUID()}/events`, "limit=1001", "limit"],
      ["GET", `/streams/order/${randomUUID()}/events`, "direction=sideways", "direction"],
      ["GET", `/streams/order/${randomUUID()}/events`, "direction=backward&after-revision=2", "after-revision"],
      ["GET", `/streams/order/${randomUUID()}/events`, "from-revision=2", "from-revision"],
      ["GET", "/streams/order", "updated-after=yesterday", "updated-after"],
      ["GET", "/streams/order", "updated-after=2026-02-30T00:00:00Z", "updated-after"],
      ["GET", "/streams/order", "updated-after=2026-01-01T25:00:00Z", "updated-after"],
      ["GET", "/streams/order", "limit=x", "limit"],
      ["GET", "/streams/order", "nextPageKey=bm90LWEta2V5", "nextPageKey"],
    ];
    for (const [method, path, query, field] of cases) {
      const body = method === "GET" ? undefined : { event: newEvent() };
      assertInvalid(await call(method, path, { query: query ?? "", body }), field);
    }
  });

  it("messages say what is expected and what came, as the client sent it", async () => {
    const events = `/streams/order/${randomUUID()}/events`;
    const query = "limit=1001&after-revision=x&direction=up";
    const read = await call("GET", events, { query });
    assert.deepEqual(read.json.errors, {
      "after-revision": ['must be a whole number from 0 to 9007199254740991, got "x"'],
      direction: ['must be forward or backward, got "up"'],
      limit: ['must be a whole number from 1 to 1000, got "1001"'],
    });
    assertInvalid(await call("GET", "/streams/order/nope/details"), "streamId", [
      'must be a UUID like 3f2b8c1e-6f7a-4d2b-9c1e-2a3b4c5d6e7f, got "nope"',
    ]);
    assertInvalid(
      await call("GET", "/streams/order", { query: "updated-after=2026-02-30T00:00:00Z" }),
      "updated-after",
      ['is not a real time: "2026-02-30T00:00:00Z"'],
    );
    const append = await call("POST", events, { body: { expectedRevision: -1, events: [{ eventType: "" }, 7] } });
    assert.deepEqual(append.json.errors, {
      expectedRevision: ['must be a revision (0 or more), "any", "no-stream" or "stream-exists", got -1'],
      "events[0].eventType": ["is required: a non-empty string"],
      "events[0].payload": [
        "is required: any JSON value (or upload: the id of an uploaded payload too large for a request)",
      ],
      "events[1]": ["must be an object {eventType, payload (or upload), eventId?, metadata?}"],
    });
  });

  it("bad JSON, a missing body, missing fields and wrong types are 400 and nothing is written", async () => {
    const id = randomUUID();
    const path = `/streams/order/${id}/events`;
    const bodies: [unknown, string][] = [
      ['{"expectedRevision": "any", "events": [', "Malformed JSON"],
      ["[]", "body"],
      [{ events: [newEvent()] }, "expectedRevision"],
      [{ expectedRevision: -1, events: [newEvent()] }, "expectedRevision"],
      [{ expectedRevision: "sometimes", events: [newEvent()] }, "expectedRevision"],
      [{ expectedRevision: "any" }, "events"],
      [{ expectedRevision: "any", events: [] }, "events"],
      [{ expectedRevision: "any", events: Array.from({ length: 101 }, () => newEvent()) }, "events"],
      [{ expectedRevision: "any", events: [{ payload: 1 }] }, "events[0].eventType"],
      [{ expectedRevision: "any", events: [{ eventType: "", payload: 1 }] }, "events[0].eventType"],
      [{ expectedRevision: "any", events: [{ eventType: "x".repeat(257), payload: 1 }] }, "events[0].eventType"],
      [{ expectedRevision: "any", events: [{ eventType: "A" }] }, "events[0].payload"],
      [{ expectedRevision: "any", events: [{ eventType: "A", payload: 1, eventId: "nope" }] }, "events[0].eventId"],
      [{ expectedRevision: "any", events: [{ eventType: "A", payload: 1, eventId: 7 }] }, "events[0].eventId"],
      [{ expectedRevision: "any", events: [{ eventType: "A", payload: 1, metadata: [1] }] }, "events[0].metadata"],
      [{ expectedRevision: "any", events: [{ eventType: "A", payload: 1, colour: "red" }] }, "events[0].colour"],
      [{ expectedRevision: "any", events: [newEvent()], extra: 1 }, "extra"],
    ];
    for (const [body, expectation] of bodies) {
      const response = await call("POST", path, { body });
      if (expectation === "Malformed JSON") {
        assertProblem(response, 400);
        assert.equal(response.json.title, expectation);
      } else assertInvalid(response, expectation);
    }
    assertProblem(await call("POST", path), 400);
    assertInvalid(await call("POST", "/streams/order", { body: {} }), "initialEvent");
    assertInvalid(
      await call("POST", "/streams/order", { body: { initialEvent: { eventType: "A" } } }),
      "initialEvent.payload",
    );
    assertInvalid(await call("PUT", `${path}/1`, { body: { event: { payload: 1 } } }), "event.eventType");
    assert.equal(await eventCount("order", id), 0);
  });

  it("an unknown top-level member is 400 naming it, on every body (it used to be ignored)", async () => {
    const id = randomUUID();
    const writes: [string, string, Record<string, unknown>, string][] = [
      ["POST", "/streams/order", { initialEvent: newEvent(), extra: 1 }, "initialEvent"],
      ["PUT", `/streams/order/${id}/events/1`, { event: newEvent(), initialEvent: newEvent() }, "event"],
      [
        "POST",
        `/streams/order/${id}/events`,
        { expectedRevision: "any", events: [newEvent()], e: 1 },
        "expectedRevision, events",
      ],
    ];
    for (const [method, path, body, fields] of writes) {
      const [unknown] = Object.keys(body).slice(-1) as [string];
      assertInvalid(await call(method, path, { body }), unknown, [`is not a field of this request (${fields})`]);
    }
    assert.equal(await eventCount("order", id), 0);
  });

  it("the longest eventType and the largest batch are accepted", async () => {
    const events = Array.from({ length: 100 }, () => newEvent("x".repeat(256)));
    const response = await call("POST", `/streams/order/${randomUUID()}/events`, {
      body: { expectedRevision: "no-stream", events },
    });
    assert.equal(response.status, 201, response.body);
    assert.equal(response.json.lastRevision, 100);
  });

  it("the same eventId twice in one append, in any letter case, is 400 naming the second and writes nothing", async () => {
    const id = randomUUID();
    const eventId = randomUUID();
    const events = [newEvent("A", 1, eventId), newEvent("B", 2), newEvent("C", 3, eventId.toUpperCase())];
    const response = await call("POST", `/streams/order/${id}/events`, { body: { expectedRevision: "any", events } });
    assertInvalid(response, "events[2].eventId", ["appears twice in this append"]);
    assert.equal(await eventCount("order", id), 0);
  });

  it("an Idempotency-Key that is not 1 to 255 visible ASCII characters is 400 naming the header", async () => {
    for (const key of ["has space", "k".repeat(256), "ключ"]) {
      const response = await call("POST", "/streams/order", {
        body: { initialEvent: newEvent() },
        headers: { "idempotency-key": key },
      });
      assertInvalid(response, "Idempotency-Key", ["must be 1 to 255 visible ASCII characters"]);
    }
  });

  it("a body that is not JSON by its media type is 415", async () => {
    const response = await call("POST", "/streams/order", {
      body: "a=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assertProblem(response, 415);
    assert.match(response.json.detail, /application\/json/);
  });

  it("an event over the item size is 413 with the limit; a request over 6 MB is 413", async () => {
    const id = randomUUID();
    const big = await call("PUT", `/streams/order/${id}/events/1`, {
      body: { event: newEvent("Big", "x".repeat(410 * 1024)) },
    });
    assertProblem(big, 413);
    assert.equal(big.json.limitBytes, 400 * 1024);
    const huge = await call("PUT", `/streams/order/${id}/events/1`, {
      body: { event: newEvent("Huge", "x".repeat(6.5 * 1024 * 1024)) },
    });
    assertProblem(huge, 413);
    assert.equal(huge.json.type, "tag:event-store,2026:problem:content-too-large");
    assert.equal(await eventCount("order", id), 0);
  });

  it("an unknown path is 404 and a known path with another method is 405 with Allow", async () => {
    assertProblem(await call("GET", "/nothing-here"), 404);
    const response = await call("DELETE", `/streams/order/${randomUUID()}/events`);
    assertProblem(response, 405);
    assert.equal(response.headers.allow, "GET, POST, HEAD, OPTIONS");
    assertProblem(await call("HEAD", "/replays"), 405);
  });

  it("HEAD answers as GET does, and OPTIONS answers 204 with the methods in Allow (SPEC section 3)", async () => {
    const id = randomUUID();
    await call("POST", `/streams/order/${id}/events`, {
      body: { expectedRevision: "no-stream", events: [newEvent("Opened")] },
    });
    const get = await call("GET", `/streams/order/${id}/details`);
    const head = await call("HEAD", `/streams/order/${id}/details`);
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-type"], get.headers["content-type"]);
    assert.equal(head.body, get.body, "the transport drops HEAD's body; the API answers as for GET");
    assert.equal((await call("HEAD", `/streams/order/${randomUUID()}/details`)).status, 404);

    const options = await call("OPTIONS", `/streams/order/${id}/events`);
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, "GET, POST, HEAD, OPTIONS");
    assert.equal(options.body, "");
    assert.equal((await call("OPTIONS", "/replays")).headers.allow, "POST, OPTIONS");
    assertProblem(await call("OPTIONS", "/nothing-here"), 404);
  });
});
