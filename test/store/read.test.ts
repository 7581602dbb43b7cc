import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { InvalidInputError, StreamNotFoundError } from "#store/errors.ts";
import { listingSettleMs } from "#store/listing.ts";
import { listingShard } from "#store/listing-items.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testStreamStore, uniqueStreamType } from "#test/support/store.ts";

const payload = new RawJson("{}");

describe("reading a stream", () => {
  let store: StreamStore;
  let id: string;
  before(async () => {
    ({ store } = await testStreamStore());
    id = randomUUID();
    const events = Array.from({ length: 25 }, (_, index) => ({ eventType: `E${index + 1}`, payload }));
    await store.append("order", id, "no-stream", events);
  });

  it("reads forward in pages until hasMore is false", async () => {
    const seen: number[] = [];
    let afterRevision = 0;
    let pages = 0;
    for (;;) {
      const page = await store.readEvents("order", id, { direction: "forward", afterRevision, limit: 10 });
      pages++;
      seen.push(...page.events.map((event) => event.revision));
      if (!page.hasMore) break;
      afterRevision = page.lastEvaluatedRevision;
    }
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      Array.from({ length: 25 }, (_, index) => index + 1),
    );
  });

  it("a page that ends exactly at the end says hasMore false", async () => {
    const page = await store.readEvents("order", id, { direction: "forward", afterRevision: 15, limit: 10 });
    assert.equal(page.events.length, 10);
    assert.equal(page.hasMore, false);
    assert.equal(page.lastEvaluatedRevision, 25);
  });

  it("reading after the last revision gives an empty last page that keeps the position", async () => {
    const page = await store.readEvents("order", id, { direction: "forward", afterRevision: 30, limit: 10 });
    assert.deepEqual(page, { events: [], hasMore: false, lastEvaluatedRevision: 30 });
    const last = Number.MAX_SAFE_INTEGER;
    const atTheEdge = await store.readEvents("order", id, { direction: "forward", afterRevision: last, limit: 10 });
    assert.deepEqual(atTheEdge, { events: [], hasMore: false, lastEvaluatedRevision: last });
  });

  it("reads backward from the end or from a revision, newest first", async () => {
    const fromEnd = await store.readEvents("order", id, { direction: "backward", limit: 3 });
    assert.deepEqual(
      fromEnd.events.map((event) => event.revision),
      [25, 24, 23],
    );
    assert.equal(fromEnd.hasMore, true);
    const fromFive = await store.readEvents("order", id, { direction: "backward", fromRevision: 5, limit: 10 });
    assert.deepEqual(
      fromFive.events.map((event) => event.revision),
      [5, 4, 3, 2, 1],
    );
    assert.equal(fromFive.hasMore, false);
  });

  it("a missing stream or a stream of another type is not found", async () => {
    await assert.rejects(
      store.readEvents("order", randomUUID(), { direction: "forward", limit: 10 }),
      StreamNotFoundError,
    );
    await assert.rejects(store.readEvents("invoice", id, { direction: "forward", limit: 10 }), StreamNotFoundError);
    await assert.rejects(
      store.readEvents("invoice", id, { direction: "forward", afterRevision: 100, limit: 10 }),
      StreamNotFoundError,
    );
  });

  it("details are the newest revision and its time", async () => {
    const details = await store.streamDetails("order", id);
    const newest = await store.readEvents("order", id, { direction: "backward", limit: 1 });
    assert.deepEqual(details, {
      streamId: id,
      streamType: "order",
      revision: 25,
      updatedAt: newest.events[0]?.createdAt,
    });
  });
});

describe("listing streams by type", () => {
  let store: StreamStore;
  /** The change feed's clock: summaries are written right after their events unless a test says otherwise. */
  let now = Date.parse("2026-03-01T00:00:00.000Z");
  before(async () => {
    ({ store } = await testStreamStore({ now: () => now }));
  });

  it("lists summaries of a type updated after a time, oldest first, across shards and pages", async () => {
    const streamType = uniqueStreamType();
    const base = Date.parse("2026-03-01T00:00:00.000Z");
    const streams = Array.from({ length: 23 }, (_, index) => ({
      streamId: randomUUID(),
      streamType,
      revision: index + 1,
      updatedAt: new Date(base + (index % 5) * 1000).toISOString(), // ties on purpose
    }));
    await Promise.all(streams.map((stream) => store.raiseSummary(stream)));
    await store.raiseSummary({
      ...(streams[0] as (typeof streams)[number]),
      streamType: uniqueStreamType(),
      streamId: randomUUID(),
    });

    const listed = [];
    let pageKey: string | undefined;
    let pages = 0;
    do {
      const page = await store.listStreams(streamType, { updatedAfter: base - 1, pageKey, limit: 5 });
      listed.push(...page.streams);
      pageKey = page.nextPageKey;
      pages++;
      assert.equal(page.hasMore, pageKey !== undefined);
    } while (pageKey);
    assert.equal(pages, 5);
    const expected = [...streams].sort((a, b) =>
      a.updatedAt === b.updatedAt ? (a.streamId < b.streamId ? -1 : 1) : a.updatedAt < b.updatedAt ? -1 : 1,
    );
    assert.deepEqual(listed, expected);

    // Inclusive, and reaching back by the settle time: at least every stream updated at or after the time.
    const later = await store.listStreams(streamType, { updatedAfter: base + 4000, limit: 100 });
    assert.deepEqual(
      later.streams.map((stream) => stream.updatedAt),
      expected
        .filter((s) => s.updatedAt >= new Date(base + 4000 - listingSettleMs).toISOString())
        .map((s) => s.updatedAt),
    );
    assert.equal(later.hasMore, false);
  });

  it("never skips a summary the change feed writes late, for a client that pages by the updatedAt it saw", async () => {
    const streamType = uniqueStreamType();
    const base = Date.parse("2026-05-01T00:00:00.000Z");
    const late = { streamId: randomUUID(), streamType, revision: 1, updatedAt: new Date(base).toISOString() };
    const prompt = {
      streamId: randomUUID(),
      streamType,
      revision: 1,
      updatedAt: new Date(base + 10_000).toISOString(),
    };
    now = base + 10_000;
    await store.raiseSummary(prompt);
    const first = await store.listStreams(streamType, { updatedAfter: base - 60_000, limit: 100 });
    assert.deepEqual(first.streams, [prompt]);
    // The feed was a minute behind for `late`: its summary lands after the client's page, with an older event time.
    now = base + 70_000;
    await store.raiseSummary(late);
    const seen = Date.parse(first.streams.at(-1)?.updatedAt as string);
    const next = await store.listStreams(streamType, { updatedAfter: seen, limit: 100 });
    assert.ok(
      next.streams.some((stream) => stream.streamId === late.streamId),
      "the late summary is listed",
    );
    now = Date.parse("2026-03-01T00:00:00.000Z");
  });

  it("lists completely when every stream sits in one shard (a skew the first round's share does not cover)", async () => {
    const streamType = uniqueStreamType();
    const ids: string[] = [];
    while (ids.length < 13) {
      const id = randomUUID();
      if (listingShard(id) === 0) ids.push(id);
    }
    const base = Date.parse("2026-04-01T00:00:00.000Z");
    const streams = ids.map((streamId, index) => ({
      streamId,
      streamType,
      revision: 1,
      updatedAt: new Date(base + index * 1000).toISOString(),
    }));
    await Promise.all(streams.map((stream) => store.raiseSummary(stream)));
    const pages: string[][] = [];
    let pageKey: string | undefined;
    do {
      const page = await store.listStreams(streamType, { updatedAfter: 0, pageKey, limit: 5 });
      pages.push(page.streams.map((stream) => stream.streamId));
      pageKey = page.nextPageKey;
    } while (pageKey);
    assert.deepEqual(pages, [ids.slice(0, 5), ids.slice(5, 10), ids.slice(10)]);
  });

  it("lists every stream after the shard count was raised, those summarised under the old count included", async () => {
    const streamType = uniqueStreamType();
    const { store: sixteen } = await testStreamStore({ now: () => now, listingShards: 16 });
    const base = Date.parse("2026-06-01T00:00:00.000Z");
    const streams = Array.from({ length: 24 }, (_, index) => ({
      streamId: randomUUID(),
      streamType,
      revision: 1,
      updatedAt: new Date(base + index * 1000).toISOString(),
    }));
    // The first half is summarised by a deployment of 4 shards, the second after the count was raised to 16.
    await Promise.all(streams.map((stream, index) => (index < 12 ? store : sixteen).raiseSummary(stream)));
    const listed: string[] = [];
    let pageKey: string | undefined;
    do {
      const page = await sixteen.listStreams(streamType, { updatedAfter: 0, pageKey, limit: 5 });
      listed.push(...page.streams.map((stream) => stream.streamId));
      pageKey = page.nextPageKey;
    } while (pageKey);
    assert.deepEqual(
      listed,
      streams.map((stream) => stream.streamId),
    );
  });

  it("refuses a shard count outside 1 to 32", async () => {
    for (const wrong of [0, 33, 1.5]) {
      await assert.rejects(testStreamStore({ listingShards: wrong }), /listingShards must be a whole number/);
    }
  });

  it("a summary never moves backwards", async () => {
    const streamType = uniqueStreamType();
    const stream = { streamId: randomUUID(), streamType, revision: 5, updatedAt: "2026-03-01T00:00:05.000Z" };
    await store.raiseSummary(stream);
    await store.raiseSummary({ ...stream, revision: 3, updatedAt: "2026-03-01T00:00:03.000Z" });
    await store.raiseSummary(stream);
    const page = await store.listStreams(streamType, { updatedAfter: 0, limit: 10 });
    assert.deepEqual(page.streams, [stream]);
  });

  it("refuses a page key it did not give out", async () => {
    await assert.rejects(
      store.listStreams("order", { updatedAfter: 0, pageKey: "garbage", limit: 10 }),
      InvalidInputError,
    );
  });
});
