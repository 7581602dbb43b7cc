// The change feed keeps a count per stream type: each new stream counted once, fed real records from DynamoDB Local.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import type { RecordedEvent, Stream, StreamTypeSummary } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { recordingObservability } from "#test/observability/recorder.ts";
import { testTableStream } from "#test/support/dynamodb.ts";
import {
  allStreamTypes,
  type CapacityLog,
  eventsTable,
  testStreamStore,
  uniqueStreamType,
} from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";

const payload = new RawJson("{}");

describe("change feed: stream types and their counts", () => {
  let store: StreamStore;
  let capacity: CapacityLog;
  let streamArn: string;
  before(async () => {
    ({ store, capacity } = await testStreamStore());
    streamArn = await testTableStream(eventsTable);
  });

  /** `count` new streams of `streamType`, one event each. */
  async function createStreams(streamType: string, count: number): Promise<Stream[]> {
    const streams: Stream[] = [];
    for (let index = 0; index < count; index++) {
      streams.push(
        (await store.append(streamType, randomUUID(), "no-stream", [{ eventType: "Opened", payload }])).stream,
      );
    }
    return streams;
  }

  const recordsOf = (streams: Stream[]) => readStreamRecords(streamArn, new Set(streams.map((s) => s.streamId)));

  /** What the listing of stream types says of `types` (undefined: not listed). */
  async function listed(...types: string[]): Promise<Record<string, StreamTypeSummary | undefined>> {
    const all = await allStreamTypes(store);
    return Object.fromEntries(types.map((type) => [type, all.find((listedType) => listedType.streamType === type)]));
  }

  /** The type as the listing should show it once `streams` are counted. */
  function typeOf(streams: Stream[]): StreamTypeSummary {
    const lastStreamCreatedAt = streams
      .map((stream) => stream.updatedAt)
      .sort()
      .at(-1) as string;
    return { streamType: (streams[0] as Stream).streamType, streamCount: streams.length, lastStreamCreatedAt };
  }

  it("counts the streams a batch created, by type, with one write per type", async () => {
    const orders = await createStreams(uniqueStreamType("orders"), 3);
    const invoices = await createStreams(uniqueStreamType("invoices"), 2);
    const records = await recordsOf([...orders, ...invoices]);
    capacity.clear();
    assert.deepEqual(await createChangeFeed({ store })({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(
      capacity.entries.map((entry) => entry.operation).filter((operation) => operation !== "summary"),
      ["streamTypes", "streamTypes"],
    );
    const [order, invoice] = [typeOf(orders), typeOf(invoices)];
    assert.deepEqual(await listed(order.streamType, invoice.streamType), {
      [order.streamType]: order,
      [invoice.streamType]: invoice,
    });
  });

  it("an append to an existing stream counts nothing, and costs the change feed its summary write alone", async () => {
    const streams = await createStreams(uniqueStreamType("existing"), 1);
    const [stream] = streams as [Stream];
    const handler = createChangeFeed({ store });
    await handler({ Records: await recordsOf(streams) });
    await store.append(stream.streamType, stream.streamId, 1, [{ eventType: "Noted", payload }]);
    const append = (await recordsOf(streams)).filter((record) => record.dynamodb?.Keys?.sk?.N === "2");
    assert.equal(append.length, 1);
    capacity.clear();
    assert.deepEqual(await handler({ Records: append }), { batchItemFailures: [] });
    assert.deepEqual(
      capacity.entries.map((entry) => entry.operation),
      ["summary"],
    );
    assert.deepEqual((await listed(stream.streamType))[stream.streamType], typeOf(streams));
  });

  it("a redelivered batch, whole, in part or reordered, counts none of its streams again", async () => {
    const streamType = uniqueStreamType("redelivered");
    const streams = await createStreams(streamType, 2);
    const records = await recordsOf(streams);
    const handler = createChangeFeed({ store });
    await handler({ Records: records });
    await handler({ Records: records });
    await handler({ Records: records.slice(0, 1) });
    await handler({ Records: [...records].reverse() });
    assert.deepEqual((await listed(streamType))[streamType], typeOf(streams));

    // Again, with a new stream of the type among them: it alone is counted.
    const later = await createStreams(streamType, 1);
    await handler({ Records: [...records, ...(await recordsOf(later))] });
    assert.deepEqual((await listed(streamType))[streamType], typeOf([...streams, ...later]));
  });

  it("a stream whose summary upkeep failed is counted when its records come back", async () => {
    const streamType = uniqueStreamType("retried");
    const streams = await createStreams(streamType, 2);
    const failing = (streams[0] as Stream).streamId;
    const records = await recordsOf(streams);
    const flaky = createChangeFeed({
      store: {
        raiseSummary: async (stream) => {
          if (stream.streamId === failing) throw new Error("provoked failure");
          return store.raiseSummary(stream);
        },
        countNewStreams: (...count) => store.countNewStreams(...count),
      },
    });
    const firstOfFailing = records.find((record) => record.dynamodb?.Keys?.pk?.S === failing) as DynamoDBRecord;
    assert.deepEqual(await flaky({ Records: records }), {
      batchItemFailures: [{ itemIdentifier: firstOfFailing.dynamodb?.SequenceNumber }],
    });
    assert.equal((await listed(streamType))[streamType]?.streamCount, 1);

    // The event source delivers the failed stream's records again (and, from it on, the others').
    await createChangeFeed({ store })({ Records: records });
    assert.deepEqual((await listed(streamType))[streamType], typeOf(streams));
  });

  it("a count write that fails is logged and counted, the batch succeeds and publishes, and the type stays short", async () => {
    const streamType = uniqueStreamType("short");
    const streams = await createStreams(streamType, 2);
    const records = await recordsOf(streams);
    const observability = recordingObservability();
    const published: RecordedEvent[] = [];
    const handler = createChangeFeed({
      store: {
        raiseSummary: (stream) => store.raiseSummary(stream),
        countNewStreams: async () => {
          throw new Error("provoked failure");
        },
      },
      publish: async (events) => {
        published.push(...events);
        return [];
      },
      observability,
    });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    assert.deepEqual(published.map((event) => event.streamId).sort(), streams.map((stream) => stream.streamId).sort());
    assert.deepEqual(observability.counts, { StreamCountFailures: 2, EventsNotified: 2 });
    assert.deepEqual(
      observability.logs.map(({ level, message, details }) => [level, message, details.streamType, details.newStreams]),
      [["error", "counting new streams failed", streamType, 2]],
    );

    // Sending the records back would not have helped: their summaries are written, so nothing counts them again.
    await createChangeFeed({ store })({ Records: records });
    assert.equal((await listed(streamType))[streamType], undefined);
  });
});
