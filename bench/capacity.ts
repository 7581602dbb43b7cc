/**
 * Part 1: request units per logical operation, ours against the Go project's access pattern. Deterministic: it
 * reads what DynamoDB (Local) reports through ReturnConsumedCapacity, which is what AWS bills.
 */
import { randomUUID } from "node:crypto";
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type StoreOperation, StreamStore } from "#store/stream-store.ts";
import { BaselineStore } from "./baseline-store.ts";
import { addUnits, type CapacityMeter, noUnits, totalWrite, type Units } from "./capacity-meter.ts";
import type { BenchConfig } from "./config.ts";
import { newEvent, newEvents, newStreamId } from "./events.ts";
import { inParallel } from "./load.ts";
import { dynamoDbUsdPerMillion, prices } from "./prices.ts";

export interface CapacityRow {
  id: string;
  operation: string;
  /** sync: before the caller gets an answer; async: the change feed's work; all in: both. */
  timing: "sync" | "async" | "all in";
  ours: Units;
  baseline: Units;
  /**
   * Capacity units per logical operation as the store's own `onConsumedCapacity` hook saw them: DynamoDB Local's
   * raw figures, so a transaction shows its misreported total (see capacity-meter.ts); `ours` has the right one.
   */
  oursByStoreOperation?: Partial<Record<StoreOperation, number>>;
  note?: string;
}

export interface CostPerMillionAppends {
  design: string;
  synchronousWritesUsd: number;
  asynchronousWritesUsd: number;
  readsUsd: number;
  /** DynamoDB Streams reads by the Lambda trigger: free. */
  streamReadsUsd: number;
  /** One SNS request per event when every PublishBatch carries one message; a tenth of it when full. */
  snsUsdOneMessagePerRequest: number;
  snsUsdTenMessagesPerRequest: number;
  /** Every DynamoDB charge above. */
  dynamoDbUsd: number;
  /** DynamoDB plus SNS at one message per request (the upper bound). */
  totalUsd: number;
}

export interface CapacityResult {
  rows: CapacityRow[];
  costPerMillionAppends: CostPerMillionAppends[];
  budgets: {
    singleAppendSync: { writeUnits: number; readUnits: number; met: boolean };
    singleAppendAllIn: { writeUnits: number; met: boolean };
  };
}

const capacityStreamType = "bench-capacity";

/** A trace context as OpenTelemetry's W3C propagator writes it, with a short vendor tracestate. */
const benchTraceContext = {
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  tracestate: "vendor=opaque",
};
/** What it adds to an event item as DynamoDB counts it: attribute names and values. */
const traceBytes = Object.entries(benchTraceContext).reduce(
  (bytes, [name, value]) => bytes + Buffer.byteLength(name) + Buffer.byteLength(value),
  0,
);
const listingStreamType = "bench-listing";

export async function measureCapacity(options: {
  client: DynamoDBDocumentClient;
  meter: CapacityMeter;
  tableName: string;
  baselineTableName: string;
  config: BenchConfig["capacity"];
}): Promise<CapacityResult> {
  const { client, meter, config } = options;
  const byOperation: Partial<Record<StoreOperation, number>> = {};
  const hook = (operation: StoreOperation, capacity: ConsumedCapacity) => {
    byOperation[operation] = (byOperation[operation] ?? 0) + (capacity.CapacityUnits ?? 0);
  };
  const store = new StreamStore({ client, tableName: options.tableName, onConsumedCapacity: hook });
  const baseline = new BaselineStore(client, options.baselineTableName);
  const measure = async <T>(work: () => Promise<T>) => {
    for (const key of Object.keys(byOperation)) delete byOperation[key as StoreOperation];
    const measured = await meter.measure(work);
    return { ...measured, byOperation: { ...byOperation } };
  };

  // Ours: create, summary of the new stream and its type's count (as the change feed keeps them for a batch with
  // one new stream of the type), single appends (this process knows the stream's head, then a fresh process that
  // must read it first), their summaries, a batch append and its summary.
  const streamId = newStreamId();
  const create = await measure(() => store.append(capacityStreamType, streamId, "no-stream", [newEvent()]));
  const firstSummary = await measure(async () => {
    const { stream } = create.result;
    if (await store.raiseSummary(stream)) await store.countNewStreams(stream.streamType, 1, stream.updatedAt);
  });
  const warm = await measure(() => store.append(capacityStreamType, streamId, 1, [newEvent()]));
  await store.raiseSummary(warm.result.stream);
  const freshProcess = new StreamStore({ client, tableName: options.tableName, onConsumedCapacity: hook });
  const cold = await measure(() => freshProcess.append(capacityStreamType, streamId, 2, [newEvent()]));
  const singleSummary = await measure(() => store.raiseSummary(cold.result.stream));
  // The same append with the W3C trace context an instrumented client sends (SPEC section 14): ~70 bytes more.
  const traced = await measure(() =>
    store.append(capacityStreamType, streamId, 3, [{ ...newEvent(), traceContext: benchTraceContext }]),
  );
  const batch = await measure(() => freshProcess.append(capacityStreamType, streamId, 4, newEvents(10)));
  const batchSummary = await measure(() => store.raiseSummary(batch.result.stream));

  // The Go layout: the same sequence.
  const baseCreate = await meter.measure(() => baseline.createStream(capacityStreamType, newEvent()));
  const baseStreamId = baseCreate.result.streamId;
  const baseSingle = await meter.measure(() => baseline.append(capacityStreamType, baseStreamId, 1, [newEvent()]));
  const baseBatch = await meter.measure(() => baseline.append(capacityStreamType, baseStreamId, 2, newEvents(10)));

  // Reads of a stream with `readStreamEvents` events, in one page.
  const readStreamId = newStreamId();
  await store.append(capacityStreamType, readStreamId, "no-stream", newEvents(config.readStreamEvents));
  const read = await measure(() =>
    store.readEvents(capacityStreamType, readStreamId, { direction: "forward", limit: config.readStreamEvents }),
  );
  assertCount("our read", read.result.events.length, config.readStreamEvents);
  const details = await measure(() => store.streamDetails(capacityStreamType, readStreamId));

  // The idempotency window: "any" with a client-given eventId reads the stream's newest 100 events (the stream of
  // the read above has `readStreamEvents`); an exact append with one, whose head is known, still writes alone.
  const withEventId = () => ({ ...newEvent(), eventId: randomUUID() });
  const anyWithId = await measure(() => freshProcess.append(capacityStreamType, readStreamId, "any", [withEventId()]));
  const exactWithId = await measure(() =>
    freshProcess.append(capacityStreamType, readStreamId, anyWithId.result.stream.revision, [withEventId()]),
  );

  const baseRead = await baseline.createStream(capacityStreamType, newEvent());
  await baseline.append(capacityStreamType, baseRead.streamId, 1, newEvents(config.readStreamEvents - 1));
  const baseReadPage = await meter.measure(() => baseline.readEvents(baseRead.streamId, 0));
  assertCount("baseline read", baseReadPage.result, config.readStreamEvents);
  const baseDetails = await meter.measure(() => baseline.details(baseRead.streamId));

  // One listing page while `listingStreams` streams of the type exist (summaries kept as the change feed would).
  await inParallel(config.listingStreams, 8, async () => {
    const { stream } = await store.append(listingStreamType, newStreamId(), "no-stream", [newEvent()]);
    await store.raiseSummary(stream);
    await baseline.createStream(listingStreamType, newEvent());
  });
  const listing = await measure(() =>
    store.listStreams(listingStreamType, { updatedAfter: 0, limit: config.listingPageSize }),
  );
  assertCount("our listing", listing.result.streams.length, config.listingPageSize);
  const baseListing = await meter.measure(() =>
    baseline.listStreams(listingStreamType, new Date(0).toISOString(), config.listingPageSize),
  );
  assertCount("baseline listing", baseListing.result, config.listingPageSize);

  const rows: CapacityRow[] = [
    row("create", "create stream (1 event)", "sync", create, baseCreate.units),
    row("create-all-in", "create stream, all in", "all in", sum(create, firstSummary), baseCreate.units),
    row("append-known-head", "append 1 event, head known in process", "sync", warm, baseSingle.units),
    row("append", "append 1 event, head read first", "sync", cold, baseSingle.units),
    row("summary", "summary upkeep per append", "async", singleSummary, noUnits, "baseline: inside its sync write"),
    row("append-all-in", "append 1 event, head read, all in", "all in", sum(cold, singleSummary), baseSingle.units),
    row(
      "append-exact-event-id",
      "append 1 event with eventId, exact, head known",
      "sync",
      exactWithId,
      baseSingle.units,
    ),
    row(
      "append-any-event-id",
      `append 1 event with eventId, any (window of ${Math.min(100, config.readStreamEvents)} events)`,
      "sync",
      anyWithId,
      baseSingle.units,
    ),
    row(
      "append-traced",
      "append 1 event with traceparent + tracestate, head known",
      "sync",
      traced,
      baseSingle.units,
      `${traceBytes} bytes more per event item`,
    ),
    row("batch", "append 10 events (one call)", "sync", batch, baseBatch.units),
    row("batch-all-in", "append 10 events, all in", "all in", sum(batch, batchSummary), baseBatch.units),
    row("read", `read ${config.readStreamEvents} events (one page)`, "sync", read, baseReadPage.units),
    row("details", "stream details", "sync", details, baseDetails.units),
    row(
      "listing",
      `listing page (${config.listingPageSize} of ${config.listingStreams} streams)`,
      "sync",
      listing,
      baseListing.units,
    ),
  ];

  // Budgets are judged on the append that has to read the head: the worst case of a single append.
  const syncWrite = totalWrite(cold.units);
  const allInWrite = syncWrite + totalWrite(singleSummary.units);
  return {
    rows,
    costPerMillionAppends: [
      costOfAppends("ours, head read first", cold.units, singleSummary.units),
      costOfAppends("ours, head known", warm.units, singleSummary.units),
      costOfAppends("baseline", baseSingle.units, noUnits),
    ],
    budgets: {
      singleAppendSync: {
        writeUnits: syncWrite,
        readUnits: cold.units.read,
        met: syncWrite <= 1 && cold.units.read <= 1,
      },
      singleAppendAllIn: { writeUnits: allInWrite, met: allInWrite <= 4 },
    },
  };
}

interface Measured {
  units: Units;
  byOperation?: Partial<Record<StoreOperation, number>>;
}

function row(
  id: string,
  operation: string,
  timing: CapacityRow["timing"],
  ours: Measured,
  baseline: Units,
  note?: string,
): CapacityRow {
  return {
    id,
    operation,
    timing,
    ours: ours.units,
    baseline,
    ...(ours.byOperation ? { oursByStoreOperation: ours.byOperation } : {}),
    ...(note ? { note } : {}),
  };
}

function sum(a: Measured, b: Measured): Measured {
  const byOperation: Partial<Record<StoreOperation, number>> = { ...a.byOperation };
  for (const [operation, units] of Object.entries(b.byOperation ?? {})) {
    byOperation[operation as StoreOperation] = (byOperation[operation as StoreOperation] ?? 0) + units;
  }
  return { units: addUnits(a.units, b.units), byOperation };
}

function costOfAppends(design: string, sync: Units, async: Units): CostPerMillionAppends {
  const synchronousWritesUsd = dynamoDbUsdPerMillion(0, totalWrite(sync));
  const asynchronousWritesUsd = dynamoDbUsdPerMillion(0, totalWrite(async));
  const readsUsd = dynamoDbUsdPerMillion(sync.read + async.read, 0);
  const snsUsdOneMessagePerRequest = prices.snsRequestsPerMillion;
  return {
    design,
    synchronousWritesUsd,
    asynchronousWritesUsd,
    readsUsd,
    streamReadsUsd: prices.streamReadsFromLambdaPerMillion,
    snsUsdOneMessagePerRequest,
    snsUsdTenMessagesPerRequest: snsUsdOneMessagePerRequest / 10,
    dynamoDbUsd: synchronousWritesUsd + asynchronousWritesUsd + readsUsd,
    totalUsd: synchronousWritesUsd + asynchronousWritesUsd + readsUsd + snsUsdOneMessagePerRequest,
  };
}

function assertCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what} returned ${actual} items, expected ${expected}`);
}
