/**
 * Closed-loop load: N workers, each starting its next operation when the last one ends, for a fixed time.
 * Variants that are compared run in alternating turns (A B C, B C A, …) so that drift of a shared, noisy
 * machine — or of DynamoDB Local as its data grows — touches every variant alike.
 */
import { percentile, round } from "./stats.ts";

/** What one operation came to: done, or refused because another writer was first (counted, not an error). */
export type Outcome = "ok" | "conflict";

/** One operation of worker `worker` (0-based); workers keep their own state, e.g. the streams they own. */
export type Operation = (worker: number) => Promise<Outcome>;

export interface LoadFigures {
  /** Operations that succeeded, per second of measured time. */
  perSecond: number;
  operations: number;
  conflicts: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

interface Sample {
  operations: number;
  conflicts: number;
  errors: number;
  elapsedMs: number;
  latenciesMs: number[];
  firstError?: string;
}

/** Runs `operation` on `concurrency` workers for `durationMs` (operations in flight at the end complete). */
export async function closedLoop(operation: Operation, concurrency: number, durationMs: number): Promise<Sample> {
  const sample: Sample = { operations: 0, conflicts: 0, errors: 0, elapsedMs: 0, latenciesMs: [] };
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const begun = performance.now();
        try {
          const outcome = await operation(worker);
          sample.latenciesMs.push(performance.now() - begun);
          if (outcome === "ok") sample.operations++;
          else sample.conflicts++;
        } catch (error) {
          sample.errors++;
          sample.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          // A failing operation must not spin the loop at full speed.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }),
  );
  sample.elapsedMs = performance.now() - started;
  return sample;
}

export interface Variant {
  name: string;
  operation: Operation;
}

/** Runs every variant for `turns` × `sliceMs` at `concurrency`, in rotating order; figures per variant. */
export async function compareInTurns(
  variants: Variant[],
  options: { concurrency: number; sliceMs: number; turns: number },
): Promise<Record<string, LoadFigures>> {
  const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.name, []]));
  for (let turn = 0; turn < options.turns; turn++) {
    for (let step = 0; step < variants.length; step++) {
      const variant = variants[(turn + step) % variants.length] as Variant;
      samples.get(variant.name)?.push(await closedLoop(variant.operation, options.concurrency, options.sliceMs));
    }
  }
  return Object.fromEntries([...samples].map(([name, list]) => [name, figures(list)]));
}

function figures(samples: Sample[]): LoadFigures {
  const operations = samples.reduce((sum, sample) => sum + sample.operations, 0);
  const elapsedMs = samples.reduce((sum, sample) => sum + sample.elapsedMs, 0);
  const latencies = samples.flatMap((sample) => sample.latenciesMs);
  const firstError = samples.find((sample) => sample.firstError)?.firstError;
  return {
    perSecond: round((operations * 1000) / elapsedMs, 1),
    operations,
    conflicts: samples.reduce((sum, sample) => sum + sample.conflicts, 0),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
    seconds: round(elapsedMs / 1000, 2),
    p50Ms: round(percentile(latencies, 0.5), 2),
    p99Ms: round(percentile(latencies, 0.99), 2),
    ...(firstError ? { firstError } : {}),
  };
}

/** Runs `task` `count` times with at most `concurrency` at once (set-up only; never timed). */
export async function inParallel(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}
