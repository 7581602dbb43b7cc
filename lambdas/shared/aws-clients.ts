/**
 * The AWS clients of the functions, built from configuration passed in (never read from the environment here).
 * In AWS the configuration is empty and the SDK's defaults apply (the function's region and role); local mode and
 * the tests pass the endpoint of DynamoDB Local or the local SNS, a region and dummy credentials.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Where and as whom an AWS client talks; every member absent in AWS. */
export interface AwsClientConfig {
  /** An emulator's base URL, e.g. `http://127.0.0.1:8000`. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createDocumentClient(config: AwsClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
}

export function createSnsClient(config: AwsClientConfig = {}): SNSClient {
  return new SNSClient(config);
}
