/**
 * Creates the event table in DynamoDB Local from the same definition the CDK stack uses, so local mode and the
 * tests run against exactly the keys, index and stream that AWS will have.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { createSubjectKeysTableInput } from "#store/subject-key-items.ts";
import { attributeDefinitions, createTableInput, recordsIndexInput, tableDefinition } from "#store/table.ts";

/**
 * Makes sure the event table exists and is ACTIVE with its TTL attribute enabled; creates it when missing.
 * Safe to call concurrently (several test files share a table by name) and on an existing table.
 *
 * @returns the table's LatestStreamArn, where the change feed reads from
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  await createIfMissing(client, createTableInput(tableName));
  await enableTimeToLive(client, tableName);

  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  await addRecordsIndexIfMissing(
    client,
    tableName,
    Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName),
  );
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream; it must be created with a stream enabled`);
  return streamArn;
}

/** A data folder from before the records index: add it, as a stack update would (DynamoDB Local builds it at once). */
async function addRecordsIndexIfMissing(
  client: DynamoDBClient,
  tableName: string,
  indexNames: (string | undefined)[] | undefined,
): Promise<void> {
  if (indexNames?.includes(tableDefinition.recordsIndex.name)) return;
  try {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions(),
        GlobalSecondaryIndexUpdates: [{ Create: recordsIndexInput() }],
      }),
    );
  } catch (error) {
    // Another caller added it meanwhile.
    if (!(error instanceof Error && /already exists/i.test(error.message))) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
}

async function enableTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // A second UpdateTimeToLive answers ValidationException "TimeToLive is already enabled"; that is the goal.
    if (!(error instanceof Error && /already enabled/i.test(error.message))) throw error;
  }
}

/** Makes sure the subject keys table of personal data exists (store/subject-key-items.ts); creates it when missing. */
export async function ensureSubjectKeysTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createIfMissing(client, createSubjectKeysTableInput(tableName));
}

/** Creates a table unless it exists, and waits until it is ACTIVE. */
async function createIfMissing(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    // Another caller created it first (or it was there already): fine, we only need it to exist.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: input.TableName });
}
