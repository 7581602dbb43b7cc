/**
 * Handing a GetRecords page to the change-feed handler the way the event source mapping does: filter criteria,
 * then ReportBatchItemFailures (records before the earliest failure count as handled, the rest is delivered again
 * from that record). Kept apart from the poll loop (poller.ts) and the shard bookkeeping (shard-reader.ts) because
 * these are the at-least-once, in-order rules a handler relies on, and they read best on their own.
 */

import type { _Record as StreamsRecord } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { type FilterPattern, matchesFilterPattern } from "./event-filter.ts";
import { earliestFailure, toLambdaRecord } from "./lambda-records.ts";
import type { ShardState } from "./shards.ts";

/** The change-feed Lambda handler's signature (partial batch responses enabled). */
export type ChangeFeedHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

export interface BatchDeliveryOptions {
  streamArn: string;
  handler: ChangeFeedHandler;
  /** Records that do not match are skipped as handled. */
  filterPattern: FilterPattern;
  /** Failed deliveries of a batch after which each further failure is reported through reportError. */
  maxRetryAttempts: number;
  reportError: (error: Error) => void;
  /** Saves every shard's checkpoint (the shard's own has just moved). */
  saveCheckpoints: () => Promise<void>;
  /** The poller's wait, which its stop() ends at once. */
  sleep: (ms: number) => Promise<void>;
}

const firstRetryDelayMs = 100;
const maxRetryDelayMs = 5_000;

export class BatchDelivery {
  constructor(private readonly options: BatchDeliveryOptions) {}

  /**
   * Hands one GetRecords page to the handler. True when every record is handled; false when a retry is due
   * (the iterator is then reset to the earliest failed record, after a backoff).
   */
  async deliver(shard: ShardState, records: StreamsRecord[]): Promise<boolean> {
    const { streamArn, handler, filterPattern, maxRetryAttempts, reportError } = this.options;
    const converted = records.map((record) => toLambdaRecord(record, streamArn));
    const matching = converted.filter((record) => matchesFilterPattern(filterPattern, record));
    const lastSequenceNumber = converted.at(-1)?.dynamodb?.SequenceNumber;

    let failedFrom: string | undefined;
    if (matching.length > 0) {
      try {
        const response = await handler({ Records: matching });
        failedFrom = earliestFailure(response, matching);
      } catch (error) {
        reportError(asError(error, "the change-feed handler failed"));
        failedFrom = matching[0]?.dynamodb?.SequenceNumber;
      }
    }

    if (failedFrom === undefined) return this.handledUpTo(shard, lastSequenceNumber);

    shard.failedAttempts = shard.redeliverFrom === failedFrom ? shard.failedAttempts + 1 : 1;
    if (shard.failedAttempts >= maxRetryAttempts) {
      // Never skipped (nothing may be lost): it is reported instead, and retried with backoff.
      reportError(
        new Error(`records from ${failedFrom} of ${shard.shardId} failed ${shard.failedAttempts} times; retrying`),
      );
    }

    // Records before the earliest failure count as handled, as they do for ReportBatchItemFailures.
    const failedIndex = converted.findIndex((record) => record.dynamodb?.SequenceNumber === failedFrom);
    const handledBefore = failedIndex > 0 ? converted[failedIndex - 1]?.dynamodb?.SequenceNumber : undefined;
    if (handledBefore) shard.checkpoint = handledBefore;
    shard.redeliverFrom = failedFrom;
    shard.iterator = undefined;
    await this.options.saveCheckpoints();
    await this.options.sleep(retryDelay(shard.failedAttempts));
    return false;
  }

  /** Moves the checkpoint past a whole batch (delivered, or filtered out) and ends its retries. */
  private async handledUpTo(shard: ShardState, lastSequenceNumber: string | undefined): Promise<true> {
    shard.checkpoint = lastSequenceNumber;
    shard.redeliverFrom = undefined;
    shard.failedAttempts = 0;
    await this.options.saveCheckpoints();
    return true;
  }
}

/** The backoff before the `attempt`-th retry (of a batch, or of the poll loop after a stream API error). */
export function retryDelay(attempt: number): number {
  return Math.min(maxRetryDelayMs, firstRetryDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** The failure as an Error that says what was being done (the original kept as its cause). */
export function asError(error: unknown, context: string): Error {
  if (error instanceof Error) return new Error(`${context}: ${error.name}: ${error.message}`, { cause: error });
  return new Error(`${context}: ${String(error)}`);
}
