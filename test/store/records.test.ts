import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { Operation, UndeliveredNotification } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testStreamStore } from "#test/support/store.ts";

describe("the store's records: undelivered notifications and operations", () => {
  let store: StreamStore;
  before(async () => {
    ({ store } = await testStreamStore());
  });

  const undelivered = (streamId: string, firstRevision: number, since: string): UndeliveredNotification => ({
    streamId,
    streamType: "order",
    firstRevision,
    lastRevision: firstRevision + 1,
    cause: "SNS did not answer",
    since,
  });

  it("records each undelivered range once, keeps its first failure's time, lists and clears it", async () => {
    const id = randomUUID();
    const since = new Date(Date.now() - 60_000).toISOString();
    await store.recordUndelivered([undelivered(id, 3, since), undelivered(id, 1, since)]);
    await store.recordUndelivered([{ ...undelivered(id, 1, new Date().toISOString()), cause: "again" }]);
    const ofStream = await store.undeliveredOfStream(id);
    assert.deepEqual(
      ofStream.map((range) => [range.firstRevision, range.since, range.cause]),
      [
        [1, since, "SNS did not answer"],
        [3, since, "SNS did not answer"],
      ],
    );
    const listed = [];
    let pageKey: string | undefined;
    do {
      const page = await store.listUndelivered({ limit: 1, pageKey });
      listed.push(...page.notifications);
      pageKey = page.nextPageKey;
    } while (pageKey);
    assert.ok(listed.filter((range) => range.streamId === id).length === 2, "paged through both ranges");
    await store.clearUndelivered(id, 1);
    await store.clearUndelivered(id, 1);
    assert.deepEqual(
      (await store.undeliveredOfStream(id)).map((range) => range.firstRevision),
      [3],
    );
    await store.clearUndelivered(id, 3);
  });

  it("creates an operation once, and saves a new version only over the version it was made from", async () => {
    const now = new Date().toISOString();
    const operation: Operation = {
      id: randomUUID(),
      kind: "replay",
      state: "pending",
      createdAt: now,
      updatedAt: now,
      request: { streamType: "order", target: { queueUrl: "http://127.0.0.1/000000000000/q" } },
      progress: { streams: 0, events: 0 },
      version: 1,
    };
    assert.equal((await store.createOperation(operation)).created, true);
    const again = await store.createOperation({ ...operation, state: "running" });
    assert.deepEqual([again.created, again.operation.state], [false, "pending"]);

    const running = { ...operation, state: "running" as const, cursor: { after: "x" }, version: 2 };
    assert.deepEqual(await store.saveOperation(running, 1), { saved: true });
    const stale = await store.saveOperation({ ...operation, state: "canceled", version: 2 }, 1);
    assert.equal(stale.saved, false);
    assert.equal(stale.saved === false && stale.current?.state, "running");
    assert.deepEqual(await store.getOperation(operation.id), running);

    const listed = await store.listOperations({ kind: "replay", state: "running", limit: 1000 });
    assert.ok(listed.operations.some((listedOne) => listedOne.id === operation.id));
    const pending = await store.listOperations({ kind: "replay", state: "pending", limit: 1000 });
    assert.ok(!pending.operations.some((listedOne) => listedOne.id === operation.id));
    assert.equal(await store.getOperation(randomUUID()), undefined);
  });
});
