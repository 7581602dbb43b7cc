/**
 * Local mode's stand-in for the Lambda event source mapping: reads the table's change feed through the real
 * DynamoDB Streams API and calls the change-feed handler with the very event Lambda would build.
 *
 * Semantics copied from the event source mapping (TRIM_HORIZON start, batch size 100, filter criteria,
 * ReportBatchItemFailures): records of a shard are delivered in order, a parent shard is read to its end before
 * its children (shards.ts), a failure re-delivers from the earliest failed record, and a checkpoint
 * (checkpoints.ts) lets a restarted poller carry on where it stopped without losing or repeating handled records.
 * It never skips a record: the change feed records what it cannot publish as undelivered, so what still fails is
 * DynamoDB, retried with backoff until it succeeds. The stream is described again every few seconds and whenever
 * a shard closes, so that children DescribeStream lists late are found.
 */

import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { CheckpointStore } from "./checkpoints.ts";
import { type FilterPattern, matchesFilterPattern } from "./event-filter.ts";
import { IdleWaiters } from "./idle-waiters.ts";
import { earliestFailure, toLambdaRecord } from "./lambda-records.ts";
import { iteratorStart, restartFromTrimHorizon, ShardLineage, type ShardState, unreadPosition } from "./shards.ts";

/** The change-feed Lambda handler's signature (partial batch responses enabled). */
export type ChangeFeedHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamPollerOptions {
  streamsClient: DynamoDBStreamsClient;
  /** The table's LatestStreamArn (what `ensureTable` returns). */
  streamArn: string;
  handler: ChangeFeedHandler;
  /** JSON file keeping checkpoints across restarts; checkpoints stay in memory when omitted. */
  checkpointFile?: string;
  /** Told about every failure (handler errors, stream API errors, batches failing again and again). */
  onError?: (error: Error) => void;
  /** Records that do not match are skipped as handled. Default: the change feed's filter criteria. */
  filterPattern?: FilterPattern;
  /** Records per GetRecords call and so at most per handler call (Lambda's default batch size is 100). */
  batchSize?: number;
  /**
   * Wait after the first poll that finds a caught-up stream, in milliseconds (default 50). It doubles with every
   * further quiet poll up to `maxIdlePollIntervalMs`, and is back to this after a poll that found records.
   */
  idlePollIntervalMs?: number;
  /** The longest wait between polls of a stream that stays quiet, in milliseconds (default 400). */
  maxIdlePollIntervalMs?: number;
  /**
   * Failed deliveries of a batch after which each further failure is reported through onError. The batch is
   * never skipped: it is retried with backoff until it is handled. Default: report from the 10th on.
   */
  maxRetryAttempts?: number;
  /** How often the stream is described again to find new shards, in milliseconds (default 5 000). */
  describeIntervalMs?: number;
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

type PollOutcome = "records" | "empty" | "failed" | "closed";

class Poller {
  private readonly client: DynamoDBStreamsClient;
  private readonly streamArn: string;
  private readonly handler: ChangeFeedHandler;
  private readonly reportError: (error: Error) => void;
  private readonly filterPattern: FilterPattern;
  private readonly batchSize: number;
  private readonly idlePollIntervalMs: number;
  private readonly maxIdlePollIntervalMs: number;
  private readonly maxRetryAttempts: number;
  private readonly describeIntervalMs: number;
  private readonly checkpoints: CheckpointStore;
  private readonly abort = new AbortController();
  private readonly shards: ShardLineage;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Cuts a backed-off wait of a quiet poller (not a retry's backoff) to the shortest: someone waits for idle(). */
  private shortenIdleWait: (() => void) | undefined;
  private readonly idleWaiters = new IdleWaiters();
  private consecutiveErrors = 0;

  constructor(options: StreamPollerOptions) {
    this.client = options.streamsClient;
    this.streamArn = options.streamArn;
    this.handler = options.handler;
    this.reportError = options.onError ?? ((error) => console.error(`change feed: ${error.message}`));
    this.filterPattern = options.filterPattern ?? changeFeedFilterPattern;
    this.batchSize = options.batchSize ?? 100;
    this.idlePollIntervalMs = options.idlePollIntervalMs ?? 50;
    this.maxIdlePollIntervalMs = Math.max(this.idlePollIntervalMs, options.maxIdlePollIntervalMs ?? 400);
    this.maxRetryAttempts = options.maxRetryAttempts ?? 10;
    this.describeIntervalMs = options.describeIntervalMs ?? 5_000;
    this.checkpoints = new CheckpointStore(options.checkpointFile, options.streamArn);
    this.shards = new ShardLineage(options.streamsClient, options.streamArn, this.abort.signal);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
  }

  idle(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error("the stream poller is stopped"));
    const waiting = this.idleWaiters.wait();
    // A backed-off poller would answer only after its long wait: poll as soon as the shortest one is over.
    this.shortenIdleWait?.();
    return waiting;
  }

  async run(): Promise<void> {
    let shardsKnown = false;
    let describedAt = 0;
    let quietRounds = 0;
    while (!this.stopped) {
      const round = this.idleWaiters.beginRound();
      try {
        // Children of a closed shard may be listed only some time after it closed: look again now and then.
        if (!shardsKnown || Date.now() - describedAt >= this.describeIntervalMs) {
          describedAt = Date.now();
          await this.shards.discover(this.checkpoints.load());
          shardsKnown = true;
        }
        let quiet = true;
        for (const shard of this.shards.readable()) {
          if (this.stopped) break;
          const outcome = await this.pollShard(shard);
          if (outcome !== "empty") quiet = false;
          // A closed shard may have children that DescribeStream has not shown us yet.
          if (outcome === "closed") shardsKnown = false;
        }
        this.consecutiveErrors = 0;
        if (quiet) {
          this.idleWaiters.roundWasIdle(round);
          quietRounds += 1;
          await this.idleSleep(quietRounds);
        } else quietRounds = 0;
      } catch (error) {
        if (this.stopped) break;
        this.consecutiveErrors += 1;
        this.reportError(asError(error, "reading the stream failed"));
        // The shard list or an iterator may be what went wrong: start over from the checkpoints.
        shardsKnown = false;
        for (const shard of this.shards.all()) shard.iterator = undefined;
        await this.sleep(retryDelay(this.consecutiveErrors));
      }
    }
    this.idleWaiters.stopped();
  }

  private async pollShard(shard: ShardState): Promise<PollOutcome> {
    shard.iterator ??= await this.shardIterator(shard);
    let output: GetRecordsCommandOutput;
    try {
      output = await this.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.batchSize }), {
        abortSignal: this.abort.signal,
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === "ExpiredIteratorException") {
        // Iterators live 15 minutes; a slow handler can outlive one. Resume from the checkpoint.
        shard.iterator = undefined;
        return "failed";
      }
      if (name === "TrimmedDataAccessException") {
        // An iterator from the trim horizon loses nothing when it is refused: DynamoDB Local refuses one taken on a
        // still empty shard once another table's stream has written first. Only a handled position can be overtaken.
        this.reportTrimmed(shard);
        restartFromTrimHorizon(shard);
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
        { abortSignal: this.abort.signal },
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

    if (failedFrom === undefined) return this.handledUpTo(shard, lastSequenceNumber);

    shard.failedAttempts = shard.redeliverFrom === failedFrom ? shard.failedAttempts + 1 : 1;
    if (shard.failedAttempts >= this.maxRetryAttempts) {
      // Never skipped (nothing may be lost): it is reported instead, and retried with backoff.
      this.reportError(
        new Error(`records from ${failedFrom} of ${shard.shardId} failed ${shard.failedAttempts} times; retrying`),
      );
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

  /** Moves the checkpoint past a whole batch (delivered, or filtered out) and ends its retries. */
  private async handledUpTo(shard: ShardState, lastSequenceNumber: string | undefined): Promise<true> {
    shard.checkpoint = lastSequenceNumber;
    shard.redeliverFrom = undefined;
    shard.failedAttempts = 0;
    await this.saveCheckpoints();
    return true;
  }

  /** Says that records were lost only when the shard had a position past the trim horizon (see unreadPosition). */
  private reportTrimmed(shard: ShardState): void {
    const position = unreadPosition(shard);
    if (position === undefined) return;
    this.reportError(
      new Error(`records of ${shard.shardId} ${position} were trimmed (older than 24 h) before they were read`),
    );
  }

  private saveCheckpoints(): Promise<void> {
    return this.checkpoints.save(this.shards.checkpoints());
  }

  /**
   * The wait after the `quietRounds`-th quiet poll in a row: an idle local mode polls a few times a second instead
   * of twenty, and a burst is still picked up within the shortest wait once records flow.
   */
  private idleSleep(quietRounds: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const ms = Math.min(this.maxIdlePollIntervalMs, this.idlePollIntervalMs * 2 ** Math.min(quietRounds - 1, 20));
    const started = performance.now();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.shortenIdleWait = undefined;
        resolve();
      };
      let timer = setTimeout(done, ms);
      this.wake = done;
      this.shortenIdleWait = () => {
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, started + this.idlePollIntervalMs - performance.now()));
      };
    });
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

function retryDelay(attempt: number): number {
  return Math.min(maxRetryDelayMs, firstRetryDelayMs * 2 ** Math.max(0, attempt - 1));
}

function asError(error: unknown, context: string): Error {
  if (error instanceof Error) return new Error(`${context}: ${error.name}: ${error.message}`, { cause: error });
  return new Error(`${context}: ${String(error)}`);
}
