/**
 * Part 12's loads (large-payloads.ts): one stream of `streamEvents` small events (events.ts, 200 B payloads), written
 * in appends of 100, then loaded as a process rebuilding its state does, the fold being a count:
 * - no snapshot: every event, forward, in pages of 1,000;
 * - snapshot at head: `latestSnapshot`, then the events after its revision (none: an empty read, which reads the
 *   head to tell that the stream exists);
 * - snapshot `snapshotBehind` behind: the same with a snapshot that many events behind the head, under another
 *   schema (an older snapshot never replaces a newer one of its schema), so one page of events after it.
 * Each load runs once untimed on the capacity meter (its units), then `loads` times, the variants taking turns (the
 * median time).
 */
import { RawJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import type { BenchConfig } from "./config.ts";
import { newEvents, newStreamId, payloadBytes } from "./events.ts";
import type { Meter, Tally } from "./large-payloads.ts";
import { median, ratio, round } from "./stats.ts";

export interface LoadRow {
  name: string;
  /** The snapshot's revision; absent without one. */
  snapshotRevision?: number;
  /** Events read after the snapshot (all of them without one). */
  eventsRead: number;
  ms: number;
  /** Of one load, metered. */
  units: Tally;
  /** Against the load without a snapshot, same run. */
  readUnitsToWithout: number;
  msToWithout: number;
}

export interface SnapshotLoadsResult {
  streamEvents: number;
  payloadBytes: number;
  pageSize: number;
  loads: number;
  /** Writing the stream in appends of 100. */
  write: { seconds: number; eventsPerSecond: number };
  /** Putting the snapshot at the head: its state's size, time and units. */
  snapshotPut: { stateBytes: number; ms: number; units: Tally };
  rows: LoadRow[];
  /** Every load folded to the stream's event count. */
  holds: boolean;
}

const streamType = "bench-snapshots";
const pageSize = 1000;
const batchSize = 100;
const stateBytes = 1024;

interface Variant {
  name: string;
  schema?: string;
  snapshotRevision?: number;
}

export async function measureSnapshotLoads(
  store: StreamStore,
  meter: Meter,
  config: BenchConfig["large"],
): Promise<SnapshotLoadsResult> {
  const head = config.streamEvents;
  const streamId = newStreamId();
  const started = performance.now();
  for (let revision = 0; revision < head; revision += batchSize) {
    const count = Math.min(batchSize, head - revision);
    await store.append(streamType, streamId, revision === 0 ? "no-stream" : revision, newEvents(count));
  }
  const writeSeconds = (performance.now() - started) / 1000;

  const behind = head - config.snapshotBehind;
  const put = await meter.measure(
    () => store.putSnapshot(streamType, streamId, { revision: head, schema: "count-head", state: stateAt(head) }),
    true,
  );
  await store.putSnapshot(streamType, streamId, { revision: behind, schema: "count-behind", state: stateAt(behind) });

  const variants: Variant[] = [
    { name: "no snapshot" },
    { name: "snapshot at head", schema: "count-head", snapshotRevision: head },
    { name: `snapshot ${config.snapshotBehind} behind`, schema: "count-behind", snapshotRevision: behind },
  ];
  // Untimed and metered first (units, S3 requests; the meter parses every answer), then timed.
  const units: Tally[] = [];
  for (const variant of variants) units.push((await meter.measure(() => load(store, streamId, variant), true)).tally);
  const samples = variants.map(() => ({ ms: [] as number[], eventsRead: 0 }));
  let holds = true;
  for (let turn = 0; turn < config.loads; turn++) {
    for (let step = 0; step < variants.length; step++) {
      const index = (turn + step) % variants.length;
      const { result, ms } = await meter.measure(() => load(store, streamId, variants[index] as Variant));
      const sample = samples[index] as (typeof samples)[number];
      sample.ms.push(ms);
      sample.eventsRead = result.eventsRead;
      holds &&= result.count === head;
    }
  }
  const rows = variants.map((variant, index) => {
    const sample = samples[index] as (typeof samples)[number];
    return {
      name: variant.name,
      ...(variant.snapshotRevision === undefined ? {} : { snapshotRevision: variant.snapshotRevision }),
      eventsRead: sample.eventsRead,
      ms: round(median(sample.ms), 2),
      units: units[index] as Tally,
    };
  });
  const without = rows[0] as (typeof rows)[number];
  return {
    streamEvents: head,
    payloadBytes,
    pageSize,
    loads: config.loads,
    write: { seconds: round(writeSeconds, 2), eventsPerSecond: round(head / writeSeconds, 0) },
    snapshotPut: { stateBytes, ms: round(put.ms, 2), units: put.tally },
    rows: rows.map((row) => ({
      ...row,
      readUnitsToWithout: round(ratio(row.units.read, without.units.read), 4),
      msToWithout: round(ratio(row.ms, without.ms), 4),
    })),
    holds,
  };
}

/** The stream's state as a snapshot keeps it: the count, padded to `stateBytes` of JSON. */
function stateAt(revision: number): RawJson {
  const frame = JSON.stringify({ count: revision, pad: "" });
  return new RawJson(JSON.stringify({ count: revision, pad: "x".repeat(stateBytes - Buffer.byteLength(frame)) }));
}

/** Loads the stream's state: from the variant's snapshot if it has one, then every event after it, folded. */
async function load(store: StreamStore, streamId: string, variant: Variant) {
  let count = 0;
  let after = 0;
  if (variant.schema) {
    const snapshot = await store.latestSnapshot(streamType, streamId, variant.schema);
    if (!snapshot) throw new Error(`the snapshot of schema ${variant.schema} is missing`);
    count = (JSON.parse(snapshot.state.text) as { count: number }).count;
    after = snapshot.revision;
  }
  let eventsRead = 0;
  for (let hasMore = true; hasMore; ) {
    const page = await store.readEvents(streamType, streamId, {
      direction: "forward",
      afterRevision: after,
      limit: pageSize,
    });
    eventsRead += page.events.length;
    count += page.events.length;
    after = page.lastEvaluatedRevision || after;
    hasMore = page.hasMore;
  }
  return { count, eventsRead };
}
