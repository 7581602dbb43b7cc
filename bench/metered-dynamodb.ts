/**
 * The set-up of the parts measured through the store on a DynamoDB Local of their own: the engine, the store's table
 * and its transaction twin, a document client with the capacity meter attached (capacity-meter.ts), all stopped after
 * `work` whatever it did.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { ensureTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { CapacityMeter, createTwinTable, twinTableName } from "./capacity-meter.ts";

export interface MeteredDynamoDb {
  /** For tables and reads the meter must not count. */
  admin: DynamoDBClient;
  /** The store's client: the meter counts what it sends. */
  client: DynamoDBDocumentClient;
  meter: CapacityMeter;
}

export async function withMeteredDynamoDb<T>(tableName: string, work: (parts: MeteredDynamoDb) => Promise<T>) {
  const dynamoDb = await startDynamoDbLocal({ port: 0, inMemory: true });
  const admin = new DynamoDBClient(localAwsClientConfig(dynamoDb.endpoint));
  const client = createDocumentClient(localAwsClientConfig(dynamoDb.endpoint));
  try {
    await ensureTable(admin, tableName);
    await createTwinTable(admin, tableName);
    const meter = new CapacityMeter({ client: admin, twinOf: twinTableName });
    meter.attach(client);
    return await work({ admin, client, meter });
  } finally {
    client.destroy();
    admin.destroy();
    await dynamoDb.stop();
  }
}
