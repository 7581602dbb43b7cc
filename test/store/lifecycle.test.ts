// Deleting and truncating streams (SPEC section 13) against DynamoDB Local: what readers, writers, the listing and
// the removal operation see.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  InvalidInputError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from "#store/errors.ts";
import type { RemovalRequest } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { rawItems, runOperation } from "#test/support/lifecycle.ts";
import { allStreamTypes, testStreamStore, uniqueStreamType } from "#test/support/store.ts";

const payload = new RawJson("{}");
const events = (count: number, from = 1) =>
  Array.from({ length: count }, (_, index) => ({ eventType: `E${from + index}`, payload }));

describe("deleting and truncating streams", () => {
  let store: StreamStore;
  let tableName: string;
  before(async () => {
    ({ store, tableName } = await testStreamStore());
  });

  async function newStream(count: number, streamType = "order"): Promise<string> {
    const id = randomUUID();
    for (let first = 1; first <= count; first += 100) {
      await store.append(streamType, id, first - 1, events(Math.min(100, count - first + 1), first));
    }
    return id;
  }

  const forward = (streamType: string, id: string, afterRevision = 0, limit = 100) =>
    store.readEvents(streamType, id, { direction: "forward", afterRevision, limit });
  const revisionsOf = async (streamType: string, id: string, afterRevision = 0) =>
    (await forward(streamType, id, afterRevision)).events.map((event) => event.revision);

  describe("a soft delete", () => {
    it("makes reads and details answer 404 at once, and records who asked and what", async () => {
      const id = await newStream(3);
      const operation = await store.deleteStream("order", id, { requestedBy: "arn:aws:iam::1:role/admin" });
      assert.equal(operation.kind, "removal");
      assert.equal(operation.state, "pending");
      assert.deepEqual(operation.request, {
        streamType: "order",
        streamId: id,
        action: "delete",
        hiddenBelow: 5,
        markerRevision: 4,
        requestedBy: "arn:aws:iam::1:role/admin",
      } satisfies RemovalRequest);
      await assert.rejects(store.streamDetails("order", id), StreamNotFoundError);
      await assert.rejects(forward("order", id), StreamNotFoundError);
      await assert.rejects(forward("order", id, 1), StreamNotFoundError);
      await assert.rejects(store.readEvents("order", id, { direction: "backward", limit: 10 }), StreamNotFoundError);
      assert.equal((await store.getOperation(operation.id))?.kind, "removal");
    });

    it("lets appends go on after its marker, and only the new events read", async () => {
      const id = await newStream(3);
      await store.deleteStream("order", id, { requestedBy: "test" });
      await assert.rejects(store.append("order", id, "stream-exists", events(1)), StreamNotFoundError);
      await assert.rejects(store.append("order", id, 3, events(1)), StreamNotFoundError);
      const appended = await store.append("order", id, "any", events(2, 5));
      assert.deepEqual([appended.firstRevision, appended.lastRevision], [5, 6]);
      assert.deepEqual(await revisionsOf("order", id), [5, 6]);
      assert.deepEqual(
        (await store.readEvents("order", id, { direction: "backward", limit: 10 })).events.map((e) => e.revision),
        [6, 5],
      );
      assert.equal((await store.streamDetails("order", id)).revision, 6);
    });

    it('lets "no-stream" and the marker\'s own revision append after the marker', async () => {
      const first = await newStream(2);
      await store.deleteStream("order", first, { requestedBy: "test" });
      const created = await store.append("order", first, "no-stream", events(1));
      assert.equal(created.firstRevision, 4);
      const second = await newStream(2);
      await store.deleteStream("order", second, { requestedBy: "test" });
      assert.equal((await store.append("order", second, 3, events(1))).firstRevision, 4);
    });

    it("never shows a deleted event again, also after the removal operation deleted it", async () => {
      const id = await newStream(5);
      const operation = await store.deleteStream("order", id, { requestedBy: "test" });
      await store.append("order", id, "any", events(1));
      const done = await runOperation(store, operation.id);
      assert.equal(done.state, "succeeded");
      assert.deepEqual(done.progress, { streams: 1, events: 5 });
      assert.deepEqual(await revisionsOf("order", id), [7]);
      const stored = (await rawItems(tableName, id)).map((item) => [item.sk, item.marker ?? item.eventType]);
      assert.deepEqual(stored, [
        [-1, undefined],
        [0, undefined],
        [6, "deleted"],
        [7, "E1"],
      ]);
    });

    it("answers 409 with the current revision when the stream is not at the expected revision", async () => {
      const id = await newStream(3);
      await assert.rejects(
        store.deleteStream("order", id, { expectedRevision: 2, requestedBy: "test" }),
        (error: unknown) => error instanceof WrongExpectedRevisionError && error.currentRevision === 3,
      );
      assert.equal((await store.streamDetails("order", id)).revision, 3);
      await store.deleteStream("order", id, { expectedRevision: 3, requestedBy: "test" });
      await assert.rejects(store.streamDetails("order", id), StreamNotFoundError);
    });

    it("answers 404 for a stream that does not exist, of another type, or deleted already", async () => {
      const id = await newStream(1);
      await assert.rejects(store.deleteStream("order", randomUUID(), { requestedBy: "t" }), StreamNotFoundError);
      await assert.rejects(store.deleteStream("invoice", id, { requestedBy: "t" }), StreamNotFoundError);
      await store.deleteStream("order", id, { requestedBy: "t" });
      await assert.rejects(store.deleteStream("order", id, { requestedBy: "t" }), StreamNotFoundError);
    });
  });

  describe("the listing and the type counts", () => {
    it("drop a deleted stream at once, and take it back when it is appended to again", async () => {
      const streamType = uniqueStreamType("listed");
      const [kept, deleted] = [await newStream(1, streamType), await newStream(2, streamType)];
      // The change feed's upkeep, as it does it: summaries, then the count of new ones.
      for (const id of [kept, deleted])
        assert.equal(await store.raiseSummary(await store.streamDetails(streamType, id)), true);
      await store.countNewStreams(streamType, 2, new Date().toISOString());
      const listedIds = async () =>
        (await store.listStreams(streamType, { updatedAfter: 0, limit: 100 })).streams.map((s) => s.streamId).sort();
      const countOf = async () =>
        (await allStreamTypes(store)).find((type) => type.streamType === streamType)?.streamCount;
      assert.equal(await countOf(), 2);

      await store.deleteStream(streamType, deleted, { requestedBy: "test" });
      assert.deepEqual(await listedIds(), [kept]);
      assert.equal(await countOf(), 1);
      // A late raise of an older revision by the change feed cannot list it again.
      assert.equal(
        await store.raiseSummary({ streamId: deleted, streamType, revision: 2, updatedAt: new Date().toISOString() }),
        false,
      );
      assert.deepEqual(await listedIds(), [kept]);

      const appended = await store.append(streamType, deleted, "any", events(1));
      assert.equal(await store.raiseSummary(appended.stream), true, "listed again: counted as new");
      assert.deepEqual(await listedIds(), [kept, deleted].sort());
    });

    it("a stream deleted before the change feed listed it is not counted off", async () => {
      const streamType = uniqueStreamType("unlisted");
      const [kept, deleted] = [await newStream(1, streamType), await newStream(1, streamType)];
      assert.equal(await store.raiseSummary(await store.streamDetails(streamType, kept)), true);
      await store.countNewStreams(streamType, 1, new Date().toISOString());
      await store.deleteStream(streamType, deleted, { requestedBy: "test" });
      assert.equal((await allStreamTypes(store)).find((type) => type.streamType === streamType)?.streamCount, 1);
      // The change feed's late raise of its first event finds the delete's summary: not listed, not counted.
      assert.equal(
        await store.raiseSummary({ streamId: deleted, streamType, revision: 1, updatedAt: new Date().toISOString() }),
        false,
      );
    });
  });

  describe("a hard delete", () => {
    it("answers 410 to reads, details and every kind of append, for ever", async () => {
      const id = await newStream(3);
      const operation = await store.deleteStream("order", id, { hard: true, requestedBy: "test" });
      assert.equal((operation.request as RemovalRequest).action, "hard-delete");
      await assert.rejects(store.streamDetails("order", id), StreamDeletedError);
      await assert.rejects(forward("order", id), StreamDeletedError);
      await assert.rejects(forward("order", id, 2), StreamDeletedError);
      await assert.rejects(store.readEvents("order", id, { direction: "backward", limit: 5 }), StreamDeletedError);
      for (const expected of ["any", "no-stream", "stream-exists", 3, 4] as const) {
        await assert.rejects(store.append("order", id, expected, events(1)), StreamDeletedError, String(expected));
      }
      await assert.rejects(
        store.appendToStreams([{ streamType: "order", streamId: id, expected: "any", events: events(1) }]),
        StreamDeletedError,
      );
      await assert.rejects(store.deleteStream("order", id, { requestedBy: "t" }), StreamDeletedError);
      await assert.rejects(store.truncateStream("order", id, 2, "t"), StreamDeletedError);
    });

    it("ends a soft-deleted stream for good too", async () => {
      const id = await newStream(2);
      await store.deleteStream("order", id, { requestedBy: "test" });
      await store.deleteStream("order", id, { hard: true, requestedBy: "test" });
      await assert.rejects(store.append("order", id, "any", events(1)), StreamDeletedError);
    });

    it("is removed by its operation in steps, keeping the tombstone and the settings", async () => {
      const id = await newStream(250);
      const operation = await store.deleteStream("order", id, { hard: true, requestedBy: "test" });
      const first = await runOperation(store, operation.id, { eventsPerStep: 100, maxSteps: 1 });
      assert.equal(first.state, "running");
      assert.equal(first.progress.events, 100);
      // A worker of another process resumes from the checkpoint.
      const done = await runOperation(store, operation.id, { eventsPerStep: 100 });
      assert.equal(done.state, "succeeded");
      assert.equal(done.progress.events, 250);
      const stored = (await rawItems(tableName, id)).map((item) => [item.sk, item.marker ?? item.tombstone]);
      assert.deepEqual(stored, [
        [-1, true],
        [0, undefined],
        [251, "tombstone"],
      ]);
      await assert.rejects(store.append("order", id, "any", events(1)), StreamDeletedError);
    });

    it("stops removing when its operation is canceled; what is left stays hidden", async () => {
      const id = await newStream(150);
      const operation = await store.deleteStream("order", id, { hard: true, requestedBy: "test" });
      const running = await runOperation(store, operation.id, { eventsPerStep: 50, maxSteps: 1 });
      await store.saveOperation({ ...running, cancelRequested: true, version: running.version + 1 }, running.version);
      const ended = await runOperation(store, operation.id, { eventsPerStep: 50 });
      assert.equal(ended.state, "canceled");
      assert.equal(ended.progress.events, 50);
      assert.equal((await rawItems(tableName, id)).length, 100 + 3);
      await assert.rejects(forward("order", id), StreamDeletedError);
    });

    it("racing 8 writers: every answer is written, 409 or 410; none after its ack; revisions without a gap", async () => {
      const id = await newStream(1);
      let deletedAt: number | undefined;
      const outcomes: string[] = [];
      const lateSuccesses: number[] = [];
      // Each writer races on until the delete is acknowledged and then tries three more times (so the tombstone is
      // met), pausing up to 3 ms between appends: as busy as writers of one stream get, yet leaving the delete, whose
      // head read and transaction take longer than an append, a chance to win within its attempts.
      const writer = async () => {
        let afterAck = 0;
        for (let n = 0; n < 400 && afterAck < 3; n++) {
          if (deletedAt !== undefined) afterAck++;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          const startedAt = performance.now();
          try {
            const expected = n % 2 === 0 ? "any" : ((await store.streamDetails("order", id)).revision as number);
            const result = await store.append("order", id, expected, events(1));
            outcomes.push("201");
            if (deletedAt !== undefined && startedAt > deletedAt) lateSuccesses.push(result.firstRevision);
          } catch (error) {
            if (error instanceof WrongExpectedRevisionError) outcomes.push("409");
            else if (error instanceof StreamDeletedError) outcomes.push("410");
            else throw error;
          }
        }
      };
      const deleter = async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await store.deleteStream("order", id, { hard: true, requestedBy: "test" });
        deletedAt = performance.now();
      };
      await Promise.all([...Array.from({ length: 8 }, writer), deleter()]);
      assert.deepEqual(lateSuccesses, []);
      assert.ok(outcomes.includes("410"), "some appends met the tombstone");
      const revisions = (await rawItems(tableName, id)).map((item) => Number(item.sk)).filter((sk) => sk > 0);
      assert.deepEqual(
        revisions,
        Array.from({ length: revisions.length }, (_, index) => index + 1),
      );
      const top = (await rawItems(tableName, id)).at(-1);
      assert.equal(top?.marker, "tombstone");
    });
  });

  describe("a truncation", () => {
    it("hides the events before the revision at once, forward and backward, from any position", async () => {
      const id = await newStream(6);
      const result = await store.truncateStream("order", id, 4, "test");
      assert.equal((result.operation?.request as RemovalRequest | undefined)?.truncateBefore, 4);
      assert.deepEqual(await revisionsOf("order", id), [4, 5, 6]);
      assert.deepEqual(await revisionsOf("order", id, 1), [4, 5, 6]);
      assert.deepEqual(await revisionsOf("order", id, 4), [5, 6]);
      const backward = await store.readEvents("order", id, { direction: "backward", limit: 10 });
      assert.deepEqual(
        backward.events.map((event) => event.revision),
        [6, 5, 4],
      );
      assert.equal(backward.hasMore, false);
      assert.equal((await store.streamDetails("order", id)).revision, 6);
      await store.append("order", id, 6, events(1));
      assert.deepEqual(await revisionsOf("order", id), [4, 5, 6, 7]);
    });

    it("before a revision hidden already changes nothing; beyond the revision + 1 is refused", async () => {
      const id = await newStream(4);
      await store.truncateStream("order", id, 3, "test");
      assert.deepEqual(await store.truncateStream("order", id, 2, "test"), { operation: undefined, hiddenBelow: 3 });
      await assert.rejects(
        store.truncateStream("order", id, 6, "test"),
        (error: unknown) => error instanceof InvalidInputError && "truncateBefore" in error.errors,
      );
      await store.truncateStream("order", id, 5, "test");
      assert.deepEqual(await revisionsOf("order", id), []);
      assert.equal((await store.streamDetails("order", id)).revision, 4);
    });

    it("is removed by its operation; reads stay the same", async () => {
      const id = await newStream(10);
      const { operation } = await store.truncateStream("order", id, 8, "test");
      const done = await runOperation(store, operation?.id as string, { eventsPerStep: 3 });
      assert.equal(done.state, "succeeded");
      assert.equal(done.progress.events, 7);
      assert.deepEqual(await revisionsOf("order", id), [8, 9, 10]);
      assert.deepEqual(
        (await rawItems(tableName, id)).map((item) => item.sk),
        [-1, 8, 9, 10],
      );
    });

    it("racing readers: each read sees the whole stream or the truncated one, never a mix", async () => {
      const id = await newStream(60);
      const whole = Array.from({ length: 60 }, (_, index) => index + 1);
      const truncated = whole.slice(39);
      let truncating = true;
      const seen = new Set<string>();
      const reader = async () => {
        while (truncating) {
          for (const afterRevision of [0, 10]) {
            const read = await revisionsOf("order", id, afterRevision);
            const expected = [whole.filter((r) => r > afterRevision), truncated];
            assert.ok(
              expected.some((shape) => JSON.stringify(shape) === JSON.stringify(read)),
              `a mix: ${read.join(",")}`,
            );
            seen.add(read.length === truncated.length ? "truncated" : "whole");
          }
        }
      };
      const truncate = async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const { operation } = await store.truncateStream("order", id, 40, "test");
        await runOperation(store, operation?.id as string, { eventsPerStep: 7 });
        truncating = false;
      };
      await Promise.all([reader(), reader(), reader(), truncate()]);
      assert.ok(seen.has("truncated"));
    });
  });

  it("lists deletes and truncations as removal operations", async () => {
    const id = await newStream(2);
    const deleted = await store.deleteStream("order", id, { requestedBy: "someone" });
    const page = await store.listOperations({ kind: "removal", limit: 1000 });
    const listed = page.operations.find((operation) => operation.id === deleted.id);
    assert.equal((listed?.request as RemovalRequest | undefined)?.requestedBy, "someone");
    assert.ok(page.operations.every((operation) => operation.kind === "removal"));
  });
});
