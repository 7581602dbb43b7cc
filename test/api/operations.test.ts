import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { Operation, UndeliveredNotification } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { type CallApi, testApi, uniqueStreamType } from "#test/support/store.ts";
import { assertInvalid, assertProblem, recordingQueue } from "./support.ts";

let call: CallApi;
let store: StreamStore;

before(async () => {
  ({ call, store } = await testApi({ operations: { queue: recordingQueue(), allowedReplayTargets: [] } }));
});

/** A new operation through the API, then moved by the worker (here: saved directly) to `state`. */
async function operationIn(state: Operation["state"], body: unknown = { streamType: "order" }): Promise<Operation> {
  const { id } = (await call("POST", "/replays", { body })).json;
  const stored = (await store.getOperation(id)) as Operation;
  if (state === "pending") return stored;
  const next = { ...stored, state, version: 2, progress: { streams: 1, events: 3 } };
  assert.deepEqual(await store.saveOperation(next, 1), { saved: true });
  return next;
}

/** Every page of a listing, `limit` at a time: what each page held. */
async function pages(path: string, member: string, query: string, limit: number): Promise<any[][]> {
  const found: any[][] = [];
  for (let pageKey = ""; ; ) {
    const response = await call("GET", path, { query: `${query}&limit=${limit}&nextPageKey=${pageKey}` });
    assert.equal(response.status, 200, response.body);
    const page = response.json[member];
    const items = page.operations ?? page.notifications;
    assert.ok(items.length <= limit);
    found.push(items);
    if (!page.hasMore) return found;
    pageKey = page.nextPageKey;
  }
}

describe("GET /operations/{id}", () => {
  it("answers the operation's state and progress, never the worker's cursor or version", async () => {
    const operation = await operationIn("running");
    await store.saveOperation({ ...operation, cursor: { after: "x" }, version: 3 }, 2);
    const response = await call("GET", `/operations/${operation.id.toUpperCase()}`);
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.json), [
      "id",
      "kind",
      "state",
      "createdAt",
      "updatedAt",
      "progress",
      "request",
    ]);
    assert.equal(response.json.id, operation.id);
    assert.deepEqual(response.json.progress, { streams: 1, events: 3 });
  });

  it("shows the result of a succeeded operation and the problem of a failed one", async () => {
    const succeeded = await operationIn("pending");
    await store.saveOperation({ ...succeeded, state: "succeeded", result: { events: 3 }, version: 2 }, 1);
    assert.deepEqual((await call("GET", `/operations/${succeeded.id}`)).json.result, { events: 3 });
    const failed = await operationIn("pending");
    const problem = { title: "Target unavailable", detail: "the queue does not exist" };
    await store.saveOperation({ ...failed, state: "failed", problem, version: 2 }, 1);
    assert.deepEqual((await call("GET", `/operations/${failed.id}`)).json.problem, problem);
  });

  it("an unknown id is 404 operation-not-found; a malformed one 400 naming id", async () => {
    const unknown = await call("GET", `/operations/${randomUUID()}`);
    assertProblem(unknown, 404);
    assert.equal(unknown.json.type, "tag:event-store,2026:problem:operation-not-found");
    assertInvalid(await call("GET", "/operations/42"), "id");
  });
});

describe("GET /operations", () => {
  it("lists operations by kind and state, oldest first, page by page", async () => {
    const streamType = uniqueStreamType();
    const pending = [await operationIn("pending", { streamType }), await operationIn("pending", { streamType })];
    const running = await operationIn("running", { streamType });
    const redrive = await operationIn("pending", { undelivered: true });

    const pendingReplays = (await pages("/operations", "operationPage", "kind=replay&state=pending", 1)).flat();
    assert.ok(pendingReplays.every((operation) => operation.kind === "replay" && operation.state === "pending"));
    const createdAts = pendingReplays.map((operation) => operation.createdAt);
    assert.deepEqual(createdAts, [...createdAts].sort());
    const mine = pendingReplays.filter((operation) => operation.request.streamType === streamType);
    assert.deepEqual(mine.map((operation) => operation.id).sort(), pending.map((operation) => operation.id).sort());

    const all = (await pages("/operations", "operationPage", "", 2)).flat().map((operation) => operation.id);
    for (const { id } of [...pending, running, redrive]) assert.equal(all.filter((found) => found === id).length, 1);
    const redrives = (await pages("/operations", "operationPage", "kind=redrive", 100)).flat();
    assert.ok(redrives.every((operation) => operation.kind === "redrive"));
    assert.ok(redrives.some((operation) => operation.id === redrive.id));
    const runningOnes = (await pages("/operations", "operationPage", "state=running", 100)).flat();
    assert.ok(runningOnes.some((operation) => operation.id === running.id));
    assert.ok(!runningOnes.some((operation) => operation.state !== "running"));
  });

  it("a bad kind, state, limit or page key is a 400 naming it", async () => {
    assertInvalid(await call("GET", "/operations", { query: "kind=rebuild" }), "kind");
    assertInvalid(await call("GET", "/operations", { query: "state=done" }), "state");
    assertInvalid(await call("GET", "/operations", { query: "limit=1001" }), "limit");
    assertInvalid(await call("GET", "/operations", { query: "nextPageKey=abc" }), "nextPageKey");
  });
});

describe("DELETE /operations/{id}", () => {
  it("cancels a pending operation at once: 202, state canceled", async () => {
    const operation = await operationIn("pending");
    const response = await call("DELETE", `/operations/${operation.id}`);
    assert.equal(response.status, 202, response.body);
    assert.equal(response.json.state, "canceled");
    const stored = await store.getOperation(operation.id);
    assert.equal(stored?.state, "canceled");
    assert.equal(stored?.version, 2);
    assert.deepEqual((await call("GET", `/operations/${operation.id}`)).json, response.json);
  });

  it("asks a running operation to stop (cancelRequested), once however often it is asked", async () => {
    const operation = await operationIn("running");
    const response = await call("DELETE", `/operations/${operation.id}`);
    assert.equal(response.status, 202, response.body);
    assert.equal(response.json.state, "running");
    assert.equal(response.json.cancelRequested, true);
    assert.equal((await store.getOperation(operation.id))?.cancelRequested, true);
    const again = await call("DELETE", `/operations/${operation.id}`);
    assert.equal(again.status, 202);
    assert.deepEqual(again.json, response.json);
    assert.equal((await store.getOperation(operation.id))?.version, 3);
  });

  it("keeps a worker's checkpoint that lands between its read and its write, and asks again", async (t) => {
    const operation = await operationIn("running");
    const save = store.saveOperation.bind(store);
    let raced = false;
    t.mock.method(store, "saveOperation", async (next: Operation, expectedVersion: number) => {
      if (!raced) {
        raced = true;
        const checkpoint = { ...operation, progress: { streams: 2, events: 9 }, version: operation.version + 1 };
        await save(checkpoint, operation.version);
      }
      return save(next, expectedVersion);
    });
    const response = await call("DELETE", `/operations/${operation.id}`);
    assert.equal(response.status, 202, response.body);
    assert.equal(response.json.cancelRequested, true);
    assert.deepEqual(response.json.progress, { streams: 2, events: 9 });
    assert.equal((await store.getOperation(operation.id))?.version, operation.version + 2);
  });

  it("a finished operation answers 409 operation-finished and stays as it is", async () => {
    for (const state of ["succeeded", "failed", "canceled"] as const) {
      const operation = await operationIn(state);
      const response = await call("DELETE", `/operations/${operation.id}`);
      assertProblem(response, 409);
      assert.equal(response.json.type, "tag:event-store,2026:problem:operation-finished");
      assert.equal((await store.getOperation(operation.id))?.version, operation.version);
    }
  });

  it("an unknown operation is 404", async () => {
    assertProblem(await call("DELETE", `/operations/${randomUUID()}`), 404);
  });
});

describe("GET /notifications/undelivered", () => {
  it("pages through what waits for a redrive, oldest failure first, each range once", async () => {
    const streamId = randomUUID();
    const range = (first: number, last: number, since: string): UndeliveredNotification => ({
      streamId,
      streamType: "order",
      firstRevision: first,
      lastRevision: last,
      cause: "SNS said no",
      since,
    });
    const recorded = [
      range(1, 2, "2001-01-01T00:00:00.000Z"),
      range(3, 3, "2001-01-01T00:00:01.000Z"),
      range(4, 9, "2001-01-02T00:00:00.000Z"),
    ];
    await store.recordUndelivered(recorded);
    const listed = (await pages("/notifications/undelivered", "undeliveredPage", "", 2)).flat();
    const sinces = listed.map((notification) => notification.since);
    assert.deepEqual(sinces, [...sinces].sort());
    assert.deepEqual(
      listed.filter((notification) => notification.streamId === streamId),
      recorded,
    );
  });

  it("a page key it did not give out is a 400 naming it", async () => {
    assertInvalid(await call("GET", "/notifications/undelivered", { query: "nextPageKey=bm9wZQ" }), "nextPageKey");
  });
});
