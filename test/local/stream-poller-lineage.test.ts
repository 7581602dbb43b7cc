// Shard lineage cannot be provoked in DynamoDB Local over the wire (it rolls a table's shard only every 4 hours),
// so this file drives the poller with a scripted DynamoDB Streams API: one shard that closes mid-test and
// a child shard that appears only then (or, as DynamoDB Streams may do, only a while after), listed one shard
// per DescribeStream page.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import { startStreamPoller } from "#local/change-feed/poller.ts";

const streamArn = "arn:aws:dynamodb:us-east-1:000000000000:table/lineage/stream/2026-01-01T00:00:00.000";

interface ScriptedShard {
  shard: Shard;
  records: _Record[];
  closed: boolean;
}

/**
 * A two-shard stream: the parent holds records 1–2, then closes; its child holds 3–4. With `childListedLate`
 * the first DescribeStream after the parent closed does not list the child yet; later ones do.
 */
function scriptedStream(options: { childListedLate?: boolean } = {}) {
  const parent: ScriptedShard = {
    shard: { ShardId: "shardId-parent", SequenceNumberRange: { StartingSequenceNumber: "1" } },
    records: [record(1), record(2)],
    closed: false,
  };
  const child: ScriptedShard = {
    shard: {
      ShardId: "shardId-child",
      ParentShardId: "shardId-parent",
      SequenceNumberRange: { StartingSequenceNumber: "3" },
    },
    records: [record(3), record(4)],
    closed: false,
  };
  const visible = [parent];
  const calls: string[] = [];
  let parentReads = 0;
  let describedSinceClosed = 0;

  const client = {
    async send(command: unknown) {
      if (command instanceof DescribeStreamCommand) {
        if (parent.closed && !command.input.ExclusiveStartShardId && describedSinceClosed++ === 1) visible.push(child);
        // Newest first and one per page, so that the poller must both paginate and order by lineage.
        const listed = [...visible].reverse();
        const start = command.input.ExclusiveStartShardId;
        const index = start ? listed.findIndex((s) => s.shard.ShardId === start) + 1 : 0;
        const page = listed[index];
        const more = index + 1 < listed.length;
        return {
          StreamDescription: {
            StreamArn: streamArn,
            Shards: page ? [page.shard] : [],
            LastEvaluatedShardId: more ? page?.shard.ShardId : undefined,
          },
        };
      }
      if (command instanceof GetShardIteratorCommand) {
        const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
        const shard = visible.find((s) => s.shard.ShardId === ShardId);
        assert.ok(shard, `iterator asked for unknown shard ${ShardId}`);
        const at = shard.records.findIndex((r) => r.dynamodb?.SequenceNumber === SequenceNumber);
        const position =
          ShardIteratorType === "TRIM_HORIZON" ? 0 : ShardIteratorType === "AT_SEQUENCE_NUMBER" ? at : at + 1;
        return { ShardIterator: `${ShardId}|${position}` };
      }
      if (command instanceof GetRecordsCommand) {
        const [shardId, position] = (command.input.ShardIterator ?? "").split("|");
        const shard = visible.find((s) => s.shard.ShardId === shardId);
        assert.ok(shard);
        calls.push(`GetRecords ${shardId}`);
        if (shard === parent && ++parentReads === 2) {
          // The shard rolls over after the first read: it closes and its child appears.
          parent.closed = true;
          parent.shard.SequenceNumberRange = { StartingSequenceNumber: "1", EndingSequenceNumber: "2" };
          if (!options.childListedLate) visible.push(child);
        }
        const records = shard.records.slice(Number(position));
        const end = shard.records.length;
        return {
          Records: records,
          NextShardIterator: shard.closed && records.length === 0 ? undefined : `${shardId}|${end}`,
        };
      }
      throw new Error(`unexpected command ${(command as object).constructor.name}`);
    },
  } as unknown as DynamoDBStreamsClient;
  return { client, calls };
}

function record(n: number): _Record {
  return {
    eventID: `event-${n}`,
    eventName: "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: "us-east-1",
    dynamodb: {
      ApproximateCreationDateTime: new Date(1_767_225_600_000),
      Keys: { pk: { S: "s" }, sk: { N: String(n) } },
      NewImage: { pk: { S: "s" }, sk: { N: String(n) }, eventId: { S: `e${n}` } },
      SequenceNumber: String(n),
      SizeBytes: 20,
      StreamViewType: "NEW_IMAGE",
    },
  };
}

/** Runs the poller until the child's records are in (the first idle polls may come before the rollover). */
async function receiveAll(client: DynamoDBStreamsClient, options: { describeIntervalMs?: number } = {}) {
  const received: DynamoDBRecord[] = [];
  const poller = startStreamPoller({
    streamsClient: client,
    streamArn,
    idlePollIntervalMs: 5,
    ...options,
    handler: async (event) => {
      received.push(...event.Records);
      return { batchItemFailures: [] };
    },
  });
  try {
    for (let attempt = 0; attempt < 100 && received.length < 4; attempt++) await poller.idle();
  } finally {
    await poller.stop();
  }
  return received;
}

test("reads a child shard only after its parent is read to its end, discovering it when the parent closes", async () => {
  const { client, calls } = scriptedStream();
  const received = await receiveAll(client);

  assert.deepEqual(
    received.map((r) => r.dynamodb?.SequenceNumber),
    ["1", "2", "3", "4"],
  );
  assert.equal(received[0]?.dynamodb?.ApproximateCreationDateTime, 1_767_225_600);
  assert.equal(received[0]?.eventSourceARN, streamArn);
  const firstChildRead = calls.indexOf("GetRecords shardId-child");
  assert.ok(firstChildRead > calls.lastIndexOf("GetRecords shardId-parent"), "no child read before the parent ended");
});

test("finds a child shard that DescribeStream lists only a while after its parent closed", async () => {
  const { client, calls } = scriptedStream({ childListedLate: true });
  const received = await receiveAll(client, { describeIntervalMs: 20 });

  assert.deepEqual(
    received.map((r) => r.dynamodb?.SequenceNumber),
    ["1", "2", "3", "4"],
  );
  assert.ok(calls.includes("GetRecords shardId-child"));
});
