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

  it("refuses no stream types, invalid stream types, and a queue of the other kind than the topic", () => {
    storeUnderTest(undefined, (store, stack) => {
      const queue = new Queue(stack, "Queue");
      assert.throws(() => store.subscribeQueue(queue, { streamTypes: [] }), /1 to 150 stream types/);
      assert.throws(() => store.subscribeQueue(queue, { streamTypes: ["order#1"] }), /not a stream type: order#1/);
      const fifoQueue = new Queue(stack, "FifoQueue", { fifo: true });
      assert.throws(() => store.subscribeQueue(fifoQueue, { streamTypes: ["order"] }), /standard queue/);
    });
    storeUnderTest({ fifoTopic: true }, (store, stack) => {
      assert.throws(() => store.subscribeQueue(new Queue(stack, "Queue"), { streamTypes: ["order"] }), /FIFO queue/);
    });
  });
});
