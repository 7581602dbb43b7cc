/**
 * `npm run tail -- --stream-type T [--event-type E] [--json]`: what a filtered subscription receives.
 * Creates a local SQS queue, subscribes it to the local topic with a filter policy on the message attributes
 * (as an SNS subscription in AWS would be), prints each notification, and removes both on Ctrl-C.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ListTopicsCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { localAwsClientConfig } from "./aws-local.ts";
import { defaultSnsPort, localTopicName } from "./notifications.ts";

const usage = `Usage: npm run tail -- --stream-type T [--stream-type T2 …] [--event-type E …] [--json] [--endpoint URL]

Prints every notification of the running local event store (npm start) whose stream type (and event type) match.
  --stream-type T   stream type to receive (repeatable)
  --event-type E    only these event types (repeatable)
  --json            one JSON object per line (the message body plus its attributes)
  --endpoint URL    the local SNS/SQS endpoint (default: http://127.0.0.1:$SNS_PORT or ${defaultSnsPort})`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "stream-type": { type: "string", multiple: true },
      "event-type": { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      endpoint: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return void console.log(usage);
  // The lockfile keeps the SDK on versions that run on Node 20; its "Node 22 needed from 2027" notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const streamTypes = values["stream-type"] ?? [];
  if (streamTypes.length === 0) throw new Error("say which stream type to receive: --stream-type T (see --help)");
  const endpoint = values.endpoint ?? `http://127.0.0.1:${process.env.SNS_PORT ?? defaultSnsPort}`;
  const sns = new SNSClient(localAwsClientConfig(endpoint));
  const sqs = new SQSClient(localAwsClientConfig(endpoint));

  const topicArn = await findTopic(sns, endpoint);
  const filterPolicy: Record<string, string[]> = { streamType: streamTypes };
  if (values["event-type"]) filterPolicy.eventType = values["event-type"];
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `tail-${randomUUID().slice(0, 8)}` }));
  const queueUrl = QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: Attributes?.QueueArn,
      Attributes: { FilterPolicy: JSON.stringify(filterPolicy) },
    }),
  );

  let running = true;
  const stop = async () => {
    if (!running) process.exit(1);
    running = false;
    await sns.send(new UnsubscribeCommand({ SubscriptionArn })).catch(() => {});
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  console.error(
    `Receiving notifications with filter policy ${JSON.stringify(filterPolicy)} from ${endpoint} (Ctrl-C stops)`,
  );

  while (running) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of Messages) console.log(formatNotification(message.Body ?? "{}", values.json));
    if (Messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }
}

async function findTopic(sns: SNSClient, endpoint: string): Promise<string> {
  let topics: { TopicArn?: string }[];
  try {
    topics = (await sns.send(new ListTopicsCommand({}))).Topics ?? [];
  } catch {
    throw new Error(`no local SNS at ${endpoint}: start the store first (npm start), or pass --endpoint`);
  }
  const topic = topics.find((candidate) => /:event-store-notifications(\.fifo)?$/.test(candidate.TopicArn ?? ""));
  if (!topic?.TopicArn)
    throw new Error(`no topic ${localTopicName} at ${endpoint}: is this the endpoint npm start printed?`);
  return topic.TopicArn;
}

/** One line per notification: time, stream type, stream id, revision, event type, event id. */
function formatNotification(envelopeText: string, json: boolean): string {
  const envelope = JSON.parse(envelopeText) as {
    Message: string;
    MessageAttributes?: Record<string, { Value: string }>;
  };
  const body = JSON.parse(envelope.Message) as Record<string, string>;
  if (json) {
    const attributes = Object.fromEntries(
      Object.entries(envelope.MessageAttributes ?? {}).map(([name, attribute]) => [name, attribute.Value]),
    );
    return JSON.stringify({ ...body, attributes });
  }
  return `${body.CreatedAt}  ${body.StreamType}  ${body.StreamId}  r${body.StreamRevision}  ${body.EventType}  (${body.EventId})`;
}

main().catch((error: unknown) => {
  console.error(`npm run tail: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
