import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type AttributeValue, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { type ChangeFeedHandler, type StreamPollerOptions, startStreamPoller } from "#local/change-feed/poller.ts";
import { testDynamoDb, testTableStream } from "#test/support/dynamodb.ts";

const tableName = "poller-test";

describe("change-feed poller over DynamoDB Local", () => {
  const { client, streamsClient } = testDynamoDb();
  let streamArn: string;
  let workDir: string;

  before(async () => {
    streamArn = await testTableStream(tableName);
    workDir = mkdtempSync(join(tmpdir(), "poller-test-"));
  });
  after(() => rmSync(workDir, { recursive: true, force: true }));

  /** A checkpoint file positioned after every record written so far, so a test sees only its own writes. */
  async function caughtUpCheckpointFile(): Promise<string> {
    const checkpointFile = join(workDir, `${randomUUID()}.json`);
    await runUntilIdle({ checkpointFile, handler: succeed });
    return checkpointFile;
  }

  async function runUntilIdle(options: Pick<StreamPollerOptions, "handler" | "checkpointFile">): Promise<void> {
    const poller = startStreamPoller({
      streamsClient,
      streamArn,
      idlePollIntervalMs: 20,
      onError: () => {},
      ...options,
    });
    try {
      await withTimeout(poller.idle());
    } finally {
      await poller.stop();
    }
  }

  async function putEvent(streamId: string, revision: number, extra: Record<string, AttributeValue> = {}) {
    const item = { pk: { S: streamId }, sk: { N: String(revision) }, eventId: { S: randomUUID() }, ...extra };
    await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    return item;
  }

  test("delivers inserted events in write order, each as the record Lambda would receive", async () => {
    const checkpointFile = await caughtUpCheckpointFile();
    const streamId = randomUUID();
    const written = [
      await putEvent(streamId, 1, { payload: { B: new Uint8Array([1, 2, 3]) } }),
      await putEvent(streamId, 2),
      await putEvent(streamId, 3),
    ];
    const received: DynamoDBRecord[] = [];
    await runUntilIdle({ checkpointFile, handler: collect(received) });

    assert.equal(received.length, 3);
    const sequenceNumbers = received.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? "-1"));
    assert.ok(
      sequenceNumbers.every((n, i) => i === 0 || n > (sequenceNumbers[i - 1] ?? n)),
      "in sequence order",
    );
    received.forEach((record, i) => {
      const item = written[i];
      assert.deepEqual(Object.keys(record).sort(), [
        "awsRegion",
        "dynamodb",
        "eventID",
        "eventName",
        "eventSource",
        "eventSourceARN",
        "eventVersion",
      ]);
      assert.equal(record.eventName, "INSERT");
      assert.equal(record.eventSource, "aws:dynamodb");
      assert.equal(record.eventVersion, "1.1");
      assert.equal(record.eventSourceARN, streamArn);
      assert.equal(typeof record.eventID, "string");
      assert.equal(typeof record.awsRegion, "string");
      const stream = record.dynamodb;
      assert.ok(stream);
      assert.equal(typeof stream.ApproximateCreationDateTime, "number");
      assert.ok(Math.abs((stream.ApproximateCreationDateTime ?? 0) - Date.now() / 1000) < 600, "epoch seconds");
      assert.deepEqual(stream.Keys, { pk: item?.pk, sk: item?.sk });
      assert.equal(stream.StreamViewType, "NEW_IMAGE");
      assert.equal(typeof stream.SizeBytes, "number");
      assert.match(stream.SequenceNumber ?? "", /^\d+$/);
      assert.equal(stream.OldImage, undefined);
    });
    // Binary attributes arrive base64-encoded, as in Lambda's JSON event.
    assert.deepEqual(received[0]?.dynamodb?.NewImage, { ...written[0], payload: { B: "AQID" } });
    assert.deepEqual(received[1]?.dynamodb?.NewImage, written[1]);
  });

  test("skips records that are not event inserts: items without eventId and modifications", async () => {
    const checkpointFile = await caughtUpCheckpointFile();
    const streamId = randomUUID();
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { pk: { S: streamId }, sk: { N: "0" }, revision: { N: "1" } } }),
    );
    const event = await putEvent(streamId, 1);
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: event.pk, sk: event.sk },
        UpdateExpression: "SET touched = :t",
        ExpressionAttributeValues: { ":t": { BOOL: true } },
      }),
    );
    const last = await putEvent(streamId, 2);

    const received: DynamoDBRecord[] = [];
    await runUntilIdle({ checkpointFile, handler: collect(received) });
    assert.deepEqual(
      received.map((record) => [record.eventName, record.dynamodb?.NewImage?.eventId?.S]),
      [
        ["INSERT", event.eventId.S],
        ["INSERT", last.eventId.S],
      ],
    );
  });

  test("a reported batchItemFailure re-delivers that record and the later ones, never the earlier ones", async () => {
    const checkpointFile = await caughtUpCheckpointFile();
    const streamId = randomUUID();
    const ids: string[] = [];
    for (let revision = 1; revision <= 4; revision++) ids.push((await putEvent(streamId, revision)).eventId.S);

    const deliveries: string[][] = [];
    let failed = false;
    const handler: ChangeFeedHandler = async (event) => {
      deliveries.push(eventIds(event));
      const third = event.Records.find((record) => record.dynamodb?.NewImage?.eventId?.S === ids[2]);
      if (!failed && third?.dynamodb?.SequenceNumber) {
        failed = true;
        return { batchItemFailures: [{ itemIdentifier: third.dynamodb.SequenceNumber }] };
      }
      return { batchItemFailures: [] };
    };
    await runUntilIdle({ checkpointFile, handler });

    assert.deepEqual(deliveries, [ids, ids.slice(2)]);
  });

  test("a handler that throws gets the whole batch again", async () => {
    const checkpointFile = await caughtUpCheckpointFile();
    const streamId = randomUUID();
    const ids = [(await putEvent(streamId, 1)).eventId.S, (await putEvent(streamId, 2)).eventId.S];

    const deliveries: string[][] = [];
    const handler: ChangeFeedHandler = async (event) => {
      deliveries.push(eventIds(event));
      if (deliveries.length === 1) throw new Error("publisher unavailable");
      return { batchItemFailures: [] };
    };
    await runUntilIdle({ checkpointFile, handler });

    assert.deepEqual(deliveries, [ids, ids]);
  });

  test("a batch that keeps failing is never skipped: it is reported and retried until it is handled", async () => {
    const checkpointFile = await caughtUpCheckpointFile();
    const streamId = randomUUID();
    const ids = [(await putEvent(streamId, 1)).eventId.S, (await putEvent(streamId, 2)).eventId.S];

    const deliveries: string[][] = [];
    const errors: string[] = [];
    const handler: ChangeFeedHandler = async (event) => {
      deliveries.push(eventIds(event));
      if (deliveries.length <= 4) throw new Error("table unavailable");
      return { batchItemFailures: [] };
    };
    const poller = startStreamPoller({
      streamsClient,
      streamArn,
      checkpointFile,
      idlePollIntervalMs: 20,
      maxRetryAttempts: 2,
      onError: (error) => errors.push(error.message),
      handler,
    });
    try {
      await withTimeout(poller.idle());
    } finally {
      await poller.stop();
    }

    assert.deepEqual(deliveries, [ids, ids, ids, ids, ids]);
    assert.ok(
      errors.some((message) => /failed 3 times; retrying/.test(message)),
      errors.join("\n"),
    );
  });

  test("a restarted poller resumes after the last handled record from its checkpoint file", async () => {
    const checkpointFile = await caughtUpCheckpointFile();
    const streamId = randomUUID();
    const before = [(await putEvent(streamId, 1)).eventId.S, (await putEvent(streamId, 2)).eventId.S];
    const first: DynamoDBRecord[] = [];
    await runUntilIdle({ checkpointFile, handler: collect(first) });

    const afterRestart = [(await putEvent(streamId, 3)).eventId.S, (await putEvent(streamId, 4)).eventId.S];
    const second: DynamoDBRecord[] = [];
    await runUntilIdle({ checkpointFile, handler: collect(second) });

    assert.deepEqual(eventIds({ Records: first }), before);
    assert.deepEqual(eventIds({ Records: second }), afterRestart);
    const saved = JSON.parse(readFileSync(checkpointFile, "utf8"));
    assert.ok(saved[streamArn], "checkpoints are kept per stream ARN");
  });

  test("without a checkpoint file the poller starts at the oldest record (TRIM_HORIZON)", async () => {
    const streamId = randomUUID();
    const id = (await putEvent(streamId, 1)).eventId.S;
    const received: DynamoDBRecord[] = [];
    await runUntilIdle({ handler: collect(received) });
    const ids = eventIds({ Records: received });
    assert.ok(ids.length > 1, "earlier records of the table are delivered too");
    assert.equal(ids.at(-1), id);
  });
});

function succeed(): Promise<DynamoDBBatchResponse> {
  return Promise.resolve({ batchItemFailures: [] });
}

function collect(into: DynamoDBRecord[]): ChangeFeedHandler {
  return async (event) => {
    into.push(...event.Records);
    return { batchItemFailures: [] };
  };
}

function eventIds(event: DynamoDBStreamEvent): string[] {
  return event.Records.map((record) => record.dynamodb?.NewImage?.eventId?.S ?? "?");
}

function withTimeout<T>(promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the poller did not catch up within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
