// The notification topic and the subscription helper of the EventStore construct.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { resourceId, storeUnderTest } from "./support.ts";

const { template } = storeUnderTest();
const topicId = resourceId(template, "AWS::SNS::Topic", "StoreTopic");

describe("topic", () => {
  it("is a standard topic that refuses publishing without TLS", () => {
    template.hasResourceProperties("AWS::SNS::Topic", { FifoTopic: Match.absent() });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "sns:Publish",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("is FIFO with content-based deduplication off when fifoTopic is set", () => {
    const fifo = storeUnderTest({ fifoTopic: true }).template;
    fifo.hasResourceProperties("AWS::SNS::Topic", {
      FifoTopic: true,
      ContentBasedDeduplication: false,
      TopicName: Match.stringLikeRegexp("\\.fifo$"),
      FifoThroughputScope: "MessageGroup",
    });
    fifo.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Action: "sns:Publish" })]) },
    });
  });
});

describe("subscribeQueue", () => {
  it("subscribes a queue with a filter policy on the streamType attribute and lets the topic send to it", () => {
    const { template: subscribed } = storeUnderTest(undefined, (store, stack) => {
      store.subscribeQueue(new Queue(stack, "Orders", { encryption: QueueEncryption.SQS_MANAGED }), {
        streamTypes: ["order", "invoice", "order"],
      });
    });
    const ordersId = resourceId(subscribed, "AWS::SQS::Queue", "Orders");
    const storeTopicId = resourceId(subscribed, "AWS::SNS::Topic", "StoreTopic");
    subscribed.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "sqs",
      TopicArn: { Ref: storeTopicId },
      Endpoint: { "Fn::GetAtt": [ordersId, "Arn"] },
      FilterPolicy: { streamType: ["order", "invoice"] },
      RawMessageDelivery: false,
    });
    subscribed.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: ordersId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Principal: { Service: "sns.amazonaws.com" },
            Condition: { ArnEquals: { "aws:SourceArn": { Ref: storeTopicId } } },
          }),
        ],
      },
    });
  });

  it("turns on raw message delivery when asked", () => {
    const { template: raw } = storeUnderTest(undefined, (store, stack) => {
      store.subscribeQueue(new Queue(stack, "Raw"), { streamTypes: ["order"], rawMessageDelivery: true });
    });
    raw.hasResourceProperties("AWS::SNS::Subscription", { RawMessageDelivery: true });
  });

  it("subscribes a FIFO queue to a FIFO topic", () => {
    const { template: fifo } = storeUnderTest({ fifoTopic: true }, (store, stack) => {
      store.subscribeQueue(new Queue(stack, "Ordered", { fifo: true }), { streamTypes: ["order"] });
    });
    fifo.hasResourceProperties("AWS::SNS::Subscription", { FilterPolicy: { streamType: ["order"] } });
  });

  it("filters on event types, alone or with stream types, and without either takes every notification", () => {
    const { template: filtered } = storeUnderTest(undefined, (store, stack) => {
      store.subscribeQueue(new Queue(stack, "Paid"), { eventTypes: ["OrderPaid"] });
      store.subscribeQueue(new Queue(stack, "Both"), { streamTypes: ["order", "order"], eventTypes: ["A", "B"] });
      store.subscribeQueue(new Queue(stack, "All"));
    });
    filtered.hasResourceProperties("AWS::SNS::Subscription", { FilterPolicy: { eventType: ["OrderPaid"] } });
    filtered.hasResourceProperties("AWS::SNS::Subscription", {
      FilterPolicy: { streamType: ["order"], eventType: ["A", "B"] },
    });
    filtered.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "sqs",
      Endpoint: Match.anyValue(),
      FilterPolicy: Match.absent(),
    });
  });

  it("refuses empty lists, invalid stream types, over 150 combinations, and a queue of the other kind", () => {
    storeUnderTest(undefined, (store, stack) => {
      const queue = new Queue(stack, "Queue");
      assert.throws(() => store.subscribeQueue(queue, { streamTypes: [] }), /streamTypes is empty/);
      assert.throws(() => store.subscribeQueue(queue, { eventTypes: [] }), /eventTypes is empty/);
      assert.throws(() => store.subscribeQueue(queue, { streamTypes: ["order#1"] }), /not a stream type: order#1/);
      const many = Array.from({ length: 16 }, (_, i) => `t${i}`);
      assert.throws(
        () => store.subscribeQueue(queue, { streamTypes: many.slice(0, 10), eventTypes: many }),
        /at most 150 combinations .* got 160/,
      );
      const fifoQueue = new Queue(stack, "FifoQueue", { fifo: true });
      assert.throws(() => store.subscribeQueue(fifoQueue, { streamTypes: ["order"] }), /standard queue/);
    });
    storeUnderTest({ fifoTopic: true }, (store, stack) => {
      assert.throws(() => store.subscribeQueue(new Queue(stack, "Queue"), { streamTypes: ["order"] }), /FIFO queue/);
    });
  });
});
