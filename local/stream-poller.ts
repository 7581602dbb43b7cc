/**
 * Local mode's stand-in for the Lambda event source mapping: reads the table's change feed through the real
 * DynamoDB Streams API and calls the change-feed handler with the very event Lambda would build.
 *
 * Semantics copied from the event source mapping (TRIM_HORIZON start, batch size 100, filter criteria,
 * ReportBatchItemFailures): records of a shard are delivered in order, a parent shard is read to its end before
 * its children, a failure re-delivers from the earliest failed record, and a checkpoint (the last fully handled
 * sequence number per shard) lets a restarted poller carry on where it stopped without losing or repeating
 * handled records.
 */

import { readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type ShardIteratorType,
  type AttributeValue as StreamsAttributeValue,
  type _Record as StreamsRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type {
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  AttributeValue as LambdaAttributeValue,
} from "aws-lambda";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { type FilterPattern, matchesFilterPattern } from "./event-filter.ts";

/** The change-feed Lambda handler's signature (partial batch responses enabled). */
export type ChangeFeedHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamPollerOptions {
  streamsClient: DynamoDBStreamsClient;
  /** The table's LatestStreamArn (what `ensureTable` returns). */
  streamArn: string;
  handler: ChangeFeedHandler;
  /** JSON file keeping checkpoints across restarts; checkpoints stay in memory when omitted. */
  checkpointFile?: string;
  /** Told about every failure (handler errors, stream API errors, discarded batches). Default: console.error. */
  onError?: (error: Error) => void;
  /** Records that do not match are skipped as handled. Default: the change feed's filter criteria. */
  filterPattern?: FilterPattern;
  /** Records per GetRecords call and so at most per handler call (Lambda's default batch size is 100). */
  batchSize?: number;
  /** Wait between polls of a caught-up stream, in milliseconds (default 50). */
  idlePollIntervalMs?: number;
  /**
   * Failed deliveries of a batch before it is skipped and reported through onError, like the event source
   * mapping's MaximumRetryAttempts. Default: retry until it succeeds.
   */
  maxRetryAttempts?: number;
}

export interface StreamPoller {
  /** Stops polling after the handler call in progress (if any) has finished; checkpoints are saved. */
  stop(): Promise<void>;
  /** Resolves once a poll that started after this call found nothing new to deliver (for tests). */
  idle(): Promise<void>;
}

const firstRetryDelayMs = 100;
const maxRetryDelayMs = 5_000;

/**
 * Starts polling `streamArn` in the background and delivering its records to `handler`.
 *
 * @example
 * const poller = startStreamPoller({ streamsClient, streamArn, handler, checkpointFile: ".event-store/change-feed-checkpoints.json" });
 * await poller.stop();
 */
export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const poller = new Poller(options);
  const running = poller.run();
  return {
    stop: async () => {
      poller.stop();
      await running;
    },
    idle: () => poller.idle(),
  };
}

interface ShardState {
  shardId: string;
  parentShardId: string | undefined;
  startingSequenceNumber: bigint;
  /** Last sequence number fully handled (delivered successfully, filtered out, or given up on). */
  checkpoint: string | undefined;
  /** Read to its end: a closed shard whose last record is handled. */
  done: boolean;
  iterator: string | undefined;
  /** Where the next iterator must start when it is not right after the checkpoint (a failed record). */
  redeliverFrom: string | undefined;
  failedAttempts: number;
}

type PollOutcome = "records" | "empty" | "failed" | "closed";

interface IdleWaiter {
  afterRound: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

class Poller {
  private readonly client: DynamoDBStreamsClient;
  private readonly streamArn: string;
  private readonly handler: ChangeFeedHandler;
  private readonly reportError: (error: Error) => void;
  private readonly filterPattern: FilterPattern;
  private readonly batchSize: number;
  private readonly idlePollIntervalMs: number;
  private readonly maxRetryAttempts: number;
  private readonly checkpoints: CheckpointStore;
  private readonly shards = new Map<string, ShardState>();
  private readonly abort = new AbortController();
  private stopped = false;
  private wake: (() => void) | undefined;
  private round = 0;
  private idleWaiters: IdleWaiter[] = [];
  private consecutiveErrors = 0;

  constructor(options: StreamPollerOptions) {
    this.client = options.streamsClient;
    this.streamArn = options.streamArn;
    this.handler = options.handler;
    this.reportError = options.onError ?? ((error) => console.error(`change feed: ${error.message}`));
    this.filterPattern = options.filterPattern ?? changeFeedFilterPattern;
    this.batchSize = options.batchSize ?? 100;
    this.idlePollIntervalMs = options.idlePollIntervalMs ?? 50;
    this.maxRetryAttempts = options.maxRetryAttempts ?? Number.POSITIVE_INFINITY;
    this.checkpoints = new CheckpointStore(options.checkpointFile, options.streamArn);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
  }

  idle(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error("the stream poller is stopped"));
    return new Promise((resolve, reject) => this.idleWaiters.push({ afterRound: this.round, resolve, reject }));
  }

  async run(): Promise<void> {
    let shardsKnown = false;
    while (!this.stopped) {
      this.round += 1;
      const round = this.round;
      try {
        if (!shardsKnown) {
          await this.discoverShards();
          shardsKnown = true;
        }
        let quiet = true;
        for (const shard of this.readableShards()) {
          if (this.stopped) break;
          const outcome = await this.pollShard(shard);
          if (outcome !== "empty") quiet = false;
          // A closed shard may have children that DescribeStream has not shown us yet.
          if (outcome === "closed") shardsKnown = false;
        }
        this.consecutiveErrors = 0;
        if (quiet) {
          this.resolveIdleWaiters(round);
          await this.sleep(this.idlePollIntervalMs);
        }
      } catch (error) {
        if (this.stopped) break;
        this.consecutiveErrors += 1;
        this.reportError(asError(error, "reading the stream failed"));
        // The shard list or an iterator may be what went wrong: start over from the checkpoints.
        shardsKnown = false;
        for (const shard of this.shards.values()) shard.iterator = undefined;
        await this.sleep(retryDelay(this.consecutiveErrors));
      }
    }
    for (const waiter of this.idleWaiters) waiter.reject(new Error("the stream poller was stopped"));
    this.idleWaiters = [];
  }

  private resolveIdleWaiters(round: number): void {
    // Only a poll that began after idle() was called proves that what the caller wrote has been seen.
    const ready = this.idleWaiters.filter((waiter) => waiter.afterRound < round);
    this.idleWaiters = this.idleWaiters.filter((waiter) => waiter.afterRound >= round);
    for (const waiter of ready) waiter.resolve();
  }

  private async discoverShards(): Promise<void> {
    const saved = this.checkpoints.load();
    const listed = new Set<string>();
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
        { abortSignal: this.abort.signal },
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
  private readableShards(): ShardState[] {
    return [...this.shards.values()]
      .filter((shard) => {
        if (shard.done) return false;
        const parent = shard.parentShardId ? this.shards.get(shard.parentShardId) : undefined;
        return parent === undefined || parent.done;
      })
      .sort((a, b) => (a.startingSequenceNumber < b.startingSequenceNumber ? -1 : 1));
  }

  private async pollShard(shard: ShardState): Promise<PollOutcome> {
    shard.iterator ??= await this.shardIterator(shard);
    let output: GetRecordsCommandOutput;
    try {
      output = await this.getRecords(shard.iterator);
    } catch (error) {
      const name = (error as Error).name;
      if (name === "ExpiredIteratorException") {
        // Iterators live 15 minutes; a slow handler can outlive one. Resume from the checkpoint.
        shard.iterator = undefined;
        return "failed";
      }
      if (name === "TrimmedDataAccessException") {
        this.reportError(
          new Error(`records of ${shard.shardId} after ${shard.checkpoint} were trimmed (older than 24 h) unread`),
        );
        shard.checkpoint = undefined;
        shard.redeliverFrom = undefined;
        shard.iterator = undefined;
        return "failed";
      }
      throw error;
    }

    const records = output.Records ?? [];
    if (records.length > 0) {
      const delivered = await this.deliver(shard, records);
      if (!delivered) return "failed";
    }
    if (!output.NextShardIterator) {
      // A closed shard read to its end: its children may now start.
      shard.done = true;
      shard.iterator = undefined;
      await this.saveCheckpoints();
      return "closed";
    }
    shard.iterator = output.NextShardIterator;
    return records.length > 0 ? "records" : "empty";
  }

  private getRecords(iterator: string) {
    return this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }), {
      abortSignal: this.abort.signal,
    });
  }

  private async shardIterator(shard: ShardState): Promise<string> {
    let type: ShardIteratorType = "TRIM_HORIZON";
    let sequenceNumber: string | undefined;
    if (shard.redeliverFrom) {
      type = "AT_SEQUENCE_NUMBER";
      sequenceNumber = shard.redeliverFrom;
    } else if (shard.checkpoint) {
      type = "AFTER_SEQUENCE_NUMBER";
      sequenceNumber = shard.checkpoint;
    }
    try {
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shard.shardId,
          ShardIteratorType: type,
          SequenceNumber: sequenceNumber,
        }),
        { abortSignal: this.abort.signal },
      );
      if (!ShardIterator) throw new Error(`GetShardIterator gave no iterator for ${shard.shardId}`);
      return ShardIterator;
    } catch (error) {
      if ((error as Error).name !== "TrimmedDataAccessException" || type === "TRIM_HORIZON") throw error;
      this.reportError(new Error(`records of ${shard.shardId} after ${sequenceNumber} were trimmed unread`));
      shard.checkpoint = undefined;
      shard.redeliverFrom = undefined;
      return this.shardIterator(shard);
    }
  }

  /**
   * Hands one GetRecords page to the handler. True when every record is handled; false when a retry is due
   * (the iterator is then reset to the earliest failed record, after a backoff).
   */
  private async deliver(shard: ShardState, records: StreamsRecord[]): Promise<boolean> {
    const converted = records.map((record) => toLambdaRecord(record, this.streamArn));
    const matching = converted.filter((record) => matchesFilterPattern(this.filterPattern, record));
    const lastSequenceNumber = converted.at(-1)?.dynamodb?.SequenceNumber;

    let failedFrom: string | undefined;
    if (matching.length > 0) {
      try {
        const response = await this.handler({ Records: matching });
        failedFrom = earliestFailure(response, matching);
      } catch (error) {
        this.reportError(asError(error, "the change-feed handler failed"));
        failedFrom = matching[0]?.dynamodb?.SequenceNumber;
      }
    }

    if (failedFrom === undefined) {
      shard.checkpoint = lastSequenceNumber;
      shard.redeliverFrom = undefined;
      shard.failedAttempts = 0;
      await this.saveCheckpoints();
      return true;
    }

    shard.failedAttempts = shard.redeliverFrom === failedFrom ? shard.failedAttempts + 1 : 1;
    if (shard.failedAttempts > this.maxRetryAttempts) {
      // Like an exhausted event source mapping: report the batch (the local "dead-letter queue") and move on.
      this.reportError(
        new Error(
          `gave up on records ${failedFrom}…${lastSequenceNumber} of ${shard.shardId} after ${this.maxRetryAttempts} retries`,
        ),
      );
      shard.checkpoint = lastSequenceNumber;
      shard.redeliverFrom = undefined;
      shard.failedAttempts = 0;
      await this.saveCheckpoints();
      return true;
    }

    // Records before the earliest failure count as handled, as they do for ReportBatchItemFailures.
    const failedIndex = converted.findIndex((record) => record.dynamodb?.SequenceNumber === failedFrom);
    const handledBefore = failedIndex > 0 ? converted[failedIndex - 1]?.dynamodb?.SequenceNumber : undefined;
    if (handledBefore) shard.checkpoint = handledBefore;
    shard.redeliverFrom = failedFrom;
    shard.iterator = undefined;
    await this.saveCheckpoints();
    await this.sleep(retryDelay(shard.failedAttempts));
    return false;
  }

  private async saveCheckpoints(): Promise<void> {
    const entries: Record<string, SavedCheckpoint> = {};
    for (const shard of this.shards.values()) {
      if (shard.checkpoint || shard.done) {
        entries[shard.shardId] = { sequenceNumber: shard.checkpoint, ...(shard.done ? { done: true } : {}) };
      }
    }
    await this.checkpoints.save(entries);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // stop() calls this to end the wait at once.
      this.wake = done;
    });
  }
}

/**
 * The sequence number from which the batch must be delivered again, or undefined when all went well.
 * As with Lambda, an identifier that is empty or not in the batch fails the whole batch.
 */
function earliestFailure(response: DynamoDBBatchResponse | undefined, batch: DynamoDBRecord[]): string | undefined {
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return undefined;
  const inBatch = batch.map((record) => record.dynamodb?.SequenceNumber ?? "");
  const first = inBatch[0];
  let earliest: bigint | undefined;
  for (const failure of failures) {
    const identifier = failure?.itemIdentifier;
    if (!identifier || !inBatch.includes(identifier)) return first;
    const position = BigInt(identifier);
    if (earliest === undefined || position < earliest) earliest = position;
  }
  return inBatch.find((sequenceNumber) => BigInt(sequenceNumber) === earliest) ?? first;
}

/** Converts a GetRecords record into the record of a Lambda `DynamoDBStreamEvent`. */
export function toLambdaRecord(record: StreamsRecord, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const converted: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: {
      // The SDK parses it into a Date; Lambda's JSON carries epoch seconds.
      ...(stream.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: stream.ApproximateCreationDateTime.getTime() / 1000 }
        : {}),
      ...(stream.Keys ? { Keys: toLambdaItem(stream.Keys) } : {}),
      ...(stream.NewImage ? { NewImage: toLambdaItem(stream.NewImage) } : {}),
      ...(stream.OldImage ? { OldImage: toLambdaItem(stream.OldImage) } : {}),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
  if (record.userIdentity) {
    converted.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  }
  return converted;
}

function toLambdaItem(item: Record<string, StreamsAttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toLambdaValue(value)]));
}

// Lambda receives the stream record as JSON, where binary values are base64 strings, not byte arrays.
function toLambdaValue(value: StreamsAttributeValue): LambdaAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString("base64") };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString("base64")) };
  if (value.M !== undefined) return { M: toLambdaItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  throw new Error(`unsupported attribute value ${JSON.stringify(value)}`);
}

function retryDelay(attempt: number): number {
  return Math.min(maxRetryDelayMs, firstRetryDelayMs * 2 ** Math.max(0, attempt - 1));
}

function asError(error: unknown, context: string): Error {
  if (error instanceof Error) return new Error(`${context}: ${error.name}: ${error.message}`, { cause: error });
  return new Error(`${context}: ${String(error)}`);
}

interface SavedCheckpoint {
  sequenceNumber: string | undefined;
  done?: true;
}

/**
 * Checkpoints of every stream the file has seen, keyed by stream ARN (a re-created table has a new stream ARN,
 * so stale checkpoints never apply to it). Written to a temporary file and renamed, so a crash mid-write
 * leaves the previous checkpoints intact.
 */
class CheckpointStore {
  private all: Record<string, Record<string, SavedCheckpoint>> | undefined;
  private lastWritten = "";

  constructor(
    private readonly file: string | undefined,
    private readonly streamArn: string,
  ) {}

  load(): Record<string, SavedCheckpoint> {
    this.all ??= this.readFile();
    return this.all[this.streamArn] ?? {};
  }

  async save(entries: Record<string, SavedCheckpoint>): Promise<void> {
    this.all ??= this.readFile();
    this.all[this.streamArn] = entries;
    if (!this.file) return;
    const text = `${JSON.stringify(this.all, null, 2)}\n`;
    if (text === this.lastWritten) return;
    if (!this.lastWritten) await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, this.file);
    this.lastWritten = text;
  }

  private readFile(): Record<string, Record<string, SavedCheckpoint>> {
    if (!this.file) return {};
    try {
      return JSON.parse(readFileSync(this.file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new Error(`cannot read change-feed checkpoints from ${this.file}: ${(error as Error).message}`);
    }
  }
}
