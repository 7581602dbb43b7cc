// Deleting and truncating streams (SPEC section 13) against DynamoDB Local, as the two reads that do not go through a
// stream read see it: the Dynamic Consistency Boundary (events found by their tags) and snapshots.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { inlineEventBytes } from "#store/dcb-items.ts";
import {
  AppendConditionFailedError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from "#store/errors.ts";
import type { DcbEvent, DcbQuery } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { rawItems, runOperation } from "#test/support/lifecycle.ts";
import { testStreamStore } from "#test/support/store.ts";

/** A DCB event of stream `streamId` (type "course"); `large` makes it too big for its tag entry to carry it. */
const courseEvent = (eventType: string, tags: string[], streamId: string, large = false): DcbEvent => ({
  eventType,
  tags,
  streamType: "course",
  streamId,
  payload: new RawJson(JSON.stringify({ eventType, pad: large ? "x".repeat(inlineEventBytes) : "" })),
});

describe("deleted and truncated streams in DCB reads and snapshots", () => {
  let store: StreamStore;
  let tableName: string;
  before(async () => {
    ({ store, tableName } = await testStreamStore());
  });

  describe("a DCB read", () => {
    const typesOf = (events: { eventType: string }[]) => events.map((event) => event.eventType);

    it("leaves out the events of a soft-deleted stream, before and after its removal, and keeps its position", async () => {
      const tag = `course:${randomUUID()}`;
      const query: DcbQuery = { items: [{ tags: [tag] }] };
      const [gone, kept] = [randomUUID(), randomUUID()];
      await store.appendDcb([courseEvent("Gone1", [tag], gone), courseEvent("Gone2", [tag], gone, true)]);
      await store.appendDcb([courseEvent("Kept1", [tag], kept, true)]);
      const whole = await store.readDcb(query, 0, 100);
      assert.deepEqual(typesOf(whole.events), ["Gone1", "Gone2", "Kept1"]);

      const operation = await store.deleteStream("course", gone, { requestedBy: "test" });
      const hidden = await store.readDcb(query, 0, 100);
      assert.deepEqual(typesOf(hidden.events), ["Kept1"]);
      // The position still covers the hidden events: nothing was appended since, so the condition is the same.
      assert.deepEqual(hidden.appendCondition, whole.appendCondition);

      // The removal deletes the items (the tag entries stay): the large event's item is gone, the small one's
      // entry still carries its payload; both stay out.
      assert.equal((await runOperation(store, operation.id)).state, "succeeded");
      assert.ok((await rawItems(tableName, gone)).every((item) => item.eventId === undefined));
      const removed = await store.readDcb(query, 0, 100);
      assert.deepEqual(typesOf(removed.events), ["Kept1"]);
      assert.deepEqual(removed.appendCondition, whole.appendCondition);

      // A stream appended to after its soft delete shows its new events.
      await store.appendDcb([courseEvent("Again", [tag], gone)]);
      assert.deepEqual(typesOf((await store.readDcb(query, 0, 100)).events), ["Kept1", "Again"]);
      await store.appendDcb(
        [courseEvent("Decided", [tag], kept)],
        (await store.readDcb(query, 0, 100)).appendCondition,
      );
    });

    it("leaves out the events a truncation hides and every event of a hard-deleted stream", async () => {
      const tag = `course:${randomUUID()}`;
      const query: DcbQuery = { items: [{ tags: [tag] }] };
      const [truncated, hard] = [randomUUID(), randomUUID()];
      await store.appendDcb([
        courseEvent("T1", [tag], truncated),
        courseEvent("T2", [tag], truncated, true),
        courseEvent("T3", [tag], truncated),
      ]);
      await store.appendDcb([courseEvent("H1", [tag], hard), courseEvent("H2", [tag], hard, true)]);
      await store.truncateStream("course", truncated, 3, "test");
      await store.deleteStream("course", hard, { hard: true, requestedBy: "test" });
      const read = await store.readDcb(query, 0, 100);
      assert.deepEqual(typesOf(read.events), ["T3"]);
      assert.equal(read.appendCondition.after, 5);
    });

    it("pages on past hidden events: a page may be short, never stuck", async () => {
      const tag = `course:${randomUUID()}`;
      const query: DcbQuery = { items: [{ tags: [tag] }] };
      const [gone, kept] = [randomUUID(), randomUUID()];
      await store.appendDcb([courseEvent("G1", [tag], gone), courseEvent("G2", [tag], gone)]);
      await store.appendDcb([courseEvent("K1", [tag], kept), courseEvent("K2", [tag], kept)]);
      await store.deleteStream("course", gone, { requestedBy: "test" });
      const seen: string[] = [];
      let after = 0;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.readDcb(query, after, 1);
        seen.push(...typesOf(page.events));
        after = page.appendCondition.after;
        if (!page.hasMore) break;
      }
      assert.deepEqual(seen, ["K1", "K2"]);
      assert.equal(after, 4);
    });

    it("an event hidden after the condition's position does not fail it; a visible one after it still does", async () => {
      const tag = `course:${randomUUID()}`;
      const query: DcbQuery = { items: [{ tags: [tag] }] };
      const [gone, kept] = [randomUUID(), randomUUID()];
      await store.appendDcb([courseEvent("K1", [tag], kept)]);
      const before = await store.readDcb(query, 0, 100);
      await store.appendDcb([courseEvent("G1", [tag], gone)]);
      await store.deleteStream("course", gone, { requestedBy: "test" });
      // A read now would not show G1: the decision made on `before` still stands.
      await store.appendDcb([courseEvent("K2", [tag], kept)], before.appendCondition);
      // K2 is visible: the same condition now fails, naming K2's position (past the hidden G1).
      const refused = await store
        .appendDcb([courseEvent("K3", [tag], kept)], before.appendCondition)
        .catch((error: unknown) => error);
      assert.ok(refused instanceof AppendConditionFailedError);
      const again = await store.readDcb(query, 0, 100);
      assert.deepEqual(typesOf(again.events), ["K1", "K2"]);
      assert.equal(refused.conflictingPosition, again.events.at(-1)?.position);
    });
  });

  describe("snapshots", () => {
    const state = (n: number) => new RawJson(JSON.stringify({ n }));
    const events = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ eventType: "Counted", payload: state(index + 1) }));
    async function streamWith(count: number): Promise<string> {
      const id = randomUUID();
      await store.append("counter", id, "no-stream", events(count));
      return id;
    }
    const put = (id: string, revision: number) =>
      store.putSnapshot("counter", id, { revision, schema: "v1", state: state(revision) });
    const latest = (id: string) => store.latestSnapshot("counter", id, "v1");

    it("a soft-deleted stream takes none (404) and its snapshot reads as none, also once appended to again", async () => {
      const id = await streamWith(3);
      await put(id, 3);
      await store.deleteStream("counter", id, { requestedBy: "test" });
      // This process remembers the stream at revision 3: the settings still refuse.
      await assert.rejects(put(id, 3), StreamNotFoundError);
      await assert.rejects(put(id, 4), StreamNotFoundError);
      assert.equal(await latest(id), undefined);
      // Appended to again (revisions 5, 6): the deleted stream's state does not come back, nor may it be put.
      await store.append("counter", id, "any", events(2));
      assert.equal(await latest(id), undefined);
      await assert.rejects(put(id, 3), WrongExpectedRevisionError);
      const fresh = await put(id, 6);
      assert.equal(fresh.kind, "stored");
      assert.equal((await latest(id))?.revision, 6);
    });

    it("a hard-deleted stream answers 410 to a put and a read", async () => {
      const id = await streamWith(2);
      await put(id, 2);
      await store.deleteStream("counter", id, { hard: true, requestedBy: "test" });
      await assert.rejects(put(id, 2), StreamDeletedError);
      await assert.rejects(latest(id), StreamDeletedError);
      // Another type's path: not found, as reads answer.
      await assert.rejects(
        store.putSnapshot("other", id, { revision: 1, schema: "v1", state: state(1) }),
        StreamNotFoundError,
      );
      assert.equal(await store.latestSnapshot("other", id, "v1"), undefined);
    });

    it("a truncation keeps the snapshot it was made for, and drops older ones", async () => {
      const id = await streamWith(6);
      await put(id, 4);
      // Truncate before 5: the snapshot at 4 plus events 5, 6 is the whole state.
      await store.truncateStream("counter", id, 5, "test");
      assert.equal((await latest(id))?.revision, 4);
      await put(id, 4);
      await assert.rejects(put(id, 3), WrongExpectedRevisionError);
      await put(id, 6);
      assert.equal((await latest(id))?.revision, 6);

      const older = await streamWith(6);
      await put(older, 2);
      await store.truncateStream("counter", older, 5, "test");
      // Events 3 and 4 are hidden: the snapshot at 2 and events 5, 6 would fold a state the stream never had.
      assert.equal(await latest(older), undefined);
    });
  });
});
