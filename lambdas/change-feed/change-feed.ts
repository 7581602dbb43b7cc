/**
 * The change feed: what happens after an event is stored. Records arrive from DynamoDB Streams (Lambda's event
 * source mapping in AWS, local/stream-poller.ts locally), in order per stream, at least once.
 *
 * For each stream in the batch: raise its summary (the listing entry) to the newest revision seen, then hand
 * its events on to the notification step. A stream whose step fails reports its earliest record as a batch item
 * failure: the event source then redelivers from there, so the stream's later records wait for it and order per
 * stream survives retries. Summaries never move backwards, so redelivery is harmless.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { EventStore } from "../store/event-store.ts";
import { isEventItem, recordedEvent } from "../store/items.ts";
import type { RecordedEvent } from "../store/model.ts";

export interface ChangeFeedDependencies {
  store: Pick<EventStore, "raiseSummary">;
  /**
   * Publishes the events of one stream (in revision order) and returns those that could not be published.
   * Absent: nothing is published. (The SNS fan-out plugs in here.)
   */
  publish?: (events: RecordedEvent[]) => Promise<RecordedEvent[]>;
}

interface StreamBatch {
  events: RecordedEvent[];
  sequenceNumbers: string[];
}

export function createChangeFeedHandler(
  dependencies: ChangeFeedDependencies,
): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  return async (event) => {
    const streams = eventsByStream(event.Records);
    const failures = await Promise.all([...streams.values()].map((batch) => handleStream(batch, dependencies)));
    return { batchItemFailures: failures.flat().map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** Handles one stream's events; returns the sequence numbers to report as failed (none, or the earliest). */
async function handleStream(batch: StreamBatch, dependencies: ChangeFeedDependencies): Promise<string[]> {
  const newest = batch.events.at(-1) as RecordedEvent;
  try {
    await dependencies.store.raiseSummary({
      streamId: newest.streamId,
      streamType: newest.streamType,
      revision: newest.revision,
      updatedAt: newest.createdAt,
    });
  } catch (error) {
    logFailure("summary upkeep failed", newest, error);
    return [batch.sequenceNumbers[0] as string];
  }
  if (!dependencies.publish) return [];
  try {
    const unpublished = await dependencies.publish(batch.events);
    if (unpublished.length === 0) return [];
    const earliest = Math.min(...unpublished.map((event) => batch.events.indexOf(event)));
    logFailure("publish failed", batch.events[earliest] as RecordedEvent, undefined);
    return [batch.sequenceNumbers[earliest] as string];
  } catch (error) {
    logFailure("publish failed", batch.events[0] as RecordedEvent, error);
    return [batch.sequenceNumbers[0] as string];
  }
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

function logFailure(message: string, event: RecordedEvent, error: unknown): void {
  console.error(
    JSON.stringify({
      level: "ERROR",
      message,
      streamId: event.streamId,
      revision: event.revision,
      error: error instanceof Error ? { name: error.name, message: error.message } : undefined,
    }),
  );
}
