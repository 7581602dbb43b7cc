/**
 * Set-up of the global feed's tests: a table of their own (the feed is one log per table, and these tests leave
 * claims and void batches behind on purpose), the real store over it, real stream records of it, and the change
 * feed fed by hand as Lambda's event source would feed it.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import type { Publish } from "#change-feed/notifications.ts";
import type { FeedEvent, ReadFeedOptions } from "#store/feed.ts";
import type { FeedIndex } from "#store/feed-index.ts";
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testTableStream } from "#test/support/dynamodb.ts";
import { testStreamStore } from "#test/support/store.ts";
import { readStreamRecords } from "#test/support/stream-records.ts";

export const feedTable = "feed-test";

export async function feedSuite() {
  const streamArn = await testTableStream(feedTable);
  const suite = await testStreamStore({ tableName: feedTable });
  return { ...suite, streamArn, records: (streamIds: string[]) => readStreamRecords(streamArn, new Set(streamIds)) };
}

/** The change feed with a writer of the feed of its own (one per "process"), publishing through `publish` if given. */
export function changeFeed(store: StreamStore, feed: FeedIndex = store.feedIndex(200), publish?: Publish) {
  const handler = createChangeFeed({ store, feed, publish, fifo: publish !== undefined });
  return (records: DynamoDBRecord[]) => handler({ Records: records });
}

/** Appends `events` events (in appends of `perAppend`) to each of `streams` new streams of the type. */
export async function appendToNewStreams(
  store: StreamStore,
  streamType: string,
  streams: number,
  events: number,
  perAppend = 1,
): Promise<string[]> {
  const streamIds = Array.from({ length: streams }, () => randomUUID());
  await Promise.all(
    streamIds.map(async (streamId) => {
      for (let revision = 1; revision <= events; revision += perAppend) {
        const count = Math.min(perAppend, events - revision + 1);
        const batch = Array.from({ length: count }, (_, i) => ({
          eventType: `Happened${(revision + i) % 2 === 0 ? "Even" : "Odd"}`,
          payload: new RawJson(`{"revision":${revision + i}}`),
        }));
        await store.append(streamType, streamId, revision - 1, batch);
      }
    }),
  );
  return streamIds;
}

/** Runs the change feed over the records until it answers no failures, redelivering from the first failure. */
export async function deliverUntilDone(
  handler: ReturnType<typeof changeFeed>,
  records: DynamoDBRecord[],
): Promise<void> {
  let pending = records;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 100) throw new Error("the change feed keeps failing these records");
    const { batchItemFailures } = await handler(pending).catch(() => ({
      batchItemFailures: [{ itemIdentifier: pending[0]?.dynamodb?.SequenceNumber as string }],
    }));
    const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
    const first = pending.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber as string));
    // Lambda's event source retries from the earliest failed record on.
    pending = first < 0 ? [] : pending.slice(first);
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every page of the feed after `after`, as one list. */
export async function readWholeFeed(
  store: StreamStore,
  options: Partial<ReadFeedOptions> = {},
): Promise<{ events: FeedEvent[]; lastPosition: number; pages: number }> {
  const events: FeedEvent[] = [];
  let after = options.after ?? 0;
  let pages = 0;
  for (;;) {
    const page = await store.readFeed({ limit: 1000, ...options, after });
    pages++;
    events.push(...page.events);
    after = page.lastPosition;
    if (!page.hasMore) return { events, lastPosition: after, pages };
  }
}

/** The feed's events of these streams, by stream: revision → position. */
export function positionsByStream(events: FeedEvent[], streamIds: string[]): Map<string, [number, number][]> {
  const wanted = new Set(streamIds);
  const byStream = new Map<string, [number, number][]>();
  for (const event of events) {
    if (!wanted.has(event.streamId)) continue;
    byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), [event.revision, event.position]]);
  }
  return byStream;
}
