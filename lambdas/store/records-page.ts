/**
 * Pages over the records index (undelivered notifications, operations): several partitions read from one
 * position are merged in sort-key order, and the page key carries back the last sort key of the page.
 */
import { InvalidInputError } from "./errors.ts";
import type { Item } from "./items.ts";
import { recordSortKeyOf } from "./record-items.ts";

/**
 * The first `limit` of records read from several partitions, each of which gave its first `limit + 1` after the
 * same position: those are complete, and one more than `limit` in all says another page exists.
 */
export function mergedRecordsPage(
  items: Item[],
  limit: number,
): { records: Item[]; hasMore: boolean; nextPageKey?: string } {
  const sorted = [...items].sort((a, b) => (recordSortKeyOf(a) < recordSortKeyOf(b) ? -1 : 1));
  const records = sorted.slice(0, limit);
  const hasMore = sorted.length > limit;
  const last = records.at(-1);
  return { records, hasMore, ...(hasMore && last ? { nextPageKey: encodeRecordsPageKey(recordSortKeyOf(last)) } : {}) };
}

const recordsPageKeyVersion = 1;

/** A page key over the records index: its last sort key, opaque to callers. */
export function encodeRecordsPageKey(afterSortKey: string): string {
  return Buffer.from(JSON.stringify({ r: recordsPageKeyVersion, after: afterSortKey })).toString("base64url");
}

/** The sort key a page key carries; `accepts` may narrow what a listing takes for one of its own sort keys. */
export function decodeRecordsPageKey(pageKey: string, accepts: (sortKey: string) => boolean = () => true): string {
  try {
    const decoded = JSON.parse(Buffer.from(pageKey, "base64url").toString("utf8")) as { r?: unknown; after?: unknown };
    const { after } = decoded;
    const sortKey = typeof after === "string" && after.length > 0 && after.length < 300 ? after : undefined;
    if (decoded.r === recordsPageKeyVersion && sortKey !== undefined && accepts(sortKey)) return sortKey;
  } catch {
    // falls through to the error below
  }
  throw new InvalidInputError("the page key is not one this API gave out", {
    nextPageKey: ["pass the nextPageKey of the previous page unchanged"],
  });
}
