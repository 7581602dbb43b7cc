// The full body (SPEC section 4): Payload and Metadata in the message when it still fits (256 KiB, or the topic's
// larger maximum message size), said by PayloadIncluded; the Go-compatible body otherwise, and by default.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import type { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { messageRefusal } from "#change-feed/message.ts";
import { createSnsPublisher, notificationBody, notificationMessage } from "#change-feed/notifications.ts";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson, StoredPayload } from "#store/raw-json.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { appendEvents, notificationSuite } from "./publishing.ts";

describe("notificationBody full", () => {
  const suite = notificationSuite();

  /** Appends one event, runs its record through a change feed with the full body, answers what arrived. */
  async function notifiedFull(payload: string, metadata?: string) {
    const streamType = uniqueStreamType("full");
    const queue = await suite.local.subscribedQueue({ streamType: [streamType] });
    const event = {
      eventType: "OrderPaid",
      payload: new RawJson(payload),
      metadata: metadata === undefined ? undefined : new RawJson(metadata),
    };
    const { ids, records } = await appendEvents(suite.store, suite.streamArn, [{ streamType, events: [event] }]);
    const publish = createSnsPublisher({ sns: suite.local.sns, topicArn: suite.local.topicArn, body: "full" });
    assert.deepEqual(await createChangeFeed({ store: suite.store, publish })({ Records: records }), {
      batchItemFailures: [],
    });
    const [notification] = await suite.local.receive(queue, 1);
    const [stored] = (await suite.store.readEvents(streamType, ids[0] as string, { direction: "forward", limit: 1 }))
      .events;
    return { notification, stored: stored as RecordedEvent, streamType };
  }

  it("adds Payload and Metadata as JSON values, and PayloadIncluded: true", async () => {
    const { notification, stored, streamType } = await notifiedFull(
      '{"total":12.5,"items":["a","b"]}',
      '{"traceId":"t-1"}',
    );
    assert.deepEqual(notification?.body, {
      ...JSON.parse(notificationBody(stored)),
      Payload: { total: 12.5, items: ["a", "b"] },
      Metadata: { traceId: "t-1" },
    });
    assert.deepEqual(notification?.attributes, { streamType, eventType: "OrderPaid", PayloadIncluded: "true" });
  });

  it("keeps a payload that is a JSON string a string; an event without metadata has no Metadata", async () => {
    const { notification } = await notifiedFull('"just text"');
    const body: Record<string, unknown> = notification?.body ?? {};
    assert.equal(body.Payload, "just text");
    assert.equal("Metadata" in body, false);
  });

  it("a 250 KB payload does not fit: the Go body and PayloadIncluded: false", async () => {
    const { notification, stored, streamType } = await notifiedFull(JSON.stringify("x".repeat(250 * 1024)));
    assert.deepEqual(notification?.body, JSON.parse(notificationBody(stored)));
    assert.deepEqual(notification?.attributes, { streamType, eventType: "OrderPaid", PayloadIncluded: "false" });
  });
});

describe("notificationMessage", () => {
  const event: RecordedEvent = {
    streamId: randomUUID(),
    streamType: "order",
    revision: 3,
    eventType: "OrderPaid",
    eventId: randomUUID(),
    payload: new RawJson('{"a":1}'),
    createdAt: "2026-06-01T08:00:00.000Z",
  };

  it("is the Go body without PayloadIncluded by default; extra attributes come along, the event's win", () => {
    const message = notificationMessage(event, { body: "go" }, { replayId: "op-1", streamType: "not this" });
    assert.equal(message.body, notificationBody(event));
    assert.deepEqual(message.attributes, { replayId: "op-1", streamType: "order", eventType: "OrderPaid" });
  });

  it("counts the JSON escaping a message gets inside the envelope SNS delivers to SQS", () => {
    const quotes = (length: number) => ({ ...event, payload: new RawJson(JSON.stringify({ q: '"'.repeat(length) })) });
    assert.equal(notificationMessage(quotes(50_000), { body: "full" }).attributes.PayloadIncluded, "true");
    assert.equal(notificationMessage(quotes(100_000), { body: "full" }).attributes.PayloadIncluded, "false");
  });

  it("a payload kept in S3 is never in a message: the full body carries its reference instead", () => {
    const stored = { ...event, payload: new StoredPayload("payloads/2026-06-01T08/x/3/y", 2_000_000, "ab".repeat(32)) };
    const message = notificationMessage(stored, { body: "full" });
    assert.equal(message.attributes.PayloadIncluded, "false");
    const body = JSON.parse(message.body);
    assert.deepEqual(body.PayloadRef, {
      Key: "payloads/2026-06-01T08/x/3/y",
      Size: 2_000_000,
      Sha256: "ab".repeat(32),
    });
    assert.equal(body.Payload, undefined);
    assert.equal(notificationMessage(stored, { body: "go" }).body, notificationBody(stored));
  });

  it("a 600 KB payload is not in the message at SNS's default 256 KiB, and is with maxMessageBytes 1 MiB", () => {
    const large = { ...event, payload: new RawJson(JSON.stringify({ text: "x".repeat(600 * 1024) })) };
    const atDefault = notificationMessage(large, { body: "full" });
    assert.equal(atDefault.attributes.PayloadIncluded, "false");
    assert.equal(atDefault.body, notificationBody(large));
    const raised = notificationMessage(large, { body: "full", maxMessageBytes: 1024 * 1024 });
    assert.equal(raised.attributes.PayloadIncluded, "true");
    assert.equal(JSON.parse(raised.body).Payload.text.length, 600 * 1024);
    assert.equal(messageRefusal(raised.body, raised.attributes, 1024 * 1024), undefined);
    assert.match(messageRefusal(raised.body, raised.attributes) ?? "", /more than 262144/);
  });
});

describe("createSnsPublisher with maxMessageBytes", () => {
  it("fills PublishBatch calls up to the topic's maximum message size, not 256 KiB", async () => {
    const calls: number[] = [];
    const sns = {
      send: async (command: PublishBatchCommand) => {
        const entries = command.input.PublishBatchRequestEntries ?? [];
        calls.push(entries.length);
        return { Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [], $metadata: {} };
      },
    } as unknown as Pick<SNSClient, "send">;
    const events: RecordedEvent[] = [1, 2, 3].map((revision) => ({
      streamId: randomUUID(),
      streamType: "order",
      revision,
      eventType: "OrderPaid",
      eventId: randomUUID(),
      payload: new RawJson(JSON.stringify("y".repeat(400 * 1024))),
      createdAt: "2026-06-01T08:00:00.000Z",
    }));
    const publish = createSnsPublisher({ sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:t", body: "full" });
    assert.deepEqual(await publish(events), []);
    // At the default none fits: three Go bodies in one call.
    assert.deepEqual(calls.splice(0), [3]);
    const large = createSnsPublisher({
      sns,
      topicArn: "arn:aws:sns:eu-west-1:123456789012:t",
      body: "full",
      maxMessageBytes: 1024 * 1024,
    });
    assert.deepEqual(await large(events), []);
    // Each message of about 400 KB carries its payload: two fit in a call of 1 MiB, the third goes in the next.
    assert.deepEqual(calls, [2, 1]);
  });
});
