/**
 * The retention sweep (SPEC section 13): what reads already hide by a maxCount, or by a stream's own maxAge, is
 * truncated, hourly, by the operations worker, so that the feed and DCB reads drop those events too and the removal
 * operation deletes them. A type's own maxAge needs no sweep: its events carry their expiry and TTL removes them.
 *
 * Which streams it looks at: those with limits of their own (listed in the records index, lifecycle-items.ts), and
 * of each type with a maxCount the streams appended to since the sweep before (the listing, from `lookBackMs` ago;
 * a stream not appended to gains no events past its count). A truncation waits until a tenth of maxCount (at least
 * one event) is past it, so that a busy stream is truncated in steps rather than once an hour per event.
 */
import pLimit from "p-limit";
import type { StoreTable } from "./dynamo.ts";
import { StreamDeletedError, StreamNotFoundError } from "./errors.ts";
import type { Item } from "./items.ts";
import { type LifecycleContext, retainedFrom, truncateStream } from "./lifecycle.ts";
import { settingsFromItem } from "./lifecycle-items.ts";
import { listStreams } from "./listing.ts";
import type { Operation } from "./model.ts";
import { readSettings } from "./read.ts";
import { effectiveRetention, type Retention } from "./retention.ts";
import { queryStreamsWithRetention } from "./retention-items.ts";
import { tableDefinition } from "./table.ts";

/** How far back the listing is read for streams of a type with a maxCount: two hourly sweeps, so one may fail. */
export const lookBackMs = 2 * 60 * 60 * 1000;

/** Streams swept side by side. */
const streamsAtOnce = 16;

/** Who the record of a truncation the sweep made names as having asked. */
export const retentionRequester = "retention";

export interface RetentionSweep {
  /** Streams looked at. */
  streams: number;
  /** Streams left for the next sweep: the time given ran out (reads hide their events meanwhile). */
  left: number;
  /** The truncations made: their removal operations, pending, for the worker to run. */
  operations: Operation[];
}

interface Candidate {
  streamType: string;
  streamId: string;
}

/**
 * Sweeps for at most `budgetMs` (the worker's invocation has a minute; what is left waits for the next hour: reads
 * hide it meanwhile, so only storage waits).
 */
export async function sweepRetention(context: LifecycleContext, budgetMs = 40_000): Promise<RetentionSweep> {
  const deadline = Date.now() + budgetMs;
  const candidates = new Map<string, Candidate>();
  for await (const candidate of streamsWithOwnLimits(context.table)) candidates.set(candidate.streamId, candidate);
  for (const [streamType, retention] of Object.entries(context.retention ?? {})) {
    if (retention.maxCount === undefined) continue;
    for await (const stream of streamsAppendedTo(context, streamType)) {
      if (stream.revision > retention.maxCount) candidates.set(stream.streamId, stream);
    }
  }
  // A few streams at a time: each is a handful of small calls, and an hour's candidates must fit one invocation.
  const limit = pLimit(streamsAtOnce);
  let left = 0;
  const swept = await Promise.all(
    [...candidates.values()].map((candidate) =>
      limit(async () => {
        if (Date.now() < deadline) return sweepStream(context, candidate);
        left++;
        return undefined;
      }),
    ),
  );
  const operations = swept.filter((operation): operation is Operation => operation !== undefined);
  return { streams: candidates.size - left, left, operations };
}

/** Truncates the stream to what its limits keep, once enough is past them; undefined when nothing is due. */
async function sweepStream(
  context: LifecycleContext,
  { streamType, streamId }: Candidate,
): Promise<Operation | undefined> {
  const [head, settings] = await Promise.all([
    context.heads.read(streamId, "lifecycle"),
    readSettings(context.table, streamId),
  ]);
  if (!head || head.marker || head.streamType !== streamType || settings?.tombstone) return undefined;
  const own = settings?.retention;
  const ofType = context.retention?.[streamType];
  // A type's maxAge is TTL's to remove; a stream's own maxAge is the sweep's.
  const limits: Retention = { maxCount: effectiveRetention(ofType, own).maxCount, maxAge: own?.maxAge };
  const hiddenBelow = settings?.hiddenBelow ?? 1;
  const keepFrom = await retainedFrom(context, streamId, limits, head.revision, hiddenBelow);
  const slack = limits.maxAge === undefined ? Math.max(1, Math.ceil((limits.maxCount ?? 0) / 10)) : 1;
  if (keepFrom - hiddenBelow < slack) return undefined;
  try {
    const truncated = await truncateStream(context, streamType, streamId, keepFrom, retentionRequester);
    return truncated.operation;
  } catch (error) {
    // Deleted meanwhile: nothing left to keep in bounds.
    if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return undefined;
    throw error;
  }
}

async function* streamsWithOwnLimits(table: StoreTable): AsyncGenerator<Candidate> {
  let startKey: Item | undefined;
  do {
    const output = await table.query("lifecycle", queryStreamsWithRetention(table.tableName, startKey));
    for (const item of output.Items ?? []) {
      const settings = settingsFromItem(item);
      if (settings?.retention) {
        yield { streamType: settings.streamType, streamId: String(item[tableDefinition.partitionKey.name]) };
      }
    }
    startKey = output.LastEvaluatedKey;
  } while (startKey);
}

async function* streamsAppendedTo(
  context: LifecycleContext,
  streamType: string,
): AsyncGenerator<Candidate & { revision: number }> {
  let pageKey: string | undefined;
  const updatedAfter = context.now() - lookBackMs;
  do {
    const page = await listStreams(context.table, streamType, { updatedAfter, pageKey, limit: 1000 });
    for (const stream of page.streams) yield { streamType, streamId: stream.streamId, revision: stream.revision };
    pageKey = page.nextPageKey;
  } while (pageKey);
}
