/** POST /appends, POST /dcb/read and POST /dcb/append over HTTP: answers, conflicts, and bad input writing nothing. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type CallApi, newEvent, testApi } from "#test/support/store.ts";
import { assertInvalid, assertProblem, createdStream, storedEventCount } from "./support.ts";

describe("POST /appends", () => {
  let call: CallApi;
  before(async () => {
    ({ call } = await testApi());
  });

  const stream = (streamId: string, expectedRevision: unknown, events = [newEvent()]) => ({
    streamType: "order",
    streamId,
    expectedRevision,
    events,
  });

  it("appends to each stream and answers their revisions in the order of the request", async () => {
    const existing = await createdStream(call);
    const fresh = randomUUID().toUpperCase();
    const response = await call("POST", "/appends", {
      body: { appends: [stream(existing, 1, [newEvent(), newEvent()]), stream(fresh, "no-stream")] },
    });
    assert.equal(response.status, 201, response.body);
    assert.deepEqual(
      response.json.appends.map((append: any) => [append.stream.streamId, append.firstRevision, append.lastRevision]),
      [
        [existing, 2, 3],
        [fresh.toLowerCase(), 1, 1],
      ],
    );
  });

  it("409 names every stream whose expectation failed, with its current revision; nothing is written", async () => {
    const [a, b] = [await createdStream(call), await createdStream(call)];
    const untouched = randomUUID();
    const response = await call("POST", "/appends", {
      body: {
        appends: [stream(untouched, "no-stream"), stream(a, 0)],
        checks: [{ streamType: "order", streamId: b, expectedRevision: 3 }],
      },
    });
    assertProblem(response, 409);
    assert.equal(response.json.type, "tag:event-store,2026:problem:wrong-expected-revision");
    assert.deepEqual(response.json.failures, [
      { streamType: "order", streamId: a, expectedRevision: 0, currentRevision: 1 },
      { streamType: "order", streamId: b, expectedRevision: 3, currentRevision: 1 },
    ]);
    assert.equal(await storedEventCount(call, "order", untouched), 0);
  });

  it("refuses bad input with a 400 naming the field, and writes nothing", async () => {
    const id = randomUUID();
    const cases: [unknown, string][] = [
      [{ appends: [] }, "appends"],
      [{ appends: [stream("not-a-uuid", 0)] }, "appends[0].streamId"],
      [{ appends: [stream(id, -1)] }, "appends[0].expectedRevision"],
      [{ appends: [stream(id, 0, [])] }, "appends[0].events"],
      [{ appends: [{ ...stream(id, 0), streamType: "no spaces" }] }, "appends[0].streamType"],
      [
        {
          appends: [stream(id, 0)],
          checks: [{ streamType: "order", streamId: randomUUID(), expectedRevision: "any" }],
        },
        "checks[0].expectedRevision",
      ],
      [{ appends: [stream(id, 0), stream(id, "any")] }, "appends[1].streamId"],
      [
        { appends: [stream(id, 0, [newEvent("A", 1, randomUUID()), { ...newEvent(), eventId: "x" }])] },
        "appends[0].events[1].eventId",
      ],
      [{ appends: [{ ...stream(id, 0), extra: 1 }] }, "appends[0].extra"],
    ];
    for (const [body, field] of cases) assertInvalid(await call("POST", "/appends", { body }), field);
    const many = Array.from({ length: 60 }, () => newEvent());
    const tooMany = await call("POST", "/appends", {
      body: { appends: [stream(id, 0, many), stream(randomUUID(), 0, many)] },
    });
    assertInvalid(tooMany, "appends");
    assert.match(tooMany.json.detail, /at most 100 items/);
    // Under the function URL's 6 MB, over DynamoDB's 4 MB for one transaction.
    const big = Array.from({ length: 6 }, () => newEvent("Big", "x".repeat(380_000)));
    const tooBig = await call("POST", "/appends", {
      body: { appends: [stream(id, 0, big), stream(randomUUID(), 0, big)] },
    });
    assertProblem(tooBig, 413);
    assert.equal(tooBig.json.limitBytes, 4 * 1024 * 1024);
    assert.equal(await storedEventCount(call, "order", id), 0);
  });
});

describe("POST /dcb/read and POST /dcb/append", () => {
  let call: CallApi;
  before(async () => {
    ({ call } = await testApi());
  });

  it("reads what an append wrote, decides on it, and 409s a decision made on what is no longer true", async () => {
    const username = `username:${randomUUID()}`;
    const query = { items: [{ types: ["AccountRegistered"], tags: [username] }] };
    const read = await call("POST", "/dcb/read", { body: { query } });
    assert.equal(read.status, 200, read.body);
    assert.deepEqual(read.json.dcbPage, {
      events: [],
      hasMore: false,
      appendCondition: { failIfEventsMatch: query, after: 0 },
    });

    const event = { eventType: "AccountRegistered", payload: { name: "ann" }, tags: [username], metadata: { by: "t" } };
    const condition = read.json.dcbPage.appendCondition;
    const appended = await call("POST", "/dcb/append", { body: { events: [event], condition } });
    assert.equal(appended.status, 201, appended.body);
    const { firstPosition, appends } = appended.json;
    assert.equal(appends[0].stream.streamType, "dcb");

    const again = await call("POST", "/dcb/append", { body: { events: [event], condition } });
    assertProblem(again, 409);
    assert.equal(again.json.type, "tag:event-store,2026:problem:append-condition-failed");
    assert.equal(again.json.conflictingPosition, firstPosition);

    const after = await call("POST", "/dcb/read", { body: { query } });
    const [seen] = after.json.dcbPage.events;
    assert.deepEqual(
      { ...seen, eventId: undefined, createdAt: undefined, streamId: undefined },
      {
        position: firstPosition,
        streamType: "dcb",
        revision: 1,
        eventType: "AccountRegistered",
        payload: { name: "ann" },
        metadata: { by: "t" },
        tags: [username],
        eventId: undefined,
        createdAt: undefined,
        streamId: undefined,
      },
    );
    const streamRead = await call("GET", `/streams/dcb/${appends[0].stream.streamId}/events`);
    assert.deepEqual(streamRead.json.eventPage.events[0].tags, [username]);
  });

  it("refuses bad queries and events with a 400 naming the field, and writes nothing", async () => {
    const tag = `t:${randomUUID()}`;
    const event = { eventType: "E", payload: 1, tags: [tag] };
    const reads: [unknown, string][] = [
      [{ query: { items: [{ types: ["A"] }] } }, "query.items[0].tags"],
      [{ query: { items: [{ tags: [] }] } }, "query.items[0].tags"],
      [{ query: { items: [{ tags: ["has space"] }] } }, "query.items[0].tags[0]"],
      [{ query: { items: [] } }, "query.items"],
      [{ query: { items: [{ tags: [tag] }] }, after: -1 }, "after"],
      [{ query: { items: [{ tags: [tag] }] }, limit: 0 }, "limit"],
      [{}, "query"],
    ];
    for (const [body, field] of reads) assertInvalid(await call("POST", "/dcb/read", { body }), field);
    const appends: [unknown, string][] = [
      [{ events: [{ ...event, tags: ["x".repeat(129)] }] }, "events[0].tags[0]"],
      [{ events: [{ ...event, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }] }, "events[0].tags"],
      [{ events: [{ ...event, tags: undefined }] }, "events[0].tags"],
      [{ events: [{ ...event, streamId: "nope" }] }, "events[0].streamId"],
      [{ events: [event], condition: { failIfEventsMatch: { items: [{ tags: [tag] }] } } }, "condition.after"],
      [{ events: [event], condition: { after: 0 } }, "condition.failIfEventsMatch"],
      [{ events: [] }, "events"],
    ];
    for (const [body, field] of appends) assertInvalid(await call("POST", "/dcb/append", { body }), field);
    const untagged = await call("POST", "/dcb/append", { body: { events: [{ ...event, tags: [] }] } });
    assertInvalid(untagged, "streamId");
    const tooMany = Array.from({ length: 12 }, (_, i) => ({
      ...event,
      tags: Array.from({ length: 10 }, (_, j) => `t${i}-${j}`),
    }));
    assertInvalid(await call("POST", "/dcb/append", { body: { events: tooMany } }), "appends");
    const read = await call("POST", "/dcb/read", { body: { query: { items: [{ tags: [tag] }] } } });
    assert.deepEqual(read.json.dcbPage.events, []);
  });
});
