/**
 * Part 6: a replay in local mode (SPEC sections 5 and 7: "report events/s for 100,000 events"). The history is
 * written straight through the store (appends of 100 events, then each stream's listing entry, as the change feed
 * keeps it), with local mode's change feed stopped so that it does not publish that history first. Then
 * `POST /replays` of the stream type into a queue of its own (a new read model's) on the local SQS; the clock runs
 * from the 202 until `GET /operations/{id}` says succeeded. In between: the real worker, step after step through
 * the local operations queue and its poller, reading the listing and the events from DynamoDB Local and sending
 * them with SendMessageBatch. The target queue is counted afterwards, so no consumer competes for the CPU.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { openLocalQueue } from "#local/subscription.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { BenchConfig } from "./config.ts";
import { newEvents, newStreamId } from "./events.ts";
import { startLocalMode } from "./local-mode.ts";
import { round } from "./stats.ts";

export interface ReplayResult {
  events: number;
  streams: number;
  /** Seconds to write the history (not part of the figure). */
  seedSeconds: number;
  /** From the 202 of POST /replays to the operation's succeeded state. */
  seconds: number;
  eventsPerSecond: number;
  /** Messages in the target queue afterwards (at least once: ≥ events). */
  delivered: number;
  /** The operation's progress when it succeeded. */
  progress: { streams: number; events: number };
}

const streamType = "bench-replay";
const tableName = "replay";
/** Appends writing the history side by side. */
const seedConcurrency = 8;

/**
 * Starts a DynamoDB Local of its own (the engine slows down with the stream records the other parts left in their
 * tables, and 100,000 events are a heavy suite of their own) and local mode on it (in a child process, as the
 * other parts), and measures the replay.
 */
export async function measureReplay(options: {
  config: BenchConfig["replay"];
  progress: (message: string) => void;
}): Promise<ReplayResult> {
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  try {
    const localMode = await startLocalMode({ dynamoDbEndpoint: dynamoDb.endpoint, tableName });
    // Appends of 100 events are slow on DynamoDB Local: the functions' 2-second timeout would cut them off.
    const client = createDocumentClient({ ...localAwsClientConfig(dynamoDb.endpoint), requestTimeoutMs: 30_000 });
    try {
      await localMode.stopChangeFeed();
      return await replayInLocalMode({
        apiUrl: localMode.url,
        snsEndpoint: localMode.snsEndpoint,
        store: new StreamStore({ client, tableName }),
        config: options.config,
        progress: options.progress,
      });
    } finally {
      client.destroy();
      await localMode.stop();
    }
  } finally {
    await dynamoDb.stop();
  }
}

async function replayInLocalMode(options: {
  apiUrl: string;
  snsEndpoint: string;
  store: StreamStore;
  config: BenchConfig["replay"];
  progress: (message: string) => void;
}): Promise<ReplayResult> {
  const { config, store } = options;
  const seedStarted = performance.now();
  await seedHistory(store, config);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  options.progress(`   history written (${config.events} events in ${round(seedSeconds)} s); replaying`);

  const target = await openLocalQueue({ endpoint: options.snsEndpoint, namePrefix: "bench-read-model" });
  try {
    const started = performance.now();
    const answer = await fetch(`${options.apiUrl}/replays`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ streamType, target: { queueUrl: target.queueUrl } }),
    });
    const { location } = (await answer.json()) as { location?: string };
    if (answer.status !== 202 || !location) throw new Error(`POST /replays answered ${answer.status}`);
    const operation = await waitUntilFinished(`${options.apiUrl}${location}`);
    const seconds = (performance.now() - started) / 1000;
    if (operation.state !== "succeeded") throw new Error(`the replay ended ${operation.state}`);
    const { Attributes } = await target.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: target.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    return {
      events: config.events,
      streams: config.streams,
      seedSeconds: round(seedSeconds, 1),
      seconds: round(seconds, 2),
      eventsPerSecond: round(config.events / seconds, 0),
      delivered: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      progress: operation.progress,
    };
  } finally {
    await target.close();
  }
}

/** `config.streams` streams sharing `config.events` events, written in appends of up to 100, then listed. */
async function seedHistory(store: StreamStore, config: BenchConfig["replay"]): Promise<void> {
  const streams = streamsSharing(config);
  let next = 0;
  const worker = async () => {
    for (let stream = streams[next++]; stream; stream = streams[next++]) {
      for (let written = 0; written < stream.events; ) {
        const count = Math.min(100, stream.events - written);
        const appended = await store.append(streamType, stream.id, written, newEvents(count));
        written += count;
        if (written === stream.events) await store.raiseSummary(appended.stream);
      }
    }
  };
  await Promise.all(Array.from({ length: seedConcurrency }, worker));
}

/** `config.streams` new streams and how many of `config.events` each gets (the last ones may get fewer). */
export function streamsSharing(config: { events: number; streams: number }): { id: string; events: number }[] {
  const perStream = Math.ceil(config.events / config.streams);
  return Array.from({ length: config.streams }, (_, index) => ({
    id: newStreamId(),
    events: Math.max(0, Math.min(perStream, config.events - index * perStream)),
  }));
}

async function waitUntilFinished(url: string): Promise<{ state: string; progress: ReplayResult["progress"] }> {
  for (;;) {
    const operation = (await (await fetch(url)).json()) as { state: string; progress: ReplayResult["progress"] };
    if (operation.state !== "pending" && operation.state !== "running") return operation;
    await new Promise((wait) => setTimeout(wait, 100));
  }
}
