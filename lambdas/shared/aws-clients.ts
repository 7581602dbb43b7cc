/**
 * The AWS clients of the functions, built from configuration passed in (never read from the environment here).
 * In AWS the configuration is empty and the SDK's defaults apply (the function's region and role); local mode and
 * the tests pass the endpoint of DynamoDB Local or the local SNS, a region and dummy credentials.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Where and as whom an AWS client talks, and how long it waits; every member may be absent in AWS. */
export interface AwsClientConfig {
  /** An emulator's base URL, e.g. `http://127.0.0.1:8000`. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Longest wait for a connection, in milliseconds. Default: 1 000. */
  connectionTimeoutMs?: number;
  /** Longest wait for an answer to one attempt, in milliseconds. Default: 2 000 (DynamoDB answers in ~10 ms). */
  requestTimeoutMs?: number;
  /** Attempts per call, the first included, with the SDK's backoff between them. Default: the SDK's 3. */
  maxAttempts?: number;
}

/**
 * Timeouts on every call: without them a frozen DynamoDB or a hung SNS connection would hold a request (or the
 * whole change feed) for as long as the freeze lasts. A timed-out attempt is retried by the SDK like any other
 * transient failure; a call that runs out of attempts fails with a `TimeoutError`.
 */
export function clientSettings(config: AwsClientConfig) {
  const { connectionTimeoutMs = 1_000, requestTimeoutMs = 2_000, maxAttempts, ...client } = config;
  return {
    ...client,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    requestHandler: {
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Without it the handler only logs a warning when requestTimeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}

export function createDocumentClient(config: AwsClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(clientSettings(config));
  // Per-call work this client does not need (docs/performance.md, the request path's profile): the logger middleware
  // runs the SDK's sensitive-data filters over every input and output for a logger that, unless one is configured
  // (never here), drops them; the user-agent middleware rebuilds and escapes the same header on every call; the
  // recursion-detection header is for Lambda calling services that can invoke it again, which DynamoDB cannot.
  for (const name of unneededDynamoDbMiddleware) client.middlewareStack.remove(name);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

const unneededDynamoDbMiddleware = ["loggerMiddleware", "getUserAgentMiddleware", "recursionDetectionMiddleware"];

export function createSnsClient(config: AwsClientConfig = {}): SNSClient {
  return new SNSClient(clientSettings(config));
}
