/** Renders part 10, the global feed (feed.ts), as report.ts's tables. */
import type { FeedResult } from "./feed.ts";
import { fixed, percent, table } from "./report-format.ts";

export function feedSection(feed: FeedResult): string[] {
  const { lag, catchUp } = feed;
  return [
    `10. Global feed (DynamoDB Locals of its own; ${feed.upkeepEvents} single-event appends over ${feed.upkeepStreams} streams, ${percent(feed.rareTypeShare)} of them of a rare stream type, indexed by the change-feed handler in process over the table's stream records)`,
    table(
      [
        "event-source batch",
        "calls",
        "feed items/batch",
        "events/batch",
        "batch item B/event",
        "type items B/event",
        "feed WRU/event",
        "summary WRU/event",
      ],
      feed.upkeep.map((row) => [
        String(row.batchSize),
        String(row.invocations),
        fixed(1 + row.items.typeItemsPerBatch, 2),
        fixed(row.items.eventsPerBatch, 1),
        fixed(row.items.batchItemBytesPerEvent, 1),
        fixed(row.items.typeItemBytesPerEvent, 1),
        fixed(row.feedWcuPerEvent, 3),
        fixed(row.summaryWcuPerEvent, 2),
      ]),
    ),
    "   reading each feed (the store, pages of 1,000, strongly consistent; RRU / all: against reading all of the same feed):",
    table(
      ["read", "event-source batch", "events", "pages", "RRU", "RRU/event", "RRU / all"],
      feed.reads.map((row) => [
        row.read,
        String(row.batchSize),
        String(row.events),
        String(row.pages),
        fixed(row.readUnits, 1),
        fixed(row.rruPerEvent, 4),
        fixed(row.toAll, 3),
      ]),
    ),
    `   the catch-up's feed (below), read the same way: ${catchUp.events} events in ${catchUp.storeRead.items.batches} batches of ${fixed(catchUp.storeRead.items.eventsPerBatch, 0)} (${fixed(catchUp.storeRead.items.batchItemBytesPerEvent, 1)} B/event), ${catchUp.storeRead.pages} pages: ${fixed(catchUp.storeRead.readUnits, 1)} RRU, ${fixed(catchUp.storeRead.rruPerEvent, 4)} RRU/event`,
    `   lag, local mode (201 of the append → the event in a long poll of GET /feed?stream-type=…, one append every ${lag.intervalMs} ms): p50 ${lag.p50Ms} ms, p90 ${lag.p90Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms; seen ${lag.seen}/${lag.events}${lag.skipped > 0 ? `; SKIPPED ${lag.skipped} (in the feed behind the position the reader was served)` : ""}`,
    `   catch-up, local mode (client.readFeed, pages of ${catchUp.pageSize}; history written in ${catchUp.seedSeconds} s, indexed in process in ${catchUp.indexSeconds} s): ${catchUp.events} events in ${catchUp.seconds} s, ${catchUp.eventsPerSecond} events/s`,
    ...(catchUp.events < 100_000
      ? [
          "   (not the 100,000 events of SPEC section 7: their history takes DynamoDB Local about two minutes to write; see config.ts)",
        ]
      : []),
  ];
}
