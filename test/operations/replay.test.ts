import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Publish } from "#change-feed/notifications.ts";
import type { Operation } from "#store/model.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import {
  drain,
  firstArrivals,
  range,
  receiveAll,
  revisionsByStream,
  seedStreams,
  type WorkerRig,
  workerRig,
} from "./support.ts";

describe("a replay (the operation worker against DynamoDB Local and the local SNS/SQS)", () => {
  let rig: WorkerRig;
  before(async () => {
    rig = await workerRig();
  });
  after(async () => {
    await rig?.close();
  });

  const finished = async (operation: Operation) => (await rig.store.getOperation(operation.id)) as Operation;

  it("of a type into a queue delivers every event once, in revision order per stream, with replayId", async () => {
    const streamType = uniqueStreamType("replay");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 5, events: 37 });
    const target = await rig.targetQueue();
    const operation = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });

    const steps = await drain(rig.worker(), rig.queue);

    assert.ok(steps > 3, `185 events at 50 a step take several steps, took ${steps}`);
    const received = await receiveAll(target);
    assert.equal(received.length, 5 * 37);
    const streams = revisionsByStream(received);
    assert.deepEqual([...streams.keys()].sort(), [...streamIds].sort());
    for (const revisions of streams.values()) assert.deepEqual(revisions, range(1, 37));
    for (const { attributes, body } of received) {
      assert.equal(attributes.replayId, operation.id);
      assert.equal(attributes.streamType, streamType);
      assert.equal(attributes.redrive, undefined);
      assert.equal(body.StreamType, streamType);
    }
    const done = await finished(operation);
    assert.equal(done.state, "succeeded");
    assert.deepEqual(done.progress, { streams: 5, events: 185 });
    assert.deepEqual(done.result, { streams: 5, events: 185 });
    assert.equal(done.cursor, undefined);
  });

  it("without a target republishes to the store's topic", async () => {
    const streamType = uniqueStreamType("replay-topic");
    const [streamId] = await seedStreams(rig.store, streamType, { streams: 1, events: 3 });
    const subscriber = await rig.notifications.subscribedQueue({ streamType: [streamType] });
    const operation = await rig.start({ streamType });

    await drain(rig.worker(), rig.queue);

    const received = await rig.notifications.receive(subscriber, 3, 5_000);
    assert.deepEqual(revisionsByStream(received).get(streamId as string), [1, 2, 3]);
    assert.ok(received.every(({ attributes }) => attributes.replayId === operation.id));
    await subscriber.close();
  });

  it("takes only the given streamIds, from fromRevision on, of the given eventTypes", async () => {
    const streamType = uniqueStreamType("replay-filters");
    const eventType = (revision: number) => (revision % 2 === 0 ? "Even" : "Odd");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 4, events: 120, eventType });
    const chosen = streamIds.slice(0, 2);
    const target = await rig.targetQueue();
    const operation = await rig.start({
      streamType,
      streamIds: chosen,
      fromRevision: 51,
      eventTypes: ["Even"],
      target: { queueUrl: target.queueUrl },
    });

    await drain(rig.worker(), rig.queue);

    const streams = revisionsByStream(await receiveAll(target));
    assert.deepEqual([...streams.keys()].sort(), [...chosen].sort());
    const evens = range(51, 120).filter((revision) => revision % 2 === 0);
    for (const revisions of streams.values()) assert.deepEqual(revisions, evens);
    assert.deepEqual((await finished(operation)).progress, { streams: 2, events: 2 * evens.length });
  });

  it("with updatedAfter takes only the streams updated at or after it, from the listing or the given ids", async () => {
    const streamType = uniqueStreamType("replay-updated");
    const older = await seedStreams(rig.store, streamType, { streams: 2, events: 2 });
    await new Promise((wait) => setTimeout(wait, 20));
    const updatedAfter = new Date().toISOString();
    const newer = await seedStreams(rig.store, streamType, { streams: 2, events: 2 });
    const fromListing = await rig.targetQueue();
    const fromIds = await rig.targetQueue();
    await rig.start({ streamType, updatedAfter, target: { queueUrl: fromListing.queueUrl } });
    await rig.start({
      streamType,
      updatedAfter,
      streamIds: [...older, ...newer],
      target: { queueUrl: fromIds.queueUrl },
    });

    await drain(rig.worker(), rig.queue);

    for (const target of [fromListing, fromIds]) {
      assert.deepEqual([...revisionsByStream(await receiveAll(target)).keys()].sort(), [...newer].sort());
    }
  });

  it("skips given streamIds that do not exist, or are of another type", async () => {
    const streamType = uniqueStreamType("replay-missing");
    const [streamId] = await seedStreams(rig.store, streamType, { streams: 1, events: 2 });
    const [otherType] = await seedStreams(rig.store, uniqueStreamType("other"), { streams: 1, events: 2 });
    const target = await rig.targetQueue();
    const missing = "00000000-0000-4000-8000-000000000000";
    const operation = await rig.start({
      streamType,
      streamIds: [missing, otherType as string, streamId as string],
      target: { queueUrl: target.queueUrl },
    });

    await drain(rig.worker(), rig.queue);

    assert.deepEqual([...revisionsByStream(await receiveAll(target)).keys()], [streamId]);
    assert.equal((await finished(operation)).state, "succeeded");
  });

  it("to a target the stack does not allow fails with a problem and publishes nothing", async () => {
    const streamType = uniqueStreamType("replay-refused");
    await seedStreams(rig.store, streamType, { streams: 1, events: 2 });
    const target = await rig.targetQueue();
    const operation = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });

    await drain(rig.worker({ allowedReplayTargets: ["arn:aws:sqs:us-east-1:123456789012:read-model"] }), rig.queue);

    const done = await finished(operation);
    assert.equal(done.state, "failed");
    assert.equal(done.problem?.title, "Target not allowed");
    assert.deepEqual(await receiveAll(target), []);
  });

  it("is canceled at the next step once a cancel is requested, and queues nothing more", async () => {
    const streamType = uniqueStreamType("replay-cancel");
    await seedStreams(rig.store, streamType, { streams: 2, events: 100 });
    const target = await rig.targetQueue();
    const operation = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    const worker = rig.worker();
    await worker.handle(rig.queue.messages.shift() as never);
    const running = await finished(operation);
    assert.equal(running.state, "running");
    // What DELETE /operations/{id} does to a running operation.
    const saved = await rig.store.saveOperation(
      { ...running, cancelRequested: true, version: running.version + 1 },
      running.version,
    );
    assert.ok(saved.saved);

    await drain(worker, rig.queue);

    const done = await finished(operation);
    assert.equal(done.state, "canceled");
    assert.deepEqual(done.progress, { streams: 0, events: 50 });
    assert.equal((await receiveAll(target)).length, 50);
    assert.deepEqual(rig.queue.messages, []);
  });

  it("repeats a step whose publish went out but whose checkpoint did not, and skips nothing", async () => {
    const streamType = uniqueStreamType("replay-crash");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 3, events: 40 });
    const target = await rig.targetQueue();
    const operation = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    let calls = 0;
    const crashing: Publish = async (events, extra) => {
      const unpublished = await rig.publisherFor({ queueUrl: target.queueUrl })(events, extra);
      calls += 1;
      if (calls === 2) throw new Error("killed after publishing, before the checkpoint");
      return unpublished;
    };

    await drain(rig.worker({ publisherFor: () => crashing }), rig.queue);

    const received = await receiveAll(target);
    assert.equal(received.length, 120 + 50, "the step that crashed was published twice");
    for (const streamId of streamIds) assert.deepEqual(firstArrivals(received).get(streamId), range(1, 40));
    const done = await finished(operation);
    assert.equal(done.state, "succeeded");
    assert.deepEqual(done.progress, { streams: 3, events: 120 });
  });

  it("resumes from the last checkpoint when a worker dies mid-step and its message comes back", async () => {
    const streamType = uniqueStreamType("replay-killed");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 2, events: 60 });
    const target = await rig.targetQueue();
    const operation = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    const real = rig.publisherFor({ queueUrl: target.queueUrl });
    let published!: () => void;
    const publishedOnce = new Promise<void>((resolve) => {
      published = resolve;
    });
    // Published, then the process is gone: this worker never answers, never checkpoints.
    const dying: Publish = async (events, extra) => {
      await real(events, extra);
      published();
      return new Promise(() => {});
    };
    const message = rig.queue.messages.shift() as never;
    void rig.worker({ publisherFor: () => dying }).handle(message);
    await publishedOnce;

    // The queue hands the message to another worker after its visibility timeout.
    rig.queue.messages.push(message);
    await drain(rig.worker(), rig.queue);

    const received = await receiveAll(target);
    assert.equal(received.length, 120 + 50);
    for (const streamId of streamIds) assert.deepEqual(firstArrivals(received).get(streamId), range(1, 60));
    assert.equal((await finished(operation)).state, "succeeded");
  });

  it("is not harmed by repeated and stale messages: each step is checkpointed once, a finished one stays", async () => {
    const streamType = uniqueStreamType("replay-stale");
    const streamIds = await seedStreams(rig.store, streamType, { streams: 2, events: 75 });
    const target = await rig.targetQueue();
    const operation = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    const worker = rig.worker();
    const message = rig.queue.messages.shift() as never;
    // Three deliveries of the first step at once (a redelivery, and an API retry that queued it again).
    await Promise.all([worker.handle(message), worker.handle(message), worker.handle(message)]);
    await drain(worker, rig.queue);
    const done = await finished(operation);
    assert.equal(done.state, "succeeded");

    // A stale message of the finished operation: nothing is published, nothing changes.
    await worker.handle(message);

    assert.deepEqual(await finished(operation), done);
    assert.deepEqual(rig.queue.messages, []);
    const received = await receiveAll(target);
    for (const streamId of streamIds) assert.deepEqual(firstArrivals(received).get(streamId), range(1, 75));
    assert.deepEqual(done.progress, { streams: 2, events: 150 });
  });

  it("fails with a problem when a step keeps failing (its message retried until then)", async () => {
    const streamType = uniqueStreamType("replay-failing");
    await seedStreams(rig.store, streamType, { streams: 1, events: 3 });
    const missingQueue = `${rig.notifications.endpoint}/000000000000/no-such-queue`;
    const operation = await rig.start({ streamType, target: { queueUrl: missingQueue } });

    const deliveries = await drain(rig.worker({ maxStepAttempts: 3 }), rig.queue);

    assert.equal(deliveries, 3);
    const done = await finished(operation);
    assert.equal(done.state, "failed");
    assert.equal(done.problem?.title, "Step failed");
    assert.match(done.problem?.detail ?? "", /failed 3 times.*not published/);
  });

  it("without a streamType fails at once with a problem", async () => {
    const operation = await rig.start({ fromRevision: 2 }, "replay");

    await drain(rig.worker(), rig.queue);

    const done = await finished(operation);
    assert.equal(done.state, "failed");
    assert.equal(done.problem?.title, "Invalid replay");
  });
});
