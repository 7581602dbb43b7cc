// The global feed and the change feed around deletes and truncations (SPEC sections 10 and 13), fed real records.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Publish } from "#change-feed/notifications.ts";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { runOperation } from "#test/support/lifecycle.ts";
import type { CapacityLog } from "#test/support/store.ts";
import { testStreamStore, uniqueStreamType } from "#test/support/store.ts";
import { appendToNewStreams, changeFeed, deliverUntilDone, feedSuite, feedTable, readWholeFeed } from "./support.ts";

describe("the feeds around deletes and truncations", () => {
  let store: StreamStore;
  let capacity: CapacityLog;
  let records: (streamIds: string[]) => ReturnType<Awaited<ReturnType<typeof feedSuite>>["records"]>;
  before(async () => {
    ({ store, capacity, records } = await feedSuite());
  });

  it("a feed reader never sees a removed event, and positions keep growing", async () => {
    const streamType = uniqueStreamType("feedlife");
    const [deleted, hard, truncated, kept] = await appendToNewStreams(store, streamType, 4, 3);
    const ids = [deleted, hard, truncated, kept] as string[];
    const published: RecordedEvent[] = [];
    const publish: Publish = async (events) => {
      published.push(...events);
      return [];
    };
    const handler = changeFeed(store, store.feedIndex(200), publish);
    await deliverUntilDone(handler, await records(ids));
    const before = await readWholeFeed(store, { streamTypes: [streamType] });
    assert.equal(before.events.length, 12);

    const operations = [
      await store.deleteStream(streamType, deleted as string, { requestedBy: "test" }),
      await store.deleteStream(streamType, hard as string, { hard: true, requestedBy: "test" }),
      (await store.truncateStream(streamType, truncated as string, 3, "test")).operation,
    ];
    const shown = (events: { streamId: string; revision: number }[]) =>
      events.map((event) => `${ids.indexOf(event.streamId)}:${event.revision}`).sort();
    const expected = ["2:3", "3:1", "3:2", "3:3"];
    // At once, before any item is removed: by type, whole, and with payloads.
    assert.deepEqual(shown((await readWholeFeed(store, { streamTypes: [streamType] })).events), expected);
    const whole = await readWholeFeed(store);
    assert.deepEqual(shown(whole.events.filter((event) => ids.includes(event.streamId))), expected);
    assert.ok(whole.lastPosition >= before.lastPosition, "lastPosition moves past the hidden events");
    for (const operation of operations) await runOperation(store, operation?.id as string);
    const withPayloads = await readWholeFeed(store, { streamTypes: [streamType], includePayload: true });
    assert.deepEqual(shown(withPayloads.events), expected);

    // Appending again after the soft delete: new events at new positions, after every position served.
    await store.append(streamType, deleted as string, "any", [{ eventType: "Again", payload: new RawJson("{}") }]);
    await deliverUntilDone(handler, await records(ids));
    const after = await readWholeFeed(store, { streamTypes: [streamType], after: before.lastPosition });
    assert.deepEqual(shown(after.events), ["0:5"]);
    assert.ok((after.events[0]?.position ?? 0) > before.lastPosition);

    // The change feed saw every record of these streams (markers, settings, summaries, removals): only events
    // were notified, each once.
    const notified = published.map((event) => `${ids.indexOf(event.streamId)}:${event.revision}`).sort();
    assert.deepEqual(
      notified,
      [...before.events.map((event) => `${ids.indexOf(event.streamId)}:${event.revision}`), "0:5"].sort(),
    );
    const all = await records(ids);
    assert.ok(all.some((record) => record.eventName === "REMOVE"));
    assert.ok(all.some((record) => record.dynamodb?.NewImage?.marker !== undefined));
  });

  it("a feed page reads the removals with one small strongly consistent query", async () => {
    await readWholeFeed(store);
    capacity.clear();
    await store.readFeed({ after: 0, limit: 1 });
    const reads = capacity.entries.filter((entry) => entry.operation === "feedRead");
    assert.ok(reads.length >= 2);
    const removalsRead = reads.some((entry) => (entry.capacity.CapacityUnits ?? 0) <= 1);
    assert.ok(removalsRead);
  });

  it("a feed reader never sees an event its type's maxAge or the retention sweep removed; positions stay", async () => {
    let now = Date.now();
    const aged = uniqueStreamType("feedaged");
    const counted = uniqueStreamType("feedcounted");
    const { store: limited } = await testStreamStore({
      tableName: feedTable,
      now: () => now,
      retention: { [aged]: { maxAge: 60 }, [counted]: { maxCount: 2 } },
    });
    const [old] = await appendToNewStreams(limited, aged, 1, 2);
    now += 30_000;
    const [young] = await appendToNewStreams(limited, aged, 1, 1);
    const [long] = await appendToNewStreams(limited, counted, 1, 5);
    const ids = [old, young, long] as string[];
    const handler = changeFeed(limited, limited.feedIndex(200));
    await deliverUntilDone(handler, await records(ids));
    const shown = (events: { streamId: string; revision: number }[]) =>
      events.map((event) => `${ids.indexOf(event.streamId)}:${event.revision}`).sort();
    const types = { streamTypes: [aged, counted] };
    const before = await readWholeFeed(limited, types);
    assert.deepEqual(shown(before.events), ["0:1", "0:2", "1:1", "2:1", "2:2", "2:3", "2:4", "2:5"]);

    // The older stream's events turn 60 s old: hidden at once, by type, whole and with payloads (TTL may take them).
    now += 31_000;
    const expected = ["1:1", "2:1", "2:2", "2:3", "2:4", "2:5"];
    assert.deepEqual(shown((await readWholeFeed(limited, types)).events), expected);
    const whole = await readWholeFeed(limited);
    assert.deepEqual(shown(whole.events.filter((event) => ids.includes(event.streamId))), expected);
    assert.deepEqual(shown((await readWholeFeed(limited, { ...types, includePayload: true })).events), expected);
    // The maxCount stream reaches the feed with the sweep's truncation, before its removal deletes anything.
    const sweep = await limited.sweepRetention();
    const truncation = sweep.operations.find(
      (operation) => (operation.request as { streamId: string }).streamId === long,
    );
    assert.ok(truncation, "the sweep truncated the stream past its maxCount");
    assert.deepEqual(shown((await readWholeFeed(limited, types)).events), ["1:1", "2:4", "2:5"]);
    await runOperation(limited, truncation.id);
    const after = await readWholeFeed(limited, types);
    assert.deepEqual(shown(after.events), ["1:1", "2:4", "2:5"]);
    // Positions are not reused: what is left keeps the positions it had, and the reader's position never goes back
    // (other tests' batches in this table may move it on).
    const positionOf = (events: { streamId: string; revision: number; position: number }[]) =>
      new Map(events.map((event) => [`${event.streamId}/${event.revision}`, event.position]));
    const positionsBefore = positionOf(before.events);
    for (const [key, position] of positionOf(after.events)) assert.equal(position, positionsBefore.get(key), key);
    assert.ok(after.lastPosition >= before.lastPosition, "the reader's position never goes back");
  });
});
