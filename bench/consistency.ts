/**
 * Part 11: consistency across streams (SPEC sections 7 and 11), through the store on a DynamoDB Local of its own.
 *
 * - **rows**: single-stream appends (1 event, exact expectation: the baseline), multi-stream appends of 2 and of 10
 *   streams (1 event each, exact expectations, one TransactWriteItems) and DCB decisions with 1, 2 and 4 tags (a
 *   `readDcb` of the query, then an `appendDcb` of one event carrying the tags on the read's condition). Each worker
 *   owns its streams and tags; a decider keeps the position it last saw and reads after it, as a process that holds
 *   its decision state does. Each row runs one operation per worker (its streams and tags then exist), then
 *   `meteredOperations` one at a time on a metered client (its units; also the warm-up), then `operationsPerRow` at
 *   `concurrency` on a plain client, the rows taking turns.
 * - **units**: AWS prices each item of a transaction twice (2 WCU per item per KB) while DynamoDB Local reports 4
 *   units for any TransactWriteItems; the capacity meter (capacity-meter.ts) replays each transaction's items on a
 *   twin table to get AWS's figure. What DynamoDB Local itself reported, summed per store operation by the store's
 *   hook, is kept beside it.
 * - **hot tag**: `concurrency` deciders on ONE tag, each retrying on AppendConditionFailedError after reading what
 *   it missed, until `hotTagAppends` appends succeeded; then the tag is read from the start: every acknowledged
 *   append must be there once (the invariant).
 * - **seal**: a read of two tags whose heads differ raises the lower one (dcb.ts): its write units, per read.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { ensureTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import { addUnits, CapacityMeter, createTwinTable, noUnits, twinTableName, type Units } from "./capacity-meter.ts";
import type { BenchConfig } from "./config.ts";
import { decisionsOn, type HotTagResult, hotTag, type SealResult, sealReads } from "./consistency-dcb.ts";
import {
  average,
  countedLoop,
  merge,
  noOperationUnits,
  type Operation,
  type OperationUnits,
  type Part,
  type Sample,
  unwrapped,
  type Wrap,
} from "./consistency-load.ts";
import { newEvent, newStreamId } from "./events.ts";
import { capacityMeter } from "./feed-reads.ts";
import { ratio, round } from "./stats.ts";

export interface ConsistencyRow {
  name: "single append" | "multi-stream 2" | "multi-stream 10" | "DCB 1 tag" | "DCB 2 tags" | "DCB 4 tags";
  /** Events one operation appends. */
  events: number;
  /** A DCB decision's read; absent for plain appends. */
  read?: OperationUnits;
  append: OperationUnits;
  /** Appends (or decisions: read + append) per second at `concurrency`, each worker on its own streams or tags. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
  /** Against the single append of the same run. */
  throughputToSingle: number;
  wcuToSingle: number;
}

export interface ConsistencyResult {
  concurrency: number;
  operationsPerRow: number;
  meteredOperations: number;
  rows: ConsistencyRow[];
  hotTag: HotTagResult;
  seal: SealResult;
}

const tableName = "consistency";
const streamType = "bench-consistency";

export async function measureConsistency(options: {
  config: BenchConfig["consistency"];
  progress: (message: string) => void;
}): Promise<ConsistencyResult> {
  const { config, progress } = options;
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  const admin = new DynamoDBClient(localAwsClientConfig(dynamoDb.endpoint));
  const meteredClient = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
  const client = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
  try {
    await ensureTable(admin, tableName);
    await createTwinTable(admin, tableName);
    const meter = new CapacityMeter({ client: admin, twinOf: twinTableName });
    meter.attach(meteredClient);
    const hook = capacityMeter();
    const metered = new StreamStore({ client: meteredClient, tableName, onConsumedCapacity: hook.hook });
    const store = new StreamStore({ client, tableName });
    const { concurrency } = config;

    const variants: { name: ConsistencyRow["name"]; events: number; operation: Operation }[] = [
      { name: "single append", events: 1, operation: appendsTo(1, concurrency) },
      { name: "multi-stream 2", events: 2, operation: appendsTo(2, concurrency) },
      { name: "multi-stream 10", events: 10, operation: appendsTo(10, concurrency) },
      { name: "DCB 1 tag", events: 1, operation: decisionsOn(1, concurrency) },
      { name: "DCB 2 tags", events: 1, operation: decisionsOn(2, concurrency) },
      { name: "DCB 4 tags", events: 1, operation: decisionsOn(4, concurrency) },
    ];
    progress(`   units: ${config.meteredOperations} operations of each row, one at a time, metered`);
    const units = new Map<string, Partial<Record<Part, OperationUnits>>>();
    for (const variant of variants) {
      const sums: Partial<Record<Part, { units: Units; local: number }>> = {};
      const wrap: Wrap = async (part, work) => {
        hook.reset();
        const { result, units: used } = await meter.measure(work);
        const local = Object.values(hook.units).reduce((sum, value) => sum + value, 0) - used.read;
        const sum = sums[part] ?? { units: noUnits, local: 0 };
        sums[part] = { units: addUnits(sum.units, used), local: sum.local + local };
        return result;
      };
      // One unmetered operation per worker first: its streams and tags exist, as they do in the timed phase.
      for (let worker = 0; worker < concurrency; worker++) await variant.operation(metered, worker, unwrapped);
      for (let index = 0; index < config.meteredOperations; index++) {
        await variant.operation(metered, index % concurrency, wrap);
      }
      const perOperation = (part: Part) => {
        const sum = sums[part];
        return sum && average(sum.units, sum.local, config.meteredOperations);
      };
      units.set(variant.name, { read: perOperation("read"), append: perOperation("append") });
    }

    progress(`   throughput: ${config.operationsPerRow} operations a row at concurrency ${concurrency}, in turns`);
    const samples = new Map(variants.map((variant) => [variant.name, [] as Sample[]]));
    for (let turn = 0; turn < config.turns; turn++) {
      for (let step = 0; step < variants.length; step++) {
        const variant = variants[(turn + step) % variants.length] as (typeof variants)[number];
        const count = Math.round(config.operationsPerRow / config.turns);
        samples.get(variant.name)?.push(await countedLoop(store, variant.operation, concurrency, count));
      }
    }
    const rows = variants.map((variant) => {
      const sample = merge(samples.get(variant.name) ?? []);
      const { read, append } = units.get(variant.name) ?? {};
      return {
        name: variant.name,
        events: variant.events,
        ...(read ? { read } : {}),
        append: append ?? noOperationUnits,
        ...sample,
      };
    });
    const single = rows[0] as (typeof rows)[number];
    const wcu = (row: (typeof rows)[number]) => row.append.write + (row.read?.write ?? 0);
    progress(`   hot tag: ${concurrency} deciders on one tag until ${config.hotTagAppends} appends succeed; seal`);
    return {
      concurrency,
      operationsPerRow: config.operationsPerRow,
      meteredOperations: config.meteredOperations,
      rows: rows.map((row) => ({
        ...row,
        throughputToSingle: round(ratio(row.perSecond, single.perSecond), 3),
        wcuToSingle: round(ratio(wcu(row), wcu(single)), 2),
      })),
      hotTag: await hotTag(store, concurrency, config.hotTagAppends),
      seal: await sealReads(metered, meter, hook, config.meteredOperations),
    };
  } finally {
    client.destroy();
    meteredClient.destroy();
    admin.destroy();
    await dynamoDb.stop();
  }
}

/** Appends of one event to each of `streams` streams of the worker's own, exact expectations (1: a plain append). */
function appendsTo(streams: number, concurrency: number): Operation {
  const owned = Array.from({ length: concurrency }, () =>
    Array.from({ length: streams }, () => ({ id: newStreamId(), revision: 0 })),
  );
  const expected = (revision: number) => (revision === 0 ? ("no-stream" as const) : revision);
  return async (store, worker, wrap) => {
    const mine = owned[worker] as { id: string; revision: number }[];
    const [only] = mine;
    if (only && streams === 1) {
      const { stream } = await wrap("append", () =>
        store.append(streamType, only.id, expected(only.revision), [newEvent()]),
      );
      only.revision = stream.revision;
      return;
    }
    const writes = mine.map((s) => ({
      streamType,
      streamId: s.id,
      expected: expected(s.revision),
      events: [newEvent()],
    }));
    const { appends } = await wrap("append", () => store.appendToStreams(writes));
    appends.forEach((append, index) => {
      (mine[index] as { revision: number }).revision = append.stream.revision;
    });
  };
}
