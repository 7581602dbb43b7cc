/**
 * What the global feed must no longer show (SPEC sections 10 and 13): each delete or truncation writes a removal
 * entry (lifecycle-items.ts) in one partition, and a feed reader keeps those it has seen in memory, per table.
 * Before each page it asks for the entries newer than the newest it knows, less a minute (a removal's key is the time
 * its request began, which may commit later, and clocks disagree): one small strongly consistent query per page
 * (1 RRU while the last minute's removals fit in 4 KB, about 50 of them). A process reads every entry once, at its
 * first page: a table with many deletes makes that first page dearer (about 1 RRU per 50 deletes ever made). The
 * retention sweep's truncations are removals too: a stream past its maxCount adds one per tenth of maxCount appended.
 *
 * The page then leaves out the events of hidden revisions, while its lastPosition still moves past them: positions
 * are never reused, and a reader never sees an event that was hidden before its page was read.
 */
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { StoreTable } from "./dynamo.ts";
import type { Item } from "./items.ts";
import { queryRemovals, removalFromItem } from "./lifecycle-items.ts";

/** How far back (microseconds) a page reads removals again: a removal's commit may come after its key's time. */
const lateRemovalMicros = 60_000_000;

class FeedRemovals {
  private readonly hiddenBelow = new Map<string, number>();
  private newestKey = 0;

  /** Reads the removals newer than the newest known (less the late margin). */
  async refresh(table: StoreTable): Promise<void> {
    let startKey: Item | undefined;
    const after = Math.max(0, this.newestKey - lateRemovalMicros);
    do {
      const output = await table.send("feedRead", (client) =>
        client.send(new QueryCommand(queryRemovals(table.tableName, after, startKey))),
      );
      for (const item of output.Items ?? []) {
        const removal = removalFromItem(item);
        this.newestKey = Math.max(this.newestKey, removal.key);
        const known = this.hiddenBelow.get(removal.streamId) ?? 1;
        if (removal.hiddenBelow > known) this.hiddenBelow.set(removal.streamId, removal.hiddenBelow);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
  }

  /** Whether the event at this revision of the stream is still to be shown. */
  visible(entry: { streamId: string; revision: number }): boolean {
    return entry.revision >= (this.hiddenBelow.get(entry.streamId) ?? 1);
  }
}

const byTable = new Map<string, FeedRemovals>();

/** This process's removals of the table, brought up to date (see above). */
export async function currentRemovals(table: StoreTable): Promise<FeedRemovals> {
  let removals = byTable.get(table.tableName);
  if (!removals) {
    removals = new FeedRemovals();
    byTable.set(table.tableName, removals);
  }
  await removals.refresh(table);
  return removals;
}
