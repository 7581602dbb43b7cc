/**
 * A local subscriber: an SQS queue subscribed to the notification topic with a filter policy, as an SNS
 * subscription in AWS would be, and the notifications it receives. `npm run tail`, the tests and the bench all
 * subscribe through here.
 */
import { randomUUID } from "node:crypto";
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { localAwsClientConfig } from "./aws-local.ts";

export interface Notification {
  /** The SNS message body, parsed (StreamId, StreamType, StreamRevision, EventType, EventId, CreatedAt). */
  body: Record<string, string>;
  /** The message attributes (streamType, eventType), from the SNS envelope. */
  attributes: Record<string, string>;
}

export interface LocalSubscription {
  queueUrl: string;
  /** One long poll of up to a second: the notifications that arrived, removed from the queue. */
  receive(): Promise<Notification[]>;
  /** Removes the subscription and its queue. */
  close(): Promise<void>;
}

/**
 * Creates a queue and subscribes it to `topicArn` on the local SNS/SQS endpoint.
 * @param options.filterPolicy - an SNS filter policy on the message attributes, e.g. `{"streamType":["order"]}`
 * @param options.fifo - a FIFO queue, for a FIFO topic
 */
export async function subscribeLocalQueue(options: {
  endpoint: string;
  topicArn: string;
  filterPolicy?: Record<string, unknown>;
  fifo?: boolean;
  namePrefix?: string;
}): Promise<LocalSubscription> {
  const sns = new SNSClient(localAwsClientConfig(options.endpoint));
  const sqs = new SQSClient(localAwsClientConfig(options.endpoint));
  const name = `${options.namePrefix ?? "subscriber"}-${randomUUID().slice(0, 8)}${options.fifo ? ".fifo" : ""}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: options.fifo ? { FifoQueue: "true" } : {} }),
  );
  const queueUrl = QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: options.topicArn,
      Protocol: "sqs",
      Endpoint: Attributes?.QueueArn,
      Attributes: options.filterPolicy ? { FilterPolicy: JSON.stringify(options.filterPolicy) } : {},
    }),
  );
  return {
    queueUrl,
    async receive() {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) return [];
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      return Messages.map((message) => fromEnvelope(message.Body ?? "{}"));
    },
    async close() {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn })).catch(() => {});
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
      sns.destroy();
      sqs.destroy();
    },
  };
}

/** SNS delivers to SQS in an envelope: the message as text, attributes as {Type, Value}. */
function fromEnvelope(text: string): Notification {
  const envelope = JSON.parse(text) as { Message: string; MessageAttributes?: Record<string, { Value: string }> };
  const attributes = Object.fromEntries(
    Object.entries(envelope.MessageAttributes ?? {}).map(([name, attribute]) => [name, attribute.Value]),
  );
  return { body: JSON.parse(envelope.Message) as Record<string, string>, attributes };
}
