/**
 * Local notifications: SNS and SQS on one local endpoint (the npm package fauxqs), with the topic the change
 * feed publishes to. The change feed's publisher talks to it with the same @aws-sdk/client-sns calls it makes
 * in AWS; subscribers are local SQS queues with filter policies (see local/tail.ts).
 */
import type { AddressInfo } from "node:net";
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { buildApp } from "fauxqs";
import { localAwsClientConfig } from "./aws-local.ts";

export const localTopicName = "event-store-notifications";

/** Where `npm start` serves SNS+SQS unless told otherwise, so that `npm run tail` finds it without asking. */
export const defaultSnsPort = 9911;

export interface LocalNotifications {
  /** SNS and SQS endpoint, e.g. http://127.0.0.1:4566. */
  endpoint: string;
  topicArn: string;
  stop(): Promise<void>;
}

/**
 * Starts the local SNS/SQS endpoint on 127.0.0.1 (only: local mode has no authentication) and creates the
 * notification topic.
 * @param options.port - 0 (the default) picks a free port
 * @param options.fifo - a FIFO topic, as the stack's `fifoTopic` option makes
 */
export async function startLocalNotifications(
  options: { port?: number; fifo?: boolean } = {},
): Promise<LocalNotifications> {
  // fauxqs's own startFauxqs listens on 0.0.0.0 whatever its `host` option says (that one only names queue URLs),
  // so the app is built here and bound to loopback: local mode has no authentication.
  const app = buildApp({ logger: false, host: "127.0.0.1" });
  try {
    await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`port ${options.port} for local SNS/SQS is in use: pass another --sns-port`);
    }
    throw error;
  }
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const stop = async () => {
    await app.close();
  };
  try {
    return { endpoint, topicArn: await createTopic(endpoint, options.fifo), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * An SNS/SQS endpoint that runs already (`npm start -- --sns-endpoint URL`): creates the notification topic there
 * (CreateTopic is idempotent) and leaves the endpoint running on stop.
 */
export async function useNotificationsAt(
  endpoint: string,
  options: { fifo?: boolean } = {},
): Promise<LocalNotifications> {
  try {
    return { endpoint, topicArn: await createTopic(endpoint, options.fifo), stop: async () => {} };
  } catch (error) {
    throw new Error(`cannot create the topic at the SNS endpoint ${endpoint}: ${(error as Error).message}`);
  }
}

async function createTopic(endpoint: string, fifo: boolean | undefined): Promise<string> {
  const sns = new SNSClient({ ...localAwsClientConfig(endpoint), maxAttempts: 2 });
  const name = fifo ? `${localTopicName}.fifo` : localTopicName;
  const attributes: Record<string, string> = fifo ? { FifoTopic: "true", ContentBasedDeduplication: "false" } : {};
  try {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }), {
      abortSignal: AbortSignal.timeout(10_000),
    });
    return TopicArn as string;
  } finally {
    sns.destroy();
  }
}

/** The notification topic of the local endpoint a running `npm start` serves (it creates the topic). */
export async function findLocalTopicArn(endpoint: string): Promise<string> {
  const sns = new SNSClient(localAwsClientConfig(endpoint));
  try {
    let topics: { TopicArn?: string }[];
    try {
      topics = (await sns.send(new ListTopicsCommand({}))).Topics ?? [];
    } catch {
      throw new Error(`no local SNS at ${endpoint}: start the store first (npm start), or give its endpoint`);
    }
    const pattern = new RegExp(`:${localTopicName}(\\.fifo)?$`);
    const topic = topics.find((candidate) => pattern.test(candidate.TopicArn ?? ""));
    if (!topic?.TopicArn)
      throw new Error(`no topic ${localTopicName} at ${endpoint}: is this the endpoint npm start printed?`);
    return topic.TopicArn;
  } finally {
    sns.destroy();
  }
}
