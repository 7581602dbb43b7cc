// Retention by age and count (SPEC section 13) against DynamoDB Local: reads hide at once by the reader's clock (TTL
// never runs here: expiry is simulated by moving the store's clock), a stream's own limits win over its type's, and
// the retention sweep truncates what limits no longer keep.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { inlineEventBytes } from "#store/dcb-items.ts";
import { StreamNotFoundError } from "#store/errors.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { rawItems, runOperation } from "#test/support/lifecycle.ts";
import { testStreamStore, uniqueStreamType } from "#test/support/store.ts";

const payload = new RawJson("{}");
const events = (count: number) => Array.from({ length: count }, (_, index) => ({ eventType: `E${index}`, payload }));
const second = 1000;

describe("retention", () => {
  // One clock for the stores of this suite: appends take their time from it, reads judge age by it.
  let now = Date.parse("2026-12-01T00:00:00.000Z");
  const clock = () => now;
  const aged = uniqueStreamType("aged");
  const counted = uniqueStreamType("counted");
  const plain = uniqueStreamType("plain");
  let store: StreamStore;
  let tableName: string;
  before(async () => {
    ({ store, tableName } = await testStreamStore({
      now: clock,
      retention: { [aged]: { maxAge: 60 }, [counted]: { maxCount: 3 } },
    }));
  });

  /** Deletes items of a stream as DynamoDB's TTL would. */
  const deleteItems = async (streamId: string, revisionsToDelete: number[]) => {
    const client = createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint));
    for (const sk of revisionsToDelete)
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: streamId, sk } }));
  };
  const revisions = async (streamType: string, id: string, options: { afterRevision?: number; limit?: number } = {}) =>
    (
      await store.readEvents(streamType, id, { direction: "forward", limit: options.limit ?? 100, ...options })
    ).events.map((event) => event.revision);
  const backward = async (streamType: string, id: string, fromRevision?: number) =>
    (await store.readEvents(streamType, id, { direction: "backward", limit: 100, fromRevision })).events.map(
      (event) => event.revision,
    );

  describe("a stream type's maxAge", () => {
    it("writes each event's expiry (TTL) and hides events past it at once, by the reader's clock", async () => {
      const id = randomUUID();
      const start = now;
      await store.append(aged, id, "no-stream", events(3));
      now += 50 * second;
      await store.append(aged, id, 3, events(2));
      const items = (await rawItems(tableName, id)).filter((item) => Number(item.sk) > 0);
      assert.deepEqual(
        items.map((item) => item.expiresAt),
        [...Array(3).fill(start / 1000 + 60), ...Array(2).fill(start / 1000 + 110)],
      );
      assert.deepEqual(await revisions(aged, id), [1, 2, 3, 4, 5]);
      now += 10 * second; // the first three are 60 s old now
      assert.deepEqual(await revisions(aged, id), [4, 5]);
      assert.deepEqual(await revisions(aged, id, { afterRevision: 1 }), [4, 5]);
      assert.deepEqual(await backward(aged, id), [5, 4]);
      assert.deepEqual(await backward(aged, id, 3), []);
      // The stream and its revisions stay: details and appends go on (revisions are never reused).
      assert.equal((await store.streamDetails(aged, id)).revision, 5);
      now += 60 * second;
      const empty = await store.readEvents(aged, id, { direction: "forward", limit: 10 });
      assert.deepEqual(empty.events, []);
      assert.equal(empty.hasMore, false);
      assert.equal((await store.append(aged, id, 5, events(1))).lastRevision, 6);
      assert.deepEqual(await revisions(aged, id), [6]);
    });

    it("reads on past pages of expired events that TTL has not removed yet", async () => {
      const id = randomUUID();
      for (let first = 0; first < 250; first += 100) await store.append(aged, id, first || "no-stream", events(100));
      now += 61 * second;
      await store.append(aged, id, 300, events(2));
      assert.deepEqual(await revisions(aged, id, { limit: 10 }), [301, 302]);
      const page = await store.readEvents(aged, id, { direction: "forward", limit: 1 });
      assert.deepEqual(
        page.events.map((event) => event.revision),
        [301],
      );
      assert.equal(page.hasMore, true);
    });

    it("reads on when TTL removed expired events, in any order and by a clock a little ahead of the reader's", async () => {
      const id = randomUUID();
      await store.append(aged, id, "no-stream", events(4));
      now += 30 * second;
      await store.append(aged, id, 4, events(2));
      now += 31 * second; // 1–4 expired
      // TTL took 2 and 1 so far (in that order), then 3, 4 and — its clock ahead of ours — 5.
      await deleteItems(id, [2]);
      assert.deepEqual(await revisions(aged, id), [5, 6]);
      await deleteItems(id, [1]);
      assert.deepEqual(await revisions(aged, id), [5, 6]);
      await deleteItems(id, [3, 4, 5]);
      assert.deepEqual(await revisions(aged, id), [6]);
      assert.deepEqual(await revisions(aged, id, { afterRevision: 2 }), [6]);
      assert.deepEqual(await backward(aged, id), [6]);
      // A truncation under way still makes a reader start again rather than show a mix.
      await store.truncateStream(aged, id, 7, "test");
      assert.deepEqual(await revisions(aged, id), []);
    });

    it("DCB reads leave out events past maxAge, and those TTL removed by a clock a little ahead of the reader's", async () => {
      const tag = `course:${randomUUID()}`;
      const query = { items: [{ tags: [tag] }] };
      const id = randomUUID();
      // Too large for its tag entry to carry: the read fetches the event's own item.
      const large = new RawJson(JSON.stringify({ pad: "x".repeat(inlineEventBytes) }));
      const dcbEvent = (eventType: string) => ({
        eventType,
        tags: [tag],
        streamType: aged,
        streamId: id,
        payload: large,
      });
      await store.appendDcb([dcbEvent("Old")]);
      now += 40 * second;
      await store.appendDcb([dcbEvent("Young")]);
      const typesRead = async () => (await store.readDcb(query, 0, 10)).events.map((event) => event.eventType);
      assert.deepEqual(await typesRead(), ["Old", "Young"]);
      now += 21 * second;
      assert.deepEqual(await typesRead(), ["Young"]);
      // Young expires at +60 s by DynamoDB's clock; ours says +59.5 s, and TTL has taken its item already.
      now += 38_500;
      await deleteItems(id, [2]);
      assert.deepEqual(await typesRead(), []);
    });

    it("leaves types without limits alone: no expiry is written", async () => {
      const id = randomUUID();
      await store.append(plain, id, "no-stream", events(2));
      now += 365 * 86_400 * second;
      assert.deepEqual(await revisions(plain, id), [1, 2]);
      const items = (await rawItems(tableName, id)).filter((item) => Number(item.sk) > 0);
      assert.ok(items.every((item) => item.expiresAt === undefined));
    });
  });

  describe("a stream type's maxCount", () => {
    it("keeps the newest N readable, whatever page is asked for", async () => {
      const id = randomUUID();
      await store.append(counted, id, "no-stream", events(10));
      assert.deepEqual(await revisions(counted, id), [8, 9, 10]);
      assert.deepEqual(await revisions(counted, id, { afterRevision: 2 }), [8, 9, 10]);
      assert.deepEqual(await revisions(counted, id, { afterRevision: 8 }), [9, 10]);
      assert.deepEqual(await backward(counted, id), [10, 9, 8]);
      assert.deepEqual(await backward(counted, id, 8), [8]);
      assert.deepEqual(await backward(counted, id, 7), []);
      await store.append(counted, id, 10, events(1));
      assert.deepEqual(await revisions(counted, id), [9, 10, 11]);
    });
  });

  describe("a stream's own limits", () => {
    it("win over its type's limit by limit, hide at once, and are recorded as a removal operation", async () => {
      const id = randomUUID();
      await store.append(counted, id, "no-stream", events(10));
      const operation = await store.setRetention(counted, id, { maxCount: 5 }, "arn:aws:iam::1:role/admin");
      assert.equal(operation.kind, "removal");
      assert.deepEqual(operation.request, {
        streamType: counted,
        streamId: id,
        action: "retention",
        retention: { maxCount: 5 },
        hiddenBelow: 6,
        requestedBy: "arn:aws:iam::1:role/admin",
      });
      assert.deepEqual(await revisions(counted, id), [6, 7, 8, 9, 10]);
      assert.deepEqual(await store.retention(counted, id), {
        stream: { maxCount: 5 },
        streamType: { maxCount: 3 },
        effective: { maxCount: 5 },
      });
      const done = await runOperation(store, operation.id);
      assert.equal(done.state, "succeeded");
      const left = (await rawItems(tableName, id)).filter((item) => Number(item.sk) > 0).map((item) => item.sk);
      assert.deepEqual(left, [6, 7, 8, 9, 10]);
      // Without limits of its own, its type's apply again; what was removed stays hidden.
      await store.setRetention(counted, id, {}, "arn:aws:iam::1:role/admin");
      assert.deepEqual(await revisions(counted, id), [8, 9, 10]);
      assert.deepEqual((await store.retention(counted, id)).stream, {});
    });

    it("a maxAge of its own hides its old events at once, and keeps hiding as they age", async () => {
      const id = randomUUID();
      await store.append(plain, id, "no-stream", events(2));
      now += 100 * second;
      await store.append(plain, id, 2, events(2));
      const operation = await store.setRetention(plain, id, { maxAge: 50 }, "admin");
      assert.equal((operation.request as { hiddenBelow: number }).hiddenBelow, 3);
      assert.deepEqual(await revisions(plain, id), [3, 4]);
      now += 50 * second;
      assert.deepEqual(await revisions(plain, id), []);
      assert.deepEqual((await store.retention(plain, id)).effective, { maxAge: 50 });
    });

    it("leave the sweep's list with a hard delete", async () => {
      const id = randomUUID();
      await store.append(plain, id, "no-stream", events(2));
      await store.setRetention(plain, id, { maxCount: 1 }, "admin");
      const listed = async () => (await rawItems(tableName, id)).find((item) => item.sk === -1)?.recPk;
      assert.equal(await listed(), "retention");
      await store.deleteStream(plain, id, { hard: true, requestedBy: "admin" });
      assert.equal(await listed(), undefined);
    });

    it("are refused for a stream that does not exist", async () => {
      await assert.rejects(store.setRetention(plain, randomUUID(), { maxCount: 1 }, "admin"), StreamNotFoundError);
      await assert.rejects(store.retention(plain, randomUUID()), StreamNotFoundError);
    });
  });

  describe("the retention sweep", () => {
    it("truncates streams past their type's maxCount or their own limits, and records who: retention", async () => {
      const sweepType = uniqueStreamType("swept");
      const { store: swept } = await testStreamStore({ now: clock, retention: { [sweepType]: { maxCount: 5 } } });
      const overCount = randomUUID();
      const withinCount = randomUUID();
      const ownAge = randomUUID();
      await swept.append(sweepType, overCount, "no-stream", events(12));
      await swept.append(sweepType, withinCount, "no-stream", events(5));
      await swept.append(plain, ownAge, "no-stream", events(3));
      await swept.setRetention(plain, ownAge, { maxAge: 30 }, "admin");
      now += 31 * second;
      await swept.append(plain, ownAge, 3, events(1));
      // The listing is the change feed's: the summaries it would write.
      for (const [id, revision] of [
        [overCount, 12],
        [withinCount, 5],
      ] as const) {
        await swept.raiseSummary({
          streamId: id,
          streamType: sweepType,
          revision,
          updatedAt: new Date(now).toISOString(),
        });
      }
      // Out of time, a sweep leaves the streams for the next one, and truncates nothing.
      const late = await swept.sweepRetention(0);
      assert.deepEqual([late.operations.length, late.streams], [0, 0]);
      assert.ok(late.left >= 2);
      const sweep = await swept.sweepRetention();
      const byStream = new Map(
        sweep.operations.map((operation) => [(operation.request as { streamId: string }).streamId, operation]),
      );
      assert.equal(byStream.has(withinCount), false);
      assert.deepEqual(
        [overCount, ownAge].map((id) => {
          const request = byStream.get(id)?.request as { action: string; truncateBefore: number; requestedBy: string };
          return [request.action, request.truncateBefore, request.requestedBy];
        }),
        [
          ["truncate", 8, "retention"],
          ["truncate", 4, "retention"],
        ],
      );
      for (const operation of sweep.operations) await runOperation(swept, operation.id);
      const left = (await rawItems(tableName, overCount)).filter((item) => Number(item.sk) > 0).map((item) => item.sk);
      assert.deepEqual(left, [8, 9, 10, 11, 12]);
      // Nothing more is due: a second sweep truncates nothing of these.
      const again = await swept.sweepRetention();
      const truncated: string[] = again.operations.map(
        (operation) => (operation.request as { streamId: string }).streamId,
      );
      assert.ok(!truncated.includes(overCount) && !truncated.includes(ownAge));
    });
  });
});
