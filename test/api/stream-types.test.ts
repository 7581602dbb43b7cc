// GET /streams: the stream types by name, each with its number of streams, in pages.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { encodeRecordsPageKey } from "#store/records-page.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { type CallApi, testApi, uniqueStreamType } from "#test/support/store.ts";
import { assertInvalid, assertProblem } from "./support.ts";

describe("GET /streams", () => {
  let call: CallApi;
  let store: StreamStore;
  before(async () => {
    ({ call, store } = await testApi());
  });

  it("answers the stream types in name order with their counts, a page at a time", async () => {
    const prefix = uniqueStreamType("api");
    await store.countNewStreams(`${prefix}-b`, 1, "2026-03-01T00:00:01.000Z");
    await store.countNewStreams(`${prefix}-a`, 2, "2026-03-01T00:00:02.000Z");

    const whole = await call("GET", "/streams", { query: "limit=1000" });
    assert.equal(whole.status, 200, whole.body);
    assert.equal(whole.headers["content-type"], "application/json");
    const { streamTypes } = whole.json.streamTypePage;
    const names = streamTypes.map((type: { streamType: string }) => type.streamType);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(
      streamTypes.filter((type: { streamType: string }) => type.streamType.startsWith(prefix)),
      [
        { streamType: `${prefix}-a`, streamCount: 2, lastStreamCreatedAt: "2026-03-01T00:00:02.000Z" },
        { streamType: `${prefix}-b`, streamCount: 1, lastStreamCreatedAt: "2026-03-01T00:00:01.000Z" },
      ],
    );

    const first = await call("GET", "/streams", { query: "limit=1" });
    assert.equal(first.json.streamTypePage.streamTypes.length, 1);
    assert.equal(first.json.streamTypePage.hasMore, true);
    const key = encodeURIComponent(first.json.streamTypePage.nextPageKey);
    const second = await call("GET", "/streams", { query: `limit=1&nextPageKey=${key}` });
    assert.equal(second.status, 200, second.body);
    const [firstType] = first.json.streamTypePage.streamTypes;
    const [secondType] = second.json.streamTypePage.streamTypes;
    assert.ok(secondType.streamType > firstType.streamType, `${secondType.streamType} after ${firstType.streamType}`);

    // Without limit, a page of 100; the last page says so and has no key.
    const all = await call("GET", "/streams");
    assert.equal(all.json.streamTypePage.streamTypes.length, Math.min(100, streamTypes.length));
    const rest = await call("GET", "/streams", { query: `limit=1000&nextPageKey=${key}` });
    assert.equal(rest.json.streamTypePage.hasMore, false);
    assert.equal(rest.json.streamTypePage.nextPageKey, undefined);
  });

  it("a bad limit or a page key it did not give out is 400 naming the field", async () => {
    for (const limit of ["0", "1001", "x", "1.5"]) {
      assertInvalid(await call("GET", "/streams", { query: `limit=${limit}` }), "limit");
    }
    const base64url = (text: string) => Buffer.from(text).toString("base64url");
    const otherListings = [
      encodeRecordsPageKey(`2026-03-01T00:00:00.000Z#${randomUUID()}`), // operations', undelivered notifications'
      base64url(JSON.stringify({ v: 1, after: `2026-03-01T00:00:00.000Z#${randomUUID()}` })), // streams of a type
    ];
    for (const pageKey of ["not+base64", "bm90LWEta2V5", "x".repeat(1025), ...otherListings]) {
      assertInvalid(await call("GET", "/streams", { query: `nextPageKey=${pageKey}` }), "nextPageKey");
    }
  });

  it("answers GET only: another method is 405 with Allow", async () => {
    const response = await call("POST", "/streams", { body: { initialEvent: { eventType: "A", payload: 1 } } });
    assertProblem(response, 405);
    assert.equal(response.headers.allow, "GET, HEAD, OPTIONS");
  });
});
