/**
 * Replays and redrives of events with personal data (SPEC section 13), with the full notification body: while the
 * subject's key lives they carry the personal values; after its erasure "[erased]" and Erased: true, the rest of the
 * event intact, never ciphertext, never a failure.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createSnsPublisher } from "#change-feed/notifications.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { createQueuePublisher } from "#operations/queue-publisher.ts";
import { isoTime, type Operation } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { drain, receiveAll, type WorkerRig, workerRig } from "./support.ts";

describe("replays and redrives of personal data, full body", () => {
  let rig: WorkerRig;
  let sns: SNSClient;
  let sqs: SQSClient;
  before(async () => {
    rig = await workerRig();
    const config = localAwsClientConfig(rig.notifications.endpoint);
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
  });
  after(async () => {
    sns?.destroy();
    sqs?.destroy();
    await rig?.close();
  });

  const fullWorker = () =>
    rig.worker({
      publisherFor: (target) =>
        "queueUrl" in target
          ? createQueuePublisher({ sqs, queueUrl: target.queueUrl, body: "full", backoffMs: () => 5 })
          : createSnsPublisher({ sns, topicArn: target.topicArn, body: "full", backoffMs: () => 5 }),
      publishToTopic: createSnsPublisher({ sns, topicArn: rig.notifications.topicArn, body: "full" }),
    });

  async function customerStream(streamType: string, subject: string): Promise<string> {
    const streamId = randomUUID();
    const appended = await rig.store.append(streamType, streamId, "no-stream", [
      {
        eventType: "Registered",
        payload: new RawJson('{"email":"ada@example.com","plan":"gold"}'),
        subject,
        personalData: ["/payload/email"],
      },
    ]);
    await rig.store.raiseSummary(appended.stream);
    return streamId;
  }

  it("a replay into a queue carries the values, then [erased] with Erased: true once the subject is erased", async () => {
    const streamType = uniqueStreamType("erasure-replay");
    const subject = `customer-${randomUUID()}`;
    await customerStream(streamType, subject);
    const target = await rig.targetQueue();

    await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    await drain(fullWorker(), rig.queue);
    const [before] = await receiveAll(target);
    assert.deepEqual(before?.body.Payload, { email: "ada@example.com", plan: "gold" });
    assert.equal(before?.body.Erased, false);

    await rig.store.eraseSubject(subject, "dpo");
    const replay = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    await drain(fullWorker(), rig.queue);
    const [afterErasure] = await receiveAll(target);
    assert.deepEqual(afterErasure?.body.Payload, { email: "[erased]", plan: "gold" });
    assert.equal(afterErasure?.body.Erased, true);
    assert.equal(afterErasure?.body.Subject, subject);
    assert.equal(((await rig.store.getOperation(replay.id)) as Operation).state, "succeeded");
  });

  it("a redrive after the erasure publishes [erased], and succeeds", async () => {
    const streamType = uniqueStreamType("erasure-redrive");
    const subject = `customer-${randomUUID()}`;
    const streamId = await customerStream(streamType, subject);
    await rig.store.eraseSubject(subject, "dpo");
    await rig.store.recordUndelivered([
      { streamId, streamType, firstRevision: 1, lastRevision: 1, cause: "test", since: isoTime(Date.now()) },
    ]);
    const subscriber = await rig.notifications.subscribedQueue({ streamType: [streamType] });
    const redrive = await rig.start({ undelivered: true });

    await drain(fullWorker(), rig.queue);

    const [notification] = await rig.notifications.receive(subscriber, 1, 5_000);
    assert.deepEqual(notification?.body.Payload, { email: "[erased]", plan: "gold" });
    assert.equal(notification?.body.Erased, true);
    assert.equal(((await rig.store.getOperation(redrive.id)) as Operation).state, "succeeded");
    await subscriber.close();
  });
});
