/**
 * Part 10's indexer: the change-feed handler run in this process over a table's real stream records, as Lambda's
 * event source would run it (records read through the DynamoDB Streams API, converted by local mode's own
 * toLambdaRecord, filtered by the change feed's filter criteria, then handed over `batchSize` at a time in order,
 * a batch with failures handed over again from its earliest failed record). No publisher: indexing alone.
 */
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import { createChangeFeed } from "#change-feed/change-feed.ts";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { matchesFilterPattern } from "#local/change-feed/event-filter.ts";
import { earliestFailure, toLambdaRecord } from "#local/change-feed/lambda-records.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** Hands records to the change feed (summaries and the global feed through `store`) in batches of `batchSize`. */
export function feedIndexer(store: StreamStore, batchSize: number) {
  const handler = createChangeFeed({ store, feed: store.feedIndex() });
  const pending: DynamoDBRecord[] = [];
  let invocations = 0;
  const deliver = async (batch: DynamoDBRecord[]) => {
    let records = batch;
    let lastError: unknown;
    for (let attempt = 0; records.length > 0; attempt++) {
      if (attempt > 20)
        throw new Error("the change feed keeps failing a batch of the bench's records", { cause: lastError });
      invocations++;
      // A failed invocation comes again whole, as the event source retries it.
      const response = await handler({ Records: records }).catch((error: unknown) => {
        lastError = error;
        return { batchItemFailures: [{ itemIdentifier: "" }] };
      });
      const failedFrom = earliestFailure(response, records);
      const from = failedFrom === undefined ? -1 : records.findIndex((r) => r.dynamodb?.SequenceNumber === failedFrom);
      records = from < 0 ? [] : records.slice(from);
    }
  };
  return {
    /** Adds records; every full batch goes to the handler. */
    async add(records: DynamoDBRecord[]): Promise<void> {
      pending.push(...records);
      while (pending.length >= batchSize) await deliver(pending.splice(0, batchSize));
    },
    /** Hands over what is left, as the event source does once the stream has nothing more for now. */
    async flush(): Promise<void> {
      if (pending.length > 0) await deliver(pending.splice(0));
    },
    get invocations() {
      return invocations;
    },
  };
}

/**
 * Reads the table's stream from its oldest record until it has nothing more, shard by shard in the order DescribeStream
 * lists them (parents first), calling `onRecords` with each page's event records (those the change feed's filter
 * lets through) and `onCaughtUp` when a page comes back empty; records `onCaughtUp` causes are read too.
 */
export async function readEventRecords(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  onRecords: (records: DynamoDBRecord[]) => Promise<void>,
  onCaughtUp: () => Promise<void> = async () => {},
): Promise<void> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    let quiet = false;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      iterator = page.NextShardIterator;
      const records = (page.Records ?? []).map((record) => toLambdaRecord(record, streamArn));
      if (records.length === 0) {
        // Caught up twice in a row: what the last hand-over wrote has been read as well.
        if (quiet) break;
        quiet = true;
        await onCaughtUp();
        continue;
      }
      quiet = false;
      await onRecords(records.filter((record) => matchesFilterPattern(changeFeedFilterPattern, record)));
    }
  }
}
