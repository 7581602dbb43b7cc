/**
 * Sizes of every part of the bench. `full` is `npm run bench` (about six minutes on two cores); `smoke` is
 * `npm run bench:smoke`, the same code paths with tiny sizes, so that CI can keep the bench from rotting.
 */

export interface BenchConfig {
  mode: "full" | "smoke";
  /** Where the JSON report goes, relative to the project root. */
  resultFile: string;
  capacity: {
    /** Streams of one type that exist when one listing page is read. */
    listingStreams: number;
    /** Page size of that listing. */
    listingPageSize: number;
    /** Events in the stream that is read in one page. */
    readStreamEvents: number;
  };
  /**
   * DynamoDB Local runs on a JVM limited to its first compiler tier: its throughput roughly doubles during the
   * first ten or twenty seconds of load. Before the timed parts, load runs in one-second slices until the rate
   * settles (the mean of the last three slices within 10 % of the three before), for at least `minSeconds` and
   * at most `maxSeconds`.
   */
  warmUp: { minSeconds: number; maxSeconds: number };
  throughput: {
    concurrencies: number[];
    /** Variants of one comparison run in turns of this length, so drift hits them alike. */
    sliceMs: number;
    turns: number;
    /** Untimed load on every variant first, so that each code path is compiled before its clock starts. */
    warmUpMs: number;
    /** Streams each worker appends to in turn ("many streams"). */
    streamsPerWorker: number;
    /** Events in each stream that the read comparisons read as one page. */
    readStreamEvents: number;
    readStreams: number;
  };
  http: {
    connections: number[];
    durationSeconds: number;
    warmUpSeconds: number;
    /** Streams of one type that the listing requests page through (as `eshttp` does) or read as one page. */
    listingStreams: number;
  };
  fanOut: {
    /** Events of the subscribed stream type; each yields one delay sample. */
    events: number;
    /** One event of another stream type after every this many, to check that the filter holds them back. */
    otherTypeEvery: number;
    streams: number;
    /** Pause between appends: the feed is measured under a steady trickle, not a backlog. */
    intervalMs: number;
    /** How long to wait for the last notifications. */
    drainTimeoutMs: number;
  };
  bundles: {
    /** Fresh Node processes per bundle for the cold-init median. */
    coldStarts: number;
  };
  clientOverhead: {
    /** Untimed appends per variant first, so that each code path is compiled before its clock starts. */
    warmUpRequests: number;
    /** Timed appends per variant (bare fetch, client without auth, client with SigV4), taking turns. */
    requests: number;
  };
  drain: {
    /** Events appended while the change feed is stopped, then drained (bench/drain.ts). */
    events: number;
    /** Streams they are spread over. */
    streams: number;
  };
  hotType: {
    /** Listing shard counts (the stack option `listingShards`) to run one hot stream type with. */
    shards: number[];
    /** Workers appending (each to a stream of its own) with the summary upkeep after each append. */
    concurrency: number;
    seconds: number;
    /** Streams of the listing page whose cost is reported. */
    pageSize: number;
  };
  replay: {
    /** Events in the history a replay republishes (SPEC section 7: 100,000). */
    events: number;
    /** Streams they are spread over. */
    streams: number;
  };
  feed: {
    /** Single-event appends whose records the change-feed handler indexes in this process (bench/feed.ts). */
    upkeepEvents: number;
    /** Streams they are spread over. */
    upkeepStreams: number;
    /** One stream in this many is of the rare stream type whose feed is read alone (1 %). */
    rareTypeEvery: number;
    /** Appends over HTTP at a steady trickle, each timed until a long poll of the feed shows it (feed-http.ts). */
    lag: { events: number; streams: number; intervalMs: number; waitSeconds: number; drainTimeoutMs: number };
    /**
     * A history indexed, then read from the start with the TypeScript client's readFeed. The budget asks for
     * 100,000 events; writing that history takes DynamoDB Local about two minutes on two cores (121 s, then 13 s to
     * index it, in a full run of 2026-12-07), past the bench's time: the full bench reads 25,000.
     */
    catchUp: { events: number; streams: number };
  };
  consistency: {
    /** Workers of each throughput row (each on streams or tags of its own), and deciders on the hot tag. */
    concurrency: number;
    /** Operations of each row at that concurrency, split over `turns`. */
    operationsPerRow: number;
    turns: number;
    /**
     * Successful appends of the deciders on one hot tag. Each costs about five attempts (4.4 conflicts per append in
     * a full run of 2026-12-07, 21 decisions/s): 1,000 took 48 s, and the rate is as steady after a few hundred.
     */
    hotTagAppends: number;
    /** Operations of each row run one at a time on the capacity meter first (also the warm-up), and seal reads. */
    meteredOperations: number;
  };
  large: {
    /** Appends (each to a new stream), then reads, of each payload size (300 KiB, 1 MiB, 5 MiB), split over `turns`. */
    appendsPerRow: number;
    turns: number;
    /** Events of the stream loaded with and without a snapshot (the issue: 10,000), written in appends of 100. */
    streamEvents: number;
    /** How far behind the head the second snapshot is. */
    snapshotBehind: number;
    /** Timed loads of each variant (the median is reported). */
    loads: number;
  };
  lifecycle: {
    /** Events of the hard-deleted stream whose removal is measured (reported per 1,000). */
    streamEvents: number;
  };
}

export const fullConfig: BenchConfig = {
  mode: "full",
  resultFile: "bench/results/latest.json",
  capacity: { listingStreams: 200, listingPageSize: 100, readStreamEvents: 100 },
  warmUp: { minSeconds: 8, maxSeconds: 30 },
  throughput: {
    concurrencies: [1, 8],
    sliceMs: 500,
    turns: 6,
    warmUpMs: 1_500,
    streamsPerWorker: 16,
    readStreamEvents: 20,
    readStreams: 32,
  },
  http: { connections: [1, 8], durationSeconds: 3, warmUpSeconds: 2, listingStreams: 200 },
  fanOut: { events: 240, otherTypeEvery: 4, streams: 10, intervalMs: 20, drainTimeoutMs: 10_000 },
  bundles: { coldStarts: 12 },
  clientOverhead: { warmUpRequests: 200, requests: 1_000 },
  drain: { events: 5_000, streams: 100 },
  hotType: { shards: [1, 4, 16], concurrency: 8, seconds: 3, pageSize: 100 },
  replay: { events: 100_000, streams: 1_000 },
  feed: {
    upkeepEvents: 3_000,
    upkeepStreams: 1_000,
    rareTypeEvery: 100,
    lag: { events: 200, streams: 10, intervalMs: 25, waitSeconds: 5, drainTimeoutMs: 5_000 },
    catchUp: { events: 25_000, streams: 250 },
  },
  consistency: { concurrency: 8, operationsPerRow: 1_000, turns: 4, hotTagAppends: 400, meteredOperations: 50 },
  large: { appendsPerRow: 20, turns: 2, streamEvents: 10_000, snapshotBehind: 100, loads: 5 },
  lifecycle: { streamEvents: 10_000 },
};

export const smokeConfig: BenchConfig = {
  mode: "smoke",
  resultFile: "bench/results/smoke.json",
  capacity: { listingStreams: 20, listingPageSize: 10, readStreamEvents: 100 },
  warmUp: { minSeconds: 0.3, maxSeconds: 0.3 },
  throughput: {
    concurrencies: [1, 8],
    sliceMs: 150,
    turns: 1,
    warmUpMs: 100,
    streamsPerWorker: 2,
    readStreamEvents: 20,
    readStreams: 4,
  },
  http: { connections: [8], durationSeconds: 0.5, warmUpSeconds: 0, listingStreams: 20 },
  fanOut: { events: 12, otherTypeEvery: 4, streams: 2, intervalMs: 20, drainTimeoutMs: 5_000 },
  bundles: { coldStarts: 2 },
  clientOverhead: { warmUpRequests: 20, requests: 50 },
  drain: { events: 200, streams: 10 },
  hotType: { shards: [1, 4, 16], concurrency: 8, seconds: 0.3, pageSize: 10 },
  replay: { events: 300, streams: 6 },
  feed: {
    upkeepEvents: 300,
    upkeepStreams: 30,
    rareTypeEvery: 10,
    lag: { events: 12, streams: 2, intervalMs: 25, waitSeconds: 5, drainTimeoutMs: 5_000 },
    catchUp: { events: 300, streams: 6 },
  },
  consistency: { concurrency: 8, operationsPerRow: 50, turns: 1, hotTagAppends: 50, meteredOperations: 10 },
  large: { appendsPerRow: 3, turns: 1, streamEvents: 1_000, snapshotBehind: 100, loads: 3 },
  lifecycle: { streamEvents: 1_000 },
};
