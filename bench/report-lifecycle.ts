/** Renders part 13, deleting and truncating streams (lifecycle.ts), as report.ts's tables. */
import type { LifecycleResult } from "./lifecycle.ts";
import { fixed, num, table } from "./report-format.ts";

export function lifecycleSection(result: LifecycleResult): string[] {
  const { removal } = result;
  const rows = [...result.rows, removal.per1000];
  return [
    "13. Deleting, truncating and retention (a DynamoDB Local of its own; units on the capacity meter, transactions at 2 WRU per item-KB)",
    table(
      ["operation", "RRU", "WRU", "DynamoDB calls", "ms"],
      rows.map((row) => [row.name, num(row.read, 2), num(row.write, 2), String(row.calls), fixed(row.ms, 1)]),
    ),
    `   deletes and truncations hide at once (the rows above); the removal deletes a hard-deleted ${removal.events}-event stream in`,
    `   ${removal.steps} steps of ${removal.eventsPerStep} (query of the hidden keys, BatchWriteItem) in ${removal.seconds} s; each step's`,
    "   checkpoint of the operation record (about 1 WRU) comes on top. The meter's twin table holds no summary, so the",
    "   listing index's delete of a deleted stream's entry (about 1 WRU) is not in the delete rows.",
    "   retention (SPEC section 13; removal by TTL costs nothing, the sweep's truncation as the truncate row plus its removal):",
    table(
      ["operation", "RRU", "WRU", "DynamoDB calls", "ms"],
      result.retention.map((row) => [
        row.name,
        num(row.read, 2),
        num(row.write, 2),
        String(row.calls),
        fixed(row.ms, 1),
      ]),
    ),
    `   an event of a type with a maxAge carries its expiry: +${result.expiryBytes} bytes an item (a 200-byte event stays 1 WCU)`,
  ];
}
