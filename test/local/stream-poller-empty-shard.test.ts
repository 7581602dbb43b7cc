/**
 * DynamoDB Local answers TrimmedDataAccessException to an iterator taken on a still empty shard once any other
 * table of the instance has written a stream record first: the iterator points at a sequence number that the
 * shard never held. Nothing was read before and nothing is lost, so the poller must not say otherwise.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { startStreamPoller } from "#local/change-feed/poller.ts";
import { testDynamoDb, testTableStream } from "#test/support/dynamodb.ts";

test("a shard still empty when another table's stream gets records first is read without a trimmed-records warning", async () => {
  const { client, streamsClient } = testDynamoDb();
  // A table of its own: its shard must still be empty when the poller takes its first iterator.
  const ours = `poller-empty-shard-${randomUUID().slice(0, 8)}`;
  const streamArn = await testTableStream(ours);
  const errors: string[] = [];
  const received: DynamoDBRecord[] = [];
  const poller = startStreamPoller({
    streamsClient,
    streamArn,
    idlePollIntervalMs: 20,
    onError: (error) => errors.push(error.message),
    handler: async (event) => {
      received.push(...event.Records);
      return { batchItemFailures: [] };
    },
  });
  try {
    await poller.idle();
    // Another stream-enabled table of the same instance writes first, then ours.
    await testTableStream("poller-test");
    // Not an event (no eventId): the pollers of that table's own tests skip it.
    const item = { pk: { S: randomUUID() }, sk: { N: "1" } };
    await client.send(new PutItemCommand({ TableName: "poller-test", Item: item }));
    await client.send(new PutItemCommand({ TableName: ours, Item: { ...item, eventId: { S: randomUUID() } } }));
    await poller.idle();
    await poller.idle();
  } finally {
    await poller.stop();
  }
  assert.equal(received.length, 1, "our one record is delivered");
  assert.deepEqual(errors, []);
});
