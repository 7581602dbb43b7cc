/**
 * Notifications: one SNS message per event, in the body and attributes of SPEC section 4, so subscribers of the
 * Go project keep working and filter policies on `streamType` select one stream type.
 *
 * Messages go out with PublishBatch (≤ 10 entries, ≤ 256 KB per call), calls one after another. An entry that
 * fails for a transient reason (throttling, a server fault, a failed call) is retried with backoff inside the
 * invocation; one that keeps failing, or is refused for what it is, marks its stream as failed: that stream's
 * later events are held back, so the event source redelivers them in order after it.
 */
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from "@aws-sdk/client-sns";
import { type Observability, quietObservability } from "#shared/observability.ts";
import type { RecordedEvent } from "#store/model.ts";

/** The body subscribers receive; field names and the revision as a string are the Go project's. */
export function notificationBody(event: RecordedEvent): string {
  return JSON.stringify({
    StreamId: event.streamId,
    StreamType: event.streamType,
    StreamRevision: String(event.revision),
    EventType: event.eventType,
    EventId: event.eventId,
    CreatedAt: event.createdAt,
  });
}

export interface SnsPublisherOptions {
  sns: Pick<SNSClient, "send">;
  topicArn: string;
  /** Tries per entry for transient failures, the first included. */
  maxAttempts?: number;
  /** Backoff before a retry; tests may shorten it. */
  backoffMs?: (attempt: number) => number;
  /** Told about failed PublishBatch calls (they are retried). Default: a line on stderr. */
  observability?: Observability;
}

/** SNS's limits for one PublishBatch call. */
export const maxEntriesPerBatch = 10;
export const maxBatchBytes = 256 * 1024;

/**
 * Returns a publish function for the change feed: it takes events grouped by stream in revision order and
 * returns those it did not publish (failed, or held back behind a failure of their stream).
 */
export function createSnsPublisher(
  options: SnsPublisherOptions,
): (events: RecordedEvent[]) => Promise<RecordedEvent[]> {
  const fifo = options.topicArn.endsWith(".fifo");
  const maxAttempts = options.maxAttempts ?? 4;
  const backoffMs =
    options.backoffMs ?? ((attempt: number) => Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random()));

  return async (events) => {
    const pending = [...events];
    const attempts = new Map<RecordedEvent, number>();
    const failedStreams = new Set<string>();
    const unpublished = new Set<RecordedEvent>();
    let retryRound = 0;

    while (pending.length > 0) {
      const batch = takeBatch(pending, failedStreams, unpublished, (event) => entry(event, fifo));
      if (batch.length === 0) continue;
      const retry: RecordedEvent[] = [];
      const giveUpOrRetry = (event: RecordedEvent, transient: boolean) => {
        const tries = (attempts.get(event) ?? 0) + 1;
        attempts.set(event, tries);
        if (transient && tries < maxAttempts) retry.push(event);
        else {
          unpublished.add(event);
          failedStreams.add(event.streamId);
        }
      };
      try {
        const output = await options.sns.send(
          new PublishBatchCommand({
            TopicArn: options.topicArn,
            PublishBatchRequestEntries: batch.map((event, index) => ({ ...entry(event, fifo), Id: String(index) })),
          }),
        );
        for (const failure of output.Failed ?? []) {
          const event = batch[Number(failure.Id)];
          if (event) giveUpOrRetry(event, failure.SenderFault !== true);
        }
      } catch (error) {
        (options.observability ?? quietObservability).warn("PublishBatch call failed", { error });
        for (const event of batch) giveUpOrRetry(event, true);
      }
      if (retry.length > 0) {
        // Retried entries go first, ahead of their streams' later events, to keep each stream in order.
        pending.unshift(...retry);
        await sleep(backoffMs(retryRound++));
      }
    }
    return events.filter((event) => unpublished.has(event));
  };
}

function entry(event: RecordedEvent, fifo: boolean): Omit<PublishBatchRequestEntry, "Id"> {
  return {
    Message: notificationBody(event),
    MessageAttributes: {
      streamType: { DataType: "String", StringValue: event.streamType },
      eventType: { DataType: "String", StringValue: event.eventType },
    },
    ...(fifo ? { MessageGroupId: event.streamId, MessageDeduplicationId: `${event.streamId}:${event.revision}` } : {}),
  };
}

/** Takes up to 10 entries / 256 KB from the front of `pending`; events of failed streams are set aside. */
function takeBatch(
  pending: RecordedEvent[],
  failedStreams: Set<string>,
  unpublished: Set<RecordedEvent>,
  toEntry: (event: RecordedEvent) => Omit<PublishBatchRequestEntry, "Id">,
): RecordedEvent[] {
  const batch: RecordedEvent[] = [];
  let bytes = 0;
  while (pending.length > 0 && batch.length < maxEntriesPerBatch) {
    const event = pending[0] as RecordedEvent;
    if (failedStreams.has(event.streamId)) {
      unpublished.add(pending.shift() as RecordedEvent);
      continue;
    }
    const size = entryBytes(toEntry(event));
    if (batch.length > 0 && bytes + size > maxBatchBytes) break;
    batch.push(pending.shift() as RecordedEvent);
    bytes += size;
  }
  return batch;
}

/** Size as SNS counts it: the message plus each attribute's name, type and value. */
function entryBytes(entry: Omit<PublishBatchRequestEntry, "Id">): number {
  let bytes = Buffer.byteLength(entry.Message ?? "");
  for (const [name, attribute] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(attribute.DataType ?? "") +
      Buffer.byteLength(attribute.StringValue ?? "");
  }
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
