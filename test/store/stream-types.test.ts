// Stream types (store/stream-types.ts): the record per type that the change feed keeps, and its listing by name.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { InvalidInputError } from "#store/errors.ts";
import { encodeRecordsPageKey } from "#store/records-page.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { allStreamTypes, type CapacityLog, testStreamStore, uniqueStreamType } from "#test/support/store.ts";

describe("stream types in the store", () => {
  let store: StreamStore;
  let capacity: CapacityLog;
  before(async () => {
    // A table of its own: the listing of every type sees this suite's types alone (and earlier runs' ones).
    ({ store, capacity } = await testStreamStore({ tableName: "stream-types-test" }));
  });

  it("a summary write answers true only when it created the stream's summary: the stream is new", async () => {
    const stream = {
      streamId: randomUUID(),
      streamType: uniqueStreamType(),
      revision: 1,
      updatedAt: new Date().toISOString(),
    };
    assert.equal(await store.raiseSummary(stream), true);
    assert.equal(await store.raiseSummary(stream), false, "the same revision again (a redelivery)");
    assert.equal(await store.raiseSummary({ ...stream, revision: 2 }), false, "a later revision");
    assert.equal(await store.raiseSummary(stream), false, "an older revision");
  });

  it("adds new streams to their type; the newest creation time stays, whatever order the counts come in", async () => {
    const streamType = uniqueStreamType("count");
    const at = (second: number) => `2026-03-01T00:00:0${second}.000Z`;
    capacity.clear();
    await store.countNewStreams(streamType, 2, at(5));
    assert.equal(capacity.entries.length, 1, "one write");
    await store.countNewStreams(streamType, 1, at(3)); // another batch's older stream, counted later
    // Its conditional write is refused (a refusal reports no capacity here, though DynamoDB bills 1 WCU for it):
    // the count goes alone in a second write.
    assert.equal(capacity.entries.length, 2);
    await store.countNewStreams(streamType, 1, at(7));
    const [type] = (await allStreamTypes(store)).filter((listed) => listed.streamType === streamType);
    assert.deepEqual(type, { streamType, streamCount: 4, lastStreamCreatedAt: at(7) });
  });

  it("lists every type in name order, a page at a time, each page key going on after the page's last type", async () => {
    const prefix = uniqueStreamType("page");
    const ours = [`${prefix}.c`, `${prefix}-a`, `${prefix}_b`];
    for (const [index, streamType] of ours.entries()) {
      await store.countNewStreams(streamType, index + 1, "2026-03-01T00:00:00.000Z");
    }
    const byPage = await allStreamTypes(store, 1);
    const whole = await allStreamTypes(store);
    assert.deepEqual(byPage, whole);
    const names = whole.map((type) => type.streamType);
    assert.deepEqual(names, [...names].sort(), "in name order");
    assert.equal(new Set(names).size, names.length, "each once");
    assert.deepEqual(
      whole.filter((type) => type.streamType.startsWith(prefix)).map((type) => [type.streamType, type.streamCount]),
      [
        [`${prefix}-a`, 2],
        [`${prefix}.c`, 1],
        [`${prefix}_b`, 3],
      ],
    );

    const first = await store.listStreamTypes({ limit: 1 });
    assert.equal(first.streamTypes.length, 1);
    assert.equal(first.hasMore, true);
    const second = await store.listStreamTypes({ limit: 1, pageKey: first.nextPageKey });
    assert.deepEqual([...first.streamTypes, ...second.streamTypes], whole.slice(0, 2));
    const last = await store.listStreamTypes({ limit: whole.length });
    assert.deepEqual(last, { streamTypes: whole, hasMore: false }, "the last page has no page key");
  });

  it("refuses a page key it did not give out, naming nextPageKey", async () => {
    const base64url = (text: string) => Buffer.from(text).toString("base64url");
    const foreign = [
      "not-a-page-key",
      base64url(JSON.stringify({ r: 1, after: 42 })),
      base64url(JSON.stringify({ r: 2, after: "order" })),
      // The key of another listing of the records index (operations, undelivered notifications): a time, no type.
      encodeRecordsPageKey(`2026-03-01T00:00:00.000Z#${randomUUID()}`),
    ];
    for (const pageKey of foreign) {
      await assert.rejects(
        store.listStreamTypes({ limit: 10, pageKey }),
        (error: unknown) => error instanceof InvalidInputError && error.errors.nextPageKey !== undefined,
        pageKey,
      );
    }
  });
});
