/**
 * Local mode's stand-in for the Lambda event source mapping: reads the table's change feed through the real
 * DynamoDB Streams API and calls the change-feed handler with the very event Lambda would build.
 *
 * Semantics copied from the event source mapping (TRIM_HORIZON start, batch size 100, filter criteria,
 * ReportBatchItemFailures): records of a shard are delivered in order, a parent shard is read to its end before
 * its children (shards.ts), a failure re-delivers from the earliest failed record (delivery.ts), and a checkpoint
 * (checkpoints.ts) lets a restarted poller carry on where it stopped without losing or repeating handled records.
 * It never skips a record: the change feed records what it cannot publish as undelivered, so what still fails is
 * DynamoDB, retried with backoff until it succeeds. The stream is described again every few seconds and whenever
 * a shard closes, so that children DescribeStream lists late are found.
 *
 * This file holds the public face (options, startStreamPoller) and the poll loop with its waits: the idle back-off
 * and the stop that cuts any wait short. Iterators and checkpoints are shard-reader.ts's, batch delivery and its
 * retries delivery.ts's.
 */

import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { asError, BatchDelivery, type ChangeFeedHandler, retryDelay } from "./delivery.ts";
import type { FilterPattern } from "./event-filter.ts";
import { IdleWaiters } from "./idle-waiters.ts";
import { ShardReader } from "./shard-reader.ts";
import type { ShardState } from "./shards.ts";

export type { ChangeFeedHandler } from "./delivery.ts";

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
  private readonly reportError: (error: Error) => void;
  private readonly idlePollIntervalMs: number;
  private readonly maxIdlePollIntervalMs: number;
  private readonly describeIntervalMs: number;
  private readonly abort = new AbortController();
  private readonly reader: ShardReader;
  private readonly delivery: BatchDelivery;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Cuts a backed-off wait of a quiet poller (not a retry's backoff) to the shortest: someone waits for idle(). */
  private shortenIdleWait: (() => void) | undefined;
  private readonly idleWaiters = new IdleWaiters();
  private consecutiveErrors = 0;

  constructor(options: StreamPollerOptions) {
    const reportError = options.onError ?? ((error) => console.error(`change feed: ${error.message}`));
    this.reportError = reportError;
    this.idlePollIntervalMs = options.idlePollIntervalMs ?? 50;
    this.maxIdlePollIntervalMs = Math.max(this.idlePollIntervalMs, options.maxIdlePollIntervalMs ?? 400);
    this.describeIntervalMs = options.describeIntervalMs ?? 5_000;
    this.reader = new ShardReader({
      streamsClient: options.streamsClient,
      streamArn: options.streamArn,
      checkpointFile: options.checkpointFile,
      batchSize: options.batchSize ?? 100,
      abortSignal: this.abort.signal,
      reportError,
    });
    this.delivery = new BatchDelivery({
      streamArn: options.streamArn,
      handler: options.handler,
      filterPattern: options.filterPattern ?? changeFeedFilterPattern,
      maxRetryAttempts: options.maxRetryAttempts ?? 10,
      reportError,
      saveCheckpoints: () => this.reader.saveCheckpoints(),
      sleep: (ms) => this.sleep(ms),
    });
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
          await this.reader.discover();
          shardsKnown = true;
        }
        let quiet = true;
        for (const shard of this.reader.readable()) {
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
        this.reader.forgetIterators();
        await this.sleep(retryDelay(this.consecutiveErrors));
      }
    }
    this.idleWaiters.stopped();
  }

  private async pollShard(shard: ShardState): Promise<PollOutcome> {
    const output = await this.reader.read(shard);
    if (output === undefined) return "failed";
    const records = output.Records ?? [];
    if (records.length > 0) {
      const delivered = await this.delivery.deliver(shard, records);
      if (!delivered) return "failed";
    }
    if (!output.NextShardIterator) {
      await this.reader.finish(shard);
      return "closed";
    }
    shard.iterator = output.NextShardIterator;
    return records.length > 0 ? "records" : "empty";
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
