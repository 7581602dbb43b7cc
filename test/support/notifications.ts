/** A local SNS/SQS endpoint for notification tests, and filtered subscriptions to its topic. */
import { SNSClient } from "@aws-sdk/client-sns";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { findLocalTopicArn, type LocalNotifications, startLocalNotifications } from "#local/notifications.ts";
import { type LocalSubscription, type Notification, subscribeLocalQueue } from "#local/subscription.ts";

export interface TestNotifications extends LocalNotifications {
  sns: SNSClient;
  /** A new queue subscribed to the topic with this filter policy. */
  subscribedQueue(filterPolicy?: Record<string, unknown>): Promise<LocalSubscription>;
  /** Receives until `count` notifications arrived or `timeoutMs` passed. */
  receive(subscription: LocalSubscription, count: number, timeoutMs?: number): Promise<Notification[]>;
}

/** A local SNS/SQS endpoint of its own, with the notification topic. */
export async function testNotifications(options: { fifo?: boolean } = {}): Promise<TestNotifications> {
  return subscriberSide(await startLocalNotifications(options), options);
}

/** Subscriber side of the endpoint a running `npm start` serves (it owns the topic and stops it). */
export async function testNotificationsAt(endpoint: string): Promise<TestNotifications> {
  return subscriberSide({ endpoint, topicArn: await findLocalTopicArn(endpoint), stop: async () => {} }, {});
}

function subscriberSide(local: LocalNotifications, options: { fifo?: boolean }): TestNotifications {
  return {
    ...local,
    sns: new SNSClient(localAwsClientConfig(local.endpoint)),
    subscribedQueue: (filterPolicy) =>
      subscribeLocalQueue({
        endpoint: local.endpoint,
        topicArn: local.topicArn,
        filterPolicy,
        fifo: options.fifo,
        namePrefix: "test",
      }),
    async receive(subscription, count, timeoutMs = 3000) {
      const received: Notification[] = [];
      const deadline = Date.now() + timeoutMs;
      while (received.length < count && Date.now() < deadline) received.push(...(await subscription.receive()));
      return received;
    },
  };
}
