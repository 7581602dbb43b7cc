/**
 * Writing the global feed (SPEC section 10): one writer at a time numbers batches 1, 2, 3, … and writes each as one
 * item, so positions only grow and nothing is ever written behind what a reader has seen.
 *
 * The writer holds a lease on the head item: it claims batch B when the head is settled at B − 1 (a conditional
 * update), claims its events stream by stream on their summaries (listing.ts, claimSummary: revision n+1 only
 * after n), writes the batch item, then its stream types' items, and settles the head at B. A writer that dies
 * leaves the head claimed; the next one waits out the lease, then either finds batch B written (and finishes its
 * type items) or marks it void with a conditional put, so that the dead writer can never write it later. The
 * void batch's claims count for nothing (items.ts, feedRevisionOf): its events are claimed again when the event
 * source delivers them again, which it does, since their invocation failed.
 *
 * A writer that is slow rather than dead loses its batch the same way and fails on its conditional put: its records
 * go back to the event source. So the lease only decides how long others wait, never correctness.
 */
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, type StoreTable } from "./dynamo.ts";
import {
  batchCapacity,
  claimBatch,
  type FeedEntry,
  type FeedHeadItem,
  feedPartition,
  getBatch,
  getHead,
  headFromItem,
  putBatch,
  putVoidBatch,
  settleBatch,
  storedBatch,
  typePartition,
} from "./feed-items.ts";
import { laterTime } from "./model.ts";

/** How long a claim keeps others waiting before they take the batch as abandoned. */
export const defaultFeedLeaseMs = 15_000;
/** How long a void batch is remembered: longer than DynamoDB Streams keeps a record (24 hours). */
const voidMemoryMs = 25 * 60 * 60 * 1000;
/**
 * The most void batches remembered at once: each is an operand of the summaries' claim condition, which DynamoDB
 * caps at 100. More failed batches within a day mean a crash loop: the writer stops rather than forget one.
 */
const maxVoids = 90;
/** How long a writer waits for another's lease before its invocation fails (and the event source retries). */
const waitForLeaseMs = 20_000;

export class FeedBusyError extends Error {
  override readonly name = "FeedBusyError";
}

/** A batch being written: its number and the void batches whose claims count for nothing. */
export interface ClaimedBatch {
  batch: number;
  voids: number[];
}

export class FeedIndex {
  /** The head as this process last wrote it; undefined when it must be read (first use, after any failure). */
  private head: FeedHeadItem | undefined;

  constructor(
    private readonly table: StoreTable,
    private readonly now: () => number,
    private readonly leaseMs: number = defaultFeedLeaseMs,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Claims the next batch, waiting for another writer's lease (or finishing what a dead one left). */
  async begin(): Promise<ClaimedBatch> {
    const deadline = this.now() + waitForLeaseMs;
    for (let attempt = 0; ; attempt++) {
      const head = this.head ?? (await this.readHead());
      if (head.claimed === head.settled) {
        if (await this.tryClaim(head)) {
          return { batch: head.settled + 1, voids: head.voids.map((entry) => entry.batch) };
        }
      } else if (this.now() - head.claimedAt >= this.leaseMs) {
        await this.resolveAbandoned(head);
        continue;
      }
      this.head = undefined;
      if (this.now() > deadline) throw new FeedBusyError("another writer holds the feed's lease");
      await this.sleep(Math.min(50 * 2 ** attempt, 500));
    }
  }

  /**
   * Writes the claimed batch (positions batch × 2^14 + i, in the given order) and settles the head. Nothing to
   * write settles it alone.
   */
  async commit(claimed: ClaimedBatch, entries: Omit<FeedEntry, "position">[]): Promise<FeedEntry[]> {
    if (entries.length > batchCapacity) throw new Error(`a feed batch holds at most ${batchCapacity} events`);
    const positioned = entries.map((entry, index) => ({ ...entry, position: claimed.batch * batchCapacity + index }));
    try {
      if (positioned.length > 0) await this.writeBatch(claimed.batch, positioned, "new");
      const last = positioned.at(-1);
      const head = this.head as FeedHeadItem;
      const progress = last
        ? { lastPosition: last.position, lastCreatedAt: latest(positioned) }
        : { lastPosition: head.lastPosition, lastCreatedAt: head.lastCreatedAt ?? "" };
      await this.settle(claimed.batch, progress.lastCreatedAt ? progress : undefined);
      return positioned;
    } catch (error) {
      this.head = undefined;
      throw error;
    }
  }

  /**
   * After a failed invocation: this writer will not write its claimed batch, so it settles it at once (void, or
   * finished if its item was written) instead of leaving others to wait out the lease. Best effort: if this fails
   * too, the lease runs out.
   */
  async abandon(claimed: ClaimedBatch): Promise<void> {
    this.head = undefined;
    try {
      const head = await this.readHead();
      if (head.claimed === claimed.batch && head.settled < claimed.batch) await this.resolveAbandoned(head);
    } catch {
      this.head = undefined;
    }
  }

  private async readHead(): Promise<FeedHeadItem> {
    const output = await this.table.send("feed", (client) =>
      client.send(new GetCommand(getHead(this.table.tableName, true))),
    );
    const head = headFromItem(output.Item);
    this.head = output.Item ? head : undefined;
    return head;
  }

  private async tryClaim(head: FeedHeadItem): Promise<boolean> {
    const now = this.now();
    const exists = head.claimedAt > 0 || head.settled > 0;
    try {
      await this.table.send("feed", (client) =>
        client.send(new UpdateCommand(claimBatch(this.table.tableName, head.settled, now, exists))),
      );
      this.head = { ...head, claimed: head.settled + 1, claimedAt: now };
      return true;
    } catch (error) {
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
      return false;
    }
  }

  /** The claimed batch of a writer that did not settle: finish it if it was written, else void it. */
  private async resolveAbandoned(head: FeedHeadItem): Promise<void> {
    const batch = head.claimed;
    const now = this.now();
    let voids = head.voids.filter((entry) => now - entry.at < voidMemoryMs);
    if (voids.length >= maxVoids) {
      throw new Error(
        `the feed has ${voids.length} void batches from the last day (writers keep failing after claiming): fix the cause; the change feed goes on once older ones age out`,
      );
    }
    let progress: { lastPosition: number; lastCreatedAt: string } | undefined;
    try {
      await this.table.send("feed", (client) => client.send(new PutCommand(putVoidBatch(this.table.tableName, batch))));
      voids = [...voids, { batch, at: now }];
    } catch (error) {
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
      // Written after all: its type items may be missing.
      const output = await this.table.send("feed", (client) =>
        client.send(new GetCommand(getBatch(this.table.tableName, batch))),
      );
      const stored = storedBatch(output.Item as Record<string, unknown>);
      if (!stored.void && stored.entries.length > 0) {
        await this.writeBatch(batch, stored.entries, "types");
        progress = { lastPosition: stored.lastPosition, lastCreatedAt: latest(stored.entries) };
      }
    }
    try {
      await this.table.send("feed", (client) =>
        client.send(new UpdateCommand(settleBatch(this.table.tableName, batch, now, progress, voids))),
      );
    } catch (error) {
      if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    }
    this.head = undefined;
  }

  /** The batch item (the commit point: conditional), then each stream type's share of it. */
  private async writeBatch(batch: number, entries: FeedEntry[], which: "new" | "types"): Promise<void> {
    const lastPosition = (entries.at(-1) as FeedEntry).position;
    const byType = new Map<string, FeedEntry[]>();
    for (const entry of entries) byType.set(entry.streamType, [...(byType.get(entry.streamType) ?? []), entry]);
    const { tableName } = this.table;
    if (which === "new") {
      const put = putBatch(tableName, feedPartition, batch, entries, lastPosition, [...byType.keys()]);
      await this.table.send("feed", (client) => client.send(new PutCommand(put)));
    }
    await Promise.all(
      [...byType].map(([streamType, typeEntries]) =>
        this.table.send("feed", (client) =>
          client.send(
            new PutCommand(putBatch(tableName, typePartition(streamType), batch, typeEntries, lastPosition, [])),
          ),
        ),
      ),
    );
  }

  private async settle(batch: number, progress: { lastPosition: number; lastCreatedAt: string } | undefined) {
    const now = this.now();
    await this.table.send("feed", (client) =>
      client.send(new UpdateCommand(settleBatch(this.table.tableName, batch, now, progress))),
    );
    const head = this.head as FeedHeadItem;
    this.head = {
      ...head,
      settled: batch,
      settledAt: now,
      ...(progress ? { lastPosition: progress.lastPosition, lastCreatedAt: progress.lastCreatedAt } : {}),
    };
  }
}

function latest(entries: FeedEntry[]): string {
  return entries.reduce((max, entry) => laterTime(entry.createdAt, max), "");
}
