/** A local SNS/SQS endpoint for notification tests, and queues subscribed to its topic with filter policies. */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ListTopicsCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { localAwsClientConfig } from "../../local/aws-local.ts";
import { type LocalNotifications, localTopicName, startLocalNotifications } from "../../local/notifications.ts";

export interface Notification {
  /** The SNS message body, parsed. */
  body: Record<string, string>;
  /** Message attributes as SNS delivered them in its envelope. */
  attributes: Record<string, string>;
}

export interface TestNotifications extends LocalNotifications {
  sns: SNSClient;
  sqs: SQSClient;
  /** A new queue subscribed to the topic with this filter policy. */
  subscribedQueue(filterPolicy?: Record<string, unknown>): Promise<string>;
  /** Receives until `count` notifications arrived or `timeoutMs` passed. */
  receive(queueUrl: string, count: number, timeoutMs?: number): Promise<Notification[]>;
}

/** A local SNS/SQS endpoint of its own, with the notification topic. */
export async function testNotifications(options: { fifo?: boolean } = {}): Promise<TestNotifications> {
  return subscriberClients(await startLocalNotifications(options), options);
}

/** Subscriber clients for the endpoint a running `npm start` serves (it owns the topic and stops it). */
export async function testNotificationsAt(endpoint: string): Promise<TestNotifications> {
  const sns = new SNSClient(localAwsClientConfig(endpoint));
  const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
  const topicArn = Topics.find((topic) => topic.TopicArn?.endsWith(`:${localTopicName}`))?.TopicArn;
  assert.ok(topicArn, `no ${localTopicName} topic at ${endpoint}`);
  return subscriberClients({ endpoint, topicArn, stop: async () => {} }, {});
}

function subscriberClients(local: LocalNotifications, options: { fifo?: boolean }): TestNotifications {
  const sns = new SNSClient(localAwsClientConfig(local.endpoint));
  const sqs = new SQSClient(localAwsClientConfig(local.endpoint));
  return {
    ...local,
    sns,
    sqs,
    async subscribedQueue(filterPolicy) {
      const name = `test-${randomUUID().slice(0, 8)}${options.fifo ? ".fifo" : ""}`;
      const attributes: Record<string, string> = options.fifo ? { FifoQueue: "true" } : {};
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
      await sns.send(
        new SubscribeCommand({
          TopicArn: local.topicArn,
          Protocol: "sqs",
          Endpoint: Attributes?.QueueArn,
          Attributes: filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {},
        }),
      );
      return QueueUrl as string;
    },
    async receive(queueUrl, count, timeoutMs = 3000) {
      const received: Notification[] = [];
      const deadline = Date.now() + timeoutMs;
      while (received.length < count && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) {
          const envelope = JSON.parse(message.Body as string);
          const attributes = Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([name, value]) => [
              name,
              (value as { Value: string }).Value,
            ]),
          );
          received.push({ body: JSON.parse(envelope.Message), attributes });
        }
        if (Messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
            }),
          );
        }
      }
      return received;
    },
  };
}
