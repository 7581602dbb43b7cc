/** Renders part 14, personal data and its erasure (crypto-shredding.ts), as report.ts's tables. */
import { totalWrite } from "./capacity-meter.ts";
import type { ShreddingResult, ShreddingRow } from "./crypto-shredding.ts";
import { num, table } from "./report-format.ts";

export function shreddingSection(result: ShreddingResult): string[] {
  const plain = result.appends[0] as ShreddingRow;
  const held = [...result.appends, ...result.reads].every((row) => row.holds);
  return [
    `14. Personal data (crypto-shredding; a DynamoDB Local of its own; one ${result.payloadBytes} B customer event, 3 personal values)`,
    table(
      ["append", "WRU", "RRU", "KMS GenerateDataKey", "KMS Decrypt", "item bytes", "bytes added"],
      result.appends.map((row) => [
        row.name,
        num(totalWrite(row.units), 2),
        num(row.units.read, 2),
        String(row.newKeys),
        String(row.unwraps),
        String(row.itemBytes ?? ""),
        row === plain ? "" : `+${(row.itemBytes ?? 0) - (plain.itemBytes ?? 0)}`,
      ]),
    ),
    table(
      ["read of one event", "RRU", "WRU", "KMS Decrypt"],
      result.reads.map((row) => [row.name, num(row.units.read, 2), num(totalWrite(row.units), 2), String(row.unwraps)]),
    ),
    "   Units on the capacity meter, keys table included (a new subject's key: one conditional put; a cold read: one",
    "   strongly consistent GetItem of it). KMS calls counted on local mode's key wrapper, which stands in for KMS;",
    "   data keys stay cached 5 minutes per process (1,000 subjects), so a warm process pays no KMS call and no read.",
    `   invariant: values read back while the key lives, "[erased]" after: ${held ? "holds" : "BROKEN"}`,
  ];
}
