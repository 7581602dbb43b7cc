/**
 * AWS clients shared by the functions, created once per process. In local mode the endpoints come from the
 * environment (DynamoDB Local, the local SNS emulator); in AWS they are unset and the SDK's defaults apply.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { environmentVariables } from "./environment.ts";

export function createDocumentClient(
  endpoint = process.env[environmentVariables.dynamoDbEndpoint],
): DynamoDBDocumentClient {
  const client = new DynamoDBClient(endpoint ? { endpoint } : {});
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSnsClient(endpoint = process.env[environmentVariables.snsEndpoint]): SNSClient {
  return new SNSClient(endpoint ? { endpoint } : {});
}
