import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { keyedUuid } from "#shared/uuid.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { type CallApi, testApi, uniqueStreamType } from "#test/support/store.ts";
import { assertInvalid, assertProblem, recordingQueue } from "./support.ts";

const allowedReplayTargets = ["arn:aws:sns:us-east-1:123456789012:rebuild-*", "arn:aws:sqs:eu-west-1:123456789012:rm"];
const queue = recordingQueue();
let call: CallApi;
let store: StreamStore;

before(async () => {
  ({ call, store } = await testApi({ operations: { queue, allowedReplayTargets } }));
});

const replay = (body: unknown, headers: Record<string, string> = {}, caller?: string) =>
  call("POST", "/replays", { body, headers, caller });

/** The id an Idempotency-Key names for an anonymous caller, as the API derives it. */
const keyedId = async (key: string, caller = "anonymous") =>
  keyedUuid(await store.deploymentSecret(), JSON.stringify(["operation", caller, key]));

/** Every operation of a kind whose request names `streamType`, through the API's listing. */
async function operationsOfType(streamType: string, kind = "replay"): Promise<any[]> {
  const found: any[] = [];
  for (let pageKey = ""; ; ) {
    const page = (await call("GET", "/operations", { query: `kind=${kind}&limit=50&nextPageKey=${pageKey}` })).json
      .operationPage;
    found.push(...page.operations.filter((operation: any) => operation.request.streamType === streamType));
    if (!page.hasMore) return found;
    pageKey = page.nextPageKey;
  }
}

describe("POST /replays", () => {
  it("creates a pending replay, queues its first step and answers 202 with Location and Retry-After", async () => {
    const streamId = randomUUID();
    queue.messages.splice(0);
    const response = await replay({
      streamType: "order",
      streamIds: [streamId.toUpperCase(), streamId],
      updatedAfter: "2026-01-02T04:04:05.123456789+01:00",
      fromRevision: 2,
      eventTypes: ["Placed", "Paid"],
      target: { topicArn: "arn:aws:sns:us-east-1:123456789012:rebuild-orders" },
    });
    assert.equal(response.status, 202, response.body);
    const { id } = response.json;
    assert.deepEqual(response.json, { id, kind: "replay", state: "pending", location: `/operations/${id}` });
    assert.equal(response.headers.location, `/operations/${id}`);
    assert.equal(response.headers["retry-after"], "1");
    assert.deepEqual(queue.messages, [{ operationId: id }]);

    const polled = await call("GET", response.headers.location as string);
    assert.equal(polled.status, 200);
    const { createdAt, updatedAt, ...rest } = polled.json;
    assert.equal(createdAt, updatedAt);
    assert.deepEqual(rest, {
      id,
      kind: "replay",
      state: "pending",
      progress: { streams: 0, events: 0 },
      request: {
        streamType: "order",
        streamIds: [streamId],
        updatedAfter: "2026-01-02T03:04:05.123Z",
        fromRevision: 2,
        eventTypes: ["Placed", "Paid"],
        target: { topicArn: "arn:aws:sns:us-east-1:123456789012:rebuild-orders" },
      },
    });
  });

  it('{"undelivered": true} creates a redrive; a target the stack allows by its queue URL is taken', async () => {
    const redrive = await replay({ undelivered: true });
    assert.equal(redrive.status, 202, redrive.body);
    assert.equal(redrive.json.kind, "redrive");
    assert.deepEqual((await call("GET", redrive.headers.location as string)).json.request, { undelivered: true });
    const toQueue = await replay({
      streamType: "order",
      target: { queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/rm" },
    });
    assert.equal(toQueue.status, 202, toQueue.body);
  });

  it("with an Idempotency-Key: the same body answers the same operation, another body 422, another caller its own", async () => {
    const key = randomUUID();
    const body = { streamType: uniqueStreamType(), fromRevision: 3 };
    queue.messages.splice(0);
    const first = await replay(body, { "Idempotency-Key": key });
    assert.equal(first.status, 202, first.body);
    assert.equal(first.json.id, await keyedId(key));
    const again = await replay({ fromRevision: 3, streamType: body.streamType }, { "Idempotency-Key": key });
    assert.equal(again.status, 202);
    assert.deepEqual(again.json, first.json);
    // Still pending: its first step is queued again (the worker's steps are idempotent).
    assert.deepEqual(queue.messages, [{ operationId: first.json.id }, { operationId: first.json.id }]);

    const other = await replay({ ...body, fromRevision: 4 }, { "Idempotency-Key": key });
    assertProblem(other, 422);
    assert.equal(other.json.type, "tag:event-store,2026:problem:unprocessable");
    const redrive = await replay({ undelivered: true }, { "Idempotency-Key": key });
    assertProblem(redrive, 422);

    const caller = "arn:aws:iam::123456789012:user/other";
    const theirs = await replay(body, { "Idempotency-Key": key }, caller);
    assert.equal(theirs.status, 202);
    assert.equal(theirs.json.id, await keyedId(key, caller));
    assert.notEqual(theirs.json.id, first.json.id);
  });

  it("a retry of an operation that has started answers its state and queues nothing", async () => {
    const key = randomUUID();
    const body = { streamType: "order" };
    const { id } = (await replay(body, { "Idempotency-Key": key })).json;
    const stored = await store.getOperation(id);
    assert.ok(stored);
    await store.saveOperation({ ...stored, state: "running", version: 2 }, 1);
    queue.messages.splice(0);
    const retry = await replay(body, { "Idempotency-Key": key });
    assert.equal(retry.status, 202);
    assert.equal(retry.json.state, "running");
    assert.deepEqual(queue.messages, []);
  });

  const badBodies: [string, (streamType: string) => unknown, string, RegExp?][] = [
    ["no streamType", () => ({ fromRevision: 1 }), "streamType"],
    ["an unknown member", (streamType) => ({ streamType, from: 1 }), "from"],
    ["a bad stream type", () => ({ streamType: "no spaces" }), "streamType"],
    ["no stream ids", (streamType) => ({ streamType, streamIds: [] }), "streamIds"],
    [
      "101 stream ids",
      (streamType) => ({ streamType, streamIds: Array.from({ length: 101 }, randomUUID) }),
      "streamIds",
    ],
    ["a stream id that is no UUID", (streamType) => ({ streamType, streamIds: [randomUUID(), "42"] }), "streamIds[1]"],
    [
      "a time that does not exist",
      (streamType) => ({ streamType, updatedAfter: "2026-02-30T00:00:00Z" }),
      "updatedAfter",
    ],
    ["a time of another shape", (streamType) => ({ streamType, updatedAfter: "yesterday" }), "updatedAfter"],
    ["revision 0", (streamType) => ({ streamType, fromRevision: 0 }), "fromRevision"],
    ["an empty event type", (streamType) => ({ streamType, eventTypes: ["Placed", ""] }), "eventTypes[1]"],
    ["no event types", (streamType) => ({ streamType, eventTypes: [] }), "eventTypes"],
    [
      "a target of two kinds",
      (streamType) => ({ streamType, target: { queueUrl: "https://q", topicArn: "a" } }),
      "target",
    ],
    [
      "a target the stack does not allow",
      (streamType) => ({ streamType, target: { topicArn: "arn:aws:sns:us-east-1:123456789012:orders" } }),
      "target",
      /replayTargets/,
    ],
    ["a redrive with more", (streamType) => ({ undelivered: true, streamType }), "streamType", /stands alone/],
    ["undelivered false", () => ({ undelivered: false }), "undelivered"],
    ["an array", () => [], "body"],
  ];

  for (const [name, body, field, message] of badBodies) {
    it(`${name}: 400 naming ${field}, and nothing is created or queued`, async () => {
      const streamType = uniqueStreamType();
      const key = randomUUID();
      queue.messages.splice(0);
      const response = await replay(body(streamType), { "Idempotency-Key": key });
      assertInvalid(response, field);
      if (message) assert.match(response.json.errors[field].join(" "), message);
      assert.equal(await store.getOperation(await keyedId(key)), undefined);
      assert.deepEqual(await operationsOfType(streamType), []);
      assert.deepEqual(queue.messages, []);
    });
  }

  it("a bad Idempotency-Key is a 400 naming it", async () => {
    assertInvalid(await replay({ streamType: "order" }, { "Idempotency-Key": "two words" }), "Idempotency-Key");
  });

  it("when the queue refuses the first step: 500; an unkeyed operation is failed, a keyed one waits for the retry", async (t) => {
    t.mock.method(console, "error", () => {});
    const streamType = uniqueStreamType();
    const key = randomUUID();
    queue.failing = true;
    try {
      assertProblem(await replay({ streamType }), 500);
      assertProblem(await replay({ streamType }, { "Idempotency-Key": key }), 500);
    } finally {
      queue.failing = false;
    }
    const [failed, ...others] = (await operationsOfType(streamType)).filter(
      (operation) => operation.state === "failed",
    );
    assert.deepEqual(others, []);
    assert.equal(failed.problem.title, "Not queued");
    const id = await keyedId(key);
    assert.equal((await store.getOperation(id))?.state, "pending");
    queue.messages.splice(0);
    assert.equal((await replay({ streamType }, { "Idempotency-Key": key })).status, 202);
    assert.deepEqual(queue.messages, [{ operationId: id }]);
  });
});

describe("POST /replays without an operation queue", () => {
  it("answers 503 operations-not-configured, without Retry-After, and creates nothing", async () => {
    const { call: bare } = await testApi();
    const response = await bare("POST", "/replays", { body: { undelivered: true } });
    assertProblem(response, 503);
    assert.equal(response.json.type, "tag:event-store,2026:problem:operations-not-configured");
    assert.equal(response.headers["retry-after"], undefined);
    // What reads operations needs no queue.
    assert.equal((await bare("GET", "/operations", { query: "kind=redrive&limit=1" })).status, 200);
  });
});
