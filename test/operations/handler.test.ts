import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { ensureOperationsQueue } from "#local/operations-poller.ts";
import { createOperationWorkerHandler } from "#operations/handler.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { keptObservability, operationsTable, seedStreams, type WorkerRig, workerRig } from "./support.ts";

function sqsEvent(bodies: Record<string, string>): SQSEvent {
  return {
    Records: Object.entries(bodies).map(([messageId, body]) => ({ messageId, body }) as SQSRecord),
  };
}

describe("the operation worker's SQS handler", () => {
  let rig: WorkerRig;
  let handler: ReturnType<typeof createOperationWorkerHandler>;
  before(async () => {
    rig = await workerRig();
    const sqs = localAwsClientConfig(rig.notifications.endpoint);
    const client = new SQSClient(sqs);
    const { queueUrl } = await ensureOperationsQueue(client, "handler-test-operations", 30);
    client.destroy();
    handler = createOperationWorkerHandler({
      tableName: operationsTable,
      topicArn: rig.notifications.topicArn,
      operationsQueueUrl: queueUrl,
      allowedReplayTargets: ["*"],
      dynamoDb: localAwsClientConfig(testDynamoDb().endpoint),
      sns: sqs,
      sqs,
      observability: keptObservability(),
    });
  });
  after(async () => {
    await rig?.close();
  });

  it("reports only the messages whose step failed; drops what is no operation message", async () => {
    const streamType = uniqueStreamType("handler");
    await seedStreams(rig.store, streamType, { streams: 1, events: 2 });
    const target = await rig.targetQueue();
    const works = await rig.start({ streamType, target: { queueUrl: target.queueUrl } });
    const missingQueue = `${rig.notifications.endpoint}/000000000000/no-such-queue`;
    const fails = await rig.start({ streamType, target: { queueUrl: missingQueue } });

    const response = await handler(
      sqsEvent({
        a: JSON.stringify({ operationId: works.id }),
        b: JSON.stringify({ operationId: fails.id }),
        c: "not an operation message",
        d: JSON.stringify({ operationId: "00000000-0000-4000-8000-000000000000" }),
      }),
    );

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: "b" }] });
    assert.equal((await rig.store.getOperation(works.id))?.state, "succeeded");
    assert.equal((await rig.store.getOperation(fails.id))?.state, "running", "its message comes back");
    assert.equal((await target.receive(0)).length, 2);
  });
});
