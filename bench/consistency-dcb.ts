/**
 * Part 11's DCB deciders (consistency.ts): decisions on tags of a worker's own, many deciders on one hot tag, and
 * the seal a read of two tags at different positions writes (lambdas/store/dcb.ts, why a read may write).
 */
import { AppendConditionFailedError } from "#store/errors.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { addUnits, type CapacityMeter, noUnits } from "./capacity-meter.ts";
import { average, describe, type Operation, type OperationUnits } from "./consistency-load.ts";
import { newEvent, newStreamId } from "./events.ts";
import type { capacityMeter } from "./feed-reads.ts";
import { round } from "./stats.ts";

export interface HotTagResult {
  deciders: number;
  /** Appends acknowledged. */
  appends: number;
  /** Appends refused with AppendConditionFailedError, each followed by a read and a new attempt. */
  conflicts: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** Successful decisions (read + append) per second. */
  decisionsPerSecond: number;
  /** The tag read again from the start after the run: every acknowledged append must be there, once. */
  eventsRead: number;
  holds: boolean;
}

export interface SealResult {
  reads: number;
  /** Per read: its seal writes (charged to "dcb") and its reads. */
  read: OperationUnits;
}

/**
 * A decision on the worker's own `tags` tags: read what came after the position it last saw (a process that holds
 * its decision state), then append one event carrying the tags on the read's condition.
 */
export function decisionsOn(tags: number, concurrency: number): Operation {
  const owned = Array.from({ length: concurrency }, () => ({
    tags: Array.from({ length: tags }, (_, index) => `bench:${index}:${newStreamId()}`),
    after: 0,
  }));
  return async (store, worker, wrap) => {
    const mine = owned[worker] as (typeof owned)[number];
    const query = { items: [{ tags: mine.tags }] };
    const { appendCondition } = await wrap("read", () => store.readDcb(query, mine.after, 100));
    const appended = await wrap("append", () => store.appendDcb([{ ...newEvent(), tags: mine.tags }], appendCondition));
    mine.after = appended.lastPosition;
  };
}

/** `deciders` deciders on ONE tag until `target` appends succeed; a refused decider reads what it missed and retries. */
export async function hotTag(store: StreamStore, deciders: number, target: number): Promise<HotTagResult> {
  const tags = [`bench:hot:${newStreamId()}`];
  const query = { items: [{ tags }] };
  let appends = 0;
  let conflicts = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: deciders }, async () => {
      let after = 0;
      while (appends < target) {
        try {
          const { appendCondition } = await store.readDcb(query, after, 1000);
          after = appendCondition.after;
          await store.appendDcb([{ ...newEvent(), tags }], appendCondition);
          appends++;
        } catch (error) {
          if (error instanceof AppendConditionFailedError) conflicts++;
          else {
            errors++;
            firstError ??= describe(error);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  let eventsRead = 0;
  for (let after = 0, hasMore = true; hasMore; ) {
    const page = await store.readDcb(query, after, 1000);
    eventsRead += page.events.length;
    after = page.appendCondition.after;
    hasMore = page.hasMore;
  }
  return {
    deciders,
    appends,
    conflicts,
    errors,
    ...(firstError ? { firstError } : {}),
    seconds: round(seconds, 2),
    decisionsPerSecond: round(appends / seconds, 1),
    eventsRead,
    holds: eventsRead === appends,
  };
}

/** `reads` reads of tags A and B, A having moved on since the last one: each read raises B's head to A's. */
export async function sealReads(
  store: StreamStore,
  meter: CapacityMeter,
  hook: ReturnType<typeof capacityMeter>,
  reads: number,
): Promise<SealResult> {
  const [a, b] = [`bench:seal-a:${newStreamId()}`, `bench:seal-b:${newStreamId()}`];
  const query = { items: [{ tags: [a] }, { tags: [b] }] };
  await store.appendDcb([{ ...newEvent(), tags: [a] }]);
  await store.appendDcb([{ ...newEvent(), tags: [b] }]);
  let sum = noUnits;
  let local = 0;
  let after = 0;
  for (let index = 0; index < reads; index++) {
    await store.appendDcb([{ ...newEvent(), tags: [a] }]);
    hook.reset();
    const { result, units } = await meter.measure(() => store.readDcb(query, after, 100));
    after = result.appendCondition.after;
    sum = addUnits(sum, units);
    local += (hook.units.dcb ?? 0) - units.read;
  }
  return { reads, read: average(sum, local, reads) };
}
