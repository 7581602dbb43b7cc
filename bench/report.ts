/** Renders the bench's results as the text table `npm run bench` prints (and docs/performance.md quotes). */
import type { BundlesResult } from "./bundles.ts";
import type { CapacityResult } from "./capacity.ts";
import { totalWrite, type Units } from "./capacity-meter.ts";
import type { ClientOverheadRow } from "./client-overhead.ts";
import type { ConsistencyResult } from "./consistency.ts";
import type { ShreddingResult } from "./crypto-shredding.ts";
import type { DrainResult, DrainRun } from "./drain.ts";
import type { FanOutResult } from "./fan-out.ts";
import type { FeedResult } from "./feed.ts";
import type { HotTypeRow } from "./hot-type.ts";
import type { HttpRow } from "./http.ts";
import type { LargeResult } from "./large-payloads.ts";
import type { LifecycleResult } from "./lifecycle.ts";
import { dynamoDbUsdPerMillion, prices } from "./prices.ts";
import type { ReplayResult } from "./replay.ts";
import { consistencySection } from "./report-consistency.ts";
import { feedSection } from "./report-feed.ts";
import { fixed, kib, num, percent, table, usd } from "./report-format.ts";
import { largeSection } from "./report-large.ts";
import { lifecycleSection } from "./report-lifecycle.ts";
import { shreddingSection } from "./report-shredding.ts";
import { ratio } from "./stats.ts";
import type { ThroughputRow, WarmUpResult } from "./throughput.ts";

export interface BenchResults {
  mode: "full" | "smoke";
  date: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string };
  versions: { node: string; java: string; dynamoDbLocal: string };
  capacity: CapacityResult;
  /** How long DynamoDB Local was loaded before the timed parts, and the rates it went through. */
  warmUp: WarmUpResult;
  storeThroughput: ThroughputRow[];
  http: (HttpRow & { storePerSecond?: number; httpToStore?: number })[];
  fanOut: FanOutResult;
  clientOverhead: ClientOverheadRow[];
  hotType: HotTypeRow[];
  replay: ReplayResult;
  drain: DrainResult;
  feed: FeedResult;
  consistency: ConsistencyResult;
  large: LargeResult;
  lifecycle: LifecycleResult;
  shredding: ShreddingResult;
  bundles: BundlesResult;
  /** Budgets of SPEC section 7, each with the figure it was judged on. */
  budgets: { name: string; budget: string; value: string; met: boolean }[];
}

export function renderReport(results: BenchResults): string {
  const { machine, versions } = results;
  const lines = [
    `Event store bench (${results.mode}) — ${results.date}, ${results.seconds} s`,
    `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}`,
    `Node ${versions.node}, ${versions.java}, DynamoDB Local ${versions.dynamoDbLocal}`,
    "",
    "1. Capacity per operation (request units DynamoDB reports; baseline = the Go project's access pattern)",
    table(
      [
        "operation",
        "timing",
        "ours RRU",
        "ours WRU (table+index)",
        "base RRU",
        "base WRU (table+index)",
        "WRU ratio",
        "cost ratio",
      ],
      results.capacity.rows.map((row) => [
        row.operation,
        row.timing,
        num(row.ours.read),
        writeUnits(row.ours),
        num(row.baseline.read),
        row.note && totalWrite(row.baseline) === 0 ? "— (in its sync write)" : writeUnits(row.baseline),
        fixed(ratio(totalWrite(row.ours), totalWrite(row.baseline)), 2),
        fixed(ratio(cost(row.ours), cost(row.baseline)), 2),
      ]),
    ),
    "",
    `Cost per million single-event appends, USD (${prices.region} on-demand: $${prices.writeRequestUnitsPerMillion}/M WRU, $${prices.readRequestUnitsPerMillion}/M RRU, SNS $${prices.snsRequestsPerMillion}/M requests)`,
    table(
      [
        "design",
        "sync writes",
        "async writes",
        "reads",
        "stream reads",
        "DynamoDB",
        "SNS (1 → 10 msgs/request)",
        "total (max)",
      ],
      results.capacity.costPerMillionAppends.map((c) => [
        c.design,
        usd(c.synchronousWritesUsd),
        usd(c.asynchronousWritesUsd),
        usd(c.readsUsd),
        usd(c.streamReadsUsd),
        usd(c.dynamoDbUsd),
        `${usd(c.snsUsdOneMessagePerRequest)} → ${usd(c.snsUsdTenMessagesPerRequest)}`,
        usd(c.totalUsd),
      ]),
    ),
    "",
    `2. Store throughput over DynamoDB Local (ops/s; raw = the store's own command in a bare loop, same run; after ${results.warmUp.seconds} s of warm-up;`,
    "   head read = a fresh store per append, as a process that has not seen the stream: read the head, then put)",
    table(
      [
        "operation",
        "conc",
        "store/s",
        "p50 ms",
        "p99 ms",
        "raw/s",
        "store/raw",
        "head read/s",
        "head read/raw",
        "conflicts",
      ],
      results.storeThroughput.map((row) => [
        row.operation,
        String(row.concurrency),
        fixed(row.store.perSecond, 0),
        fixed(row.store.p50Ms, 1),
        fixed(row.store.p99Ms, 1),
        fixed(row.raw.perSecond, 0),
        percent(row.storeToRaw),
        row.storeHeadRead ? fixed(row.storeHeadRead.perSecond, 0) : "",
        row.storeHeadReadToRaw === undefined ? "" : percent(row.storeHeadReadToRaw),
        row.id === "append-hot" ? String(row.store.conflicts) : "",
      ]),
    ),
    "",
    "3. HTTP, local mode (autocannon; API process apart, change feed stopped; store/s from part 2; CPU ms = the API process's per request)",
    table(
      ["request", "conn", "req/s", "p50 ms", "p99 ms", "CPU ms", "non-2xx", "errors", "store/s", "http/store"],
      results.http.map((row) => [
        row.request,
        String(row.connections),
        fixed(row.requestsPerSecond, 0),
        fixed(row.p50Ms, 1),
        fixed(row.p99Ms, 1),
        row.cpuMsPerRequest === undefined ? "" : fixed(row.cpuMsPerRequest, 3),
        Object.keys(row.non2xx).length === 0
          ? "0"
          : Object.entries(row.non2xx)
              .map(([status, count]) => `${count}×${status}`)
              .join(" "),
        String(row.errors + row.timeouts),
        row.storePerSecond === undefined ? "" : fixed(row.storePerSecond, 0),
        row.httpToStore === undefined ? "" : percent(row.httpToStore),
      ]),
    ),
    "",
    `4. Fan-out delay, local mode (201 of the append → message on a filtered SQS queue), ${results.fanOut.events} events`,
    `   p50 ${results.fanOut.p50Ms} ms, p90 ${results.fanOut.p90Ms} ms, p99 ${results.fanOut.p99Ms} ms, max ${results.fanOut.maxMs} ms; received ${results.fanOut.received}/${results.fanOut.events}; other-type events through the filter ${results.fanOut.otherTypeReceived}/${results.fanOut.otherTypeAppended}; duplicates ${results.fanOut.duplicates}`,
    "",
    `5. Lambda bundles (esbuild as npm run build bundles them, target ${results.bundles.target}, AWS SDK inside; cold init = import + first event in a fresh process, ${results.bundles.bundles[0]?.coldInit.runs ?? 0} processes each)`,
    table(
      [
        "bundle",
        "minified",
        "source map",
        "SDK from runtime",
        "init median (p10–p90)",
        "from process start (p10–p90)",
        "× hello world",
      ],
      results.bundles.bundles.map((b) => [
        b.name,
        kib(b.bytes),
        kib(b.sourceMapBytes),
        b.bytesSdkFromRuntime === undefined ? "" : kib(b.bytesSdkFromRuntime),
        `${fixed(b.coldInit.medianMs, 1)} ms (${fixed(b.coldInit.p10Ms, 1)}–${fixed(b.coldInit.p90Ms, 1)})`,
        `${fixed(b.coldInit.medianSinceProcessStartMs, 1)} ms (${fixed(b.coldInit.p10SinceProcessStartMs, 1)}–${fixed(b.coldInit.p90SinceProcessStartMs, 1)})`,
        b.coldInit.toHelloWorld === undefined ? "" : fixed(b.coldInit.toHelloWorld, 2),
      ]),
    ),
    `   our share of cold start: ${fixed(results.bundles.ourShareMs, 1)} ms (api − sdk-clients-only, from process start, medians)`,
    ...results.bundles.bundles
      .filter((b) => b.name === "api" || b.name === "change-feed")
      .map((b) => `   top inputs of ${b.name}: ${b.topInputs.map((i) => `${i.path} ${kib(i.bytes)}`).join(", ")}`),
    "",
    `6. Replay, local mode (POST /replays of ${results.replay.streams} streams into a queue of its own → succeeded; history written beforehand in ${results.replay.seedSeconds} s)`,
    `   ${results.replay.events} events in ${results.replay.seconds} s: ${results.replay.eventsPerSecond} events/s; in the target queue ${results.replay.delivered}; progress ${results.replay.progress.streams} streams, ${results.replay.progress.events} events`,
    "",
    `8. Change-feed drain, local mode (${results.drain.events} events over ${results.drain.streams} streams appended beforehand in ${results.drain.seedSeconds} s, then published from the oldest record)`,
    table(
      ["reader", "seconds", "events/s", "delivered", "/ bare loop"],
      [
        drainRow("bare GetRecords → PublishBatch loop", results.drain.bareLoop, 1),
        drainRow("local mode's change feed", results.drain.localMode, results.drain.localModeToBareLoop),
        drainRow("second DynamoDB Local: bare loop", results.drain.withoutGlobalFeedBareLoop, 1),
        drainRow(
          "  local mode's change feed, global feed off",
          results.drain.withoutGlobalFeed,
          ratio(
            results.drain.withoutGlobalFeed.eventsPerSecond,
            results.drain.withoutGlobalFeedBareLoop.eventsPerSecond,
          ),
        ),
      ],
    ),
    `   indexing the global feed: local mode's drain with it / without it, each against its engine's bare loop: ${percent(results.drain.globalFeedToWithout)}`,
    "",
    "7. TypeScript client, local mode (one append at a time, PUT …/events/{revision}; the client's appendAt against a bare fetch of the same request)",
    table(
      ["variant", "appends", "mean µs", "p50 µs", "× bare", "overhead µs"],
      results.clientOverhead.map((row) => [
        row.variant,
        String(row.requests),
        fixed(row.meanUs, 0),
        fixed(row.p50Us, 0),
        fixed(row.toBare, 3),
        row.variant === "bare fetch" ? "" : fixed(row.overheadUs, 0),
      ]),
    ),
    "",
    "9. One hot stream type by listing shards (DynamoDB Local: each append followed by its summary upkeep, 8 writers; AWS: index partitions × 1,000 WCU/s ÷ 2 WCU per upkeep)",
    table(
      [
        "shards",
        "appends+upkeep/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "listing page",
        "queries",
        "RRU",
        "AWS upkeeps/s on paper",
      ],
      results.hotType.map((row) => [
        String(row.shards),
        fixed(row.appendsPerSecond, 0),
        fixed(row.p50Ms, 1),
        fixed(row.p99Ms, 1),
        String(row.errors),
        String(row.listingPage.pageSize),
        String(row.listingPage.queries),
        fixed(row.listingPage.readUnits, 1),
        fixed(row.awsUpkeepsPerSecond, 0),
      ]),
    ),
    "",
    ...feedSection(results.feed),
    "",
    ...consistencySection(results.consistency),
    "",
    ...largeSection(results.large),
    "",
    ...lifecycleSection(results.lifecycle),
    ...shreddingSection(results.shredding),
    "",
    "Budgets (SPEC section 7)",
    table(
      ["budget", "limit", "measured", "verdict"],
      results.budgets.map((b) => [b.name, b.budget, b.value, b.met ? "met" : "MISSED"]),
    ),
  ];
  return lines.join("\n");
}

function cost(units: Units): number {
  return dynamoDbUsdPerMillion(units.read, totalWrite(units));
}

function writeUnits(units: Units): string {
  return `${num(totalWrite(units))} (${num(units.tableWrite)}+${num(units.indexWrite)})`;
}

function drainRow(name: string, run: DrainRun, toBareLoop: number): string[] {
  return [name, fixed(run.seconds, 2), fixed(run.eventsPerSecond, 0), String(run.delivered), fixed(toBareLoop, 2)];
}
