/**
 * Part 12: large payloads and snapshots (SPEC sections 7 and 12), through the store on a DynamoDB Local of its own and
 * local mode's S3 (s3rver, in this process, objects in a temporary folder).
 *
 * - **rows**: an inline 300 KiB event (the baseline), and events of 1 MiB and 5 MiB, which go to S3 (threshold
 *   350 KiB). Each row appends `appendsPerRow` events one at a time, each to a new stream ("no-stream": one PutItem,
 *   no read), then reads each back (`readEvents`, forward, limit 1), which resolves a stored payload within the
 *   answer's 5 MiB budget: a 1 MiB payload comes back as its text, a 5 MiB one as a pre-signed URL, which is then
 *   fetched (`read + URL`: the read's time plus the fetch's). A warm-up append and read of each row first; rows take
 *   turns.
 * - **units**: the capacity meter (capacity-meter.ts) on the first operation of each row, untimed (it parses every
 *   answer); the timed ones cost the same. It tells reads from writes by DynamoDB action, which the store's hook
 *   cannot ("snapshot" names both). DynamoDB Local prices a single PutItem and a Query as AWS does.
 * - **S3 requests**: a counting proxy around the PayloadObjects, one request per call and kind (put, get, head for
 *   `size`, copy, delete per 1,000 keys, list per call); `readUrl`/`writeUrl` sign locally: no request, counted as
 *   "signed". Following a URL is one GET more (the report says so; the read's tally holds what the store did).
 * - **loads** (snapshot-loads.ts): a stream of `streamEvents` small events loaded with and without a snapshot.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { startS3Local } from "#local/s3-local.ts";
import { ensureTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { type PayloadObjects, s3PayloadObjects } from "#store/payload-objects.ts";
import { RawJson, StoredPayload, sha256 } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import { CapacityMeter, createTwinTable, totalWrite, twinTableName } from "./capacity-meter.ts";
import type { BenchConfig } from "./config.ts";
import { describe } from "./consistency-load.ts";
import { benchEventType, newStreamId } from "./events.ts";
import { measureSnapshotLoads, type SnapshotLoadsResult } from "./snapshot-loads.ts";
import { percentile, ratio, round } from "./stats.ts";

export type S3Kind = "put" | "get" | "head" | "copy" | "delete" | "list" | "signed";
/** S3 requests by kind; `signed` counts URLs signed locally, which make no request. */
export type S3Requests = Record<S3Kind, number>;

/** What one piece of work cost: DynamoDB units (when metered) and S3 requests. */
export interface Tally {
  write: number;
  read: number;
  s3: S3Requests;
}

export type Latency = { p50Ms: number; p99Ms: number };

export interface LargePayloadRow {
  name: "300 KiB, inline" | "1 MiB, in S3" | "5 MiB, in S3";
  payloadBytes: number;
  /** What a read answers with: the payload's text, or a pre-signed URL to it. */
  answer: "payload" | "URL";
  append: Latency;
  read: Latency;
  /** The read and the fetch of the URL it answered with; only for payloads answered by URL. */
  readAndFollow?: Latency;
  /** Of one operation (the metered one). */
  appendUnits: Tally;
  readUnits: Tally;
  /** Ratios of p50 latencies against the inline row of the same run. */
  appendToInline: number;
  readToInline: number;
  readAndFollowToInline?: number;
  errors: number;
  firstError?: string;
}

export interface LargeResult {
  appendsPerRow: number;
  thresholdBytes: number;
  rows: LargePayloadRow[];
  loads: SnapshotLoadsResult;
}

const tableName = "large";
const streamType = "bench-large";
const thresholdBytes = 350 * 1024;

export async function measureLarge(options: {
  config: BenchConfig["large"];
  progress: (message: string) => void;
}): Promise<LargeResult> {
  const { config, progress } = options;
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  const s3 = await startS3Local({ dataDir: undefined });
  const admin = new DynamoDBClient(localAwsClientConfig(dynamoDb.endpoint));
  const client = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
  try {
    await ensureTable(admin, tableName);
    await createTwinTable(admin, tableName);
    const capacity = new CapacityMeter({ client: admin, twinOf: twinTableName });
    capacity.attach(client); // it records only inside a metered measurement
    const meter = new Meter(s3PayloadObjects({ bucket: s3.bucket, s3: s3.clientConfig }), capacity);
    const store = new StreamStore({ client, tableName, payloads: { objects: meter.objects, thresholdBytes } });
    progress(`   ${config.appendsPerRow} appends, then reads, of 300 KiB, 1 MiB and 5 MiB payloads, one at a time`);
    const rows = await payloadRows(store, meter, config);
    progress(`   loads of a ${config.streamEvents}-event stream with and without a snapshot`);
    const loads = await measureSnapshotLoads(store, meter, config);
    return { appendsPerRow: config.appendsPerRow, thresholdBytes, rows, loads };
  } finally {
    client.destroy();
    admin.destroy();
    await s3.stop();
    await dynamoDb.stop();
  }
}

const sizes: { name: LargePayloadRow["name"]; bytes: number }[] = [
  { name: "300 KiB, inline", bytes: 300 * 1024 },
  { name: "1 MiB, in S3", bytes: 1024 * 1024 },
  { name: "5 MiB, in S3", bytes: 5 * 1024 * 1024 },
];

/** Latencies (ms) and tallies of one row; `follow` = the read plus the fetch of the URL it answered. */
interface RowSamples {
  append: number[];
  read: number[];
  follow: number[];
  appendUnits: Tally[];
  readUnits: Tally[];
  errors: number;
  firstError?: string;
  answer: LargePayloadRow["answer"];
}

async function payloadRows(store: StreamStore, meter: Meter, config: BenchConfig["large"]): Promise<LargePayloadRow[]> {
  const texts = sizes.map((size) => jsonOfBytes(size.bytes));
  // Untimed and metered: units and S3 requests, and each code path loaded and compiled before the clock starts.
  const metered = sizes.map(newSamples);
  for (const [index, text] of texts.entries())
    await roundTrip(store, meter, text, 1, metered[index] as RowSamples, true);
  const samples = sizes.map(newSamples);
  for (let turn = 0; turn < config.turns; turn++) {
    for (let step = 0; step < sizes.length; step++) {
      const index = (turn + step) % sizes.length;
      const count = Math.round(config.appendsPerRow / config.turns);
      await roundTrip(store, meter, texts[index] as string, count, samples[index] as RowSamples);
    }
  }
  const inline = samples[0] as RowSamples;
  return sizes.map((size, index) => {
    const row = samples[index] as RowSamples;
    const units = metered[index] as RowSamples;
    const follow = row.follow.length > 0 ? latency(row.follow) : undefined;
    return {
      name: size.name,
      payloadBytes: size.bytes,
      answer: row.answer,
      append: latency(row.append),
      read: latency(row.read),
      ...(follow ? { readAndFollow: follow } : {}),
      appendUnits: units.appendUnits[0] ?? emptyTally(),
      readUnits: units.readUnits[0] ?? emptyTally(),
      appendToInline: p50Ratio(row.append, inline.append),
      readToInline: p50Ratio(row.read, inline.read),
      ...(follow ? { readAndFollowToInline: p50Ratio(row.follow, inline.read) } : {}),
      errors: row.errors + units.errors,
      ...(row.firstError || units.firstError ? { firstError: row.firstError ?? units.firstError } : {}),
    };
  });
}

function newSamples(): RowSamples {
  return { append: [], read: [], follow: [], appendUnits: [], readUnits: [], errors: 0, answer: "payload" };
}

/** `count` appends of the payload, each to a new stream, then a read of each; a URL answer is fetched and checked. */
async function roundTrip(
  store: StreamStore,
  meter: Meter,
  text: string,
  count: number,
  row: RowSamples,
  metered = false,
) {
  const bytes = Buffer.byteLength(text);
  const streams: string[] = [];
  const failed = (error: unknown) => {
    row.errors++;
    row.firstError ??= describe(error);
  };
  for (let index = 0; index < count; index++) {
    const streamId = newStreamId();
    const event = { eventType: benchEventType, payload: new RawJson(text) };
    try {
      const append = () => store.append(streamType, streamId, "no-stream", [event]);
      const { ms, tally } = await meter.measure(append, metered);
      row.append.push(ms);
      row.appendUnits.push(tally);
      streams.push(streamId);
    } catch (error) {
      failed(error);
    }
  }
  for (const streamId of streams) {
    try {
      const read = () => store.readEvents(streamType, streamId, { direction: "forward", limit: 1 });
      const { result, ms, tally } = await meter.measure(read, metered);
      row.read.push(ms);
      const payload = result.events[0]?.payload;
      if (payload instanceof StoredPayload && payload.url) {
        row.answer = "URL";
        const started = performance.now();
        const response = await fetch(payload.url);
        const body = Buffer.from(await response.arrayBuffer());
        row.follow.push(ms + performance.now() - started);
        if (!response.ok || body.length !== bytes || sha256(body) !== payload.sha256) {
          throw new Error(`the payload's URL answered ${response.status} with ${body.length} bytes, not its ${bytes}`);
        }
      } else if (!(payload instanceof RawJson) || Buffer.byteLength(payload.text) !== bytes) {
        throw new Error(`a read of a ${bytes}-byte payload did not answer it (nor a URL to it)`);
      }
      row.readUnits.push(tally);
    } catch (error) {
      failed(error);
    }
  }
}

/** Counts what the work of the store costs: the store's capacity hook and a counting proxy of its S3 objects. */
export class Meter {
  readonly objects: PayloadObjects;
  private tally: Tally = emptyTally();

  constructor(
    objects: PayloadObjects,
    private readonly capacity: CapacityMeter,
  ) {
    const counted = <T>(kind: S3Kind, call: () => T, requests = 1): T => {
      this.tally.s3[kind] += requests;
      return call();
    };
    this.objects = {
      bucket: objects.bucket,
      put: (key, body) => counted("put", () => objects.put(key, body)),
      get: (key) => counted("get", () => objects.get(key)),
      size: (key) => counted("head", () => objects.size(key)),
      copy: (from, to) => counted("copy", () => objects.copy(from, to)),
      // One DeleteObjects request per 1,000 keys; a list is counted once per call (one page up to 1,000 objects).
      delete: (keys) => counted("delete", () => objects.delete(keys), Math.ceil(keys.length / 1000)),
      list: (prefix) => counted("list", () => objects.list(prefix)),
      readUrl: (key, seconds) => counted("signed", () => objects.readUrl(key, seconds)),
      writeUrl: (key, seconds) => counted("signed", () => objects.writeUrl(key, seconds)),
    };
  }

  /** Runs `work` alone and returns its time and S3 requests, and its DynamoDB units if `metered` (slower then). */
  async measure<T>(work: () => Promise<T>, metered = false): Promise<{ result: T; ms: number; tally: Tally }> {
    this.tally = emptyTally();
    const started = performance.now();
    let result: T;
    if (metered) {
      const { result: done, units } = await this.capacity.measure(work);
      Object.assign(this.tally, { write: totalWrite(units), read: units.read });
      result = done;
    } else result = await work();
    const ms = performance.now() - started;
    const tally = this.tally;
    this.tally = emptyTally(); // what runs between measurements counts nowhere
    return { result, ms, tally };
  }
}

function emptyTally(): Tally {
  return { write: 0, read: 0, s3: { put: 0, get: 0, head: 0, copy: 0, delete: 0, list: 0, signed: 0 } };
}

function latency(samples: number[]): Latency {
  return { p50Ms: round(percentile(samples, 0.5), 2), p99Ms: round(percentile(samples, 0.99), 2) };
}

function p50Ratio(ours: number[], baseline: number[]): number {
  return round(ratio(percentile(ours, 0.5), percentile(baseline, 0.5)), 2);
}

/** A JSON object of exactly `bytes` bytes. */
function jsonOfBytes(bytes: number): string {
  const frame = JSON.stringify({ kind: "bench", pad: "" });
  return JSON.stringify({ kind: "bench", pad: "x".repeat(bytes - Buffer.byteLength(frame)) });
}
