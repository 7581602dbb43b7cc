// Consistency across streams through the client (SPEC section 11), against real local mode: multi-stream appends
// with their typed 409, and the Dynamic Consistency Boundary's read, conditional append and decide loop.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import {
  AppendConditionFailed,
  EventStoreClient,
  type NewDcbEvent,
  StreamsConflict,
  WrongExpectedRevision,
} from "../../client/index.ts";
import { problem, type ScriptedServer, scriptedServer, streamAnswer } from "./support.ts";

describe("consistency across streams through EventStoreClient, against local mode", () => {
  let local: LocalMode;
  let server: HttpServer;
  let client: EventStoreClient;
  before(async () => {
    local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName: "client-consistency-test" });
    server = await startHttpServer({ port: 0, handler: local.api });
    client = new EventStoreClient({ url: server.url, auth: "none" });
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  it("appends to several streams at once and answers one result per stream, in request order", async () => {
    const streamType = uniqueStreamType("account");
    const from = (await client.createStream(streamType, { eventType: "Opened", payload: {} })).streamId;
    const to = randomUUID();

    const { appends } = await client.appendMany({
      appends: [
        { streamType, streamId: from, expectedRevision: 1, events: [{ eventType: "Debited", payload: { n: 5 } }] },
        { streamType, streamId: to, expectedRevision: "no-stream", events: [{ eventType: "Credited", payload: 5 }] },
      ],
    });

    assert.deepEqual(
      appends.map((append) => [append.stream.streamId, append.firstRevision, append.lastRevision]),
      [
        [from, 2, 2],
        [to, 1, 1],
      ],
    );
    assert.equal((await client.getStream(streamType, to)).revision, 1);
  });

  it("answers a StreamsConflict naming every failed stream, also a checked one, and writes nothing", async () => {
    const streamType = uniqueStreamType("account");
    const moved = (await client.createStream(streamType, { eventType: "Opened", payload: {} })).streamId;
    const checked = (await client.createStream(streamType, { eventType: "Opened", payload: {} })).streamId;
    const fresh = randomUUID();

    const failed = await client
      .appendMany({
        appends: [
          { streamType, streamId: moved, expectedRevision: 0, events: [{ eventType: "Debited", payload: 1 }] },
          {
            streamType,
            streamId: fresh,
            expectedRevision: "no-stream",
            events: [{ eventType: "Credited", payload: 1 }],
          },
        ],
        checks: [{ streamType, streamId: checked, expectedRevision: 7 }],
      })
      .catch((error: unknown) => error);

    assert.ok(failed instanceof StreamsConflict, String(failed));
    assert.ok(failed instanceof WrongExpectedRevision);
    assert.equal(failed.status, 409);
    assert.deepEqual(
      [...failed.failures].sort((a, b) => a.streamId.localeCompare(b.streamId)),
      [
        { streamType, streamId: moved, expectedRevision: 0, currentRevision: 1 },
        { streamType, streamId: checked, expectedRevision: 7, currentRevision: 1 },
      ].sort((a, b) => a.streamId.localeCompare(b.streamId)),
    );
    await assert.rejects(client.getStream(streamType, fresh), { name: "StreamNotFound" });
    assert.equal((await client.getStream(streamType, moved)).revision, 1);
  });

  it("reads back tagged events with their positions, and appends on the read's condition", async () => {
    const course = `course:${randomUUID()}`;
    const query = { items: [{ types: ["CourseDefined", "StudentSubscribed"], tags: [course] }] };
    const defined = await client.dcb.append([{ eventType: "CourseDefined", payload: { capacity: 3 }, tags: [course] }]);
    assert.equal(defined.firstPosition, defined.lastPosition);

    const page = await client.dcb.read(query);
    assert.equal(page.hasMore, false);
    assert.deepEqual(
      page.events.map((event) => [event.eventType, event.payload, event.tags, event.position]),
      [["CourseDefined", { capacity: 3 }, [course], defined.firstPosition]],
    );
    assert.equal(page.events[0]?.streamId, defined.appends[0]?.stream.streamId);

    const student = `student:${randomUUID()}`;
    const subscribed = await client.dcb.append(
      [{ eventType: "StudentSubscribed", payload: { student }, tags: [course, student] }],
      page.appendCondition,
    );
    assert.ok(subscribed.firstPosition > defined.lastPosition);
    const all = await client.dcb.readAll(query);
    assert.deepEqual(
      all.events.map((event) => event.eventType),
      ["CourseDefined", "StudentSubscribed"],
    );
    assert.equal(all.appendCondition.after, subscribed.lastPosition);
  });

  it("pages through a query with readAll", async () => {
    const tag = `list:${randomUUID()}`;
    const events = Array.from({ length: 5 }, (_, n) => ({ eventType: "Noted", payload: { n }, tags: [tag] }));
    await client.dcb.append(events);

    const all = await client.dcb.readAll({ items: [{ tags: [tag] }] }, { pageSize: 2 });
    assert.deepEqual(
      all.events.map((event) => event.payload),
      events.map((event) => event.payload),
    );
  });

  it("answers an AppendConditionFailed, with the conflicting position, when a matching event came since the read", async () => {
    const course = `course:${randomUUID()}`;
    const query = { items: [{ tags: [course] }] };
    const { appendCondition } = await client.dcb.read(query);
    const other = await client.dcb.append([{ eventType: "CourseDefined", payload: {}, tags: [course] }]);

    const failed = await client.dcb
      .append([{ eventType: "CourseDefined", payload: {}, tags: [course] }], appendCondition)
      .catch((error: unknown) => error);

    assert.ok(failed instanceof AppendConditionFailed, String(failed));
    assert.equal(failed.status, 409);
    assert.equal(failed.conflictingPosition, other.firstPosition);
    assert.equal((await client.dcb.readAll(query)).events.length, 1);
  });

  it("lets 8 concurrent deciders subscribe exactly 3 students to a course of capacity 3", async () => {
    const course = `course:${randomUUID()}`;
    const query = { items: [{ types: ["CourseDefined", "StudentSubscribed"], tags: [course] }] };
    await client.dcb.append([{ eventType: "CourseDefined", payload: { capacity: 3 }, tags: [course] }]);

    interface Course {
      capacity: number;
      subscribed: number;
    }
    const subscribe = (student: string) =>
      client.dcb.decide<Course>({
        query,
        initial: { capacity: 0, subscribed: 0 },
        fold: (state, event) =>
          event.eventType === "CourseDefined"
            ? { ...state, capacity: (event.payload as { capacity: number }).capacity }
            : { ...state, subscribed: state.subscribed + 1 },
        decide: (state): NewDcbEvent[] =>
          state.subscribed < state.capacity
            ? [{ eventType: "StudentSubscribed", payload: { student }, tags: [course, `student:${student}`] }]
            : [],
      });

    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, n) => subscribe(`s${n}`)));

    assert.equal(outcomes.filter((outcome) => outcome.appended !== undefined).length, 3);
    for (const outcome of outcomes.filter((outcome) => outcome.appended === undefined)) {
      assert.deepEqual(outcome.state, { capacity: 3, subscribed: 3 });
    }
    const { events } = await client.dcb.readAll(query);
    assert.equal(events.filter((event) => event.eventType === "StudentSubscribed").length, 3);
  });
});

describe("consistency calls retried by the client", () => {
  let scripted: ScriptedServer | undefined;
  afterEach(async () => {
    await scripted?.close();
    scripted = undefined;
  });

  async function clientOf(answers: Parameters<typeof scriptedServer>[0]) {
    scripted = await scriptedServer(answers);
    return new EventStoreClient({ url: scripted.url, auth: "none", retries: { maxRetries: 2, baseDelayMs: 1 } });
  }
  const busy = { status: 503, headers: { "retry-after": "0" }, body: problem("throttled", 503) };

  it("sends a retried appendMany with the very same eventIds, generated before the first attempt", async () => {
    const client = await clientOf([
      busy,
      { status: 201, body: { appends: [{ ...streamAnswer(), firstRevision: 1 }] } },
    ]);
    const streamId = randomUUID();
    await client.appendMany({
      appends: [{ streamType: "order", streamId, expectedRevision: "any", events: [{ eventType: "A", payload: 1 }] }],
    });

    const [first, retry] = scripted?.requests ?? [];
    assert.match(JSON.parse(first?.body ?? "").appends[0].events[0].eventId, /^[0-9a-f-]{36}$/);
    assert.equal(retry?.body, first?.body);
  });

  it("sends a retried DCB append with the very same eventIds, and keeps the caller's", async () => {
    const answer = { firstPosition: 1, lastPosition: 2, appends: [] };
    const client = await clientOf([busy, { status: 201, body: answer }]);
    const eventId = randomUUID();
    await client.dcb.append([
      { eventType: "A", payload: 1, tags: ["t:1"] },
      { eventType: "B", payload: 2, tags: ["t:1"], eventId },
    ]);

    const [first, retry] = scripted?.requests ?? [];
    const sent = JSON.parse(first?.body ?? "");
    assert.match(sent.events[0].eventId, /^[0-9a-f-]{36}$/);
    assert.equal(sent.events[1].eventId, eventId);
    assert.equal(retry?.body, first?.body);
  });
});
