import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { StreamStore } from "#store/stream-store.ts";
import { type CallApi, newEvent, testApi, uniqueStreamType } from "#test/support/store.ts";
import { assertProblem, createdStream, storedEventCount } from "./support.ts";

let call: CallApi;
let store: StreamStore;

before(async () => {
  ({ call, store } = await testApi());
});

const createStream = (streamType?: string, payload?: unknown) => createdStream(call, streamType, payload);
const eventCount = (streamType: string, streamId: string) => storedEventCount(call, streamType, streamId);

describe("compatible endpoints (as the eshttp Go client calls them)", () => {
  it("GET /liveness-check answers ok and the time", async () => {
    const response = await call("GET", "/liveness-check");
    assert.equal(response.status, 200);
    assert.equal(response.json.status, "ok");
    assert.ok(!Number.isNaN(Date.parse(response.json.at)));
  });

  it("POST /streams/{type} creates a stream with its initial event: 201, the stream, a Location", async () => {
    const response = await call("POST", "/streams/order", {
      body: { initialEvent: { eventType: "Placed", payload: '{"total":42}' } },
    });
    assert.equal(response.status, 201);
    const { stream } = response.json;
    assert.match(stream.streamId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(Object.keys(stream), ["streamId", "streamType", "revision", "updatedAt"]);
    assert.equal(stream.streamType, "order");
    assert.equal(stream.revision, 1);
    assert.equal(response.headers.location, `/streams/order/${stream.streamId}`);
    const located = await call("GET", response.headers.location as string);
    assert.deepEqual(located.json.stream, stream);
  });

  it("PUT /streams/{type}/{id}/events/{revision} appends exactly revision N+1", async () => {
    const id = await createStream();
    const appended = await call("PUT", `/streams/order/${id}/events/2`, { body: { event: newEvent("Paid") } });
    assert.equal(appended.status, 201);
    assert.equal(appended.json.stream.revision, 2);
    const stale = await call("PUT", `/streams/order/${id}/events/2`, { body: { event: newEvent("Paid") } });
    assertProblem(stale, 409);
    assert.equal(stale.json.currentRevision, 2);
    const gap = await call("PUT", `/streams/order/${id}/events/4`, { body: { event: newEvent("Paid") } });
    assertProblem(gap, 409);
    assert.equal(await eventCount("order", id), 2);
  });

  it("PUT revision 1 on a stream that does not exist creates it with that id", async () => {
    const id = randomUUID();
    const response = await call("PUT", `/streams/order/${id}/events/1`, { body: { event: newEvent() } });
    assert.equal(response.status, 201);
    assert.equal(response.json.stream.streamId, id);
    assert.equal(response.json.stream.revision, 1);
  });

  it("GET events pages forward with after-revision; createdAt equals the updatedAt of the append", async () => {
    const id = await createStream("order", '{"k":"v"}');
    const updatedAts = [];
    for (let revision = 2; revision <= 5; revision++) {
      const appended = await call("PUT", `/streams/order/${id}/events/${revision}`, {
        body: { event: newEvent(`E${revision}`, revision) },
      });
      updatedAts[revision] = appended.json.stream.updatedAt;
    }
    const first = await call("GET", `/streams/order/${id}/events`, { query: "after-revision=0&limit=3" });
    assert.equal(first.status, 200);
    const page = first.json.eventPage;
    assert.deepEqual(
      page.events.map((event: any) => event.revision),
      [1, 2, 3],
    );
    assert.equal(page.hasMore, true);
    assert.equal(page.lastEvaluatedRevision, 3);
    assert.deepEqual(Object.keys(page.events[0]), [
      "streamId",
      "streamType",
      "revision",
      "eventType",
      "eventId",
      "payload",
      "createdAt",
    ]);
    assert.equal(page.events[0].payload, '{"k":"v"}', "a string payload stays a string");
    assert.equal(page.events[2].createdAt, updatedAts[3]);
    const second = await call("GET", `/streams/order/${id}/events`, { query: "after-revision=3&limit=3" });
    assert.deepEqual(
      second.json.eventPage.events.map((event: any) => event.revision),
      [4, 5],
    );
    assert.equal(second.json.eventPage.hasMore, false);
  });

  it("GET details answers the stream; another type than the stream's answers 404", async () => {
    const id = await createStream();
    const details = await call("GET", `/streams/order/${id}/details`);
    assert.equal(details.status, 200);
    assert.equal(details.json.stream.revision, 1);
    assertProblem(await call("GET", `/streams/invoice/${id}/details`), 404);
    assertProblem(await call("GET", `/streams/invoice/${id}/events`), 404);
    assertProblem(await call("PUT", `/streams/invoice/${id}/events/2`, { body: { event: newEvent() } }), 404);
    assertProblem(await call("GET", `/streams/order/${randomUUID()}/details`), 404);
  });

  it("GET /streams/{type} lists by updated-after in pages, under nextPageKey or stream-next-page-key", async () => {
    const streamType = uniqueStreamType();
    const ids = [];
    for (let index = 0; index < 5; index++) ids.push(await createStream(streamType));
    // The listing is kept by the change feed; here the summaries are raised as the feed would.
    for (const id of ids) {
      const { stream } = (await call("GET", `/streams/${streamType}/${id}/details`)).json;
      await store.raiseSummary(stream);
    }
    // Exactly as Go's url.Values.Encode() writes an RFC3339Nano time.
    const query = "updated-after=2001-02-03T04%3A05%3A06.123456789Z&limit=2";
    const first = await call("GET", `/streams/${streamType}`, { query });
    assert.equal(first.status, 200);
    assert.equal(first.json.streamPage.streams.length, 2);
    assert.equal(first.json.streamPage.hasMore, true);
    const key = encodeURIComponent(first.json.streamPage.nextPageKey);
    const second = await call("GET", `/streams/${streamType}`, { query: `${query}&nextPageKey=${key}` });
    const secondAlias = await call("GET", `/streams/${streamType}`, { query: `${query}&stream-next-page-key=${key}` });
    assert.deepEqual(second.json, secondAlias.json);
    const third = await call("GET", `/streams/${streamType}`, {
      query: `${query}&nextPageKey=${encodeURIComponent(second.json.streamPage.nextPageKey)}`,
    });
    assert.equal(third.json.streamPage.hasMore, false);
    assert.equal(third.json.streamPage.nextPageKey, undefined);
    const listed = [first, second, third].flatMap((page) =>
      page.json.streamPage.streams.map((stream: any) => stream.streamId),
    );
    assert.deepEqual(listed.sort(), [...ids].sort());
    const later = await call("GET", `/streams/${streamType}`, { query: "updated-after=2999-01-01T00:00:00%2B02:00" });
    assert.deepEqual(later.json.streamPage, { streams: [], hasMore: false });
  });
});

describe("beyond the compatible set", () => {
  it("POST events appends 1–100 events atomically with expectedRevision n / no-stream / stream-exists / any", async () => {
    const id = randomUUID();
    const path = `/streams/order/${id}/events`;
    const created = await call("POST", path, {
      body: { expectedRevision: "no-stream", events: [newEvent("A"), newEvent("B")] },
    });
    assert.equal(created.status, 201);
    assert.deepEqual([created.json.firstRevision, created.json.lastRevision, created.json.stream.revision], [1, 2, 2]);
    const exact = await call("POST", path, { body: { expectedRevision: 2, events: [newEvent("C")] } });
    assert.equal(exact.json.lastRevision, 3);
    const exists = await call("POST", path, { body: { expectedRevision: "stream-exists", events: [newEvent("D")] } });
    assert.equal(exists.json.lastRevision, 4);
    const any = await call("POST", path, { body: { expectedRevision: "any", events: [newEvent("E"), newEvent("F")] } });
    assert.deepEqual([any.json.firstRevision, any.json.lastRevision], [5, 6]);
    const stale = await call("POST", path, { body: { expectedRevision: 2, events: [newEvent("X"), newEvent("Y")] } });
    assertProblem(stale, 409);
    assert.equal(stale.json.currentRevision, 6);
    assert.equal(await eventCount("order", id), 6);
  });

  it("a retried append with the same eventIds answers 201 with the original result and writes nothing", async () => {
    const id = randomUUID();
    const body = {
      expectedRevision: "no-stream",
      events: [newEvent("A", 1, randomUUID()), newEvent("B", 2, randomUUID())],
    };
    const first = await call("POST", `/streams/order/${id}/events`, { body });
    const retry = await call("POST", `/streams/order/${id}/events`, { body });
    assert.equal(retry.status, 201);
    assert.deepEqual(retry.json, first.json);
    const single = { event: newEvent("C", 3, randomUUID()) };
    const put = await call("PUT", `/streams/order/${id}/events/3`, { body: single });
    const putRetry = await call("PUT", `/streams/order/${id}/events/3`, { body: single });
    assert.equal(putRetry.status, 201);
    assert.deepEqual(putRetry.json, put.json);
    assert.equal(await eventCount("order", id), 3);
  });

  it("reads backward from a revision, newest first", async () => {
    const id = randomUUID();
    await call("POST", `/streams/order/${id}/events`, {
      body: { expectedRevision: "no-stream", events: [newEvent("A"), newEvent("B"), newEvent("C")] },
    });
    const response = await call("GET", `/streams/order/${id}/events`, {
      query: "direction=backward&from-revision=2&limit=5",
    });
    assert.deepEqual(
      response.json.eventPage.events.map((event: any) => event.eventType),
      ["B", "A"],
    );
    const fromEnd = await call("GET", `/streams/order/${id}/events`, { query: "direction=backward&limit=1" });
    assert.equal(fromEnd.json.eventPage.events[0].revision, 3);
    assert.equal(fromEnd.json.eventPage.hasMore, true);
  });

  it("Idempotency-Key on create: a retry returns the same stream, another body with the key is 422", async () => {
    const key = `order-${randomUUID()}`;
    const body = { initialEvent: newEvent("Placed", { total: 1 }) };
    const first = await call("POST", "/streams/order", { body, headers: { "idempotency-key": key } });
    const retry = await call("POST", "/streams/order", { body, headers: { "idempotency-key": key } });
    assert.equal(first.status, 201);
    assert.equal(retry.status, 201);
    assert.deepEqual(retry.json, first.json);
    const other = await call("POST", "/streams/order", {
      body: { initialEvent: newEvent("Placed", { total: 2 }) },
      headers: { "idempotency-key": key },
    });
    assertProblem(other, 422);
    assert.equal(await eventCount("order", first.json.stream.streamId), 1);
    const otherKey = await call("POST", "/streams/order", { body, headers: { "idempotency-key": `${key}-2` } });
    assert.notEqual(otherKey.json.stream.streamId, first.json.stream.streamId);
  });

  it("an Idempotency-Key is scoped to the stream type and the caller, so nobody else's use of it can squat it", async () => {
    const key = `shared-${randomUUID()}`;
    const body = { initialEvent: newEvent("Placed", { total: 1 }) };
    const create = (streamType: string, caller?: string) =>
      call("POST", `/streams/${streamType}`, { body, headers: { "idempotency-key": key }, caller });
    const alice = "arn:aws:sts::111111111111:assumed-role/Orders/alice-session";
    const mallory = "arn:aws:iam::222222222222:user/mallory";
    // Someone else uses the key first, on the same type and on another one.
    const squatted = await create("order", mallory);
    const otherType = await create("invoice", alice);
    const first = await create("order", alice);
    const retry = await create("order", "arn:aws:sts::111111111111:assumed-role/Orders/another-session");
    for (const answer of [squatted, otherType, first, retry]) assert.equal(answer.status, 201);
    const ids = new Set([squatted, otherType, first].map((answer) => answer.json.stream.streamId));
    assert.equal(ids.size, 3, "three scopes, three streams");
    assert.deepEqual(retry.json, first.json, "the same role in a new session is the same caller");
  });

  it("payloads and metadata come back byte for byte, including key order and big numbers", async () => {
    const id = randomUUID();
    const raw = `{"expectedRevision":"no-stream","events":[{"eventType":"T","payload":{"z":1,"a":{"y":[1,2.50,"x"]},"n":123456789012345678901234567890},"metadata":{"b":true,"a":null}}]}`;
    await call("POST", `/streams/order/${id}/events`, { body: raw });
    const read = await call("GET", `/streams/order/${id}/events`);
    assert.ok(
      read.body.includes(`"payload":{"z":1,"a":{"y":[1,2.50,"x"]},"n":123456789012345678901234567890}`),
      read.body,
    );
    assert.ok(read.body.includes(`"metadata":{"b":true,"a":null}`));
  });

  it("a deeply nested payload (100,000 levels) is stored exactly, not refused and not a 500", async () => {
    const id = randomUUID();
    const deep = `${"[".repeat(100_000)}{"a":"]}"}${"]".repeat(100_000)}`;
    const body = `{"expectedRevision":"no-stream","events":[{"eventType":"Deep","payload":${deep},"metadata":{"m":[[[1]]]}}]}`;
    const response = await call("POST", `/streams/order/${id}/events`, { body });
    assert.equal(response.status, 201, response.body);
    const read = await call("GET", `/streams/order/${id}/events`);
    assert.ok(read.body.includes(`"payload":${deep},`), "the payload comes back as it was sent");
    assert.deepEqual(read.json.eventPage.events[0].metadata, { m: [[[1]]] });
  });

  it("accepts a base64-encoded body, as function URLs deliver some", async () => {
    const response = await call("POST", "/streams/order", { body: { initialEvent: newEvent() }, base64: true });
    assert.equal(response.status, 201);
  });

  it("many concurrent writers through the API: only 201 and 409, revisions gap-free", async () => {
    const id = await createStream("order");
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let attempt = 0; attempt < 15; attempt++) {
          const details = await call("GET", `/streams/order/${id}/details`);
          const next = details.json.stream.revision + 1;
          const response = await call("PUT", `/streams/order/${id}/events/${next}`, { body: { event: newEvent() } });
          statuses.push(response.status);
        }
      }),
    );
    assert.deepEqual([...new Set(statuses)].sort(), [201, 409]);
    const written = statuses.filter((status) => status === 201).length;
    const page = await call("GET", `/streams/order/${id}/events`, { query: "limit=1000" });
    const revisions = page.json.eventPage.events.map((event: any) => event.revision);
    assert.deepEqual(
      revisions,
      Array.from({ length: written + 1 }, (_, index) => index + 1),
    );
  });
});
