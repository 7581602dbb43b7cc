/**
 * Live notifications with the full body for events with personal data (SPEC section 13), from real stream records
 * through the change-feed handler as Lambda runs it: the personal values while the subject's key lives, "[erased]"
 * with Erased: true once it is erased (the stream record still holds the ciphertext: the handler opens it), never
 * ciphertext and never a failed batch.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createChangeFeedHandler } from "#change-feed/handler.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { RawJson } from "#store/raw-json.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { eventsTable, testSubjectKeys, uniqueStreamType } from "#test/support/store.ts";
import { appendEvents, notificationSuite } from "./publishing.ts";

describe("full-body notifications of personal data", () => {
  const suite = notificationSuite();

  async function notified(erase: boolean) {
    const streamType = uniqueStreamType("personal");
    const subject = `customer-${randomUUID()}`;
    const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
    const event = {
      eventType: "Registered",
      payload: new RawJson('{"email":"ada@example.com","plan":"gold"}'),
      metadata: new RawJson('{"ip":"192.0.2.1","channel":"web"}'),
      subject,
      personalData: ["/payload/email", "/metadata/ip"],
    };
    const { records } = await appendEvents(suite.store, suite.streamArn, [{ streamType, events: [event] }]);
    if (erase) await suite.store.eraseSubject(subject, "dpo");
    const handler = createChangeFeedHandler({
      tableName: eventsTable,
      topicArn: suite.local.topicArn,
      notificationBody: "full",
      dynamoDb: localAwsClientConfig(testDynamoDb().endpoint),
      sns: localAwsClientConfig(suite.local.endpoint),
      subjectKeys: await testSubjectKeys(),
      globalFeed: false,
    });
    assert.deepEqual(await handler({ Records: records }), { batchItemFailures: [] });
    const [notification] = await suite.local.receive(queue, 1);
    return { body: notification?.body as Record<string, unknown>, subject };
  }

  it("carry the personal values while the subject's key lives", async () => {
    const { body, subject } = await notified(false);
    assert.deepEqual(body.Payload, { email: "ada@example.com", plan: "gold" });
    assert.deepEqual(body.Metadata, { ip: "192.0.2.1", channel: "web" });
    assert.equal(body.Subject, subject);
    assert.deepEqual(body.PersonalData, ["/payload/email", "/metadata/ip"]);
    assert.equal(body.Erased, false);
  });

  it("show [erased] with Erased: true after the erasure, the rest intact", async () => {
    const { body } = await notified(true);
    assert.deepEqual(body.Payload, { email: "[erased]", plan: "gold" });
    assert.deepEqual(body.Metadata, { ip: "[erased]", channel: "web" });
    assert.equal(body.Erased, true);
  });
});
