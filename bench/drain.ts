/**
 * Part 8: the change feed's drain rate in local mode (SPEC section 7: ≥ 50 % of a bare GetRecords → PublishBatch
 * loop in the same run). N events are appended as fast as the store allows (single-event appends, many streams
 * side by side) while nothing reads the table's stream; then, one after the other, on the same stream:
 *
 * - **bare loop**: the engine's ceiling. GetRecords from the oldest record (100 at a time), each event insert
 *   turned into its notification (the same body and attributes), PublishBatch of 10 to a local SNS topic, one
 *   call after another. No summaries, no checkpoints, no filter, no retries.
 * - **local mode**: local mode composed as `npm start` composes it (local/compose.ts) on the same table; its change
 *   feed starts at the oldest record and the clock runs from its start until it has handed on every record.
 * - **local mode without the global feed** (SPEC section 7: indexing ≥ 80 % of the drain rate without it): all of
 *   the above again on a second DynamoDB Local, with the change feed's indexing turned off (compose.ts
 *   `globalFeed: false`). A DynamoDB Local of its own, not a second table: the engine slows with every stream
 *   record it holds, in any table, so a second table would slow whatever ran after it.
 *
 * All publish to a topic with one SQS queue subscribed, counted afterwards. The bare loop runs first: the change
 * feed's summary upkeep adds records to the stream that the bare loop would otherwise read too.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { PublishBatchCommand, type PublishBatchRequestEntry, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { notificationMessage } from "#change-feed/message.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { composeLocalMode } from "#local/compose.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { startLocalNotifications } from "#local/notifications.ts";
import { subscribeLocalQueue } from "#local/subscription.ts";
import { ensureTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { isEventItem, recordedEvent } from "#store/items.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { BenchConfig } from "./config.ts";
import { newEvents } from "./events.ts";
import { streamsSharing } from "./replay.ts";
import { ratio, round } from "./stats.ts";

export interface DrainRun {
  seconds: number;
  eventsPerSecond: number;
  /** Messages on the subscribed queue afterwards (at least once: ≥ events). */
  delivered: number;
}

export interface DrainResult {
  events: number;
  streams: number;
  /** Seconds to append the events (not part of the figure). */
  seedSeconds: number;
  bareLoop: DrainRun;
  localMode: DrainRun;
  /** localMode / bareLoop events per second. */
  localModeToBareLoop: number;
  budget: number;
  met: boolean;
  /** Local mode's change feed without indexing the global feed, set up alike on a second DynamoDB Local. */
  withoutGlobalFeed: DrainRun;
  /** The bare loop on that second DynamoDB Local, before it. */
  withoutGlobalFeedBareLoop: DrainRun;
  /**
   * What indexing leaves of the drain rate: local mode with it against local mode without it, each first divided by
   * the bare loop on its own engine (two DynamoDB Locals are never quite alike).
   */
  globalFeedToWithout: number;
  globalFeedBudget: number;
  globalFeedMet: boolean;
}

const tableName = "drain";
const streamType = "bench-drain";
const seedConcurrency = 8;

/** Each set-up on a DynamoDB Local of its own (its stream holds only that set-up's records). */
export async function measureDrain(options: {
  config: BenchConfig["drain"];
  progress: (message: string) => void;
}): Promise<DrainResult> {
  const { config, progress } = options;
  const withFeed = await drainOnNewEngine(config, true, (seconds) =>
    progress(`   ${config.events} events appended in ${round(seconds)} s; bare loop, then local mode`),
  );
  const withoutFeed = await drainOnNewEngine(config, false, (seconds) =>
    progress(`   again on a new DynamoDB Local (appended in ${round(seconds)} s): local mode without the global feed`),
  );
  const { bareLoop, localMode } = withFeed;
  const localModeToBareLoop = round(ratio(localMode.eventsPerSecond, bareLoop.eventsPerSecond), 3);
  const globalFeedToWithout = round(
    ratio(
      ratio(localMode.eventsPerSecond, withFeed.bareLoop.eventsPerSecond),
      ratio(withoutFeed.localMode.eventsPerSecond, withoutFeed.bareLoop.eventsPerSecond),
    ),
    3,
  );
  const budget = 0.5;
  const globalFeedBudget = 0.8;
  return {
    events: config.events,
    streams: config.streams,
    seedSeconds: round(withFeed.seedSeconds, 1),
    bareLoop,
    localMode,
    localModeToBareLoop,
    budget,
    met: localMode.delivered >= config.events && localModeToBareLoop >= budget,
    withoutGlobalFeed: withoutFeed.localMode,
    withoutGlobalFeedBareLoop: withoutFeed.bareLoop,
    globalFeedToWithout,
    globalFeedBudget,
    globalFeedMet:
      localMode.delivered >= config.events &&
      withoutFeed.localMode.delivered >= config.events &&
      globalFeedToWithout >= globalFeedBudget,
  };
}

/** A new DynamoDB Local, the events appended, the bare loop's drain, then local mode's (with or without the feed). */
async function drainOnNewEngine(
  config: BenchConfig["drain"],
  globalFeed: boolean,
  appended: (seconds: number) => void,
): Promise<{ seedSeconds: number; bareLoop: DrainRun; localMode: DrainRun }> {
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  const client = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
  try {
    const streamArn = await ensureTable(client, tableName);
    const seedStarted = performance.now();
    await appendEvents(new StreamStore({ client, tableName }), config);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    appended(seedSeconds);
    const bareLoop = await bareLoopDrain(dynamoDb.endpoint, streamArn, config.events);
    const localMode = await localModeDrain(dynamoDb.endpoint, config.events, globalFeed);
    return { seedSeconds, bareLoop, localMode };
  } finally {
    client.destroy();
    await dynamoDb.stop();
  }
}

/**
 * `config.events` single-event appends over `config.streams` streams, `seedConcurrency` at a time: each worker owns
 * some of the streams and appends to them in turn, so the stream records interleave the streams.
 */
async function appendEvents(store: StreamStore, config: BenchConfig["drain"]): Promise<void> {
  const streams = streamsSharing(config);
  const most = streams[0]?.events ?? 0;
  const worker = async (first: number) => {
    const mine = streams.filter((_, index) => index % seedConcurrency === first);
    for (let revision = 0; revision < most; revision++) {
      for (const stream of mine) {
        if (revision < stream.events) await store.append(streamType, stream.id, revision, newEvents(1));
      }
    }
  };
  await Promise.all(Array.from({ length: seedConcurrency }, (_, first) => worker(first)));
}

async function bareLoopDrain(dynamoDbEndpoint: string, streamArn: string, events: number): Promise<DrainRun> {
  const notifications = await startLocalNotifications({ port: 0 });
  const streams = new DynamoDBStreamsClient(localAwsClientConfig(dynamoDbEndpoint));
  const sns = new SNSClient(localAwsClientConfig(notifications.endpoint));
  const { topicArn } = notifications;
  const counted = await subscribeLocalQueue({ endpoint: notifications.endpoint, topicArn, namePrefix: "bench-drain" });
  try {
    const started = performance.now();
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shardId = StreamDescription?.Shards?.[0]?.ShardId;
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    let published = 0;
    while (published < events && iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      iterator = page.NextShardIterator;
      const entries: PublishBatchRequestEntry[] = [];
      for (const record of page.Records ?? []) {
        const item = unmarshall((record.dynamodb?.NewImage ?? {}) as Record<string, AttributeValue>);
        if (record.eventName !== "INSERT" || !isEventItem(item)) continue;
        const { body, attributes } = notificationMessage(recordedEvent(item), { body: "go" });
        entries.push({
          Id: String(entries.length),
          Message: body,
          MessageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
          ),
        });
      }
      for (let from = 0; from < entries.length; from += 10) {
        const batch = entries.slice(from, from + 10);
        const { Failed } = await sns.send(
          new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch }),
        );
        if (Failed?.length) throw new Error(`bare loop: PublishBatch failed ${Failed.length} entries`);
      }
      published += entries.length;
    }
    const seconds = (performance.now() - started) / 1000;
    return drainRun(events, seconds, await queueLength(counted.queueUrl, notifications.endpoint));
  } finally {
    await counted.close();
    sns.destroy();
    streams.destroy();
    await notifications.stop();
  }
}

async function localModeDrain(dynamoDbEndpoint: string, events: number, globalFeed: boolean): Promise<DrainRun> {
  // The counted queue must be subscribed before the change feed starts: local mode gets an SNS endpoint that runs
  // already, with the topic and its subscription (CreateTopic is idempotent).
  const notifications = await startLocalNotifications({ port: 0 });
  const counted = await subscribeLocalQueue({
    endpoint: notifications.endpoint,
    topicArn: notifications.topicArn,
    namePrefix: "bench-drain",
  });
  try {
    const local = await composeLocalMode({
      dynamoDbEndpoint,
      tableName,
      snsEndpoint: notifications.endpoint,
      globalFeed,
      onChangeFeedError: (error) => console.error(`bench drain, change feed: ${error.message}`),
    });
    // The change feed has started but cannot have read anything yet: its first call is still on its way.
    const started = performance.now();
    try {
      await local.changeFeedIdle();
      const seconds = (performance.now() - started) / 1000;
      return drainRun(events, seconds, await queueLength(counted.queueUrl, notifications.endpoint));
    } finally {
      await local.stop();
    }
  } finally {
    await counted.close();
    await notifications.stop();
  }
}

function drainRun(events: number, seconds: number, delivered: number): DrainRun {
  return { seconds: round(seconds, 2), eventsPerSecond: round(events / seconds, 0), delivered };
}

async function queueLength(queueUrl: string, endpoint: string): Promise<number> {
  const sqs = new SQSClient(localAwsClientConfig(endpoint));
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  } finally {
    sqs.destroy();
  }
}
