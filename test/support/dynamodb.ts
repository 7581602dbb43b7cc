/**
 * Shared DynamoDB Local access for test files. `npm test` (scripts/run-tests.ts) starts ONE in-memory
 * DynamoDB Local for the whole run and passes its endpoint in DYNAMODB_ENDPOINT: the engine slows down as
 * stream-enabled tables pile up, so tests share that instance and a few tables, named per suite.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { dynamoDbEndpointVariable } from "#local/dynamodb-local.ts";
import { ensureTable } from "#local/table.ts";

export interface TestDynamoDb {
  client: DynamoDBClient;
  streamsClient: DynamoDBStreamsClient;
  endpoint: string;
}

let shared: TestDynamoDb | undefined;

/** Clients for the run's DynamoDB Local instance (one pair per test process). */
export function testDynamoDb(): TestDynamoDb {
  if (shared) return shared;
  const endpoint = process.env[dynamoDbEndpointVariable];
  if (!endpoint) {
    throw new Error(`${dynamoDbEndpointVariable} is not set: run tests with npm test (it starts DynamoDB Local)`);
  }
  const config = localAwsClientConfig(endpoint);
  shared = { client: new DynamoDBClient(config), streamsClient: new DynamoDBStreamsClient(config), endpoint };
  return shared;
}

/**
 * Makes sure the table `name` exists (created from the real table definition) and returns its name.
 * Tables are shared by name across test files and reruns: give each suite its own data (fresh UUIDs) rather
 * than its own table, and keep the number of distinct names small.
 */
export async function testTable(name: string): Promise<string> {
  await ensureTable(testDynamoDb().client, name);
  return name;
}

/** Like `testTable`, but returns the table's stream ARN, for tests of the change feed. */
export async function testTableStream(name: string): Promise<string> {
  return ensureTable(testDynamoDb().client, name);
}
