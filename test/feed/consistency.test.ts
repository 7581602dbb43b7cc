/**
 * Events of multi-stream and DCB appends reach the change feed like any others (SPEC section 11): each stream's
 * notifications, its listing summary and the global feed, from real stream records; the DCB's tag items none.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { changeFeed, deliverUntilDone, feedSuite, readWholeFeed } from "./support.ts";

const payload = new RawJson('{"amount":5}');

describe("multi-stream and DCB appends through the change feed", () => {
  let suite: Awaited<ReturnType<typeof feedSuite>>;
  let store: StreamStore;
  before(async () => {
    suite = await feedSuite();
    store = suite.store;
  });

  it("notifies, lists and indexes every stream's events; tag entries and heads are no events", async () => {
    const [from, to] = [randomUUID(), randomUUID()];
    const tag = `transfer:${randomUUID()}`;
    const multi = await store.appendToStreams([
      { streamType: "account", streamId: from, expected: "no-stream", events: [{ eventType: "Debited", payload }] },
      { streamType: "account", streamId: to, expected: "no-stream", events: [{ eventType: "Credited", payload }] },
    ]);
    const dcb = await store.appendDcb([
      { eventType: "TransferBooked", payload, tags: [tag, `account:${from}`], streamType: "transfer" },
      { eventType: "TransferNoted", payload, tags: [tag], streamType: "transfer" },
    ]);
    const transfer = dcb.appends[0]?.stream.streamId as string;
    assert.equal(multi.appends.length, 2);

    const published: RecordedEvent[] = [];
    const records = await suite.records([from, to, transfer, `dcbTag#${tag}`, `dcbTag#account:${from}`]);
    assert.ok(records.some((record) => String(record.dynamodb?.Keys?.pk?.S).startsWith("dcbTag#")));
    await deliverUntilDone(
      changeFeed(store, undefined, async (events) => {
        published.push(...events);
        return [];
      }),
      records,
    );

    const notified = (streamId: string) =>
      published.filter((event) => event.streamId === streamId).map((event) => event.eventType);
    assert.deepEqual(notified(from), ["Debited"]);
    assert.deepEqual(notified(to), ["Credited"]);
    assert.deepEqual(notified(transfer), ["TransferBooked", "TransferNoted"]);
    assert.equal(published.length, 4, "tag entries and heads are not notified");

    const { events } = await readWholeFeed(store);
    const indexed = events.filter((event) => [from, to, transfer].includes(event.streamId));
    assert.deepEqual(indexed.map((event) => event.eventType).sort(), [
      "Credited",
      "Debited",
      "TransferBooked",
      "TransferNoted",
    ]);

    const listed = await store.listStreams("transfer", { updatedAfter: 0, limit: 1000 });
    assert.deepEqual(
      listed.streams.filter((stream) => stream.streamId === transfer).map((stream) => stream.revision),
      [2],
    );
  });
});
