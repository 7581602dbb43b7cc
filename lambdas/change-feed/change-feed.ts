/**
 * The change feed: what happens after an event is stored. Records arrive from DynamoDB Streams (Lambda's event
 * source mapping in AWS, local/change-feed/poller.ts locally), in order per stream, at least once.
 *
 * For each stream in the batch: raise its summary (the listing entry) to the newest revision seen; then all
 * events of the streams whose summary is kept go to the notification step together (so PublishBatch calls are
 * full). A stream whose step fails reports its earliest failed record as a batch item failure: the event source then redelivers from there, so the stream's later records wait for it and order per
 * stream survives retries. Summaries never move backwards, so redelivery is harmless.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { type Observability, quietObservability } from "#shared/observability.ts";
import { isEventItem, recordedEvent } from "#store/items.ts";
import type { RecordedEvent } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";

export interface ChangeFeedDependencies {
  store: Pick<StreamStore, "raiseSummary">;
  /**
   * Publishes events (grouped by stream, each stream in revision order) and returns those it did not publish.
   * Absent: nothing is published.
   */
  publish?: (events: RecordedEvent[]) => Promise<RecordedEvent[]>;
  /** Where failures and the counts of notified and unpublished events go. Default: failures to stderr. */
  observability?: Observability;
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
    const kept = await Promise.all(streams.map((batch) => keepSummary(batch, dependencies.store, observability)));
    const publishable = streams.filter((_, index) => kept[index]);
    streams.forEach((batch, index) => {
      if (!kept[index]) failures.push(batch.sequenceNumbers[0] as string);
    });
    if (dependencies.publish && publishable.length > 0) {
      failures.push(...(await publishAll(publishable, dependencies.publish, observability)));
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

async function keepSummary(
  batch: StreamBatch,
  store: ChangeFeedDependencies["store"],
  observability: Observability,
): Promise<boolean> {
  const newest = batch.events.at(-1) as RecordedEvent;
  try {
    await store.raiseSummary({
      streamId: newest.streamId,
      streamType: newest.streamType,
      revision: newest.revision,
      updatedAt: newest.createdAt,
    });
    return true;
  } catch (error) {
    logFailure(observability, "summary upkeep failed", newest, error);
    return false;
  }
}

/** Publishes every stream's events in one go; returns the earliest unpublished record of each stream. */
async function publishAll(
  streams: StreamBatch[],
  publish: NonNullable<ChangeFeedDependencies["publish"]>,
  observability: Observability,
): Promise<string[]> {
  const events = streams.flatMap((batch) => batch.events);
  let unpublished: Set<RecordedEvent>;
  try {
    unpublished = new Set(await publish(events));
  } catch (error) {
    logFailure(observability, "publish failed", events[0] as RecordedEvent, error);
    unpublished = new Set(events);
  }
  observability.count("EventsNotified", events.length - unpublished.size);
  observability.count("PublishFailures", unpublished.size);
  const failures: string[] = [];
  for (const batch of streams) {
    const earliest = batch.events.findIndex((event) => unpublished.has(event));
    if (earliest < 0) continue;
    logFailure(observability, "publish failed", batch.events[earliest] as RecordedEvent, undefined);
    failures.push(batch.sequenceNumbers[earliest] as string);
  }
  return failures;
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
