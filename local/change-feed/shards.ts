/**
 * Which shards exist and which may be read now. A stream's shards form a lineage (a closed parent, then its
 * children); the event source mapping reads a parent to its end before its children so that records of one key
 * stay in order, and the poller must do the same. Kept apart from the polling loop, which only asks what to read.
 */

import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  type ShardIteratorType,
} from "@aws-sdk/client-dynamodb-streams";
import type { SavedCheckpoint } from "./checkpoints.ts";

export interface ShardState {
  shardId: string;
  parentShardId: string | undefined;
  startingSequenceNumber: bigint;
  /** Last sequence number fully handled (delivered successfully or filtered out). */
  checkpoint: string | undefined;
  /** Read to its end: a closed shard whose last record is handled. */
  done: boolean;
  iterator: string | undefined;
  /** Where the next iterator must start when it is not right after the checkpoint (a failed record). */
  redeliverFrom: string | undefined;
  failedAttempts: number;
}

/** The stream's shards by shard ID, as far as DescribeStream has shown them. */
export class ShardLineage {
  private readonly shards = new Map<string, ShardState>();

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly abortSignal: AbortSignal,
  ) {}

  /**
   * Catches up with the stream's description (every DescribeStream page): new shards start from their `saved`
   * checkpoint, shards already known keep their state.
   */
  async discover(saved: Record<string, SavedCheckpoint>): Promise<void> {
    const listed = new Set<string>();
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
        { abortSignal: this.abortSignal },
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId) continue;
        listed.add(shard.ShardId);
        if (this.shards.has(shard.ShardId)) continue;
        const checkpoint = saved[shard.ShardId];
        this.shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          startingSequenceNumber: BigInt(shard.SequenceNumberRange?.StartingSequenceNumber ?? "0"),
          checkpoint: checkpoint?.sequenceNumber,
          done: checkpoint?.done ?? false,
          iterator: undefined,
          redeliverFrom: undefined,
          failedAttempts: 0,
        });
      }
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    // Shards older than the retention period disappear from the description; forget them (and their checkpoints).
    for (const shardId of this.shards.keys()) if (!listed.has(shardId)) this.shards.delete(shardId);
  }

  /** Unfinished shards whose parent is finished (or trimmed away), oldest first. */
  readable(): ShardState[] {
    return [...this.shards.values()]
      .filter((shard) => {
        if (shard.done) return false;
        const parent = shard.parentShardId ? this.shards.get(shard.parentShardId) : undefined;
        return parent === undefined || parent.done;
      })
      .sort((a, b) => (a.startingSequenceNumber < b.startingSequenceNumber ? -1 : 1));
  }

  all(): IterableIterator<ShardState> {
    return this.shards.values();
  }

  /** The positions worth saving: shards with a handled record or read to their end. */
  checkpoints(): Record<string, SavedCheckpoint> {
    const entries: Record<string, SavedCheckpoint> = {};
    for (const shard of this.shards.values()) {
      if (shard.checkpoint || shard.done) {
        entries[shard.shardId] = { sequenceNumber: shard.checkpoint, ...(shard.done ? { done: true } : {}) };
      }
    }
    return entries;
  }
}

/** Where a new iterator of `shard` must start: a failed record, else right after the checkpoint, else the oldest. */
export function iteratorStart(shard: ShardState): { type: ShardIteratorType; sequenceNumber: string | undefined } {
  if (shard.redeliverFrom) return { type: "AT_SEQUENCE_NUMBER", sequenceNumber: shard.redeliverFrom };
  if (shard.checkpoint) return { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: shard.checkpoint };
  return { type: "TRIM_HORIZON", sequenceNumber: undefined };
}

/**
 * Where the shard's unread records begin, as words ("from N" for a failed record, "after N" past the checkpoint);
 * undefined when nothing was handled yet, so reading starts at the trim horizon and trimming cannot lose a record.
 */
export function unreadPosition(shard: ShardState): string | undefined {
  if (shard.redeliverFrom) return `from ${shard.redeliverFrom}`;
  if (shard.checkpoint) return `after ${shard.checkpoint}`;
  return undefined;
}

/** The records after the shard's position aged out of the stream unread: read on from the oldest one left. */
export function restartFromTrimHorizon(shard: ShardState): void {
  shard.checkpoint = undefined;
  shard.redeliverFrom = undefined;
  shard.iterator = undefined;
}
