/**
 * A replay's step (SPEC section 5): republish the notification of every matching event, in revision order per
 * stream, with the attribute `replayId`.
 *
 * Streams come from the request's `streamIds`, or from the listing index of `streamType` (oldest update first, at
 * least once: a stream updated during the replay may come again, and is then replayed again). A step takes the
 * next page of streams when it has none left, then reads their events forward from where each stopped, a few
 * streams at a time, until it has read `eventsPerStep`; it publishes what matches and answers the new cursor. The
 * worker checkpoints that cursor only after the publish went through, so a repeated step publishes the same
 * events again (at least once) and never skips one.
 */
import { StreamDeletedError, StreamNotFoundError } from "#store/errors.ts";
import type { EventPage, RecordedEvent, ReplayRequest } from "#store/model.ts";
import { OperationProblem, PublishFailedError, type Step, type StepContext } from "./step.ts";

/** Where a replay resumes. */
export interface ReplayCursor {
  /**
   * Where the next streams come from: the listing after this page key (none yet: from `updatedAfter`), or
   * `streamIds` from this index; absent once every stream was taken.
   */
  source?: { pageKey?: string } | { index: number };
  /** Streams taken and not finished, in order, each with the last revision read (replayed or skipped). */
  streams: { id: string; after: number }[];
}

/** Streams taken from the listing (or the given ids) at once. */
const streamsPerPage = 100;
/** Streams read at the same time within a step. */
const readConcurrency = 8;

export function replayStep(request: ReplayRequest): Step {
  const { streamType } = request;
  if (!streamType) throw new OperationProblem("Invalid replay", "a replay needs a streamType");
  const eventTypes = request.eventTypes ? new Set(request.eventTypes) : undefined;
  const matches = (event: RecordedEvent) => !eventTypes || eventTypes.has(event.eventType);

  return async (stored, context) => {
    const cursor = structuredClone(stored as ReplayCursor | undefined) ?? {
      source: request.streamIds ? { index: 0 } : {},
      streams: [],
    };
    const toPublish: RecordedEvent[] = [];
    let budget = context.eventsPerStep;
    let finished = 0;
    while (budget > 0) {
      if (cursor.streams.length === 0) {
        if (!cursor.source) break;
        const taken = await takeStreams(request, streamType, cursor.source, context);
        cursor.source = taken.next;
        cursor.streams = taken.streamIds.map((id) => ({ id, after: (request.fromRevision ?? 1) - 1 }));
        // A page that yields no stream counts as one event, so that a run of them keeps a step bounded too.
        if (cursor.streams.length === 0) budget -= 1;
        continue;
      }
      const reading = cursor.streams.slice(0, readConcurrency);
      const pages = await Promise.all(reading.map((stream) => readPage(streamType, stream, budget, context)));
      for (const [index, page] of pages.entries()) {
        if (budget <= 0) break;
        const stream = reading[index] as ReplayCursor["streams"][number];
        const events = page ? page.events.slice(0, budget) : [];
        budget -= Math.max(1, events.length);
        toPublish.push(...events.filter(matches));
        const last = events.at(-1);
        if (page && last && (page.hasMore || events.length < page.events.length)) {
          stream.after = last.revision;
          break;
        }
        cursor.streams.shift();
        finished += 1;
      }
    }
    if (toPublish.length > 0) {
      const unpublished = await context.publish(toPublish, context.extra);
      if (unpublished.length > 0) throw new PublishFailedError(unpublished);
    }
    const done = !cursor.source && cursor.streams.length === 0;
    return { cursor, streams: finished, events: toPublish.length, done };
  };
}

/** The next page of streams to replay, and where the one after starts (undefined: no more). */
async function takeStreams(
  request: ReplayRequest,
  streamType: string,
  source: NonNullable<ReplayCursor["source"]>,
  context: StepContext,
): Promise<{ streamIds: string[]; next: ReplayCursor["source"] }> {
  const updatedAfter = request.updatedAfter;
  if ("index" in source) {
    const all = request.streamIds ?? [];
    const end = source.index + streamsPerPage;
    let streamIds = all.slice(source.index, end);
    if (updatedAfter !== undefined) {
      const updated = await Promise.all(streamIds.map((id) => updatedAt(streamType, id, context)));
      streamIds = streamIds.filter((_, index) => (updated[index] ?? "") >= updatedAfter);
    }
    return { streamIds, next: end < all.length ? { index: end } : undefined };
  }
  const page = await context.store.listStreams(streamType, {
    updatedAfter: updatedAfter === undefined ? 0 : Date.parse(updatedAfter),
    pageKey: source.pageKey,
    limit: streamsPerPage,
  });
  // The listing starts a little early (it is at least once); streams updated before `updatedAfter` are not asked for.
  const streams = page.streams.filter((stream) => updatedAfter === undefined || stream.updatedAt >= updatedAfter);
  return {
    streamIds: [...new Set(streams.map((stream) => stream.streamId))],
    next: page.hasMore && page.nextPageKey ? { pageKey: page.nextPageKey } : undefined,
  };
}

/** The stream's events after where it stopped; undefined when there is no such stream (of this type), or not any more. */
async function readPage(
  streamType: string,
  stream: ReplayCursor["streams"][number],
  limit: number,
  context: StepContext,
): Promise<EventPage | undefined> {
  try {
    return await context.store.readEvents(streamType, stream.id, {
      direction: "forward",
      afterRevision: stream.after,
      limit: Math.max(1, limit),
      payloadReferences: true,
    });
  } catch (error) {
    if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return undefined;
    throw error;
  }
}

async function updatedAt(streamType: string, streamId: string, context: StepContext): Promise<string | undefined> {
  try {
    return (await context.store.streamDetails(streamType, streamId)).updatedAt;
  } catch (error) {
    if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return undefined;
    throw error;
  }
}
