/**
 * The change feed: what happens after an event is stored. Records arrive from DynamoDB Streams (Lambda's event
 * source mapping in AWS, local/change-feed/poller.ts locally), in order per stream, at least once.
 *
 * With the global feed (SPEC section 10) the change feed also indexes: it claims the next feed batch (the one
 * writer's lease, store/feed-index.ts), and each stream's summary write claims the stream's events for it only if
 * the stream stands in the feed just before them (revision n+1 never before n, also when a shard split hands one
 * stream's records to sibling shards processed in parallel). A stream that stands further back is held back (a
 * batch item failure: its records come again); one that stands at or past them was done by an earlier delivery
 * and is skipped: published and indexed once. The claimed events are published, then written to the feed as one
 * batch in the order of the records, and the batch is settled. A failure after the claim fails the invocation: the
 * batch is voided (or finished, if it was written) and every record comes again.
 *
 * For each stream in the batch: raise its summary (the listing entry) to the newest revision seen. A stream whose
 * summary that write created is new: each type's new streams are added to its count with one write (stream types,
 * store/stream-types.ts). Then all events of the streams whose summary is kept go to the publisher together (so
 * PublishBatch calls are full).
 * What the publisher could not publish after its retries is recorded as undelivered (SPEC section 2), in
 * contiguous ranges per stream, and the batch succeeds for it: the feed moves on and a redrive publishes it later.
 * On a FIFO topic a stream that already has undelivered notifications keeps its new events behind them (recorded
 * as undelivered too), so that the redrive publishes the stream in order.
 *
 * A stream goes back to the event source (a batch item failure: its earliest record not done, so its later
 * records wait for it and order per stream survives) when it is held back, or after a gap in its revisions.
 * When DynamoDB fails (a summary write, the check for undelivered notifications, the recording of undelivered
 * ones), the whole invocation fails and its feed batch is voided: a claim that counted for the feed is never made
 * again, so a stream must not be left claimed but unpublished or unindexed. (Without the feed, as some tests run
 * it, such a stream alone goes back.) Summaries never move backwards, a stream is counted only by the write that
 * created its summary, and a range is recorded once, so redelivery is harmless. A failed count is no reason to
 * send records back (see countNewStreams).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import pLimit from "p-limit";
import { type Observability, quietObservability } from "#shared/observability.ts";
import type { ClaimedBatch, FeedIndex } from "#store/feed-index.ts";
import { laterTime, type RecordedEvent } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";
import type { Publish } from "./notifications.ts";
import { logFailure, notify } from "./notify.ts";
import { consecutiveRun, eventsByStream, type StreamBatch, slice } from "./stream-batches.ts";

export interface ChangeFeedDependencies {
  /**
   * Summary upkeep, the counts of stream types, and the undelivered notifications. Without `countNewStreams` (tests
   * of summaries alone) no stream is counted; without `recordUndelivered` unpublished events go back to the event
   * source as batch item failures instead.
   */
  store: Pick<StreamStore, "raiseSummary"> &
    Partial<Pick<StreamStore, "claimSummary" | "countNewStreams" | "recordUndelivered" | "undeliveredOfStream">>;
  /** The global feed's writer (store.feedIndex()); absent: summaries only, no feed, no gate. */
  feed?: FeedIndex;
  /** Publishes events and answers those it did not publish (notifications.ts). Absent: nothing is published. */
  publish?: Publish;
  /** The topic is FIFO: a stream with undelivered notifications holds its new events behind them. */
  fifo?: boolean;
  /** Where failures and the counts of notified and unpublished events go. Default: failures to stderr. */
  observability?: Observability;
  /** Milliseconds since the epoch, for `since` of undelivered notifications. */
  now?: () => number;
  /**
   * Opens the events' personal data (store.openPersonalData) before they are published: given when notifications
   * carry payloads (the full body), so that they show personal values, or "[erased]", never ciphertext.
   */
  openPersonalData?: StreamStore["openPersonalData"];
}

/** Summary writes in flight at once: about what one DynamoDB client's connections carry without queueing long. */
const summaryWritesAtOnce = 50;

type SummaryOutcome = { state: "created" | "raised"; batch: StreamBatch } | { state: "done" | "behind" | "failed" };

export function createChangeFeed(
  dependencies: ChangeFeedDependencies,
): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const observability = dependencies.observability ?? quietObservability;
  return async (event) => {
    const streams = [...eventsByStream(event.Records).values()];
    if (streams.length === 0) return { batchItemFailures: [] };
    const open = dependencies.openPersonalData;
    if (open) for (const batch of streams) batch.events = await open(batch.events);
    const claimed = dependencies.feed ? await dependencies.feed.begin() : undefined;
    try {
      const failures = await changeFeedBatch(streams, claimed, dependencies, observability);
      return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
    } catch (error) {
      if (claimed) await dependencies.feed?.abandon(claimed);
      throw error;
    }
  };
}

async function changeFeedBatch(
  streams: StreamBatch[],
  claimed: ClaimedBatch | undefined,
  dependencies: ChangeFeedDependencies,
  observability: Observability,
): Promise<string[]> {
  const failures: string[] = [];
  // With the feed, a stream goes in only as a run of consecutive revisions: after a gap (its missing revisions
  // are on another shard) its records come again.
  const runs = streams.map((batch) => (claimed ? consecutiveRun(batch) : { run: batch, rest: undefined }));
  for (const { rest } of runs) if (rest !== undefined) failures.push(rest);
  // Summaries first: a subscriber that reads the listing after a notification sees that revision. A batch of
  // 1,000 records may hold 1,000 streams: their writes go a bounded number at a time, not all at once, so that
  // none waits past its timeout (with the feed, one failed claim fails the whole batch).
  const limit = pLimit(summaryWritesAtOnce);
  const summaries = await Promise.all(
    runs.map(({ run }) => limit(() => keepSummary(run, dependencies.store, claimed, observability))),
  );
  const kept: StreamBatch[] = [];
  summaries.forEach((summary, index) => {
    if (summary.state === "behind" || summary.state === "failed") {
      failures.push((runs[index] as { run: StreamBatch }).run.sequenceNumbers[0] as string);
    } else if (summary.state === "created" || summary.state === "raised") kept.push(summary.batch);
  });
  const behind = summaries.filter((summary) => summary.state === "behind").length;
  if (behind > 0) observability.count("FeedStreamsHeldBack", behind);
  // Counts too: a subscriber that lists the stream types after a notification sees the new stream counted.
  const created = summaries.flatMap((summary) => (summary.state === "created" ? [summary.batch] : []));
  await countNewStreams(created, dependencies.store, observability);
  if (dependencies.publish && kept.length > 0) {
    const unrecorded = await notify(kept, dependencies, observability);
    // Events claimed for the feed are never claimed again, so their notifications could not come again either:
    // when some could be neither published nor recorded undelivered, the whole batch is voided and comes again.
    if (claimed && unrecorded.length > 0) throw new Error("notifications could not be recorded as undelivered");
    failures.push(...unrecorded);
  }
  if (claimed && dependencies.feed) {
    const entries = feedEntries(kept);
    await dependencies.feed.commit(claimed, entries);
    observability.count("EventsIndexed", entries.length);
  }
  return failures;
}

/**
 * Raises the stream's summary (with the feed: claims its events). "created" when this wrote its first one (the
 * stream is new); "done" when an earlier delivery already did; "behind" when its predecessor is not in yet.
 */
async function keepSummary(
  batch: StreamBatch,
  store: ChangeFeedDependencies["store"],
  claimed: ClaimedBatch | undefined,
  observability: Observability,
): Promise<SummaryOutcome> {
  const newest = batch.events.at(-1) as RecordedEvent;
  const stream = {
    streamId: newest.streamId,
    streamType: newest.streamType,
    revision: newest.revision,
    updatedAt: newest.createdAt,
  };
  try {
    if (!claimed || !store.claimSummary) {
      return { state: (await store.raiseSummary(stream)) ? "created" : "raised", batch };
    }
    const first = (batch.events[0] as RecordedEvent).revision;
    const claim = await store.claimSummary(stream, { ...claimed, firstRevision: first });
    if (claim.outcome === "created" || claim.outcome === "claimed") {
      return { state: claim.outcome === "created" ? "created" : "raised", batch };
    }
    if (claim.outcome === "overlap") {
      // A delivery that brings more of the stream than an earlier one did: the rest goes on from there.
      return keepSummary(slice(batch, claim.feedRevision - first + 1), store, claimed, observability);
    }
    return { state: claim.outcome };
  } catch (error) {
    logFailure(observability, "summary upkeep failed", newest, error);
    // A claim whose answer was lost may have been applied: only voiding the whole batch makes sure it counts for
    // nothing, so the invocation fails and every record comes again.
    if (claimed) throw error;
    return { state: "failed" };
  }
}

/** The claimed events in the order their records came, each stream's in revision order. */
function feedEntries(streams: StreamBatch[]) {
  const placed = streams.flatMap((batch) =>
    batch.events.map((event, index) => ({ event, at: batch.recordIndexes[index] as number })),
  );
  placed.sort((a, b) => a.at - b.at);
  return placed.map(({ event }) => ({
    streamId: event.streamId,
    streamType: event.streamType,
    revision: event.revision,
    eventType: event.eventType,
    eventId: event.eventId,
    createdAt: event.createdAt,
    traceContext: event.traceContext,
    expiresAt: event.expiresAt,
    subject: event.subject,
  }));
}

/**
 * Adds the streams whose first summary this batch wrote to their types' counts: one write per type, with the time
 * of the newest stream's first event (a new stream's records start with its first event, unless the event source
 * dropped earlier ones; then its earliest record here stands in).
 *
 * A count write that fails is logged and counted (StreamCountFailures), and the batch goes on: unlike a failed
 * summary it is not a batch item failure. Sending the streams' records back could not repair it: a redelivery finds
 * their summaries written, which is exactly what keeps it from counting a stream twice, so it would not count them
 * either, and would only hold back their notifications (or publish them twice). A redelivery could be told that
 * its streams are still to be counted only by a second write per new stream (a mark on the summary, cleared once
 * counted), and even then a count write that timed out after DynamoDB applied it would be counted twice. So the type
 * stays short by these streams, as it does when the change feed dies between the two writes (docs/data-model.md).
 */
async function countNewStreams(
  created: StreamBatch[],
  store: ChangeFeedDependencies["store"],
  observability: Observability,
): Promise<void> {
  if (!store.countNewStreams || created.length === 0) return;
  const types = new Map<string, { streams: number; lastCreatedAt: string }>();
  for (const batch of created) {
    const { streamType, createdAt } = batch.events[0] as RecordedEvent;
    const type = types.get(streamType);
    types.set(streamType, {
      streams: (type?.streams ?? 0) + 1,
      lastCreatedAt: laterTime(createdAt, type?.lastCreatedAt),
    });
  }
  await Promise.all(
    [...types].map(async ([streamType, { streams, lastCreatedAt }]) => {
      try {
        await store.countNewStreams?.(streamType, streams, lastCreatedAt);
      } catch (error) {
        observability.count("StreamCountFailures", streams);
        observability.error("counting new streams failed", { streamType, newStreams: streams, error });
      }
    }),
  );
}
