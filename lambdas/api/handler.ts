/**
 * The HTTP API handler built from its configuration: the store over the table, served by the API. The Lambda entry
 * (lambda.ts) and local mode call this factory; neither passes anything through `process.env`.
 */
import { type AwsClientConfig, createDocumentClient } from "#shared/aws-clients.ts";
import { StreamStore } from "#store/stream-store.ts";
import { createApi } from "./app.ts";

export interface ApiConfig {
  tableName: string;
  /** DynamoDB client settings; empty in AWS. */
  dynamoDb?: AwsClientConfig;
}

export function createApiHandler(config: ApiConfig): ReturnType<typeof createApi> {
  return createApi(new StreamStore({ client: createDocumentClient(config.dynamoDb), tableName: config.tableName }));
}
