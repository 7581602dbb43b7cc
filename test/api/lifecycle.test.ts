// Deleting and truncating streams through the HTTP API (SPEC section 13): answers, problems, records.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { StreamStore } from "#store/stream-store.ts";
import { runOperation } from "#test/support/lifecycle.ts";
import { type CallApi, newEvent, testApi } from "#test/support/store.ts";
import { assertInvalid, assertProblem, createdStream, recordingQueue } from "./support.ts";

const admin = "arn:aws:iam::123456789012:role/admin";

describe("deleting and truncating streams over HTTP", () => {
  let call: CallApi;
  let store: StreamStore;
  let queue: ReturnType<typeof recordingQueue>;
  before(async () => {
    queue = recordingQueue();
    ({ call, store } = await testApi({ operations: { queue, allowedReplayTargets: [] } }));
  });

  async function streamOf(events: number): Promise<string> {
    const id = await createdStream(call);
    for (let n = 1; n < events; n++) {
      const response = await call("POST", `/streams/order/${id}/events`, {
        body: { expectedRevision: "any", events: [newEvent("Added")] },
      });
      assert.equal(response.status, 201, response.body);
    }
    return id;
  }

  it("a soft delete answers 202 with the removal, queues it, and the stream answers 404", async () => {
    const id = await streamOf(3);
    const response = await call("DELETE", `/streams/order/${id}`, { caller: admin });
    assert.equal(response.status, 202, response.body);
    assert.equal(response.json.kind, "removal");
    assert.equal(response.headers.location, `/operations/${response.json.id}`);
    assert.deepEqual(queue.messages.at(-1), { operationId: response.json.id });
    for (const path of [`/streams/order/${id}`, `/streams/order/${id}/details`, `/streams/order/${id}/events`]) {
      const read = await call("GET", path);
      assertProblem(read, 404);
      assert.equal(read.json.type, "tag:event-store,2026:problem:stream-not-found");
    }
    const operation = (await call("GET", `/operations/${response.json.id}`)).json;
    assert.deepEqual(operation.request, {
      streamType: "order",
      streamId: id,
      action: "delete",
      hiddenBelow: 5,
      markerRevision: 4,
      requestedBy: admin,
    });
    const appended = await call("POST", `/streams/order/${id}/events`, {
      body: { expectedRevision: "no-stream", events: [newEvent("Reopened")] },
    });
    assert.equal(appended.status, 201, appended.body);
    assert.equal(appended.json.firstRevision, 5);
    const read = await call("GET", `/streams/order/${id}/events`);
    assert.deepEqual(
      read.json.eventPage.events.map((event: { revision: number }) => event.revision),
      [5],
    );
  });

  it("a hard delete answers 410 stream-deleted to reads, details and appends, for ever", async () => {
    const id = await streamOf(2);
    const response = await call("DELETE", `/streams/order/${id}`, { query: "hard=true" });
    assert.equal(response.status, 202, response.body);
    await runOperation(store, response.json.id);
    const answers = [
      await call("GET", `/streams/order/${id}/details`),
      await call("GET", `/streams/order/${id}/events`, { query: "direction=backward" }),
      await call("POST", `/streams/order/${id}/events`, {
        body: { expectedRevision: "any", events: [newEvent("Late")] },
      }),
      await call("PUT", `/streams/order/${id}/events/3`, { body: { event: newEvent("Late") } }),
      await call("POST", `/streams/order/${id}/truncation`, { body: { truncateBefore: 1 } }),
      await call("DELETE", `/streams/order/${id}`),
    ];
    for (const answer of answers) {
      assertProblem(answer, 410);
      assert.equal(answer.json.type, "tag:event-store,2026:problem:stream-deleted");
    }
  });

  it("a delete at another revision than expected answers 409 with currentRevision and hides nothing", async () => {
    const id = await streamOf(2);
    const response = await call("DELETE", `/streams/order/${id}`, { query: "expected-revision=1" });
    assertProblem(response, 409);
    assert.equal(response.json.currentRevision, 2);
    assert.equal((await call("GET", `/streams/order/${id}/details`)).status, 200);
    assert.equal((await call("DELETE", `/streams/order/${id}`, { query: "expected-revision=2" })).status, 202);
  });

  it("a truncation answers 202 and hides the events before it; again lower, 200 and nothing new", async () => {
    const id = await streamOf(4);
    const response = await call("POST", `/streams/order/${id}/truncation`, { body: { truncateBefore: 3 } });
    assert.equal(response.status, 202, response.body);
    const read = await call("GET", `/streams/order/${id}/events`);
    assert.deepEqual(
      read.json.eventPage.events.map((event: { revision: number }) => event.revision),
      [3, 4],
    );
    const again = await call("POST", `/streams/order/${id}/truncation`, { body: { truncateBefore: 2 } });
    assert.equal(again.status, 200, again.body);
    assert.deepEqual(again.json, { truncateBefore: 3 });
  });

  it("lists deletes and truncations with who asked under GET /operations?kind=removal", async () => {
    const id = await streamOf(2);
    await call("POST", `/streams/order/${id}/truncation`, { body: { truncateBefore: 2 }, caller: admin });
    const listed = await call("GET", "/operations", { query: "kind=removal&limit=1000" });
    assert.equal(listed.status, 200, listed.body);
    const mine = listed.json.operationPage.operations.filter(
      (operation: { request: { streamId?: string } }) => operation.request.streamId === id,
    );
    assert.equal(mine.length, 1);
    assert.equal(mine[0].request.action, "truncate");
    assert.equal(mine[0].request.requestedBy, admin);
  });

  describe("bad input is a 400 that names the field, and changes nothing", () => {
    it("a stream id that is no UUID, a bad expected-revision, hard=maybe", async () => {
      const id = await streamOf(1);
      assertInvalid(await call("DELETE", "/streams/order/not-a-uuid"), "streamId");
      assertInvalid(
        await call("DELETE", `/streams/order/${id}`, { query: "expected-revision=-1" }),
        "expected-revision",
      );
      assertInvalid(
        await call("DELETE", `/streams/order/${id}`, { query: "expected-revision=1.5" }),
        "expected-revision",
      );
      assertInvalid(await call("DELETE", `/streams/order/${id}`, { query: "hard=maybe" }), "hard");
      assertInvalid(await call("DELETE", `/streams/bad type/${id}`), "streamType");
      assert.equal((await call("GET", `/streams/order/${id}/details`)).status, 200);
    });

    it("truncateBefore missing, not a whole number, below 1 or beyond the revision + 1; unknown members", async () => {
      const id = await streamOf(2);
      const truncate = (body: unknown) => call("POST", `/streams/order/${id}/truncation`, { body });
      assertInvalid(await truncate({}), "truncateBefore");
      assertInvalid(await truncate({ truncateBefore: "2" }), "truncateBefore");
      assertInvalid(await truncate({ truncateBefore: 0 }), "truncateBefore");
      assertInvalid(await truncate({ truncateBefore: 4 }), "truncateBefore");
      assertInvalid(await truncate({ truncateBefore: 2, extra: true }), "extra");
      const read = await call("GET", `/streams/order/${id}/events`);
      assert.equal(read.json.eventPage.events.length, 2);
    });

    it("a stream that does not exist answers 404", async () => {
      assertProblem(await call("DELETE", `/streams/order/${randomUUID()}`), 404);
      assertProblem(
        await call("POST", `/streams/order/${randomUUID()}/truncation`, { body: { truncateBefore: 1 } }),
        404,
      );
    });
  });

  it("an API with an admin URL (grantAdmin) deletes and truncates only through it: 403 admin-only elsewhere", async () => {
    const guarded = await testApi({
      operations: { queue: recordingQueue(), allowedReplayTargets: [] },
      adminAlias: "admin",
    });
    const id = await createdStream(guarded.call);
    const functionArn = "arn:aws:lambda:eu-west-1:123456789012:function:Store-Api";
    const refused = await guarded.call("DELETE", `/streams/order/${id}`, { invokedFunctionArn: functionArn });
    assertProblem(refused, 403);
    assert.equal(refused.json.type, "tag:event-store,2026:problem:admin-only");
    const truncation = { body: { truncateBefore: 1 }, invokedFunctionArn: functionArn };
    assertProblem(await guarded.call("POST", `/streams/order/${id}/truncation`, truncation), 403);
    assert.equal((await guarded.call("GET", `/streams/order/${id}/details`)).status, 200);
    const throughAdmin = { invokedFunctionArn: `${functionArn}:admin`, caller: admin };
    assert.equal((await guarded.call("DELETE", `/streams/order/${id}`, throughAdmin)).status, 202);
  });

  it("an API without an operation queue refuses deletes with 503 and hides nothing", async () => {
    const bare = await testApi();
    const id = await createdStream(bare.call);
    assertProblem(await bare.call("DELETE", `/streams/order/${id}`), 503);
    assert.equal((await bare.call("GET", `/streams/order/${id}/details`)).status, 200);
  });

  describe("retention of a stream", () => {
    it("PUT sets its own limits (202, the removal records who and what), GET shows them; reads hide at once", async () => {
      const id = await streamOf(5);
      const response = await call("PUT", `/streams/order/${id}/retention`, { body: { maxCount: 2 }, caller: admin });
      assert.equal(response.status, 202, response.body);
      assert.deepEqual(queue.messages.at(-1), { operationId: response.json.id });
      const operation = (await call("GET", `/operations/${response.json.id}`)).json;
      assert.deepEqual(operation.request, {
        streamType: "order",
        streamId: id,
        action: "retention",
        retention: { maxCount: 2 },
        hiddenBelow: 4,
        requestedBy: admin,
      });
      const read = await call("GET", `/streams/order/${id}/events`);
      assert.deepEqual(
        read.json.eventPage.events.map((event: { revision: number }) => event.revision),
        [4, 5],
      );
      const shown = await call("GET", `/streams/order/${id}/retention`);
      assert.equal(shown.status, 200, shown.body);
      assert.deepEqual(shown.json, {
        retention: { stream: { maxCount: 2 }, streamType: {}, effective: { maxCount: 2 } },
      });
    });

    it("bad limits are a 400 naming the field, and nothing changes", async () => {
      const id = await streamOf(3);
      const put = (body: unknown) => call("PUT", `/streams/order/${id}/retention`, { body });
      assertInvalid(await put({ maxAge: 0 }), "maxAge");
      assertInvalid(await put({ maxAge: "30d" }), "maxAge");
      assertInvalid(await put({ maxAge: 1.5 }), "maxAge");
      assertInvalid(await put({ maxCount: -1 }), "maxCount");
      assertInvalid(await put({ maxCount: 2, $maxCount: 1 }), "$maxCount");
      assertProblem(await call("PUT", `/streams/order/${id}/retention`, { body: "{maxCount: 1" }), 400);
      assert.deepEqual((await call("GET", `/streams/order/${id}/retention`)).json.retention.stream, {});
      assert.equal((await call("GET", `/streams/order/${id}/events`)).json.eventPage.events.length, 3);
      assertProblem(await call("GET", `/streams/order/${randomUUID()}/retention`), 404);
      assertProblem(await call("PUT", `/streams/order/${randomUUID()}/retention`, { body: { maxCount: 1 } }), 404);
    });

    it("through an API with an admin URL, PUT answers 403 admin-only elsewhere; GET is a read", async () => {
      const guarded = await testApi({
        operations: { queue: recordingQueue(), allowedReplayTargets: [] },
        adminAlias: "admin",
      });
      const id = await createdStream(guarded.call);
      const functionArn = "arn:aws:lambda:eu-west-1:123456789012:function:Store-Api";
      const put = { body: { maxCount: 1 }, invokedFunctionArn: functionArn };
      const refused = await guarded.call("PUT", `/streams/order/${id}/retention`, put);
      assertProblem(refused, 403);
      assert.equal(refused.json.type, "tag:event-store,2026:problem:admin-only");
      const read = await guarded.call("GET", `/streams/order/${id}/retention`, { invokedFunctionArn: functionArn });
      assert.equal(read.status, 200, read.body);
    });
  });
});
