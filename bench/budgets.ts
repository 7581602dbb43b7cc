/** The budgets of SPEC section 7, each judged on the figure the bench measured for it (never asserted). */
import type { FeedReadRow } from "./feed.ts";
import type { BenchResults } from "./report.ts";
import { round } from "./stats.ts";
import type { ThroughputRow } from "./throughput.ts";

export function budgets(results: BenchResults): BenchResults["budgets"] {
  const { singleAppendSync, singleAppendAllIn } = results.capacity.budgets;
  const throughput = (id: ThroughputRow["id"], name: string) => {
    const rows = results.storeThroughput.filter((row) => row.id === id);
    return {
      name: `store ${name} / raw loop`,
      budget: "≥ 80 %",
      value: rows
        .map((row) => {
          const headRead =
            row.storeHeadReadToRaw === undefined ? "" : ` (head read ${Math.round(row.storeHeadReadToRaw * 100)} %)`;
          return `c${row.concurrency}: ${Math.round(row.storeToRaw * 100)} %${headRead}`;
        })
        .join(", "),
      met: rows.every((row) => row.storeToRaw >= 0.8),
    };
  };
  const api = results.bundles.bundles.find((bundle) => bundle.name === "api");
  const coldInit = results.bundles.bundles.filter((bundle) => bundle.name === "api" || bundle.name === "change-feed");
  const unexpected = results.http.reduce(
    (sum, row) => sum + Object.values(row.non2xx).reduce((a, b) => a + b, 0) + row.errors + row.timeouts,
    0,
  );
  return [
    {
      name: "single append, synchronous",
      budget: "1 WRU + ≤ 1 RRU",
      value: `${singleAppendSync.writeUnits} WRU + ${singleAppendSync.readUnits} RRU`,
      met: singleAppendSync.met,
    },
    {
      name: "single append, all in",
      budget: "≤ 4 WRU",
      value: `${singleAppendAllIn.writeUnits} WRU`,
      met: singleAppendAllIn.met,
    },
    throughput("append", "appends, many streams"),
    throughput("read", "reads of a page"),
    throughput("details", "details"),
    {
      name: "HTTP answers",
      budget: "0 non-2xx, 0 errors",
      value: String(unexpected),
      met: unexpected === 0,
    },
    {
      name: "fan-out delay p50",
      budget: "≤ 500 ms",
      value: `${results.fanOut.p50Ms} ms (${results.fanOut.received}/${results.fanOut.events} received)`,
      met: results.fanOut.met,
    },
    {
      name: "replay, local mode",
      budget: "finishes; report events/s",
      value: `${results.replay.events} events in ${results.replay.seconds} s: ${results.replay.eventsPerSecond} events/s`,
      met: results.replay.delivered >= results.replay.events,
    },
    {
      name: "change-feed drain / bare loop",
      budget: "≥ 50 %",
      value: `${results.drain.localMode.eventsPerSecond} / ${results.drain.bareLoop.eventsPerSecond} events/s: ${Math.round(results.drain.localModeToBareLoop * 100)} %`,
      met: results.drain.met,
    },
    ...feedBudgets(results),
    consistencyBudget(results),
    largeBudget(results),
    {
      name: "API bundle, SDK from the runtime",
      budget: "≤ 250 KiB",
      value: api
        ? `${((api.bytesSdkFromRuntime ?? api.bytes) / 1024).toFixed(1)} KiB (SDK inside: ${(api.bytes / 1024).toFixed(1)} KiB)`
        : "missing",
      met: results.bundles.budgets.apiBytes.met,
    },
    {
      name: "cold init + first request / hello world",
      budget: `≤ ${results.bundles.budgets.coldInitRatio.limit} ×`,
      value: coldInit
        .map(
          (bundle) =>
            `${bundle.name} ${bundle.coldInit.toHelloWorld} × (${bundle.coldInit.medianSinceProcessStartMs} ms)`,
        )
        .join(", "),
      met: results.bundles.budgets.coldInitRatio.met,
    },
  ];
}

/** SPEC section 7, global feed: upkeep, reads without payloads (the whole feed and one type's), lag, drain. */
function feedBudgets(results: BenchResults): BenchResults["budgets"] {
  const { feed, drain } = results;
  /** lib/event-store.ts: the change feed's event source batch size unless the stack says otherwise. */
  const stackBatchSize = 1000;
  const read = (name: FeedReadRow["read"], batchSize = stackBatchSize) =>
    feed.reads.find((row) => row.read === name && row.batchSize === batchSize);
  const all = read("all, no payloads");
  const oneType = read("one stream type, no payloads");
  const withPayloads = read("all, with payloads");
  const allOfSmallBatches = feed.reads.find(
    (row) => row.read === "all, no payloads" && row.batchSize !== stackBatchSize,
  );
  const upkeepBudget = 0.1;
  const readBudget = 0.05;
  return [
    {
      name: "global feed: index upkeep per event",
      budget: `≤ ${upkeepBudget} WRU, batches of ${stackBatchSize} (the stack's default)`,
      value: feed.upkeep.map((row) => `batches of ${row.batchSize}: ${row.feedWcuPerEvent} WRU`).join(", "),
      met: feed.upkeep.some((row) => row.batchSize === stackBatchSize && row.feedWcuPerEvent <= upkeepBudget),
    },
    {
      name: "global feed: reading all, no payloads",
      budget: `≤ ${readBudget} RRU/event, batches of ${stackBatchSize}`,
      value: all
        ? `${all.events} events: ${all.rruPerEvent} RRU/event, ${feed.catchUp.events}: ${feed.catchUp.storeRead.rruPerEvent}${allOfSmallBatches ? ` (batches of ${allOfSmallBatches.batchSize}: ${allOfSmallBatches.rruPerEvent})` : ""}`
        : "missing",
      met: all !== undefined && all.rruPerEvent <= readBudget && feed.catchUp.storeRead.rruPerEvent <= readBudget,
    },
    {
      name: "global feed: reading one type, no payloads",
      // A type's read costs in proportion to its events, plus what any read of a page costs at least: DynamoDB's
      // least for a query (1 RRU strongly consistent) and the head (1 RRU) when the page reaches the end.
      budget: "∝ the type's events (+ 2 RRU a page)",
      value: oneType
        ? `${oneType.readUnits} RRU, ${oneType.rruPerEvent} RRU/event (${Math.round(feed.rareTypeShare * 100)} % of the events, ${Math.round(oneType.toAll * 100)} % of reading all)`
        : "missing",
      met:
        oneType !== undefined &&
        all !== undefined &&
        oneType.readUnits <= 2 * oneType.pages + 2 * feed.rareTypeShare * all.readUnits,
    },
    {
      name: "global feed: reading with payloads",
      budget: "report (the events' reads)",
      value: withPayloads ? `${withPayloads.rruPerEvent} RRU/event` : "missing",
      met: withPayloads !== undefined,
    },
    {
      name: "global feed: drain with indexing / without",
      budget: `≥ ${Math.round(drain.globalFeedBudget * 100)} %`,
      value: `${drain.localMode.eventsPerSecond} of ${drain.bareLoop.eventsPerSecond} / ${drain.withoutGlobalFeed.eventsPerSecond} of ${drain.withoutGlobalFeedBareLoop.eventsPerSecond} events/s (each of its own engine's bare loop): ${Math.round(drain.globalFeedToWithout * 100)} %`,
      met: drain.globalFeedMet,
    },
    {
      name: "global feed: lag p50, local mode",
      budget: "≤ 1000 ms",
      value: `${feed.lag.p50Ms} ms, p99 ${feed.lag.p99Ms} ms (${feed.lag.seen}/${feed.lag.events} seen${feed.lag.skipped > 0 ? `, ${feed.lag.skipped} skipped` : ""})`,
      met: feed.lag.seen === feed.lag.events && feed.lag.p50Ms <= 1000,
    },
    {
      name: "global feed: catch-up, TypeScript client",
      budget: "report events/s",
      value: `${feed.catchUp.events} events in ${feed.catchUp.seconds} s: ${feed.catchUp.eventsPerSecond} events/s`,
      met: true,
    },
  ];
}

/**
 * SPEC section 7, multi-stream and DCB appends: no limit, a report of their write units and throughput against
 * single appends of the same run; met when every row ran without errors and the hot tag's invariant held.
 */
function consistencyBudget(results: BenchResults): BenchResults["budgets"][number] {
  const { rows, hotTag } = results.consistency;
  const value = rows
    .filter((row) => row.name !== "single append")
    .map((row) => `${row.name}: ${row.append.write} WCU, ${row.throughputToSingle} ×`)
    .join("; ");
  return {
    name: "multi-stream and DCB appends / single appends",
    budget: "reported",
    value: `${value}; hot tag ${hotTag.decisionsPerSecond} decisions/s`,
    met: rows.every((row) => row.errors === 0) && hotTag.errors === 0 && hotTag.holds,
  };
}

/**
 * SPEC section 7, large events and snapshots: no limit, a report of latency and cost against an inline event and a
 * load without a snapshot, same run; met when every operation ran without errors and every load folded the stream.
 */
function largeBudget(results: BenchResults): BenchResults["budgets"][number] {
  const { rows, loads } = results.large;
  const value = rows
    .slice(1)
    .map(
      (row) =>
        `${row.name}: append ${row.appendToInline} ×, read ${row.readToInline} ×` +
        (row.readAndFollowToInline === undefined ? "" : ` (+ URL ${row.readAndFollowToInline} ×)`),
    )
    .join("; ");
  const load = loads.rows
    .filter((row) => row.snapshotRevision !== undefined)
    .map(
      (row) =>
        `${row.name} ${row.units.read} RRU (${round(row.readUnitsToWithout, 3)} ×), ${round(row.msToWithout, 2)} × ms`,
    )
    .join(", ");
  return {
    name: "large events and snapshots / inline event, load without",
    budget: "reported",
    value: `${value}; ${loads.streamEvents}-event load: none ${loads.rows[0]?.units.read} RRU, ${load}`,
    met: rows.every((row) => row.errors === 0) && loads.holds,
  };
}
