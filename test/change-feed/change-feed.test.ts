import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import type { RecordedEvent, Stream } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testTableStream } from "#test/support/dynamodb.ts";
import { eventsTable, testStreamStore, uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";

const payload = new RawJson("{}");

describe("change-feed handler, fed real records from DynamoDB Local's stream", () => {
  let store: StreamStore;
  let streamArn: string;
  before(async () => {
    ({ store } = await testStreamStore());
    streamArn = await testTableStream(eventsTable);
  });

  async function listed(streamType: string): Promise<Stream[]> {
    return (await store.listStreams(streamType, { updatedAfter: 0, limit: 100 })).streams;
  }

  /** Appends events to new streams of a fresh type; returns the type, the ids and the records they made. */
  async function appendAndRead(eventsPerStream: number[]) {
    const streamType = uniqueStreamType("feed");
    const ids = eventsPerStream.map(() => randomUUID());
    for (const [index, count] of eventsPerStream.entries()) {
      for (let revision = 1; revision <= count; revision++) {
        await store.append(streamType, ids[index] as string, revision - 1, [{ eventType: `E${revision}`, payload }]);
      }
    }
    const records = await readStreamRecords(streamArn, new Set(ids));
    return { streamType, ids, records };
  }

  it("raises each stream's summary to its newest event, so the listing shows it", async () => {
    const { streamType, ids, records } = await appendAndRead([3, 1]);
    assert.equal(records.length, 4);
    assert.ok(records.every((record) => record.eventName === "INSERT" && record.eventSourceARN === streamArn));
    const handler = createChangeFeed({ store });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    const streams = await listed(streamType);
    const byId = new Map(streams.map((stream) => [stream.streamId, stream]));
    assert.equal(byId.get(ids[0] as string)?.revision, 3);
    assert.equal(byId.get(ids[1] as string)?.revision, 1);
    const details = await store.streamDetails(streamType, ids[0] as string);
    assert.deepEqual(byId.get(ids[0] as string), details, "the summary equals the stream's details");
  });

  it("redelivery and reordering never move a summary backwards", async () => {
    const { streamType, records } = await appendAndRead([4]);
    const handler = createChangeFeed({ store });
    await handler({ Records: records });
    await handler({ Records: records.slice(0, 2) }); // an old batch again
    await handler({ Records: [...records].reverse() });
    const [stream] = await listed(streamType);
    assert.equal(stream?.revision, 4);
  });

  it("ignores the summary items' own records", async () => {
    const { ids, records } = await appendAndRead([1]);
    const handler = createChangeFeed({ store });
    await handler({ Records: records });
    const withSummaries = await readStreamRecords(streamArn, new Set(ids));
    const summaryRecords = withSummaries.filter((record) => record.dynamodb?.Keys?.sk?.N === "0");
    assert.ok(summaryRecords.length >= 1, "the summary write is in the feed too");
    const published: RecordedEvent[] = [];
    const counting = createChangeFeed({
      store,
      publish: async (events) => {
        published.push(...events);
        return [];
      },
    });
    assert.deepEqual(await counting({ Records: summaryRecords }), { batchItemFailures: [] });
    assert.equal(published.length, 0);
  });

  it("a stream whose summary upkeep fails reports its earliest record; other streams go on", async () => {
    const { streamType, ids, records } = await appendAndRead([2, 2]);
    const failing = ids[0] as string;
    const handler = createChangeFeed({
      store: {
        raiseSummary: async (stream) => {
          if (stream.streamId === failing) throw new Error("provoked failure");
          return store.raiseSummary(stream);
        },
      },
    });
    const firstOfFailing = records.find((record) => record.dynamodb?.Keys?.pk?.S === failing) as DynamoDBRecord;
    assert.deepEqual(await handler({ Records: records }), {
      batchItemFailures: [{ itemIdentifier: firstOfFailing.dynamodb?.SequenceNumber }],
    });
    assert.deepEqual(
      (await listed(streamType)).map((stream) => stream.streamId),
      [ids[1]],
    );
  });

  it("events that could not be published are recorded undelivered, in ranges, and the batch succeeds", async () => {
    const { streamType, ids, records } = await appendAndRead([5]);
    const failing = new Set([2, 3, 5]);
    const handler = createChangeFeed({
      store,
      publish: async (events) =>
        events
          .filter((event) => failing.has(event.revision))
          .map((event) => ({ event, cause: `no ${event.revision}` })),
      now: () => Date.parse("2026-05-01T10:00:00.000Z"),
    });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    const since = "2026-05-01T10:00:00.000Z";
    assert.deepEqual(await store.undeliveredOfStream(ids[0] as string), [
      { streamId: ids[0], streamType, firstRevision: 2, lastRevision: 3, cause: "no 2", since },
      { streamId: ids[0], streamType, firstRevision: 5, lastRevision: 5, cause: "no 5", since },
    ]);
    assert.equal((await listed(streamType))[0]?.revision, 5, "the summary is kept");

    // Redelivered, with one more failure: recorded revisions are not recorded again, the new one is.
    failing.add(4);
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    const ranges = await store.undeliveredOfStream(ids[0] as string);
    assert.deepEqual(
      ranges.map((range) => [range.firstRevision, range.lastRevision]),
      [
        [2, 3],
        [4, 4],
        [5, 5],
      ],
    );
  });

  it("only when recording fails does a stream come back, from its earliest unpublished record", async () => {
    const { ids, records } = await appendAndRead([3, 2]);
    const broken = ids[0] as string;
    const handler = createChangeFeed({
      store: {
        raiseSummary: (stream) => store.raiseSummary(stream),
        undeliveredOfStream: (streamId) => store.undeliveredOfStream(streamId),
        recordUndelivered: async (notifications) => {
          if (notifications.some((notification) => notification.streamId === broken)) throw new Error("table gone");
          return store.recordUndelivered(notifications);
        },
      },
      publish: async (events) => events.filter((event) => event.revision >= 2).map((event) => ({ event, cause: "x" })),
    });
    const second = records.find((r) => r.dynamodb?.Keys?.pk?.S === broken && r.dynamodb?.Keys?.sk?.N === "2");
    assert.deepEqual(await handler({ Records: records }), {
      batchItemFailures: [{ itemIdentifier: second?.dynamodb?.SequenceNumber }],
    });
    assert.deepEqual(
      (await store.undeliveredOfStream(ids[1] as string)).map((range) => [range.firstRevision, range.lastRevision]),
      [[2, 2]],
      "the other stream is recorded and done",
    );
  });
});
