/** Renders part 12, large payloads and snapshots (large-payloads.ts, snapshot-loads.ts), as report.ts's tables. */
import type { LargeResult, S3Kind, S3Requests } from "./large-payloads.ts";
import { fixed, num, table } from "./report-format.ts";

export function largeSection(result: LargeResult): string[] {
  const { loads } = result;
  const errors = result.rows.filter((row) => row.firstError);
  return [
    `12. Large payloads and snapshots (a DynamoDB Local and a local S3, s3rver, of their own; payloads over ${result.thresholdBytes / 1024} KiB go to S3;`,
    `    ${result.appendsPerRow} appends a row, one at a time, each to a new stream, then a read of each; ratios: p50 against the inline 300 KiB row, same run)`,
    table(
      [
        "payload",
        "read answers",
        "append p50",
        "p99",
        "read p50",
        "p99",
        "read+URL p50",
        "p99",
        "WRU/append",
        "RRU/read",
        "S3/append",
        "S3/read",
        "append / inline",
        "read / inline",
        "read+URL / inline",
        "errors",
      ],
      result.rows.map((row) => [
        row.name,
        row.answer,
        fixed(row.append.p50Ms, 1),
        fixed(row.append.p99Ms, 1),
        fixed(row.read.p50Ms, 1),
        fixed(row.read.p99Ms, 1),
        row.readAndFollow ? fixed(row.readAndFollow.p50Ms, 1) : "",
        row.readAndFollow ? fixed(row.readAndFollow.p99Ms, 1) : "",
        num(row.appendUnits.write, 2),
        num(row.readUnits.read, 2),
        requests(row.appendUnits.s3),
        row.readAndFollow ? `${requests(row.readUnits.s3)}; URL: 1 GET` : requests(row.readUnits.s3),
        fixed(row.appendToInline, 2),
        fixed(row.readToInline, 2),
        row.readAndFollowToInline === undefined ? "" : fixed(row.readAndFollowToInline, 2),
        String(row.errors),
      ]),
    ),
    "   ms; S3 requests by kind per operation (signing a URL is local: no request; following it is one GET); read = readEvents,",
    "   whose answer holds stored payloads up to 5 MiB and links a larger one; read+URL = that read plus fetch() of the URL.",
    "   WRU/RRU and S3: the first (untimed) operation of each row on the capacity meter (capacity-meter.ts); s3rver runs in this process.",
    ...errors.map((row) => `   first error of ${row.name}: ${row.firstError}`),
    "",
    `   Loading a ${loads.streamEvents}-event stream (${loads.payloadBytes} B payloads; written in appends of 100 at ${loads.write.eventsPerSecond} events/s), pages of ${loads.pageSize}, fold = count; median of ${loads.loads} loads, variants in turns`,
    table(
      ["load", "snapshot at", "events read", "ms", "RRU", "S3 requests", "ms / no snapshot", "RRU / no snapshot"],
      loads.rows.map((row) => [
        row.name,
        row.snapshotRevision === undefined ? "" : String(row.snapshotRevision),
        String(row.eventsRead),
        fixed(row.ms, 1),
        num(row.units.read, 2),
        requests(row.units.s3),
        fixed(row.msToWithout, 3),
        fixed(row.readUnitsToWithout, 3),
      ]),
    ),
    `   snapshot put (${loads.snapshotPut.stateBytes} B state, inline in its item): ${num(loads.snapshotPut.units.write, 2)} WRU, ${num(loads.snapshotPut.units.read, 2)} RRU, ${fixed(loads.snapshotPut.ms, 1)} ms metered; a load with a snapshot = latestSnapshot (1 query) + readEvents after it (none at the head: an empty query, then the head)`,
    `   invariant: every load folded to ${loads.streamEvents} events: ${loads.holds ? "holds" : "BROKEN"}`,
  ];
}

const labels: Record<S3Kind, string> = {
  put: "PUT",
  get: "GET",
  head: "HEAD",
  copy: "COPY",
  delete: "DELETE",
  list: "LIST",
  signed: "signed",
};

/** "1 PUT", "1 GET + 1 signed", "0". */
export function requests(s3: S3Requests): string {
  const parts = (Object.keys(labels) as S3Kind[])
    .filter((kind) => s3[kind] !== 0)
    .map((kind) => `${num(s3[kind], 2)} ${labels[kind]}`);
  return parts.length > 0 ? parts.join(" + ") : "0";
}
