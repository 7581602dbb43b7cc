/**
 * Real change-feed records: read from DynamoDB Local's stream of a table through the DynamoDB Streams API and
 * converted to the shape Lambda delivers (by the same function local mode's poller uses).
 */
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import { toLambdaRecord } from "#local/change-feed/lambda-records.ts";
import { testDynamoDb } from "./dynamodb.ts";

/** Every record in the table's stream so far whose key is one of `streamIds`, oldest first. */
export async function readStreamRecords(streamArn: string, streamIds: Set<string>): Promise<DynamoDBRecord[]> {
  const { streamsClient } = testDynamoDb();
  const description = await streamsClient.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records: DynamoDBRecord[] = [];
  for (const shard of description.StreamDescription?.Shards ?? []) {
    let iterator = (
      await streamsClient.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const output = await streamsClient.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of output.Records ?? []) {
        const converted = toLambdaRecord(record, streamArn);
        if (streamIds.has(String(converted.dynamodb?.Keys?.pk?.S))) records.push(converted);
      }
      // An open shard always hands out a next iterator; an empty page means we have caught up.
      iterator = (output.Records ?? []).length === 0 ? undefined : output.NextShardIterator;
    }
  }
  return records;
}
