/**
 * The change feed: what happens after an event is stored. Records arrive from DynamoDB Streams (Lambda's event
 * source mapping in AWS, local/change-feed/poller.ts locally), in order per stream, at least once.
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
 * records wait for it and order per stream survives) only when DynamoDB fails: its summary upkeep, the check for
 * undelivered notifications, or the recording of undelivered ones. Summaries never move backwards, a stream is
 * counted only by the write that created its summary, and a range is recorded once, so redelivery is harmless. A
 * failed count is no reason to send records back (see countNewStreams).
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { type Observability, quietObservability } from "#shared/observability.ts";
import { isEventItem, recordedEvent } from "#store/items.ts";
import { isoTime, laterTime, type RecordedEvent, type UndeliveredNotification } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";
import type { Publish, Unpublished } from "./notifications.ts";

export interface ChangeFeedDependencies {
  /**
   * Summary upkeep, the counts of stream types, and the undelivered notifications. Without `countNewStreams` (tests
   * of summaries alone) no stream is counted; without `recordUndelivered` unpublished events go back to the event
   * source as batch item failures instead.
   */
  store: Pick<StreamStore, "raiseSummary"> &
    Partial<Pick<StreamStore, "countNewStreams" | "recordUndelivered" | "undeliveredOfStream">>;
  /** Publishes events and answers those it did not publish (notifications.ts). Absent: nothing is published. */
  publish?: Publish;
  /** The topic is FIFO: a stream with undelivered notifications holds its new events behind them. */
  fifo?: boolean;
  /** Where failures and the counts of notified and unpublished events go. Default: failures to stderr. */
  observability?: Observability;
  /** Milliseconds since the epoch, for `since` of undelivered notifications. */
  now?: () => number;
}

interface StreamBatch {
  events: RecordedEvent[];
  sequenceNumbers: string[];
}

export function createChangeFeed(
  dependencies: ChangeFeedDependencies,
): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const observability = dependencies.observability ?? quietObservability;
  return async (event) => {
    const streams = [...eventsByStream(event.Records).values()];
    const failures: string[] = [];
    // Summaries first: a subscriber that reads the listing after a notification sees that revision.
    const summaries = await Promise.all(streams.map((batch) => keepSummary(batch, dependencies.store, observability)));
    const publishable = streams.filter((_, index) => summaries[index] !== "failed");
    streams.forEach((batch, index) => {
      if (summaries[index] === "failed") failures.push(batch.sequenceNumbers[0] as string);
    });
    // Counts too: a subscriber that lists the stream types after a notification sees the new stream counted.
    const created = streams.filter((_, index) => summaries[index] === "created");
    await countNewStreams(created, dependencies.store, observability);
    if (dependencies.publish && publishable.length > 0) {
      failures.push(...(await notify(publishable, dependencies, observability)));
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** Raises the stream's summary: "created" when this wrote its first one (the stream is new), "failed" on failure. */
async function keepSummary(
  batch: StreamBatch,
  store: ChangeFeedDependencies["store"],
  observability: Observability,
): Promise<"created" | "raised" | "failed"> {
  const newest = batch.events.at(-1) as RecordedEvent;
  try {
    const created = await store.raiseSummary({
      streamId: newest.streamId,
      streamType: newest.streamType,
      revision: newest.revision,
      updatedAt: newest.createdAt,
    });
    return created ? "created" : "raised";
  } catch (error) {
    logFailure(observability, "summary upkeep failed", newest, error);
    return "failed";
  }
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

/**
 * Publishes every stream's events in one go (FIFO: but those of streams behind undelivered ones) and records
 * what is left as undelivered; answers the earliest record of each stream that must come back.
 */
async function notify(
  streams: StreamBatch[],
  dependencies: ChangeFeedDependencies,
  observability: Observability,
): Promise<string[]> {
  const publish = dependencies.publish as Publish;
  const failures: string[] = [];
  const unpublished = new Map<RecordedEvent, string>();
  const toPublish: StreamBatch[] = [];
  const behind = await Promise.all(streams.map((batch) => undeliveredBefore(batch, dependencies, observability)));
  streams.forEach((batch, index) => {
    const blocker = behind[index];
    if (blocker === "failed") failures.push(batch.sequenceNumbers[0] as string);
    else if (blocker === undefined) toPublish.push(batch);
    else for (const event of batch.events) unpublished.set(event, `held back behind undelivered revision ${blocker}`);
  });
  const events = toPublish.flatMap((batch) => batch.events);
  for (const { event, cause } of events.length > 0 ? await publishSafely(publish, events, observability) : []) {
    unpublished.set(event, cause);
  }
  observability.count("EventsNotified", events.filter((event) => !unpublished.has(event)).length);
  observability.count("PublishFailures", unpublished.size);

  const recorded = await Promise.all(
    streams.map((batch) => recordUnpublished(batch, unpublished, dependencies, observability)),
  );
  for (const sequenceNumber of recorded) if (sequenceNumber !== undefined) failures.push(sequenceNumber);
  return failures;
}

/** FIFO: the first undelivered revision of the stream, if any; "failed" when the check failed. */
async function undeliveredBefore(
  batch: StreamBatch,
  dependencies: ChangeFeedDependencies,
  observability: Observability,
): Promise<number | "failed" | undefined> {
  const { store } = dependencies;
  if (!dependencies.fifo || !store.undeliveredOfStream) return undefined;
  const first = batch.events[0] as RecordedEvent;
  try {
    const [undelivered] = await store.undeliveredOfStream(first.streamId, 1);
    return undelivered?.firstRevision;
  } catch (error) {
    logFailure(observability, "checking undelivered notifications failed", first, error);
    return "failed";
  }
}

async function publishSafely(publish: Publish, events: RecordedEvent[], observability: Observability) {
  try {
    return await publish(events);
  } catch (error) {
    logFailure(observability, "publish failed", events[0] as RecordedEvent, error);
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return events.map((event): Unpublished => ({ event, cause }));
  }
}

/**
 * Records a stream's unpublished events as undelivered ranges; answers the sequence number to deliver again
 * when that is not possible (no place to record them, or recording failed), else undefined.
 */
async function recordUnpublished(
  batch: StreamBatch,
  unpublished: Map<RecordedEvent, string>,
  dependencies: ChangeFeedDependencies,
  observability: Observability,
): Promise<string | undefined> {
  const earliest = batch.events.findIndex((event) => unpublished.has(event));
  if (earliest < 0) return undefined;
  const first = batch.events[earliest] as RecordedEvent;
  const { store } = dependencies;
  observability.error("publish failed", {
    streamId: first.streamId,
    revision: first.revision,
    cause: unpublished.get(first),
    ...(store.recordUndelivered ? { recordedUndelivered: true } : {}),
  });
  if (!store.recordUndelivered) return batch.sequenceNumbers[earliest];
  try {
    const since = isoTime((dependencies.now ?? Date.now)());
    const existing = store.undeliveredOfStream ? await store.undeliveredOfStream(first.streamId) : [];
    const events = batch.events.filter((event) => unpublished.has(event) && !coveredBy(existing, event.revision));
    await store.recordUndelivered(undeliveredRanges(events, unpublished, since));
    return undefined;
  } catch (error) {
    logFailure(observability, "recording undelivered notifications failed", first, error);
    return batch.sequenceNumbers[earliest];
  }
}

/**
 * Runs of consecutive revisions, each with its first event's cause. Revisions already recorded are left out
 * beforehand: a range is recorded once per first revision, so [3, 7] would be lost behind a recorded [3, 5].
 */
function undeliveredRanges(
  events: RecordedEvent[],
  causes: Map<RecordedEvent, string>,
  since: string,
): UndeliveredNotification[] {
  const ranges: UndeliveredNotification[] = [];
  for (const event of events) {
    const last = ranges.at(-1);
    if (last && event.revision === last.lastRevision + 1) last.lastRevision = event.revision;
    else {
      const { streamId, streamType, revision } = event;
      const cause = causes.get(event) as string;
      ranges.push({ streamId, streamType, firstRevision: revision, lastRevision: revision, cause, since });
    }
  }
  return ranges;
}

function coveredBy(ranges: UndeliveredNotification[], revision: number): boolean {
  return ranges.some((range) => range.firstRevision <= revision && revision <= range.lastRevision);
}

/** The batch's event inserts grouped by stream, each group in revision order. */
function eventsByStream(records: DynamoDBRecord[]): Map<string, StreamBatch> {
  const streams = new Map<string, StreamBatch>();
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (record.eventName !== "INSERT" || !image || !sequenceNumber) continue;
    // The Lambda types and the SDK's describe the same wire format.
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (!isEventItem(item)) continue;
    const event = recordedEvent(item);
    const batch = streams.get(event.streamId) ?? { events: [], sequenceNumbers: [] };
    batch.events.push(event);
    batch.sequenceNumbers.push(sequenceNumber);
    streams.set(event.streamId, batch);
  }
  for (const batch of streams.values()) sortByRevision(batch);
  return streams;
}

function sortByRevision(batch: StreamBatch): void {
  const order = batch.events
    .map((_, index) => index)
    .sort((a, b) => (batch.events[a] as RecordedEvent).revision - (batch.events[b] as RecordedEvent).revision);
  batch.events = order.map((index) => batch.events[index] as RecordedEvent);
  batch.sequenceNumbers = order.map((index) => batch.sequenceNumbers[index] as string);
}

function logFailure(observability: Observability, message: string, event: RecordedEvent, error: unknown): void {
  observability.error(message, {
    streamId: event.streamId,
    revision: event.revision,
    ...(error === undefined ? {} : { error }),
  });
}
