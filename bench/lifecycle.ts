/**
 * Part 13: what deleting and truncating streams cost (SPEC section 13), on a DynamoDB Local of its own, every
 * operation on the capacity meter (capacity-meter.ts):
 * - a soft delete of a small stream (its head read and its transaction: marker, settings, summary, type count,
 *   removal entry, operation record), a truncation, and a hard delete;
 * - the removal of a hard-deleted stream of `streamEvents` events: its steps as the worker runs them (a query of the
 *   next hidden keys, BatchWriteItem deletes), timed and metered, reported per 1,000 events. The worker's checkpoint
 *   of each step (one PutItem of the operation record, about 1 WCU) comes on top: one per 500 events;
 * - retention (retention.ts): an append to a type with a maxAge (its expiry written with it) beside one without, a
 *   read of a type with a maxCount (its head read) beside one without, setting a stream's own limits, and one
 *   truncation of the hourly retention sweep.
 */

import type { RemovalRequest } from "#store/model.ts";
import { StreamStore } from "#store/stream-store.ts";
import { tableDefinition } from "#store/table.ts";
import { totalWrite, type Units } from "./capacity-meter.ts";
import type { BenchConfig } from "./config.ts";
import { newEvents, newStreamId } from "./events.ts";
import { withMeteredDynamoDb } from "./metered-dynamodb.ts";
import { round } from "./stats.ts";

export interface LifecycleCost {
  name: string;
  read: number;
  write: number;
  calls: number;
  ms: number;
}

export interface LifecycleResult {
  /** Soft delete, truncation, hard delete of a small stream (the hiding, not the removal). */
  rows: LifecycleCost[];
  /** Retention: appends and reads with and without limits, setting a stream's limits, a sweep's truncation. */
  retention: LifecycleCost[];
  /** Bytes an event item gains from its expiry (a type's maxAge). */
  expiryBytes: number;
  /** The removal of a hard-deleted stream of `events` events, in steps of `eventsPerStep`. */
  removal: { events: number; eventsPerStep: number; steps: number; seconds: number; per1000: LifecycleCost };
}

const tableName = "bench-lifecycle";
const streamType = "bench-lifecycle";
const eventsPerStep = 500;

export async function measureLifecycle(options: {
  config: BenchConfig["lifecycle"];
  progress: (message: string) => void;
}): Promise<LifecycleResult> {
  const { config, progress } = options;
  return withMeteredDynamoDb(tableName, async ({ client, meter }) => {
    const store = new StreamStore({ client, tableName });
    const streamOf = async (events: number) => {
      const id = newStreamId();
      for (let first = 1; first <= events; first += 100) {
        await store.append(streamType, id, first - 1, newEvents(Math.min(100, events - first + 1)));
      }
      // Listed and counted, as the change feed leaves a stream: the delete takes it out of both.
      await store.raiseSummary(await store.streamDetails(streamType, id));
      await store.countNewStreams(streamType, 1, new Date().toISOString());
      return id;
    };
    const metered = async (name: string, work: () => Promise<unknown>): Promise<LifecycleCost> => {
      const started = performance.now();
      const { units } = await meter.measure(work);
      return costOf(name, units, performance.now() - started);
    };

    progress("   a soft delete, a truncation and a hard delete of 10-event streams");
    const soft = await streamOf(10);
    const truncated = await streamOf(10);
    const hard = await streamOf(10);
    const rows = [
      await metered("soft delete", () => store.deleteStream(streamType, soft, { requestedBy: "bench" })),
      await metered("truncate", () => store.truncateStream(streamType, truncated, 6, "bench")),
      await metered("hard delete", () => store.deleteStream(streamType, hard, { hard: true, requestedBy: "bench" })),
    ];

    progress(`   removal of a hard-deleted ${config.streamEvents}-event stream`);
    const big = await streamOf(config.streamEvents);
    const operation = await store.deleteStream(streamType, big, { hard: true, requestedBy: "bench" });
    const request = operation.request as RemovalRequest;
    let steps = 0;
    let removed = 0;
    const started = performance.now();
    const { units } = await meter.measure(async () => {
      for (let after = 0, done = false; !done; steps++) {
        const step = await store.removeHidden(request, after, eventsPerStep);
        removed += step.removed;
        ({ after, done } = step);
      }
    });
    const seconds = (performance.now() - started) / 1000;
    if (removed !== config.streamEvents) throw new Error(`the removal deleted ${removed} of ${config.streamEvents}`);
    const scale = 1000 / config.streamEvents;
    const per1000 = costOf("removal per 1,000 events", scaled(units, scale), seconds * 1000 * scale);

    progress("   retention: appends and reads with and without limits, a stream's own limits, a sweep's truncation");
    const limited = new StreamStore({
      client,
      tableName,
      retention: { [agedType]: { maxAge: 86_400 }, [countedType]: { maxCount: 5 } },
    });
    const [plainId, agedId, countedId] = [newStreamId(), newStreamId(), newStreamId()];
    await limited.append(streamType, plainId, "no-stream", newEvents(10));
    await limited.append(agedType, agedId, "no-stream", newEvents(10));
    await limited.append(countedType, countedId, "no-stream", newEvents(10));
    const read = (type: string, id: string) => () => limited.readEvents(type, id, { direction: "forward", limit: 10 });
    const ownLimits = await streamOf(10);
    await limited.raiseSummary(await limited.streamDetails(countedType, countedId));
    const retention = [
      await metered("append 1 event, no retention", () => limited.append(streamType, plainId, 10, newEvents(1))),
      await metered("append 1 event, type with maxAge", () => limited.append(agedType, agedId, 10, newEvents(1))),
      await metered("read 10 events, no retention", read(streamType, plainId)),
      await metered("read 10 events, type with maxCount", read(countedType, countedId)),
      await metered("set a stream's maxCount (5 of 10)", () =>
        limited.setRetention(streamType, ownLimits, { maxCount: 5 }, "bench"),
      ),
      await metered("retention sweep: one stream truncated", () => limited.sweepRetention()),
    ];
    const newest = await limited.readEvents(agedType, agedId, { direction: "backward", limit: 1 });
    const expiryBytes = expiryAttributeBytes(newest.events[0]?.expiresAt);
    return {
      rows,
      retention,
      expiryBytes,
      removal: { events: removed, eventsPerStep, steps, seconds: round(seconds, 2), per1000 },
    };
  });
}

const agedType = "bench-aged";
const countedType = "bench-counted";

/**
 * What DynamoDB counts for the expiry attribute: its name, and its number at about one byte per two significant
 * digits plus one (DynamoDB's item size rules; items.ts's itemSizeBytes takes the 21-byte most instead).
 */
function expiryAttributeBytes(expiresAt: number | undefined): number {
  if (expiresAt === undefined) return 0;
  const digits = String(expiresAt).replace(/0+$/, "").length;
  return Buffer.byteLength(tableDefinition.timeToLiveAttribute) + Math.ceil(digits / 2) + 1;
}

function costOf(name: string, units: Units, ms: number): LifecycleCost {
  return { name, read: round(units.read, 2), write: round(totalWrite(units), 2), calls: units.calls, ms: round(ms, 1) };
}

function scaled(units: Units, factor: number): Units {
  return {
    read: units.read * factor,
    tableWrite: units.tableWrite * factor,
    indexWrite: units.indexWrite * factor,
    calls: Math.round(units.calls * factor),
  };
}
