/**
 * The HTTP API handler built from its configuration: the store over the table, served by the API. The Lambda entry
 * (lambda.ts) and local mode call this factory; neither passes anything through `process.env`.
 */
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { type AwsClientConfig, createDocumentClient } from "#shared/aws-clients.ts";
import { type Observability, observeInvocations, quietObservability } from "#shared/observability.ts";
import { type PayloadObjectsConfig, s3PayloadObjects } from "#store/payload-objects.ts";
import type { RetentionByType } from "#store/retention.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { SubjectKeysOptions } from "#store/subject-keys.ts";
import { createApi } from "./app.ts";
import type { OperationsConfig } from "./request.ts";

export type { OperationsConfig } from "./request.ts";

export interface ApiConfig {
  tableName: string;
  /** DynamoDB client settings; empty in AWS. */
  dynamoDb?: AwsClientConfig;
  /** Where counters and failures go. Default: nowhere but failures to stderr (local mode, tests). */
  observability?: Observability;
  /** The operation queue and the replay targets the stack allows. Absent: POST /replays answers 503. */
  operations?: OperationsConfig | undefined;
  /** Partitions of the listing index per stream type. Default: 4. */
  listingShards?: number | undefined;
  /**
   * The bucket of large payloads, uploads and snapshots (SPEC section 12), its S3 client settings (empty in AWS) and
   * the threshold above which a payload goes there (default 350 KB). Absent: events over 400 KB are refused.
   */
  payloads?: (PayloadObjectsConfig & { thresholdBytes?: number | undefined }) | undefined;
  /** The alias of the admin URL, the only way in to the endpoints that remove data (admin.ts). Absent: none. */
  adminAlias?: string | undefined;
  /** The subject keys of personal data (store/subject-keys.ts). Absent: personal data is refused, and reads as erased. */
  subjectKeys?: SubjectKeysOptions | undefined;
  /** Each stream type's retention (the stack option `retention`, store/retention.ts). Absent: none. */
  retention?: RetentionByType | undefined;
}

export function createApiHandler(
  config: ApiConfig,
): (event: LambdaFunctionURLEvent, context?: Context) => Promise<LambdaFunctionURLResult> {
  const observability = config.observability ?? quietObservability;
  const store = new StreamStore({
    client: createDocumentClient(config.dynamoDb),
    tableName: config.tableName,
    onContention: () => observability.count("AppendRetries"),
    listingShards: config.listingShards,
    subjectKeys: config.subjectKeys,
    retention: config.retention,
    payloads: config.payloads && {
      objects: s3PayloadObjects(config.payloads),
      thresholdBytes: config.payloads.thresholdBytes,
    },
  });
  return observeInvocations(
    observability,
    createApi(store, observability, { operations: config.operations, adminAlias: config.adminAlias }),
  );
}
