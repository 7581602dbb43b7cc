/**
 * The environment variables the functions' Lambda entries (`lambda.ts`) read, in one place. The CDK construct sets
 * them; nothing else reads them: handler factories take their configuration as arguments, and local mode passes it
 * in directly.
 */
import { kmsKeyWrapper } from "../store/key-wrapping.ts";
import { parseRetentionByType, type RetentionByType } from "../store/retention.ts";
import type { SubjectKeysOptions } from "../store/subject-keys.ts";

export const environmentVariables = {
  /** Name of the event table. */
  tableName: "EVENT_STORE_TABLE",
  /** ARN of the SNS topic the change feed publishes to (unset: publishing is off). */
  topicArn: "EVENT_TOPIC_ARN",
  /** URL of the SQS queue that drives the operation worker (the API enqueues, the worker too). */
  operationsQueueUrl: "OPERATIONS_QUEUE_URL",
  /** JSON array of the replay targets the stack allows: queue or topic ARNs, a trailing `*` matching a prefix. */
  allowedReplayTargets: "ALLOWED_REPLAY_TARGETS",
  /** `go` (the default: the Go project's body) or `full` (adds Payload and Metadata when they fit). */
  notificationBody: "NOTIFICATION_BODY",
  /**
   * The largest notification the store's topic takes, in bytes: its `MaximumMessageSize` (the stack option
   * `largeNotifications` sets 1048576; unset: SNS's default, 256 KiB).
   */
  notificationMaxBytes: "NOTIFICATION_MAX_BYTES",
  /** Partitions of the listing index per stream type (the stack option `listingShards`; unset: the default 4). */
  listingShards: "LISTING_SHARDS",
  /** Name of the S3 bucket of large payloads, uploads and snapshots (unset: payloads over 400 KB are refused). */
  payloadBucket: "PAYLOAD_BUCKET",
  /** Payloads above this many bytes go to the bucket (the stack option `largePayloadThresholdBytes`; unset: 350 KB). */
  payloadThresholdBytes: "PAYLOAD_THRESHOLD_BYTES",
  /**
   * The API function's alias behind the admin URL (lib/admin-url.ts): the endpoints that remove data answer only
   * invocations through it. Unset (local mode): they answer every caller of the one local URL.
   */
  adminAlias: "ADMIN_ALIAS",
  /** Name of the subject keys table of personal data (unset: events with personal data are refused). */
  subjectKeysTable: "SUBJECT_KEYS_TABLE",
  /** The KMS key (id or ARN) that wraps the subjects' data keys. */
  subjectKeyId: "SUBJECT_KEY_ID",
  /** Each stream type's retention (the stack option `retention`), as store/retention.ts writes it; unset: none. */
  retention: "RETENTION",
} as const;

/** The listing shards the stack chose, or undefined for the default (the store checks the range). */
export function listingShardsFromEnvironment(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env[environmentVariables.listingShards];
  return value ? Number(value) : undefined;
}

/**
 * The store's topic's maximum message size the stack set, or undefined for SNS's default; a value SNS would not take
 * (a whole number from 1024 to 1048576) is a misconfiguration that must not go unnoticed.
 */
export function notificationMaxBytesFromEnvironment(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env[environmentVariables.notificationMaxBytes];
  if (value === undefined || value === "") return undefined;
  const bytes = Number(value);
  if (!(Number.isInteger(bytes) && bytes >= 1024 && bytes <= 1_048_576)) {
    throw new Error(
      `${environmentVariables.notificationMaxBytes} must be a whole number from 1024 to 1048576, not ${JSON.stringify(value)}`,
    );
  }
  return bytes;
}

/** The payload bucket and threshold the stack chose, or undefined when the function has no bucket. */
export function payloadsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): { bucket: string; thresholdBytes?: number } | undefined {
  const bucket = env[environmentVariables.payloadBucket];
  if (!bucket) return undefined;
  const threshold = env[environmentVariables.payloadThresholdBytes];
  return threshold ? { bucket, thresholdBytes: Number(threshold) } : { bucket };
}

/** The subject keys table and the KMS key that wraps its keys, or undefined when the function has neither. */
export function subjectKeysFromEnvironment(env: NodeJS.ProcessEnv = process.env): SubjectKeysOptions | undefined {
  const tableName = env[environmentVariables.subjectKeysTable];
  if (!tableName) return undefined;
  return { tableName, wrapper: kmsKeyWrapper({ keyId: requiredEnvironment(environmentVariables.subjectKeyId, env) }) };
}

/** The stream types' retention the stack chose; one the store cannot read is a misconfiguration (it throws). */
export function retentionFromEnvironment(env: NodeJS.ProcessEnv = process.env): RetentionByType | undefined {
  const value = env[environmentVariables.retention];
  return value ? parseRetentionByType(value) : undefined;
}

export function requiredEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
