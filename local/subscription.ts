/**
 * A local subscriber: an SQS queue subscribed to the notification topic with a filter policy, as an SNS
 * subscription in AWS would be, and the notifications it receives. `npm run tail`, the tests and the bench all
 * subscribe through here. The same queue may also be a replay's target (SPEC section 5): the worker sends those
 * notifications to it directly, as raw SQS messages rather than in SNS's envelope; `receive` reads both.
 */
import { randomUUID } from "node:crypto";
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { unwrapMessage } from "../client/notifications.ts";
import { localAwsClientConfig } from "./aws-local.ts";

export interface Notification {
  /** The SNS message body, parsed (StreamId, StreamType, StreamRevision, EventType, EventId, CreatedAt). */
  body: Record<string, string>;
  /**
   * The message attributes (streamType, eventType; replayId on a replayed or redriven one, and redrive: "true"
   * on a redriven one), from the SNS envelope or, sent to the queue by a replay, from the SQS message.
   */
  attributes: Record<string, string>;
}

export interface LocalSubscription {
  queueUrl: string;
  /** One long poll of up to a second: the notifications that arrived, removed from the queue. */
  receive(waitTimeSeconds?: number): Promise<Notification[]>;
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
  const queue = await openLocalQueue(options);
  const { Attributes } = await queue.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ["QueueArn"] }),
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
    queueUrl: queue.queueUrl,
    receive: queue.receive,
    async close() {
      // Asked again when the local SNS is slow to answer (a loaded machine): a subscription left behind would keep
      // copying every notification into a queue nobody reads.
      for (let attempt = 1; attempt <= unsubscribeAttempts; attempt++) {
        try {
          await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
          break;
        } catch (error) {
          if (attempt === unsubscribeAttempts) console.error(`could not unsubscribe ${SubscriptionArn}: ${error}`);
          else await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
      sns.destroy();
      await queue.close();
    },
  };
}

/** How often closing a subscription asks the local SNS to remove it before it gives up (about 10 s in all). */
const unsubscribeAttempts = 8;

/** A queue of its own on the local endpoint, subscribed to nothing: a replay's target. */
export async function openLocalQueue(options: {
  endpoint: string;
  fifo?: boolean;
  namePrefix?: string;
}): Promise<LocalSubscription & { sqs: SQSClient }> {
  const sqs = new SQSClient(localAwsClientConfig(options.endpoint));
  const name = `${options.namePrefix ?? "subscriber"}-${randomUUID().slice(0, 8)}${options.fifo ? ".fifo" : ""}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: options.fifo ? { FifoQueue: "true" } : {} }),
  );
  const queueUrl = QueueUrl as string;
  return {
    sqs,
    queueUrl,
    async receive(waitTimeSeconds = 1) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitTimeSeconds,
          MessageAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) return [];
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      return Messages.map(notificationOf);
    },
    async close() {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
      sqs.destroy();
    },
  };
}

/**
 * A message as SNS delivers it (in its envelope) or as a replay sends it (raw, attributes on the message),
 * unwrapped by the client's parser: one reading of the envelope for the package and for local mode.
 */
function notificationOf(message: Message): Notification {
  const { body, attributes } = unwrapMessage(message);
  return { body: (body ?? {}) as Record<string, string>, attributes };
}
