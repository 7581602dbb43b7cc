// parseNotification reads the messages the store really sends: built here by the change feed's own message code
// (lambdas/change-feed/message.ts), in SNS's envelope, raw, and as a Lambda SQS record carries them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notificationMessage, stringAttributes } from "#change-feed/message.ts";
import type { RecordedEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { InvalidNotification, parseNotification } from "../../client/index.ts";

const event: RecordedEvent = {
  streamId: "3f2b8c1e-6f7a-4d2b-9c1e-2a3b4c5d6e7f",
  streamType: "order",
  revision: 12,
  eventType: "OrderPaid",
  eventId: "0b230b96-8909-48f7-afd2-9f7cafa6b928",
  payload: new RawJson('{"total":12.5,"items":["a"]}'),
  metadata: new RawJson('{"traceId":"t-1"}'),
  createdAt: "2026-11-23T02:11:18.892Z",
};

const position = {
  streamId: event.streamId,
  streamType: "order",
  revision: 12,
  eventType: "OrderPaid",
  eventId: event.eventId,
  createdAt: event.createdAt,
};

/** The message as SNS delivers it to an SQS queue without raw delivery. */
function inEnvelope(body: string, attributes: Record<string, string>) {
  const envelope = {
    Type: "Notification",
    MessageId: "9b1c0a5e-0000-4000-8000-000000000000",
    TopicArn: "arn:aws:sns:eu-west-1:123456789012:event-store-notifications",
    Message: body,
    Timestamp: "2026-11-23T02:11:19.000Z",
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { Type: "String", Value: value }]),
    ),
  };
  return { Body: JSON.stringify(envelope) };
}

describe("parseNotification", () => {
  it("reads the Go body in SNS's envelope: the revision as a number, no payload", () => {
    const { body, attributes } = notificationMessage(event, { body: "go" });

    assert.deepEqual(parseNotification(inEnvelope(body, attributes)), {
      ...position,
      payloadIncluded: false,
      redrive: false,
      attributes: { streamType: "order", eventType: "OrderPaid" },
    });
  });

  it("reads a full body with its payload and metadata as JSON values", () => {
    const { body, attributes } = notificationMessage(event, { body: "full" });

    const notification = parseNotification(inEnvelope(body, attributes));

    assert.equal(notification.payloadIncluded, true);
    assert.deepEqual(notification.payload, { total: 12.5, items: ["a"] });
    assert.deepEqual(notification.metadata, { traceId: "t-1" });
    assert.equal(notification.attributes.PayloadIncluded, "true");
  });

  it("reads a raw message of a replay (attributes on the SQS message) with its replayId and redrive flag", () => {
    const { body, attributes } = notificationMessage(event, { body: "go" }, { replayId: "op-1", redrive: "true" });

    const notification = parseNotification({ Body: body, MessageAttributes: stringAttributes(attributes) });

    assert.equal(notification.replayId, "op-1");
    assert.equal(notification.redrive, true);
    assert.equal(notification.revision, 12);
  });

  it("reads a record of a Lambda SQS event", () => {
    const { body, attributes } = notificationMessage(event, { body: "go" }, { replayId: "op-2" });
    const messageAttributes = Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { stringValue: value, dataType: "String" }]),
    );

    const notification = parseNotification({ body, messageAttributes });

    assert.deepEqual(
      { ...notification, attributes: undefined },
      {
        ...position,
        payloadIncluded: false,
        replayId: "op-2",
        redrive: false,
        attributes: undefined,
      },
    );
  });

  it("refuses what is not a notification", () => {
    for (const message of [{}, { Body: "not json" }, { Body: "[]" }, { Body: '{"StreamId":"x"}' }]) {
      assert.throws(() => parseNotification(message), InvalidNotification, JSON.stringify(message));
    }
    const { body, attributes } = notificationMessage({ ...event, revision: 0 }, { body: "go" });
    assert.throws(() => parseNotification(inEnvelope(body, attributes)), /StreamRevision/);
  });
});
