import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { DynamoDBRecord } from "aws-lambda";
import type { FeedIndex } from "#store/feed-index.ts";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import {
  appendToNewStreams,
  changeFeed,
  deliverUntilDone,
  feedSuite,
  positionsByStream,
  readWholeFeed,
} from "./support.ts";

/** Each stream's feed entries are its revisions 1…n, once each, at growing positions. */
function assertInRevisionOrder(byStream: Map<string, [number, number][]>, streamIds: string[], revisions: number) {
  for (const streamId of streamIds) {
    const entries = byStream.get(streamId) ?? [];
    assert.deepEqual(
      entries.map(([revision]) => revision),
      Array.from({ length: revisions }, (_, i) => i + 1),
      `stream ${streamId}: every revision once, in order`,
    );
    for (let i = 1; i < entries.length; i++) {
      assert.ok((entries[i] as [number, number])[1] > (entries[i - 1] as [number, number])[1], "positions grow");
    }
  }
}

describe("the global feed's indexer (the change feed against DynamoDB Local's stream records)", () => {
  let store: StreamStore;
  let records: (streamIds: string[]) => Promise<DynamoDBRecord[]>;
  before(async () => {
    ({ store, records } = await feedSuite());
  });

  it("gives every event one position, growing, in revision order per stream; a batch delivered again indexes nothing twice", async () => {
    const streamType = uniqueStreamType("feed");
    const streamIds = await appendToNewStreams(store, streamType, 5, 4, 2);
    const handler = changeFeed(store);
    const batch = await records(streamIds);
    assert.deepEqual(await handler(batch), { batchItemFailures: [] });
    assert.deepEqual(await handler(batch), { batchItemFailures: [] }, "a redelivery is no failure");
    assert.deepEqual(await handler(batch.slice(3)), { batchItemFailures: [] }, "nor is a part of it");

    const { events } = await readWholeFeed(store, { streamTypes: [streamType] });
    assert.equal(events.length, 20, "each event once");
    assertInRevisionOrder(positionsByStream(events, streamIds), streamIds, 4);
    const positions = events.map((event) => event.position);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      "feed order is position order",
    );
    assert.equal(new Set(positions).size, positions.length, "no position twice");
    const first = events[0];
    assert.ok(first);
    assert.equal(first.streamType, streamType);
    assert.match(first.eventId, /^[0-9a-f-]{36}$/);
    assert.match(first.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("holds back a stream's later revisions that come first (from a sibling shard) until the earlier ones are in, in the feed and on the topic", async () => {
    const streamType = uniqueStreamType("feed-split");
    const [streamId] = (await appendToNewStreams(store, streamType, 1, 6)) as [string];
    const all = await records([streamId]);
    const [earlier, later] = [all.slice(0, 3), all.slice(3)];
    // What a FIFO topic would receive, in the order it is published.
    const published: number[] = [];
    const handler = changeFeed(store, store.feedIndex(200), async (events) => {
      published.push(...events.map((event) => event.revision));
      return [];
    });

    const heldBack = await handler(later);
    assert.deepEqual(heldBack.batchItemFailures, [{ itemIdentifier: later[0]?.dynamodb?.SequenceNumber }]);
    assert.deepEqual((await readWholeFeed(store, { streamTypes: [streamType] })).events, [], "nothing indexed");

    assert.deepEqual(await handler(earlier), { batchItemFailures: [] });
    assert.deepEqual(await handler(later), { batchItemFailures: [] }, "once revision 3 is in, 4 goes");
    const { events } = await readWholeFeed(store, { streamTypes: [streamType] });
    assertInRevisionOrder(positionsByStream(events, [streamId]), [streamId], 6);
    assert.deepEqual(published, [1, 2, 3, 4, 5, 6], "notifications too: in revision order, each once");
  });

  it("keeps every stream's revision order when two shards of one split are indexed in parallel by two writers", async () => {
    const streamType = uniqueStreamType("feed-shards");
    const streamIds = await appendToNewStreams(store, streamType, 8, 6);
    const all = await records(streamIds);
    // After a split, a stream's records sit on both children: revisions 1–3 on one, 4–6 on the other (and the
    // second child's come first for half of the streams).
    const revisionOf = (record: DynamoDBRecord) => Number(record.dynamodb?.Keys?.sk?.N);
    const firstHalf = (record: DynamoDBRecord) => revisionOf(record) <= 3;
    const streamIndex = (record: DynamoDBRecord) => streamIds.indexOf(String(record.dynamodb?.Keys?.pk?.S));
    const shardA = all.filter((record) => firstHalf(record) === (streamIndex(record) % 2 === 0));
    const shardB = all.filter((record) => !shardA.includes(record));
    const writers = [store.feedIndex(2_000), store.feedIndex(2_000)] as [FeedIndex, FeedIndex];
    const published = new Map<string, number[]>();
    const publish = async (events: RecordedEvent[]) => {
      for (const { streamId, revision } of events)
        published.set(streamId, [...(published.get(streamId) ?? []), revision]);
      return [];
    };
    await Promise.all([
      deliverUntilDone(changeFeed(store, writers[0], publish), shardA),
      deliverUntilDone(changeFeed(store, writers[1], publish), shardB),
    ]);
    const { events } = await readWholeFeed(store, { streamTypes: [streamType] });
    assert.equal(events.length, 48);
    assertInRevisionOrder(positionsByStream(events, streamIds), streamIds, 6);
    // At least once: a batch voided after publishing publishes again; a FIFO topic drops such repeats (its
    // deduplication id is streamId:revision), and what is left is each stream in revision order.
    for (const streamId of streamIds) {
      assert.deepEqual([...new Set(published.get(streamId))], [1, 2, 3, 4, 5, 6], "FIFO order");
    }
  });

  it("voids the batch of a writer that died after claiming, and indexes its events once when they come again", async () => {
    const streamType = uniqueStreamType("feed-dead");
    const streamIds = await appendToNewStreams(store, streamType, 2, 2);
    const batch = await records(streamIds);
    // A writer claims a batch and one stream's events, then dies.
    const dead = store.feedIndex(200);
    const claimed = await dead.begin();
    const claim = await store.claimSummary(
      { streamId: streamIds[0] as string, streamType, revision: 2, updatedAt: new Date().toISOString() },
      { ...claimed, firstRevision: 1 },
    );
    assert.equal(claim.outcome, "created");

    // The next writer waits out the lease, voids that batch, and the redelivered records go in.
    await deliverUntilDone(changeFeed(store, store.feedIndex(200)), batch);
    const { events } = await readWholeFeed(store, { streamTypes: [streamType] });
    assert.equal(events.length, 4);
    assertInRevisionOrder(positionsByStream(events, streamIds), streamIds, 2);
    assert.ok(
      events.every((event) => Math.floor(event.position / 2 ** 14) !== claimed.batch),
      "not in the void batch",
    );
  });

  it("voids its own batch at once when the invocation fails after claiming; the redelivery indexes each event once", async () => {
    const streamType = uniqueStreamType("feed-fail");
    const streamIds = await appendToNewStreams(store, streamType, 3, 2);
    const batch = await records(streamIds);
    const writer = store.feedIndex(60_000);
    let failures = 1;
    const failing = new Proxy(writer, {
      get(target, property, receiver) {
        if (property === "commit" && failures-- > 0) return async () => Promise.reject(new Error("the writer failed"));
        return Reflect.get(target, property, receiver);
      },
    });
    await assert.rejects(changeFeed(store, failing)(batch), /the writer failed/);
    // With a lease of a minute, only abandoning its batch at once lets the redelivery go on now.
    assert.deepEqual(await changeFeed(store, writer)(batch), { batchItemFailures: [] });
    const { events } = await readWholeFeed(store, { streamTypes: [streamType] });
    assert.equal(events.length, 6);
    assertInRevisionOrder(positionsByStream(events, streamIds), streamIds, 2);
  });

  it("serves a reader racing concurrent writers a feed that never goes back: no position at or below one it read", async () => {
    const streamType = uniqueStreamType("feed-race");
    const streamIds = Array.from({ length: 6 }, () => randomUUID());
    const start = (await store.feedHead()).position;
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      let after = start;
      for (let idle = 0; writing || idle < 2; ) {
        const page = await store.readFeed({ after, limit: 7, streamTypes: [streamType] });
        for (const event of page.events) {
          assert.ok(event.position > (seen.at(-1) ?? start), `position ${event.position} after ${seen.at(-1)}`);
          seen.push(event.position);
        }
        assert.ok(page.lastPosition >= after, "lastPosition never goes back");
        after = page.lastPosition;
        if (!writing && page.events.length === 0) idle++;
      }
    })();
    const indexed = new Set<string>();
    const handler = changeFeed(store);
    const raced = () => ({ eventType: "Raced", payload: new RawJson("{}") });
    try {
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          streamIds.map((streamId) => store.append(streamType, streamId, round * 2, [raced(), raced()])),
        );
        const fresh = (await records(streamIds)).filter((record) => !indexed.has(String(record.eventID)));
        for (const record of fresh) indexed.add(String(record.eventID));
        await deliverUntilDone(handler, fresh);
      }
    } finally {
      writing = false;
    }
    await reader;
    assert.equal(seen.length, 60, "the reader saw every event once");
  });
});
