/**
 * Part 11's load and units (consistency.ts): a fixed number of operations on N workers, and units averaged per
 * operation. An operation runs its parts (a DCB decision's read and append) through a `Wrap`, so that the metered
 * phase can measure each part apart while the timed phase runs them bare.
 */
import type { StreamStore } from "#store/stream-store.ts";
import { noUnits, totalWrite, type Units } from "./capacity-meter.ts";
import { percentile, round } from "./stats.ts";

export type Part = "read" | "append";
export type Wrap = <T>(part: Part, work: () => Promise<T>) => Promise<T>;
/** One operation of worker `worker` (0-based); workers keep their own streams and tags. */
export type Operation = (store: StreamStore, worker: number, wrap: Wrap) => Promise<void>;

export const unwrapped: Wrap = (_part, work) => work();

/** Units of one operation, averaged: AWS's pricing (the capacity meter) and DynamoDB Local's own report of the writes. */
export interface OperationUnits extends Units {
  /** Table and index writes. */
  write: number;
  /** Write units DynamoDB Local reported (the store's hook, every operation, less the reads). */
  localWrite: number;
}

export function average(units: Units, localWrite: number, count: number): OperationUnits {
  const mean = (value: number) => round(value / count, 2);
  return {
    read: mean(units.read),
    tableWrite: mean(units.tableWrite),
    indexWrite: mean(units.indexWrite),
    write: mean(totalWrite(units)),
    localWrite: mean(localWrite),
    calls: mean(units.calls),
  };
}

export const noOperationUnits = average(noUnits, 0, 1);

export interface Sample {
  operations: number;
  errors: number;
  elapsedMs: number;
  latenciesMs: number[];
  firstError?: string;
}

/** `count` operations on `concurrency` workers, each starting its next when the last one ends. */
export async function countedLoop(
  store: StreamStore,
  operation: Operation,
  concurrency: number,
  count: number,
): Promise<Sample> {
  const sample: Sample = { operations: 0, errors: 0, elapsedMs: 0, latenciesMs: [] };
  let started = 0;
  const begun = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (started++ < count) {
        const start = performance.now();
        try {
          await operation(store, worker, unwrapped);
          sample.latenciesMs.push(performance.now() - start);
          sample.operations++;
        } catch (error) {
          sample.errors++;
          sample.firstError ??= describe(error);
        }
      }
    }),
  );
  sample.elapsedMs = performance.now() - begun;
  return sample;
}

/** Operations per second over the samples' time, and latency percentiles over all of them. */
export function merge(samples: Sample[]) {
  const operations = samples.reduce((sum, sample) => sum + sample.operations, 0);
  const latencies = samples.flatMap((sample) => sample.latenciesMs);
  const firstError = samples.find((sample) => sample.firstError)?.firstError;
  return {
    perSecond: round((operations * 1000) / samples.reduce((sum, sample) => sum + sample.elapsedMs, 0), 1),
    p50Ms: round(percentile(latencies, 0.5), 2),
    p99Ms: round(percentile(latencies, 0.99), 2),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
    ...(firstError ? { firstError } : {}),
  };
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
