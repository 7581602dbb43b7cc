/** Renders part 11, consistency across streams (consistency.ts), in the style of report.ts's tables. */
import type { ConsistencyResult } from "./consistency.ts";
import type { OperationUnits } from "./consistency-load.ts";
import { fixed, num, table } from "./report-format.ts";

export function consistencySection(result: ConsistencyResult): string[] {
  const { hotTag, seal } = result;
  const single = result.rows.find((row) => row.name === "single append");
  const errors = result.rows.filter((row) => row.firstError);
  return [
    `11. Consistency across streams (a DynamoDB Local of its own; units: the mean of ${result.meteredOperations} operations run one at a time, as AWS prices them: 2 WRU per transaction item per KB, replayed by the capacity meter;`,
    "    Local WRU = what DynamoDB Local reported for the same writes (4 for any transaction); throughput: " +
      `${result.operationsPerRow} operations at concurrency ${result.concurrency}, each worker on streams or tags of its own, rows in turns)`,
    table(
      [
        "operation",
        "events",
        "read RRU",
        "append RRU",
        "append WRU (table+index)",
        "Local WRU",
        "WRU/event",
        "WRU / single",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "ops/s / single",
      ],
      result.rows.map((row) => [
        row.name,
        String(row.events),
        row.read ? num(row.read.read, 2) : "",
        num(row.append.read, 2),
        writeUnits(row.append),
        num(row.append.localWrite, 2),
        num((row.append.write + (row.read?.write ?? 0)) / row.events, 2),
        fixed(row.wcuToSingle, 2),
        fixed(row.perSecond, 0),
        fixed(row.p50Ms, 1),
        fixed(row.p99Ms, 1),
        String(row.errors),
        fixed(row.throughputToSingle, 2),
      ]),
    ),
    "   DCB rows: an operation is a decision (readDcb of the tags after the position last seen, then appendDcb of one event on the read's condition)",
    ...errors.map((row) => `   first error of ${row.name}: ${row.firstError}`),
    `   hot tag: ${hotTag.deciders} deciders on ONE tag (readDcb, appendDcb on its condition, again after a conflict): ${hotTag.appends} appends, ${hotTag.conflicts} conflicts (retries), ${hotTag.errors} errors in ${fixed(hotTag.seconds, 2)} s: ${fixed(hotTag.decisionsPerSecond, 1)} decisions/s (${fixed(single ? hotTag.decisionsPerSecond / single.perSecond : Number.NaN, 2)} × single appends/s)${hotTag.firstError ? `; first error: ${hotTag.firstError}` : ""}`,
    `   invariant, hot tag: appends acknowledged ${hotTag.appends} == events read back by readDcb ${hotTag.eventsRead}: ${hotTag.holds ? "holds" : "BROKEN"}`,
    `   seal (readDcb of 2 tags at different positions raises the lower head; ${seal.reads} reads): ${writeUnits(seal.read)} WRU charged to "dcb" per read (Local reported ${num(seal.read.localWrite, 2)}), ${num(seal.read.read, 2)} RRU per read`,
  ];
}

function writeUnits(units: OperationUnits): string {
  return `${num(units.write, 2)} (${num(units.tableWrite, 2)}+${num(units.indexWrite, 2)})`;
}
