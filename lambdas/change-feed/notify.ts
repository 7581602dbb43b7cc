/**
 * The change feed's notifications: publish the streams' events (in one go, so PublishBatch calls are full), and
 * record what the publisher could not publish after its retries as undelivered (SPEC section 2), in contiguous
 * ranges per stream. On a FIFO topic a stream that already has undelivered notifications keeps its new events
 * behind them (recorded as undelivered too), so that the redrive publishes the stream in order.
 */
import type { Observability } from "#shared/observability.ts";
import { isoTime, type RecordedEvent, type UndeliveredNotification } from "#store/model.ts";
import type { ChangeFeedDependencies } from "./change-feed.ts";
import type { Publish, Unpublished } from "./notifications.ts";
import type { StreamBatch } from "./stream-batches.ts";

/**
 * Publishes every stream's events in one go (FIFO: but those of streams behind undelivered ones) and records
 * what is left as undelivered; answers the earliest record of each stream that must come back.
 */
export async function notify(
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

export function logFailure(observability: Observability, message: string, event: RecordedEvent, error: unknown): void {
  observability.error(message, {
    streamId: event.streamId,
    revision: event.revision,
    ...(error === undefined ? {} : { error }),
  });
}
