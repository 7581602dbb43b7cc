/**
 * Where the poller stands in each shard: the lineage (shards.ts), the shard iterators and the checkpoints
 * (checkpoints.ts), and the GetShardIterator / GetRecords calls that move through them. Kept apart from the poll
 * loop (poller.ts) and from delivery (delivery.ts) because iterator expiry and trimmed positions are the Streams
 * API's rules, not the event source mapping's: the loop only asks for the next page of a shard, and whether the
 * shard is now closed.
 */

import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { CheckpointStore } from "./checkpoints.ts";
import { iteratorStart, restartFromTrimHorizon, ShardLineage, type ShardState, unreadPosition } from "./shards.ts";

export interface ShardReaderOptions {
  streamsClient: DynamoDBStreamsClient;
  streamArn: string;
  /** JSON file keeping checkpoints across restarts; checkpoints stay in memory when omitted. */
  checkpointFile: string | undefined;
  /** Records per GetRecords call. */
  batchSize: number;
  /** Ends the calls in flight when the poller stops. */
  abortSignal: AbortSignal;
  reportError: (error: Error) => void;
}

/** The stream's shards with their iterators and checkpoints, read one GetRecords page at a time. */
export class ShardReader {
  private readonly client: DynamoDBStreamsClient;
  private readonly streamArn: string;
  private readonly batchSize: number;
  private readonly abortSignal: AbortSignal;
  private readonly reportError: (error: Error) => void;
  private readonly checkpoints: CheckpointStore;
  private readonly shards: ShardLineage;

  constructor(options: ShardReaderOptions) {
    this.client = options.streamsClient;
    this.streamArn = options.streamArn;
    this.batchSize = options.batchSize;
    this.abortSignal = options.abortSignal;
    this.reportError = options.reportError;
    this.checkpoints = new CheckpointStore(options.checkpointFile, options.streamArn);
    this.shards = new ShardLineage(options.streamsClient, options.streamArn, options.abortSignal);
  }

  /** Catches up with the stream's description; shards seen for the first time start from their saved checkpoint. */
  discover(): Promise<void> {
    return this.shards.discover(this.checkpoints.load());
  }

  /** The shards that may be read now (see ShardLineage.readable). */
  readable(): ShardState[] {
    return this.shards.readable();
  }

  /** Drops every iterator, so that each shard is read again from its checkpoint (or its failed record). */
  forgetIterators(): void {
    for (const shard of this.shards.all()) shard.iterator = undefined;
  }

  /**
   * The shard's next GetRecords page, or undefined when the iterator was refused (expired, or its position
   * trimmed): the shard is then read again from its position in the next round.
   */
  async read(shard: ShardState): Promise<GetRecordsCommandOutput | undefined> {
    shard.iterator ??= await this.shardIterator(shard);
    try {
      return await this.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.batchSize }), {
        abortSignal: this.abortSignal,
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === "ExpiredIteratorException") {
        // Iterators live 15 minutes; a slow handler can outlive one. Resume from the checkpoint.
        shard.iterator = undefined;
        return undefined;
      }
      if (name === "TrimmedDataAccessException") {
        // An iterator from the trim horizon loses nothing when it is refused: DynamoDB Local refuses one taken on a
        // still empty shard once another table's stream has written first. Only a handled position can be overtaken.
        this.reportTrimmed(shard);
        restartFromTrimHorizon(shard);
        return undefined;
      }
      throw error;
    }
  }

  /** A closed shard read to its end: its children may now start. */
  async finish(shard: ShardState): Promise<void> {
    shard.done = true;
    shard.iterator = undefined;
    await this.saveCheckpoints();
  }

  saveCheckpoints(): Promise<void> {
    return this.checkpoints.save(this.shards.checkpoints());
  }

  private async shardIterator(shard: ShardState): Promise<string> {
    const { type, sequenceNumber } = iteratorStart(shard);
    try {
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shard.shardId,
          ShardIteratorType: type,
          SequenceNumber: sequenceNumber,
        }),
        { abortSignal: this.abortSignal },
      );
      if (!ShardIterator) throw new Error(`GetShardIterator gave no iterator for ${shard.shardId}`);
      return ShardIterator;
    } catch (error) {
      if ((error as Error).name !== "TrimmedDataAccessException" || type === "TRIM_HORIZON") throw error;
      this.reportTrimmed(shard);
      restartFromTrimHorizon(shard);
      return this.shardIterator(shard);
    }
  }

  /** Says that records were lost only when the shard had a position past the trim horizon (see unreadPosition). */
  private reportTrimmed(shard: ShardState): void {
    const position = unreadPosition(shard);
    if (position === undefined) return;
    this.reportError(
      new Error(`records of ${shard.shardId} ${position} were trimmed (older than 24 h) before they were read`),
    );
  }
}
