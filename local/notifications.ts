/**
 * Local notifications: SNS and SQS on one local endpoint (the npm package fauxqs), with the topic the change
 * feed publishes to. The change feed's publisher talks to it with the same @aws-sdk/client-sns calls it makes
 * in AWS; subscribers are local SQS queues with filter policies (see scripts/tail.ts).
 */
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { startFauxqs } from "fauxqs";
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
 * Starts the local SNS/SQS endpoint on 127.0.0.1 and creates the notification topic.
 * @param options.port - 0 (the default) picks a free port
 * @param options.fifo - a FIFO topic, as the stack's `fifoTopic` option makes
 */
export async function startLocalNotifications(
  options: { port?: number; fifo?: boolean } = {},
): Promise<LocalNotifications> {
  let server: Awaited<ReturnType<typeof startFauxqs>>;
  try {
    server = await startFauxqs({ port: options.port ?? 0, host: "127.0.0.1", logger: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`port ${options.port} for local SNS/SQS is in use: pass another --sns-port`);
    }
    throw error;
  }
  const endpoint = `http://127.0.0.1:${server.port}`;
  const sns = new SNSClient(localAwsClientConfig(endpoint));
  const name = options.fifo ? `${localTopicName}.fifo` : localTopicName;
  const attributes: Record<string, string> = options.fifo
    ? { FifoTopic: "true", ContentBasedDeduplication: "false" }
    : {};
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  sns.destroy();
  return { endpoint, topicArn: TopicArn as string, stop: () => server.stop() };
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
