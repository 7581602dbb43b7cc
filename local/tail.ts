/**
 * `npm run tail -- --stream-type T [--event-type E] [--replay] [--json]`: what a filtered subscription receives.
 * Subscribes a local SQS queue to the local topic with a filter policy on the message attributes (as an SNS
 * subscription in AWS would be), prints each notification, and removes queue and subscription on Ctrl-C.
 *
 * With `--replay` it is a new read model catching up (SPEC section 5): the queue is subscribed first, then a
 * replay of each stream type's history is started into that same queue (`POST /replays` with `target.queueUrl`),
 * so the history arrives (marked as replayed) while live notifications keep coming, and nothing falls in between.
 *
 * With `--feed` it follows the global feed through the API instead (tail-feed.ts): no queue, every event in feed
 * order, from the head or from `--from P`.
 */
import { parseArgs } from "node:util";
import { defaultSnsPort, findLocalTopicArn } from "./notifications.ts";
import { type Notification, subscribeLocalQueue } from "./subscription.ts";
import { followFeed } from "./tail-feed.ts";

const usage = `Usage: npm run tail -- --stream-type T [--stream-type T2 …] [--event-type E …] [--replay] [--json]
                      [--endpoint URL] [--api URL]
       npm run tail -- --feed [--from P] [--stream-type T …] [--event-type E …] [--json] [--api URL]

Prints every notification of the running local event store (npm start) whose stream type (and event type) match;
with --feed, every event of its global feed (GET /feed) instead, in feed order.
  --stream-type T   stream type to receive (repeatable); with --feed optional (none: every type)
  --event-type E    only these event types (repeatable)
  --replay          first replay the history of these stream types into this subscription's queue (POST /replays),
                    printed as "replayed", then keep following live notifications
  --feed            follow the global feed through the API (long polls of GET /feed) instead of notifications:
                    one line per event: position, stream type, stream id, revision, event type, time
  --from P          with --feed: the events after position P (default: the head now, so only new events;
                    0: the whole feed, then new events)
  --json            one JSON object per line (notifications: the message body plus its attributes, replayId marks
                    the replayed; --feed: the whole event, payload and metadata included)
  --endpoint URL    the local SNS/SQS endpoint (default: http://127.0.0.1:$SNS_PORT or ${defaultSnsPort})
  --api URL         the local API, for --replay and --feed (default: http://127.0.0.1:$PORT or 3000)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "stream-type": { type: "string", multiple: true },
      "event-type": { type: "string", multiple: true },
      replay: { type: "boolean", default: false },
      feed: { type: "boolean", default: false },
      from: { type: "string" },
      json: { type: "boolean", default: false },
      endpoint: { type: "string" },
      api: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return void console.log(usage);
  // The lockfile keeps the SDK on versions that run on Node 20; its "Node 22 needed from 2027" notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const api = values.api ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  if (values.feed) return tailFeed({ ...values, api });
  if (values.from !== undefined) throw new Error("--from goes with --feed (see --help)");
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
  if (values.replay) {
    for (const streamType of streamTypes) {
      const eventTypes = values["event-type"];
      const request = {
        streamType,
        ...(eventTypes ? { eventTypes } : {}),
        target: { queueUrl: subscription.queueUrl },
      };
      void startReplay(api, request).catch(async (error: unknown) => {
        console.error(`npm run tail: ${error instanceof Error ? error.message : String(error)}`);
        await stop();
      });
    }
  }
  while (running) {
    for (const notification of await subscription.receive()) {
      console.log(formatNotification(notification, values.json, values.replay));
    }
  }
}

/** `--feed`: follows the global feed until Ctrl-C. */
async function tailFeed(values: {
  api: string;
  from?: string | undefined;
  "stream-type"?: string[] | undefined;
  "event-type"?: string[] | undefined;
  json: boolean;
  replay: boolean;
  endpoint?: string | undefined;
}): Promise<void> {
  if (values.replay) throw new Error("--replay is for notifications; with --feed, --from 0 reads the whole feed");
  if (values.endpoint !== undefined) throw new Error("--feed reads the API (--api URL), not the SNS/SQS --endpoint");
  if (values.from !== undefined && !/^\d{1,15}$/.test(values.from)) {
    throw new Error(`--from must be a position (a whole number, 0 for the whole feed), got ${values.from}`);
  }
  const stopping = new AbortController();
  const stop = () => {
    if (stopping.signal.aborted) process.exit(1);
    stopping.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await followFeed({
    api: values.api,
    from: values.from === undefined ? undefined : Number(values.from),
    streamTypes: values["stream-type"],
    eventTypes: values["event-type"],
    json: values.json,
    print: (line) => console.log(line),
    log: (line) => console.error(line),
    signal: stopping.signal,
  });
}

/** Starts a replay through the local API, then reports on stderr how it ended. */
async function startReplay(api: string, request: { streamType: string }): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(`${api}/replays`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
  } catch {
    throw new Error(`no local API at ${api}: start the store first (npm start), or give its URL with --api`);
  }
  const started = (await answer.json()) as { id?: string; location?: string; detail?: string };
  if (answer.status !== 202 || !started.location) {
    throw new Error(`the replay of ${request.streamType} was refused (${answer.status}): ${started.detail ?? ""}`);
  }
  console.error(`Replaying the history of ${request.streamType} (operation ${started.id}), then following live`);
  for (;;) {
    await new Promise((wait) => setTimeout(wait, 500));
    const operation = (await (await fetch(`${api}${started.location}`)).json()) as {
      state: string;
      progress: { streams: number; events: number };
      problem?: { detail: string };
    };
    if (operation.state === "pending" || operation.state === "running") continue;
    const { streams, events } = operation.progress;
    const problem = operation.problem ? `: ${operation.problem.detail}` : "";
    console.error(
      `Replay of ${request.streamType} ${operation.state}: ${events} events of ${streams} streams${problem}`,
    );
    return;
  }
}

/** One line per notification: time, stream type, stream id, revision, event type, event id (and live or replayed). */
function formatNotification({ body, attributes }: Notification, json: boolean, marked: boolean): string {
  if (json) return JSON.stringify({ ...body, attributes });
  const line = `${body.CreatedAt}  ${body.StreamType}  ${body.StreamId}  r${body.StreamRevision}  ${body.EventType}  (${body.EventId})`;
  if (!marked) return line;
  return `${attributes.replayId ? "replayed" : "live    "}  ${line}`;
}

main().catch((error: unknown) => {
  console.error(`npm run tail: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
