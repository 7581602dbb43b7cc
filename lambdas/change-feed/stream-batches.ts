/**
 * A change-feed batch's records as the change feed works on them: the event inserts of each stream, in revision
 * order, with the sequence numbers to answer as batch item failures and the places the records had in the batch
 * (the feed keeps the batch's order across streams).
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { isEventItem, recordedEvent } from "#store/items.ts";
import type { RecordedEvent } from "#store/model.ts";

export interface StreamBatch {
  events: RecordedEvent[];
  sequenceNumbers: string[];
  /** Where the stream's records stood in the event source's batch, ascending. */
  recordIndexes: number[];
}

/** The events from index `start` up to (not including) `end` of the stream's batch, with their records. */
export function slice(batch: StreamBatch, start: number, end?: number): StreamBatch {
  return {
    events: batch.events.slice(start, end),
    sequenceNumbers: batch.sequenceNumbers.slice(start, end),
    recordIndexes: batch.recordIndexes.slice(start, end),
  };
}

/**
 * The stream's first events up to a gap in their revisions (the missing ones are on another shard), and the
 * sequence number of the first record after the gap, which must come again.
 */
export function consecutiveRun(batch: StreamBatch): { run: StreamBatch; rest: string | undefined } {
  const end = batch.events.findIndex(
    (event, index) => index > 0 && event.revision !== (batch.events[index - 1] as RecordedEvent).revision + 1,
  );
  if (end < 0) return { run: batch, rest: undefined };
  return { run: slice(batch, 0, end), rest: batch.sequenceNumbers[end] };
}

/** The batch's event inserts grouped by stream, each group in revision order. */
export function eventsByStream(records: DynamoDBRecord[]): Map<string, StreamBatch> {
  const streams = new Map<string, StreamBatch>();
  for (const [index, record] of records.entries()) {
    const image = record.dynamodb?.NewImage;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (record.eventName !== "INSERT" || !image || !sequenceNumber) continue;
    // The Lambda types and the SDK's describe the same wire format.
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (!isEventItem(item)) continue;
    const event = recordedEvent(item);
    const batch = streams.get(event.streamId) ?? { events: [], sequenceNumbers: [], recordIndexes: [] };
    batch.events.push(event);
    batch.sequenceNumbers.push(sequenceNumber);
    batch.recordIndexes.push(index);
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
  // The stream's places in the batch stay where its records were; its events take them in revision order.
  batch.recordIndexes.sort((a, b) => a - b);
}
