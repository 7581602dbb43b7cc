/**
 * Part 2: store throughput over DynamoDB Local, each figure next to the engine's ceiling measured in the same
 * run: the very command the store sends (a conditional PutItem of the same event item, a Query of the same
 * page), sent in a bare loop. Appends run twice through the store: as a long-lived process runs them (it knows
 * the heads of the streams it wrote, so an append is one conditional put) and as a process that has never seen
 * the stream runs them (a fresh StreamStore per append: read the newest event, then put).
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBClient, QueryCommandInput } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbWire } from "#store/dynamodb-wire.ts";
import { WrongExpectedRevisionError } from "#store/errors.ts";
import { eventItem, maxRevision, putNewEvent, queryEvents, queryHead } from "#store/items.ts";
import { isoTime } from "#store/model.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { BenchConfig } from "./config.ts";
import { benchEventType, newEvent, newEvents, newStreamId } from "./events.ts";
import { compareInTurns, inParallel, type LoadFigures, type Operation, type Variant } from "./load.ts";
import { ratio, round } from "./stats.ts";

export const readStreamType = "bench-read";
const appendStreamType = "bench-append";

export interface ThroughputRow {
  id: "append" | "append-hot" | "read" | "details";
  operation: string;
  concurrency: number;
  store: LoadFigures;
  /** The store's command alone in a loop: the budget's reference (store ≥ 80 % of it). */
  raw: LoadFigures;
  /** Appends only: a fresh store for every append, so each reads the stream's head before its put. */
  storeHeadRead?: LoadFigures;
  storeToRaw: number;
  storeHeadReadToRaw?: number;
}

interface PooledStream {
  id: string;
  revision: number;
}

/** Streams a worker appends to in turn. */
class StreamPool {
  private cursor = 0;
  constructor(readonly streams: PooledStream[]) {}
  next(): PooledStream {
    const stream = this.streams[this.cursor] as PooledStream;
    this.cursor = (this.cursor + 1) % this.streams.length;
    return stream;
  }
}

/** Streams of `readStreamEvents` events each, read by part 2 and by the HTTP part. */
export async function prepareReadStreams(store: StreamStore, config: BenchConfig["throughput"]): Promise<string[]> {
  const ids = Array.from({ length: config.readStreams }, newStreamId);
  await inParallel(ids.length, 8, async (index) => {
    await store.append(readStreamType, ids[index] as string, "no-stream", newEvents(config.readStreamEvents));
  });
  return ids;
}

export interface WarmUpResult {
  seconds: number;
  /** Store operations per second in each one-second slice; the last ones are the settled rate. */
  perSecondBySlice: number[];
}

/**
 * Loads DynamoDB Local through the store (appends to many streams and page reads, 8 workers) in slices of up to
 * a second until the rate settles; see BenchConfig.warmUp.
 */
export async function warmUpDynamoDbLocal(
  store: StreamStore,
  readStreamIds: string[],
  config: BenchConfig["warmUp"],
): Promise<WarmUpResult> {
  const workers = 8;
  const streams = Array.from({ length: workers }, () =>
    Array.from({ length: 8 }, () => ({ id: newStreamId(), revision: 0 })),
  );
  const pools = streams.map((list) => new StreamPool(list));
  let turn = 0;
  const operation: Operation = async (worker) => {
    if (turn++ % 2 === 0) {
      const stream = (pools[worker] as StreamPool).next();
      const expected = stream.revision === 0 ? "no-stream" : stream.revision;
      stream.revision = (await store.append(appendStreamType, stream.id, expected, [newEvent()])).lastRevision;
    } else {
      const id = readStreamIds[turn % readStreamIds.length] as string;
      await store.readEvents(readStreamType, id, { direction: "forward", limit: 100 });
    }
    return "ok";
  };
  const sliceMs = Math.min(1_000, config.maxSeconds * 1_000);
  const started = performance.now();
  const rates: number[] = [];
  // Slices are noisy (±15 %); the rate has settled once three slices no longer beat the three before by 10 %.
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const settled = () => rates.length >= 6 && mean(rates.slice(-3)) <= 1.1 * mean(rates.slice(-6, -3));

  while (performance.now() - started < config.maxSeconds * 1_000) {
    const figures = await compareInTurns([{ name: "warm-up", operation }], {
      concurrency: workers,
      sliceMs,
      turns: 1,
    });
    rates.push((figures["warm-up"] as LoadFigures).perSecond);
    if (performance.now() - started >= config.minSeconds * 1_000 && settled()) break;
  }
  return { seconds: round((performance.now() - started) / 1_000, 1), perSecondBySlice: rates };
}

export async function measureStoreThroughput(options: {
  client: DynamoDBDocumentClient;
  store: StreamStore;
  tableName: string;
  readStreamIds: string[];
  config: BenchConfig["throughput"];
}): Promise<ThroughputRow[]> {
  const { client, store, tableName, config } = options;
  const workers = Math.max(...config.concurrencies);
  const payload = newEvent().payload;
  const wire = wireOf(client);

  const rawPut = (streamId: string, revision: number) => {
    const event = { eventType: benchEventType, payload, eventId: randomUUID() };
    const item = eventItem(appendStreamType, streamId, revision, event, isoTime(Date.now()));
    return wire.send("PutItem", putNewEvent(tableName, item));
  };
  const pools = async (seed: (streamId: string) => Promise<void>) => {
    const all = Array.from({ length: workers }, () =>
      Array.from({ length: config.streamsPerWorker }, () => ({ id: newStreamId(), revision: 1 })),
    );
    const flat = all.flat();
    await inParallel(flat.length, 8, (index) => seed((flat[index] as PooledStream).id));
    return all.map((streams) => new StreamPool(streams));
  };

  // Many streams: every worker appends to its own streams in turn (created before the clock starts).
  const rawPools = await pools((id) => rawPut(id, 1).then(() => undefined));
  const storePools = await pools((id) =>
    store.append(appendStreamType, id, "no-stream", [newEvent()]).then(() => undefined),
  );
  const headReadPools = await pools((id) =>
    store.append(appendStreamType, id, "no-stream", [newEvent()]).then(() => undefined),
  );
  const appendVariants: Variant[] = [
    {
      name: "raw",
      operation: async (worker) => {
        const stream = (rawPools[worker] as StreamPool).next();
        await rawPut(stream.id, stream.revision + 1);
        stream.revision++;
        return "ok";
      },
    },
    {
      name: "store",
      operation: async (worker) => {
        const stream = (storePools[worker] as StreamPool).next();
        const result = await store.append(appendStreamType, stream.id, stream.revision, [newEvent()]);
        stream.revision = result.lastRevision;
        return "ok";
      },
    },
    {
      name: "storeHeadRead",
      operation: async (worker) => {
        const stream = (headReadPools[worker] as StreamPool).next();
        const freshProcess = new StreamStore({ client, tableName });
        const result = await freshProcess.append(appendStreamType, stream.id, stream.revision, [newEvent()]);
        stream.revision = result.lastRevision;
        return "ok";
      },
    },
  ];

  // One hot stream: every worker appends to the same stream. The raw loop hands out revisions from a shared
  // counter (it cannot conflict); store workers state the revision they last saw, as command handlers do, and
  // a 409 (counted as a conflict) tells them the current one.
  const hotRaw = { id: newStreamId(), revision: 1 };
  await rawPut(hotRaw.id, 1);
  const hotStore = newStreamId();
  await store.append(appendStreamType, hotStore, "no-stream", [newEvent()]);
  const known = Array.from({ length: workers }, () => 1);
  const hotVariants: Variant[] = [
    {
      name: "raw",
      operation: async () => {
        await rawPut(hotRaw.id, ++hotRaw.revision);
        return "ok";
      },
    },
    {
      name: "store",
      operation: async (worker) => {
        try {
          const result = await store.append(appendStreamType, hotStore, known[worker] as number, [newEvent()]);
          known[worker] = result.lastRevision;
          return "ok";
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          known[worker] = error.currentRevision;
          return "conflict";
        }
      },
    },
  ];

  // Reads: pages of the prepared streams, in turn.
  const readIds = options.readStreamIds;
  const cursors = Array.from({ length: workers }, (_, worker) => worker);
  const nextReadId = (worker: number) => {
    const index = (cursors[worker] as number) % readIds.length;
    cursors[worker] = index + workers;
    return readIds[index] as string;
  };
  const pageSize = 100;
  const readVariants: Variant[] = [
    {
      name: "raw",
      operation: query(client, (worker) =>
        queryEvents(tableName, nextReadId(worker), { from: 1, to: maxRevision }, true, pageSize + 1),
      ),
    },
    {
      name: "store",
      operation: async (worker) => {
        await store.readEvents(readStreamType, nextReadId(worker), { direction: "forward", limit: pageSize });
        return "ok";
      },
    },
  ];
  const detailsVariants: Variant[] = [
    { name: "raw", operation: query(client, (worker) => queryHead(tableName, nextReadId(worker))) },
    {
      name: "store",
      operation: async (worker) => {
        await store.streamDetails(readStreamType, nextReadId(worker));
        return "ok";
      },
    },
  ];

  const comparisons = [
    { id: "append", operation: "append 1 event, many streams", variants: appendVariants },
    { id: "append-hot", operation: "append 1 event, one hot stream", variants: hotVariants },
    { id: "read", operation: `read a ${config.readStreamEvents}-event page`, variants: readVariants },
    { id: "details", operation: "stream details", variants: detailsVariants },
  ] as const;

  // Untimed: the JVM behind DynamoDB Local compiles its hot paths during the first seconds of load.
  for (const comparison of comparisons) {
    await compareInTurns(comparison.variants, {
      concurrency: workers,
      sliceMs: config.warmUpMs / comparisons.length / comparison.variants.length,
      turns: 1,
    });
  }

  const rows: ThroughputRow[] = [];
  for (const comparison of comparisons) {
    for (const concurrency of config.concurrencies) {
      const figures = await compareInTurns(comparison.variants, {
        concurrency,
        sliceMs: config.sliceMs,
        turns: config.turns,
      });
      const storeFigures = figures.store as LoadFigures;
      const raw = figures.raw as LoadFigures;
      const headRead = figures.storeHeadRead;
      rows.push({
        id: comparison.id,
        operation: comparison.operation,
        concurrency,
        store: storeFigures,
        raw,
        ...(headRead
          ? { storeHeadRead: headRead, storeHeadReadToRaw: round(ratio(headRead.perSecond, raw.perSecond), 3) }
          : {}),
        storeToRaw: round(ratio(storeFigures.perSecond, raw.perSecond), 3),
      });
    }
  }
  return rows;
}

function query(client: DynamoDBDocumentClient, input: (worker: number) => QueryCommandInput): Operation {
  const wire = wireOf(client);
  return async (worker) => {
    await wire.send("Query", input(worker));
    return "ok";
  };
}

/** The store's request path sends its requests itself (dynamodb-wire.ts, items.ts): so does its raw loop. */
function wireOf(client: DynamoDBDocumentClient): DynamoDbWire {
  return new DynamoDbWire(client as unknown as DynamoDBClient);
}
