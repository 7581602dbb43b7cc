/**
 * A redrive's step (SPEC sections 2, 4 and 5): publish again what the change feed recorded as undelivered, to
 * the store's topic with `replayId` and `redrive: "true"`, and clear each range once it went through.
 *
 * A step takes a page of undelivered ranges (oldest failure first) and, for each stream in it, all its ranges in
 * revision order; a stream stops at its first range that fails again (its later ranges wait behind it, so each
 * stream stays in order) and is left alone for the rest of this redrive, while the other streams go on: one bad
 * entry holds back nothing else. When the streams a step tried all failed (every one, or its first three), the
 * topic is taken to be down: the step fails, and the queue brings it back later. A range is cleared only after its events were published, so a
 * repeated step publishes at most that range again.
 */
import { StreamDeletedError, StreamNotFoundError } from "#store/errors.ts";
import type { RecordedEvent, UndeliveredNotification } from "#store/model.ts";
import { PublishFailedError, type Step, type StepContext } from "./step.ts";

/** Where a redrive resumes. */
export interface RedriveCursor {
  /** The undelivered ranges after this page key (absent: from the oldest). */
  pageKey?: string;
  /** Streams that failed again in this redrive: skipped until it ends (they stay recorded for the next). */
  failed: string[];
  /** The last of their causes, for the result. */
  lastCause?: string;
}

/** Undelivered ranges listed per step. */
const rangesPerPage = 25;
/** A stream's ranges taken at once. */
const rangesPerStream = 100;
/** Streams in a row that failed, with nothing through, after which a step takes the topic to be down. */
const failuresMeaningDown = 3;
/** Failed streams remembered in the cursor (beyond that they are tried again when met). */
const maxFailedStreams = 1000;

export const redriveStep: Step = async (stored, context) => {
  const cursor = structuredClone(stored as RedriveCursor | undefined) ?? { failed: [] };
  const page = await context.store.listUndelivered({ limit: rangesPerPage, pageKey: cursor.pageKey });
  const skipped = new Set(cursor.failed);
  const streams = new Map<string, string>();
  for (const { streamId, streamType } of page.notifications) {
    if (!skipped.has(streamId)) streams.set(streamId, streamType);
  }

  let budget = context.eventsPerStep;
  let events = 0;
  let finished = 0;
  let failures = 0;
  let wholePage = true;
  for (const [streamId, streamType] of streams) {
    if (budget <= 0) {
      wholePage = false;
      break;
    }
    const outcome = await redriveStream(streamId, streamType, budget, context);
    budget -= outcome.cost;
    events += outcome.events;
    if (outcome.failure !== undefined) {
      failures += 1;
      if (cursor.failed.length < maxFailedStreams) cursor.failed.push(streamId);
      cursor.lastCause = outcome.failure.message;
      // The first streams all failed and nothing went through: the topic is down, no use trying the rest.
      if (events === 0 && failures === failuresMeaningDown) break;
    } else if (outcome.finished) finished += 1;
    else wholePage = false;
  }
  if (failures > 0 && events === 0 && (failures === streams.size || failures === failuresMeaningDown)) {
    throw new Error(`redrive: every stream tried failed again; the last: ${cursor.lastCause}`);
  }
  // A page not gone through is listed again from the same key: what was cleared is gone from it by then.
  if (wholePage) cursor.pageKey = page.nextPageKey;
  const done = wholePage && !page.hasMore;
  return {
    cursor,
    streams: finished,
    events,
    done,
    result: {
      stillUndelivered: cursor.failed.length,
      ...(cursor.lastCause !== undefined ? { cause: cursor.lastCause } : {}),
    },
  };
};

interface StreamOutcome {
  events: number;
  /** What it used of the step's budget. */
  cost: number;
  /** Every range of the stream went through (none left beyond those taken). */
  finished: boolean;
  failure?: Error;
}

/** Publishes a stream's ranges in revision order, clearing each after it went through; stops at a failure. */
async function redriveStream(
  streamId: string,
  streamType: string,
  budget: number,
  context: StepContext,
): Promise<StreamOutcome> {
  const ranges = await context.store.undeliveredOfStream(streamId, rangesPerStream);
  let events = 0;
  let cost = 0;
  for (const range of ranges) {
    if (cost >= budget) return { events, cost, finished: false };
    let published: RecordedEvent[];
    try {
      published = await readRange(streamType, range, context);
      const unpublished = await context.publish(published, context.extra);
      if (unpublished.length > 0) throw new PublishFailedError(unpublished);
    } catch (error) {
      // A stream deleted for good has no events left to notify: its ranges are done with.
      if (error instanceof StreamDeletedError) {
        await context.store.clearUndelivered(streamId, range.firstRevision);
        continue;
      }
      if (!(error instanceof PublishFailedError || error instanceof StreamNotFoundError)) throw error;
      return { events, cost: cost + 1, finished: false, failure: error };
    }
    await context.store.clearUndelivered(streamId, range.firstRevision);
    events += published.length;
    cost += Math.max(1, published.length);
  }
  return { events, cost, finished: ranges.length < rangesPerStream };
}

/** The events of one undelivered range, in revision order. */
async function readRange(
  streamType: string,
  range: UndeliveredNotification,
  context: StepContext,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = range.firstRevision - 1;
  while (after < range.lastRevision) {
    const page = await context.store.readEvents(streamType, range.streamId, {
      direction: "forward",
      afterRevision: after,
      limit: Math.min(1000, range.lastRevision - after),
      payloadReferences: true,
    });
    events.push(...page.events);
    if (page.events.length === 0) break;
    after = page.lastEvaluatedRevision;
  }
  return events;
}
