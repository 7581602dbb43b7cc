/** Part 10's metered reads: the store's capacity hook summed per operation, and a feed read from start to end. */
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { ReadFeedOptions } from "#store/feed.ts";
import type { StoreOperation, StreamStore } from "#store/stream-store.ts";

/** Capacity units per store operation, as the store's hook (`onConsumedCapacity`) reports them. */
export function capacityMeter() {
  const units: Partial<Record<StoreOperation, number>> = {};
  return {
    units,
    hook: (operation: StoreOperation, capacity: ConsumedCapacity) => {
      units[operation] = (units[operation] ?? 0) + (capacity.CapacityUnits ?? 0);
    },
    reset: () => {
      for (const key of Object.keys(units)) delete units[key as StoreOperation];
    },
  };
}

/** Reads the whole feed in pages of 1,000, as a reader catching up from position 0 does. */
export async function readWholeFeed(
  store: StreamStore,
  filter: Pick<ReadFeedOptions, "streamTypes" | "includePayload"> = {},
): Promise<{ events: number; pages: number }> {
  let after = 0;
  let events = 0;
  let pages = 0;
  for (let hasMore = true; hasMore; pages++) {
    const page = await store.readFeed({ after, limit: 1000, ...filter });
    events += page.events.length;
    if (filter.includePayload && page.events.some((event) => event.payload === undefined)) {
      throw new Error("a feed page with payloads lacks one");
    }
    after = page.lastPosition;
    hasMore = page.hasMore;
  }
  return { events, pages };
}
