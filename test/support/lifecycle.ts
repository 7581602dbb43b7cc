/** Set-up that the tests of deletes and truncations share: the removal operation run step by step, raw items. */
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { localAwsClientConfig } from "#local/aws-local.ts";
import type { OperationMessage } from "#operations/queue.ts";
import { createOperationWorker } from "#operations/worker.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import type { Operation } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "./dynamodb.ts";

/**
 * Runs the operation's steps with the real worker (a queue in memory) until it finishes or `maxSteps` ran; answers
 * the operation as stored then.
 */
export async function runOperation(
  store: StreamStore,
  operationId: string,
  options: { eventsPerStep?: number; maxSteps?: number } = {},
): Promise<Operation> {
  const queued: OperationMessage[] = [{ operationId }];
  const worker = createOperationWorker({
    store,
    publishToTopic: async () => [],
    publisherFor: () => async () => [],
    queue: { enqueue: async (message) => void queued.push(message) },
    allowedReplayTargets: [],
    eventsPerStep: options.eventsPerStep ?? 500,
  });
  for (let steps = 0; queued.length > 0 && steps < (options.maxSteps ?? 10_000); steps++) {
    await worker.handle(queued.shift() as OperationMessage);
  }
  return (await store.getOperation(operationId)) as Operation;
}

/** Every item of a stream's partition as stored (settings, summary, events, markers), by sort key. */
export async function rawItems(tableName: string, streamId: string): Promise<Record<string, unknown>[]> {
  const client = createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint));
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": streamId },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(output.Items ?? []));
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return items;
}
