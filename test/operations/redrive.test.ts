import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeedHandler } from "#change-feed/handler.ts";
import { createSnsPublisher } from "#change-feed/notifications.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { createSnsClient } from "#shared/aws-clients.ts";
import { isoTime, type Operation } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { testDynamoDb, testTableStream } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";
import {
  drain,
  keptObservability,
  operationsTable,
  range,
  revisionsByStream,
  seedStreams,
  type WorkerRig,
  workerRig,
} from "./support.ts";

/** An endpoint where nothing listens: SNS is down. */
const deadEndpoint = "http://127.0.0.1:9";
const deadSns = { ...localAwsClientConfig(deadEndpoint), maxAttempts: 1, connectionTimeoutMs: 200 };

describe("a redrive (the operation worker against DynamoDB Local and the local SNS/SQS)", () => {
  let rig: WorkerRig;
  let streamArn: string;
  before(async () => {
    rig = await workerRig();
    streamArn = await testTableStream(operationsTable);
  });
  after(async () => {
    await rig?.close();
  });

  /** The change feed while SNS is down, over the records of these streams it has not seen yet. */
  const seen = new Set<string>();
  async function changeFeedWhileSnsIsDown(streamIds: string[]): Promise<void> {
    const records = (await readStreamRecords(streamArn, new Set(streamIds))).filter(
      (record: DynamoDBRecord) => !seen.has(record.dynamodb?.SequenceNumber as string),
    );
    for (const record of records) seen.add(record.dynamodb?.SequenceNumber as string);
    const changeFeed = createChangeFeedHandler({
      tableName: operationsTable,
      topicArn: rig.notifications.topicArn,
      dynamoDb: localAwsClientConfig(testDynamoDb().endpoint),
      sns: deadSns,
      observability: keptObservability(),
    });
    const { batchItemFailures } = await changeFeed({ Records: records });
    assert.deepEqual(batchItemFailures, [], "the feed records what it could not publish and moves on");
  }

  const appendTwo = async (streamType: string, streamId: string) => {
    const events = ["Late", "Later"].map((eventType) => ({ eventType, payload: new RawJson('{"ok":true}') }));
    await rig.store.append(streamType, streamId, 3, events);
  };

  it("delivers what the change feed could not publish while SNS was down, in order per stream, and clears it", async () => {
    const streamType = uniqueStreamType("redrive");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 3, events: 3, summaries: false });
    await changeFeedWhileSnsIsDown(streamIds);
    for (const streamId of streamIds) await appendTwo(streamType, streamId);
    await changeFeedWhileSnsIsDown(streamIds);
    for (const streamId of streamIds) {
      const ranges = await rig.store.undeliveredOfStream(streamId);
      assert.deepEqual(
        ranges.map(({ firstRevision, lastRevision }) => [firstRevision, lastRevision]),
        [
          [1, 3],
          [4, 5],
        ],
      );
    }
    const subscriber = await rig.notifications.subscribedQueue({ streamType: [streamType] });
    const observability = keptObservability();
    const worker = rig.worker({ observability, now: () => Date.now() + 60_000 });

    // SNS is back; the tick finds what waits.
    await worker.handle({ tick: "redrive" });

    assert.equal(observability.gauges[0]?.metric, "OldestUndeliveredAgeSeconds");
    assert.ok((observability.gauges[0]?.value ?? 0) >= 59, `age ${observability.gauges[0]?.value}`);
    assert.equal(rig.queue.messages.length, 1);
    const { operationId } = rig.queue.messages[0] as { operationId: string };
    await drain(worker, rig.queue);

    const received = await rig.notifications.receive(subscriber, 15, 10_000);
    const streams = revisionsByStream(received);
    for (const streamId of streamIds) assert.deepEqual(streams.get(streamId), range(1, 5));
    for (const { attributes } of received) {
      assert.equal(attributes.redrive, "true");
      assert.equal(attributes.replayId, operationId);
    }
    for (const streamId of streamIds) assert.deepEqual(await rig.store.undeliveredOfStream(streamId), []);
    const redrive = (await rig.store.getOperation(operationId)) as Operation;
    assert.equal(redrive.kind, "redrive");
    assert.equal(redrive.state, "succeeded");
    assert.deepEqual(redrive.progress, { streams: 3, events: 15 });
    assert.deepEqual(redrive.result, { streams: 3, events: 15, stillUndelivered: 0 });

    // Nothing waits any more: the next tick reports 0 and starts nothing.
    await worker.handle({ tick: "redrive" });
    assert.deepEqual(observability.gauges[1], { metric: "OldestUndeliveredAgeSeconds", value: 0 });
    assert.deepEqual(rig.queue.messages, []);
    await subscriber.close();
  });

  it("starts no second redrive while one is pending or running", async () => {
    const streamType = uniqueStreamType("redrive-once");
    const [streamId] = (await seedStreams(rig.store, streamType, { streams: 1, events: 1, summaries: false })) as [
      string,
    ];
    await changeFeedWhileSnsIsDown([streamId]);
    const first = await rig.start({ undelivered: true });
    rig.queue.messages.splice(0);

    await rig.worker().handle({ tick: "redrive" });

    assert.equal(rig.queue.messages.length, 0, "the pending redrive will do");
    rig.queue.messages.push({ operationId: first.id });
    await drain(rig.worker(), rig.queue);
    assert.equal((await rig.store.getOperation(first.id))?.state, "succeeded");
    assert.deepEqual(await rig.store.undeliveredOfStream(streamId), []);
  });

  it("leaves a stream that fails again undelivered, and redrives the others", async () => {
    const streamType = uniqueStreamType("redrive-bad");
    const [good] = (await seedStreams(rig.store, streamType, { streams: 1, events: 2 })) as [string];
    const ghost = randomUUID();
    const since = isoTime(Date.now() - 1_000);
    // The oldest range is of a stream that cannot be read (no such stream): it fails every time.
    await rig.store.recordUndelivered([
      { streamId: ghost, streamType, firstRevision: 1, lastRevision: 1, cause: "test", since },
      { streamId: good, streamType, firstRevision: 1, lastRevision: 2, cause: "test", since: isoTime(Date.now()) },
    ]);
    const subscriber = await rig.notifications.subscribedQueue({ streamType: [streamType] });
    const redrive = await rig.start({ undelivered: true });

    await drain(rig.worker(), rig.queue);

    assert.deepEqual(revisionsByStream(await rig.notifications.receive(subscriber, 2, 5_000)).get(good), [1, 2]);
    const done = (await rig.store.getOperation(redrive.id)) as Operation;
    assert.equal(done.state, "succeeded");
    assert.equal((done.result as { stillUndelivered: number }).stillUndelivered, 1);
    assert.equal((await rig.store.undeliveredOfStream(ghost)).length, 1, "kept for the next redrive");
    assert.deepEqual(await rig.store.undeliveredOfStream(good), []);
    await rig.store.clearUndelivered(ghost, 1);
    await subscriber.close();
  });

  it("fails its step while SNS is still down (the message comes back), and in the end the operation; nothing is lost", async () => {
    const streamType = uniqueStreamType("redrive-down");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 2, events: 2, summaries: false });
    await changeFeedWhileSnsIsDown(streamIds);
    const publishToTopic = createSnsPublisher({
      sns: createSnsClient(deadSns),
      topicArn: rig.notifications.topicArn,
      backoffMs: () => 1,
    });
    const redrive = await rig.start({ undelivered: true });

    const deliveries = await drain(rig.worker({ publishToTopic, maxStepAttempts: 2 }), rig.queue);

    assert.equal(deliveries, 2);
    const done = (await rig.store.getOperation(redrive.id)) as Operation;
    assert.equal(done.state, "failed");
    assert.match(done.problem?.detail ?? "", /failed 2 times/);
    for (const streamId of streamIds) {
      assert.equal((await rig.store.undeliveredOfStream(streamId)).length, 1, "still recorded for the next redrive");
    }
    // SNS is back: the next redrive delivers them.
    await rig.start({ undelivered: true });
    await drain(rig.worker(), rig.queue);
    for (const streamId of streamIds) assert.deepEqual(await rig.store.undeliveredOfStream(streamId), []);
  });
});
