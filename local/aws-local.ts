/**
 * Client settings shared by everything that talks to local emulators (DynamoDB Local, the local SNS):
 * one fixed region and dummy static credentials, so no AWS account or profile is ever looked up.
 * DynamoDB Local runs with `-sharedDb`, so the key and region do not partition its data, but a fixed pair
 * keeps ARNs and signatures stable across processes.
 */
export const localRegion = "us-east-1";

export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" } as const;

/** The subset of AWS SDK v3 client configuration that every local client uses. */
export interface LocalAwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Configuration for an AWS SDK v3 client (DynamoDB, DynamoDB Streams, SNS, SQS) pointed at a local endpoint.
 *
 * @param endpoint - the emulator's base URL, e.g. `http://127.0.0.1:8000`
 * @example new DynamoDBClient(localAwsClientConfig(endpoint))
 */
export function localAwsClientConfig(endpoint: string): LocalAwsClientConfig {
  return { endpoint, region: localRegion, credentials: { ...localCredentials } };
}

/**
 * Environment variables that make the AWS SDK inside handlers (and child processes) use the local region and
 * dummy credentials instead of searching for a profile.
 */
export function localAwsEnvironment(): Record<string, string> {
  return {
    AWS_REGION: localRegion,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
  };
}

/** How long a client waits for a local endpoint; absent members keep the defaults of shared/aws-clients.ts. */
export interface LocalClientTimeouts {
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

/**
 * Like `localAwsClientConfig`, with timeouts, for the clients local mode builds itself (DynamoDB Streams for the
 * poller, the table set-up) rather than through the handlers' factories: a frozen DynamoDB Local makes their
 * calls fail and retry instead of hanging.
 */
export function localClientWithTimeouts(endpoint: string, timeouts: LocalClientTimeouts = {}) {
  const { connectionTimeoutMs = 1_000, requestTimeoutMs = 2_000, maxAttempts } = timeouts;
  const handler = { connectionTimeout: connectionTimeoutMs, requestTimeout: requestTimeoutMs };
  return {
    ...localAwsClientConfig(endpoint),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    requestHandler: { ...handler, throwOnRequestTimeout: true },
  };
}
