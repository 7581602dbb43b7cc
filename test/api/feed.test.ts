import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { StreamStore } from "#store/stream-store.ts";
import { testTableStream } from "#test/support/dynamodb.ts";
import { type CallApi, type CapacityLog, eventsTable, testApi, uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";
import { changeFeed, deliverUntilDone } from "../feed/support.ts";
import { assertInvalid } from "./support.ts";

describe("GET /feed and GET /feed/head", () => {
  let call: CallApi;
  let store: StreamStore;
  let capacity: CapacityLog;
  let streamArn: string;
  /** Creates streams through the API, appends to them, and runs the change feed over their records. */
  let indexed: (streamType: string, streams: number, eventsEach: number) => Promise<string[]>;
  before(async () => {
    ({ call, store, capacity } = await testApi());
    streamArn = await testTableStream(eventsTable);
    const handler = changeFeed(store, store.feedIndex(2_000));
    indexed = async (streamType, streams, eventsEach) => {
      const streamIds: string[] = [];
      for (let i = 0; i < streams; i++) {
        const created = await call("POST", `/streams/${streamType}`, {
          body: { initialEvent: { eventType: "Opened", payload: { n: 1 }, metadata: { by: "test" } } },
        });
        const streamId = created.json.stream.streamId as string;
        streamIds.push(streamId);
        if (eventsEach > 1) {
          const events = Array.from({ length: eventsEach - 1 }, (_, j) => ({
            eventType: j % 2 === 0 ? "Changed" : "Noted",
            payload: j % 2 === 0 ? { n: j + 2 } : "a string payload",
          }));
          const appended = await call("POST", `/streams/${streamType}/${streamId}/events`, {
            body: { expectedRevision: 1, events },
          });
          assert.equal(appended.status, 201, appended.body);
        }
      }
      await deliverUntilDone(handler, await readStreamRecords(streamArn, new Set(streamIds)));
      return streamIds;
    };
  });

  it("pages through a stream type's events in feed order, with payloads on request, and lastPosition as the checkpoint", async () => {
    const streamType = uniqueStreamType("feed-api");
    const start = (await call("GET", "/feed/head")).json.feedHead.position as number;
    const streamIds = await indexed(streamType, 3, 4);

    const first = await call("GET", "/feed", { query: `after=${start}&stream-type=${streamType}&limit=5` });
    assert.equal(first.status, 200, first.body);
    assert.equal(first.json.feedPage.events.length, 5);
    assert.equal(first.json.feedPage.hasMore, true);
    const rest = await call("GET", "/feed", {
      query: `after=${first.json.feedPage.lastPosition}&stream-type=${streamType}&payload=include`,
    });
    assert.equal(rest.json.feedPage.hasMore, false);
    const events = [...first.json.feedPage.events, ...rest.json.feedPage.events];
    assert.equal(events.length, 12);
    assert.deepEqual(new Set(events.map((event) => event.streamId)), new Set(streamIds));
    assert.equal(first.json.feedPage.events[0].payload, undefined, "no payload unless asked");
    const opened = rest.json.feedPage.events.find((event: { eventType: string }) => event.eventType === "Opened");
    if (opened) assert.deepEqual([opened.payload, opened.metadata], [{ n: 1 }, { by: "test" }]);
    const noted = rest.json.feedPage.events.find((event: { eventType: string }) => event.eventType === "Noted");
    assert.equal(noted.payload, "a string payload");
    assert.ok(rest.json.feedPage.lastPosition >= events.at(-1).position);

    const asStrings = await call("GET", "/feed", {
      query: `after=${start}&stream-type=${streamType}&payload=include&payload-encoding=string&event-type=Changed`,
    });
    const changed = asStrings.json.feedPage.events;
    assert.ok(changed.length > 0 && changed.every((event: { eventType: string }) => event.eventType === "Changed"));
    assert.equal(typeof changed[0].payload, "string");
    assert.ok(asStrings.json.feedPage.lastPosition >= events.at(-1).position, "past the events the filter left out");

    const head = await call("GET", "/feed/head");
    assert.ok(head.json.feedHead.position >= events.at(-1).position);
    assert.match(head.json.feedHead.indexedAt, /Z$/);
    assert.equal(typeof head.json.feedHead.lagMs, "number");
  });

  it("reads a rare stream type's feed from its own items: its cost does not grow with the other types' events", async () => {
    const rare = uniqueStreamType("feed-rare");
    const busy = uniqueStreamType("feed-busy");
    const start = (await call("GET", "/feed/head")).json.feedHead.position as number;
    await indexed(rare, 1, 1);
    await indexed(busy, 10, 40);
    const readUnits = async (query: string) => {
      capacity.clear();
      const response = await call("GET", "/feed", { query });
      assert.equal(response.status, 200);
      const units = capacity.entries
        .filter((entry) => entry.operation === "feedRead")
        .reduce((sum, entry) => sum + (entry.capacity.CapacityUnits ?? 0), 0);
      return { units, response };
    };
    const all = await readUnits(`after=${start}&limit=1000`);
    const ofRare = await readUnits(`after=${start}&stream-type=${rare}`);
    assert.deepEqual(
      ofRare.response.json.feedPage.events.map((event: { streamType: string }) => event.streamType),
      [rare],
    );
    assert.ok(ofRare.response.json.feedPage.lastPosition >= all.response.json.feedPage.lastPosition);
    assert.ok(ofRare.units <= 2, `the rare type's read costs ${ofRare.units} RRU`);
    assert.ok(all.units > ofRare.units, `the whole feed's read costs ${all.units} RRU`);
  });

  it("waits for a new event when asked to (a long poll), and answers as soon as it is indexed", async () => {
    const streamType = uniqueStreamType("feed-wait");
    const start = (await call("GET", "/feed/head")).json.feedHead.position as number;
    const waiting = call("GET", "/feed", { query: `after=${start}&stream-type=${streamType}&wait-seconds=15` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [streamId] = await indexed(streamType, 1, 1);
    const response = await waiting;
    assert.equal(response.status, 200);
    assert.deepEqual(
      response.json.feedPage.events.map((event: { streamId: string }) => event.streamId),
      [streamId],
    );
  });

  it("answers at once with an empty page when nothing is there and it may not wait", async () => {
    const response = await call("GET", "/feed", { query: `after=0&stream-type=${uniqueStreamType("none")}` });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json.feedPage.events, []);
    assert.equal(response.json.feedPage.hasMore, false);
  });

  for (const [query, field] of [
    ["after=-1", "after"],
    ["after=1.5", "after"],
    ["after=abc", "after"],
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["wait-seconds=21", "wait-seconds"],
    ["stream-type=bad%20type", "stream-type"],
    ["stream-type=a,,b", "stream-type"],
    ["payload=yes", "payload"],
    ["payload-encoding=xml", "payload-encoding"],
  ] as const) {
    it(`refuses ${query} with a 400 naming ${field}`, async () => {
      assertInvalid(await call("GET", "/feed", { query }), field);
    });
  }
});
