/**
 * `npm run tail -- --stream-type T [--event-type E] [--json]`: what a filtered subscription receives.
 * Subscribes a local SQS queue to the local topic with a filter policy on the message attributes (as an SNS
 * subscription in AWS would be), prints each notification, and removes queue and subscription on Ctrl-C.
 */
import { parseArgs } from "node:util";
import { defaultSnsPort, findLocalTopicArn } from "./notifications.ts";
import { type Notification, subscribeLocalQueue } from "./subscription.ts";

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
  const filterPolicy: Record<string, string[]> = { streamType: streamTypes };
  if (values["event-type"]) filterPolicy.eventType = values["event-type"];
  const subscription = await subscribeLocalQueue({
    endpoint,
    topicArn: await findLocalTopicArn(endpoint),
    filterPolicy,
    namePrefix: "tail",
  });

  let running = true;
  const stop = async () => {
    if (!running) process.exit(1);
    running = false;
    await subscription.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  console.error(
    `Receiving notifications with filter policy ${JSON.stringify(filterPolicy)} from ${endpoint} (Ctrl-C stops)`,
  );
  while (running) {
    for (const notification of await subscription.receive()) console.log(formatNotification(notification, values.json));
  }
}

/** One line per notification: time, stream type, stream id, revision, event type, event id. */
function formatNotification({ body, attributes }: Notification, json: boolean): string {
  if (json) return JSON.stringify({ ...body, attributes });
  return `${body.CreatedAt}  ${body.StreamType}  ${body.StreamId}  r${body.StreamRevision}  ${body.EventType}  (${body.EventId})`;
}

main().catch((error: unknown) => {
  console.error(`npm run tail: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
