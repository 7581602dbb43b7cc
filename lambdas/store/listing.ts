/**
 * How streams are listed by type: the sparse, sharded listing index over stream summaries, and the summary upkeep
 * that the change feed does after every append. Eventually consistent: a listing lags appends by the change
 * feed's delay.
 *
 * At least once, never skipping (SPEC section 3, edges). A summary's place in the index is `listedAt`: the time of
 * its stream's last event, or — when the change feed writes it late — no earlier than `listingSettleMs` before
 * it was written. A listing from `updated-after` T (inclusive) starts at T − `listingSettleMs`. So a client that
 * pages by the updatedAt it last saw also gets summaries that were written after its previous page but carry an
 * older event time; in exchange a stream may appear again. With a prompt change feed the order is by updatedAt.
 *
 * The index's sort key `<listedAt>#<streamId>` orders streams totally, so the last key of a page is every shard's
 * position, and the page key carries just that.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, plainItem, type StoreTable } from "./dynamo.ts";
import { InvalidInputError } from "./errors.ts";
import type { Item } from "./items.ts";
import {
  type FeedClaim,
  feedRevisionOf,
  isListingSortKey,
  listingSortKeyAt,
  listingSortKeyOf,
  queryListingShard,
  raiseSummary,
  streamFromListing,
} from "./listing-items.ts";
import { isoTime, type ListStreamsOptions, laterTime, type Stream, type StreamPage } from "./model.ts";
import { tableDefinition } from "./table.ts";

/** Streams of a type updated after a time, oldest update first: every shard read from the same position, merged. */
export async function listStreams(
  table: StoreTable,
  streamType: string,
  options: ListStreamsOptions,
): Promise<StreamPage> {
  const after = options.pageKey
    ? decodeListingPageKey(options.pageKey)
    : listingSortKeyAt(isoTime(options.updatedAfter - listingSettleMs));
  const items = await readListingShards(table, streamType, after, options.limit);
  const merged = items.sort((a, b) => (listingSortKeyOf(a) < listingSortKeyOf(b) ? -1 : 1));
  const page = merged.slice(0, options.limit);
  const hasMore = merged.length > options.limit;
  const last = page.at(-1);
  return {
    streams: page.map((item) => streamFromListing(item, streamType)),
    hasMore,
    ...(hasMore && last ? { nextPageKey: encodeListingPageKey(listingSortKeyOf(last)) } : {}),
  };
}

/**
 * Raises the stream's summary (listing entry) to this revision; a no-op if it is there already or beyond.
 * Called by the change feed, which may redeliver or reorder records. True when this write created the summary:
 * the stream is new to the listing (a redelivery finds the summary there, so it is true once per stream; again after
 * a delete took it out of the listing and an append brought it back).
 */
export async function keepSummary(table: StoreTable, stream: Stream, now: number): Promise<boolean> {
  const listedAt = laterTime(stream.updatedAt, isoTime(now - listingSettleMs));
  const update = raiseSummary(table.tableName, stream, listedAt, table.listingShards);
  try {
    const output = await table.send("summary", (client) => client.send(new UpdateCommand(update)));
    return wasUnlisted(output.Attributes);
  } catch (error) {
    if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    return false;
  }
}

/** What a summary write that claims events for the feed did (see raiseSummary in items.ts). */
export type SummaryClaim =
  /** Claimed; "created" when this write made the stream's first summary (the stream is new). */
  | { outcome: "created" | "claimed" }
  /** The stream stands elsewhere in the feed: at or past these events ("done"), or before their predecessor. */
  | { outcome: "done" | "behind" | "overlap"; feedRevision: number };

/**
 * Raises the stream's summary and claims its events `claim.firstRevision`…`stream.revision` for a feed batch, if
 * the stream stands in the feed just before them; otherwise answers where it stands.
 */
export async function claimSummary(
  table: StoreTable,
  stream: Stream,
  now: number,
  claim: FeedClaim,
): Promise<SummaryClaim> {
  const listedAt = laterTime(stream.updatedAt, isoTime(now - listingSettleMs));
  const update = raiseSummary(table.tableName, stream, listedAt, table.listingShards, claim);
  try {
    const output = await table.send("summary", (client) => client.send(new UpdateCommand(update)));
    return { outcome: wasUnlisted(output.Attributes) ? "created" : "claimed" };
  } catch (error) {
    if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    const feedRevision = feedRevisionOf(plainItem((error as { Item?: unknown }).Item), claim.voids);
    if (feedRevision >= stream.revision) return { outcome: "done", feedRevision };
    if (feedRevision < claim.firstRevision - 1) return { outcome: "behind", feedRevision };
    return { outcome: "overlap", feedRevision };
  }
}

/**
 * Whether a summary write listed its stream anew: it created the summary, or found one a delete took out of the
 * listing (lifecycle-items.ts), whose stream then counts again. UPDATED_OLD answers the listing key it replaced.
 */
function wasUnlisted(old: Record<string, unknown> | undefined): boolean {
  return old?.[tableDefinition.listingIndex.partitionKey.name] === undefined;
}

/**
 * Reads the listing shards after `after` until the items known complete — those up to the smallest last key of
 * any shard that has more — number more than `limit` (so another page exists), or no shard has more. Streams
 * spread evenly over the shards, so each round asks each unfinished shard for its share of what is missing (with
 * a margin): a page costs about one page of reads plus DynamoDB's rounding per shard, not a page per shard.
 */
async function readListingShards(table: StoreTable, streamType: string, after: string, limit: number): Promise<Item[]> {
  const shards = Array.from({ length: table.listingShards }, (_, shard) => ({
    shard,
    items: [] as Item[],
    after,
    hasMore: true,
  }));
  // Each shard's share of what is missing, with a margin for uneven spread; DynamoDB bills a query by 4 KB
  // (about 20 summaries), so the margin is nearly free while a second round costs a query per shard.
  const share = (missing: number, among: number) => Math.ceil((missing / among) * 1.5) + 1;
  let perShardLimit = share(limit + 1, shards.length);
  for (;;) {
    await Promise.all(
      shards
        .filter((read) => read.hasMore)
        .map(async (read) => {
          const { items, lastEvaluatedKey } = await table.queryItems(
            "list",
            queryListingShard(table.tableName, streamType, read.shard, read.after, perShardLimit),
          );
          read.items.push(...items);
          read.hasMore = lastEvaluatedKey !== undefined;
          const last = items.at(-1);
          if (last) read.after = listingSortKeyOf(last);
        }),
    );
    // A shard with more has unseen keys beyond its last one: only keys up to the smallest such are complete.
    const unfinished = shards.filter((read) => read.hasMore).map((read) => read.after);
    const bound = unfinished.sort()[0]; // string order, the index's order
    const items = shards
      .flatMap((read) => read.items)
      .filter((item) => bound === undefined || listingSortKeyOf(item) <= bound);
    if (bound === undefined || items.length > limit) return items;
    perShardLimit = share(limit + 1 - items.length, unfinished.length);
  }
}

/**
 * How far a listing from `updated-after` reaches back, and how late a summary may be written before it is placed
 * at its writing time: covers clocks that disagree and the index's own propagation delay.
 */
export const listingSettleMs = 2_000;

const listingPageKeyVersion = 1;

function encodeListingPageKey(afterSortKey: string): string {
  return Buffer.from(JSON.stringify({ v: listingPageKeyVersion, after: afterSortKey })).toString("base64url");
}

function decodeListingPageKey(pageKey: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(pageKey, "base64url").toString("utf8")) as { v?: unknown; after?: unknown };
    if (decoded.v === listingPageKeyVersion && typeof decoded.after === "string" && isListingSortKey(decoded.after)) {
      return decoded.after;
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidInputError("the page key is not one this API gave out", {
    nextPageKey: ["pass the nextPageKey of the previous page unchanged"],
  });
}
