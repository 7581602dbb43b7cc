/**
 * Part 10 over local mode's HTTP API (a child process, bench/local-mode.ts, on part 10's DynamoDB Local):
 *
 * - **lag**: single events appended with `PUT …/events/{revision}` at a steady trickle while a reader follows
 *   `GET /feed?after=<last>&stream-type=<type>&wait-seconds=S` (long polls, as a read model would); the clock runs
 *   from the append's 201 to the response that carries the event. In between: DynamoDB Local's stream, local
 *   mode's poller and change-feed handler (summary, publish, feed batch), and the long poll's watch of the head.
 * - **catch-up**: a history written straight through the store (appends of up to `catchUpAppendSize` events) with
 *   local mode's change feed stopped, indexed by the handler in this process (feed-indexer.ts, batches of 1,000 as
 *   local mode's), then read from position 0 to the end with the TypeScript client's `readFeed` (pages of 1,000).
 */
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { ensureTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import { EventStoreClient } from "../client/index.ts";
import type { BenchConfig } from "./config.ts";
import { newEvents, newStreamId } from "./events.ts";
import { appender, waitFor } from "./fan-out.ts";
import { feedIndexer, readEventRecords } from "./feed-indexer.ts";
import { type FeedItemSizes, feedItemSizes } from "./feed-item-sizes.ts";
import { capacityMeter, readWholeFeed } from "./feed-reads.ts";
import { startLocalMode } from "./local-mode.ts";
import { streamsSharing } from "./replay.ts";
import { percentile, round } from "./stats.ts";

export interface FeedLagResult {
  events: number;
  /** Events the reader saw before the drain timeout. */
  seen: number;
  /**
   * Events the reader never got although the feed holds them at positions it was served past (SPEC section 10:
   * never): found by reading the type's feed from the start afterwards.
   */
  skipped: number;
  intervalMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface FeedCatchUpResult {
  events: number;
  streams: number;
  /** Seconds to write the history and to index it in this process (neither part of the figure). */
  seedSeconds: number;
  indexSeconds: number;
  pageSize: number;
  /** From the first request to the last page. */
  seconds: number;
  eventsPerSecond: number;
  /**
   * The same feed read again through the store in this process, metered: a long feed in batches of 1,000, where
   * the upkeep's short one ends after a few pages. Its batches hold appends of 100 events, a few streams each.
   */
  storeRead: { pages: number; readUnits: number; rruPerEvent: number; items: FeedItemSizes };
}

const lagTable = "feed-lag";
const lagType = "bench-feed-lag";
const catchUpTable = "feed-catch-up";
const catchUpType = "bench-feed-catch-up";
/** Events per append of the catch-up's history. */
const catchUpAppendSize = 100;
const seedConcurrency = 8;
const catchUpPageSize = 1000;

export async function measureLag(options: {
  dynamoDbEndpoint: string;
  config: BenchConfig["feed"]["lag"];
}): Promise<FeedLagResult> {
  const { config } = options;
  const localMode = await startLocalMode({ dynamoDbEndpoint: options.dynamoDbEndpoint, tableName: lagTable });
  try {
    const reader = followFeed(localMode.url, lagType, config.waitSeconds);
    try {
      const append = appender(localMode.url);
      // Warm-up, untimed: the first batches create the feed's head, the summaries' code paths are compiled.
      const warmUp = { id: newStreamId(), revision: 0 };
      const warmKeys: string[] = [];
      for (let i = 0; i < 5; i++) warmKeys.push((await append(lagType, warmUp)).key);
      // Not an error when one never shows: the timed part counts what is missing and why.
      await waitFor(() => warmKeys.every((key) => reader.seenAt(key) !== undefined), 10_000, undefined);

      const streams = Array.from({ length: config.streams }, () => ({ id: newStreamId(), revision: 0 }));
      const acknowledgedAt = new Map<string, number>();
      const started = performance.now();
      for (let i = 0; i < config.events; i++) {
        const wait = started + i * config.intervalMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const { key, at } = await append(lagType, streams[i % streams.length] as { id: string; revision: number });
        acknowledgedAt.set(key, at);
      }
      await waitFor(
        () => [...acknowledgedAt.keys()].every((key) => reader.seenAt(key) !== undefined),
        config.drainTimeoutMs,
        undefined,
      );
      const missing = [...acknowledgedAt.keys()].filter((key) => reader.seenAt(key) === undefined);
      const skipped = await skippedEvents(localMode.url, missing, reader.position());
      const delays = [...acknowledgedAt].flatMap(([key, at]) => {
        const seen = reader.seenAt(key);
        return seen === undefined ? [] : [seen - at];
      });
      return {
        events: acknowledgedAt.size,
        seen: delays.length,
        skipped,
        intervalMs: config.intervalMs,
        p50Ms: round(percentile(delays, 0.5), 1),
        p90Ms: round(percentile(delays, 0.9), 1),
        p99Ms: round(percentile(delays, 0.99), 1),
        maxMs: round(Math.max(...delays), 1),
      };
    } finally {
      await reader.stop();
    }
  } finally {
    await localMode.stop();
  }
}

export async function measureCatchUp(options: {
  dynamoDbEndpoint: string;
  config: BenchConfig["feed"]["catchUp"];
  progress: (message: string) => void;
}): Promise<FeedCatchUpResult> {
  const { config, dynamoDbEndpoint } = options;
  const localMode = await startLocalMode({ dynamoDbEndpoint, tableName: catchUpTable });
  // Appends of 100 events are slow on DynamoDB Local: the functions' 2-second timeout would cut them off.
  const client = createDocumentClient({ ...localAwsClientConfig(dynamoDbEndpoint), requestTimeoutMs: 30_000 });
  const streams = new DynamoDBStreamsClient(localAwsClientConfig(dynamoDbEndpoint));
  try {
    await localMode.stopChangeFeed();
    const store = new StreamStore({ client, tableName: catchUpTable });
    const seedStarted = performance.now();
    await seedHistory(store, config);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const indexStarted = performance.now();
    const indexer = feedIndexer(store, 1000);
    await readEventRecords(streams, await ensureTable(client, catchUpTable), indexer.add, indexer.flush);
    const indexSeconds = (performance.now() - indexStarted) / 1000;
    options.progress(`   history written in ${round(seedSeconds)} s, indexed in ${round(indexSeconds)} s; reading`);

    const reader = new EventStoreClient({ url: localMode.url, auth: "none" });
    const started = performance.now();
    let read = 0;
    let last = 0;
    for await (const event of reader.readFeed({ pageSize: catchUpPageSize })) {
      if (event.position <= last) throw new Error(`the feed went back from ${last} to ${event.position}`);
      last = event.position;
      read++;
    }
    const seconds = (performance.now() - started) / 1000;
    if (read !== config.events) throw new Error(`the client read ${read} events of the feed, not ${config.events}`);
    const meter = capacityMeter();
    const metered = new StreamStore({ client, tableName: catchUpTable, onConsumedCapacity: meter.hook });
    const { pages } = await readWholeFeed(metered);
    const readUnits = meter.units.feedRead ?? 0;
    return {
      events: config.events,
      streams: config.streams,
      seedSeconds: round(seedSeconds, 1),
      indexSeconds: round(indexSeconds, 1),
      pageSize: catchUpPageSize,
      seconds: round(seconds, 2),
      eventsPerSecond: round(config.events / seconds, 0),
      storeRead: {
        pages,
        readUnits,
        rruPerEvent: round(readUnits / config.events, 4),
        items: await feedItemSizes(client, catchUpTable, [catchUpType]),
      },
    };
  } finally {
    streams.destroy();
    client.destroy();
    await localMode.stop();
  }
}

/** `config.streams` streams sharing `config.events` events, written in appends of up to `catchUpAppendSize`. */
async function seedHistory(store: StreamStore, config: BenchConfig["feed"]["catchUp"]): Promise<void> {
  const streams = streamsSharing(config);
  let next = 0;
  const worker = async () => {
    for (let stream = streams[next++]; stream; stream = streams[next++]) {
      for (let written = 0; written < stream.events; ) {
        const count = Math.min(catchUpAppendSize, stream.events - written);
        await store.append(catchUpType, stream.id, written, newEvents(count));
        written += count;
      }
    }
  };
  await Promise.all(Array.from({ length: seedConcurrency }, worker));
}

/** Long polls of the feed of one stream type, in a loop: when each event was first seen. */
function followFeed(url: string, streamType: string, waitSeconds: number) {
  const seenAt = new Map<string, number>();
  const stopping = new AbortController();
  let failure: unknown;
  let after = 0;
  const following = (async () => {
    while (!stopping.signal.aborted) {
      const query = `after=${after}&limit=1000&stream-type=${streamType}&wait-seconds=${waitSeconds}`;
      const response = await fetch(`${url}/feed?${query}`, { signal: stopping.signal });
      const body = (await response.json()) as {
        feedPage: { events: { streamId: string; revision: number }[]; lastPosition: number };
      };
      const now = performance.now();
      if (response.status !== 200) throw new Error(`GET /feed answered ${response.status}`);
      for (const event of body.feedPage.events) {
        const key = `${event.streamId}:${event.revision}`;
        if (!seenAt.has(key)) seenAt.set(key, now);
      }
      after = body.feedPage.lastPosition;
    }
  })().catch((error: unknown) => {
    if (!stopping.signal.aborted) failure = error;
  });
  return {
    /** When the event was first seen; throws what stopped the reader. */
    seenAt(key: string): number | undefined {
      if (failure) throw failure;
      return seenAt.get(key);
    },
    /** The position the reader was served up to. */
    position: () => after,
    stop: async () => {
      stopping.abort();
      await following;
    },
  };
}

/** How many of the `missing` events the type's feed holds at or before `position`. */
async function skippedEvents(url: string, missing: string[], position: number): Promise<number> {
  if (missing.length === 0) return 0;
  const wanted = new Set(missing);
  let skipped = 0;
  for (let after = 0, hasMore = true; hasMore; ) {
    const response = await fetch(`${url}/feed?after=${after}&limit=1000&stream-type=${lagType}`);
    const { feedPage } = (await response.json()) as {
      feedPage: {
        events: { streamId: string; revision: number; position: number }[];
        lastPosition: number;
        hasMore: boolean;
      };
    };
    for (const event of feedPage.events) {
      if (event.position <= position && wanted.has(`${event.streamId}:${event.revision}`)) skipped++;
    }
    after = feedPage.lastPosition;
    hasMore = feedPage.hasMore;
  }
  return skipped;
}
