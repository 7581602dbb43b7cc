/**
 * The operation worker built from its configuration, and its SQS handler: the store over the table, the SNS
 * publisher for the store's topic (and topic targets), the queue publisher for queue targets, the operation queue.
 * The Lambda entry (lambda.ts) and local mode (local/operations-poller.ts) call these factories. The same handler
 * takes the hourly `{"sweep":"payloads"}` of the schedule (invoked directly, not through the queue): the payload
 * sweep of the store (store/payload-sweep.ts).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createSnsPublisher, type Publish } from "#change-feed/notifications.ts";
import { type AwsClientConfig, clientSettings, createDocumentClient, createSnsClient } from "#shared/aws-clients.ts";
import { type Observability, observeInvocations, quietObservability } from "#shared/observability.ts";
import { type PayloadObjectsConfig, s3PayloadObjects } from "#store/payload-objects.ts";
import type { PayloadSweep } from "#store/payload-sweep.ts";
import type { RetentionByType } from "#store/retention.ts";
import { StreamStore } from "#store/stream-store.ts";
import type { SubjectKeysOptions } from "#store/subject-keys.ts";
import { createSqsOperationQueue, type OperationQueue, parseOperationMessage } from "./queue.ts";
import { createQueuePublisher } from "./queue-publisher.ts";
import { type ReplayTarget, targetArn } from "./targets.ts";
import { createOperationWorker, type OperationWorker } from "./worker.ts";

export interface OperationWorkerConfig {
  tableName: string;
  /** The store's topic: redrives and replays without a target publish there. */
  topicArn: string;
  /** The queue that drives the worker: each step queues the next one there. */
  operationsQueueUrl: string;
  /** Replay targets the stack allows besides its topic (ARNs, a trailing `*` a prefix). Default: none. */
  allowedReplayTargets?: readonly string[];
  /** The message body of what is published (default `go`), as the change feed's. */
  notificationBody?: "go" | "full";
  /**
   * The store's topic's `MaximumMessageSize` (the stack option `largeNotifications`), for what goes to that topic.
   * Replay targets keep SNS's and SQS's default, 256 KiB: their limits are their owners'. Default: 256 KiB.
   */
  notificationMaxBytes?: number | undefined;
  /** Client settings; empty in AWS. */
  dynamoDb?: AwsClientConfig;
  sns?: AwsClientConfig;
  /** For the operation queue and queue targets. */
  sqs?: AwsClientConfig;
  /** Where counters and failures go. Default: nowhere but failures to stderr (local mode, tests). */
  observability?: Observability;
  /** Events a step reads at most (default 500). */
  eventsPerStep?: number;
  /** Partitions of the listing index per stream type (the stack option `listingShards`). Default: 4. */
  listingShards?: number | undefined;
  /**
   * The bucket of large payloads (its S3 client settings empty in AWS), for the hourly sweep and the events a step
   * reads. Absent: the sweep does nothing.
   */
  payloads?: (PayloadObjectsConfig & { thresholdBytes?: number | undefined }) | undefined;
  /** The subject keys of personal data (store/subject-keys.ts). Absent: personal data is refused, and reads as erased. */
  subjectKeys?: SubjectKeysOptions | undefined;
  /** Each stream type's retention (the stack option `retention`), for the hourly retention sweep. */
  retention?: RetentionByType | undefined;
}

/**
 * What the schedule sends the worker every hour: sweep the payload bucket and keep streams within their retention.
 * (Stacks deployed before the retention sweep send `"payloads"`: it does the same.)
 */
export interface SweepEvent {
  sweep: "hourly" | "payloads";
}

/** What an hourly sweep did. */
export interface HourlySweep {
  payloads: PayloadSweep;
  /** Streams the retention sweep looked at, and the removal operations of the truncations it made. */
  retention: { streams: number; truncated: number; left: number };
}

export function isSweepEvent(event: unknown): event is SweepEvent {
  const sweep = (event as Partial<SweepEvent> | undefined)?.sweep;
  return sweep === "hourly" || sweep === "payloads";
}

/** The store the worker reads and keeps operations in, with the payload bucket when it has one. */
function configuredStore(config: OperationWorkerConfig): StreamStore {
  return new StreamStore({
    client: createDocumentClient(config.dynamoDb),
    tableName: config.tableName,
    listingShards: config.listingShards,
    subjectKeys: config.subjectKeys,
    retention: config.retention,
    payloads: config.payloads && {
      objects: s3PayloadObjects(config.payloads),
      thresholdBytes: config.payloads.thresholdBytes,
    },
  });
}

/** The worker itself, for a caller that has the messages already (tests, the bench). */
export function createConfiguredOperationWorker(
  config: OperationWorkerConfig,
  store: StreamStore = configuredStore(config),
  queue: OperationQueue = createSqsOperationQueue(config.sqs ?? {}, config.operationsQueueUrl),
): OperationWorker {
  const observability = config.observability ?? quietObservability;
  const body = config.notificationBody ?? "go";
  const sns = createSnsClient(config.sns);
  const sqs = new SQSClient(clientSettings(config.sqs ?? {}));
  // A target in another region needs a client of that region (none in local mode: the endpoint is given).
  const snsClients = new Map<string, ReturnType<typeof createSnsClient>>();
  const snsFor = (region: string | undefined) => {
    if (config.sns?.endpoint || !region) return sns;
    const client = snsClients.get(region) ?? createSnsClient({ ...config.sns, region });
    snsClients.set(region, client);
    return client;
  };
  const publisherFor = (target: ReplayTarget): Publish =>
    "queueUrl" in target
      ? createQueuePublisher({ sqs, queueUrl: target.queueUrl, body })
      : createSnsPublisher({
          sns: snsFor(targetArn(target)?.split(":")[3]),
          topicArn: target.topicArn,
          body,
          ...(target.topicArn === config.topicArn ? { maxMessageBytes: config.notificationMaxBytes } : {}),
        });
  return createOperationWorker({
    store,
    publishToTopic: createSnsPublisher({
      sns,
      topicArn: config.topicArn,
      body,
      maxMessageBytes: config.notificationMaxBytes,
      observability,
    }),
    publisherFor,
    queue,
    allowedReplayTargets: config.allowedReplayTargets ?? [],
    observability,
    ...(config.eventsPerStep !== undefined ? { eventsPerStep: config.eventsPerStep } : {}),
  });
}

/**
 * The SQS handler (ReportBatchItemFailures): the messages of a batch are handled side by side (each is a step of
 * its own operation, or a tick); one that fails is reported by its messageId and comes back after the queue's
 * visibility timeout. A message that is no operation message is logged and dropped. A sweep event runs the payload
 * sweep and answers what it did; a sweep that fails throws (Lambda retries the schedule's asynchronous invocation).
 */
export function createOperationWorkerHandler(config: OperationWorkerConfig): {
  (event: SQSEvent, context?: Context): Promise<SQSBatchResponse>;
  (event: SweepEvent, context?: Context): Promise<HourlySweep>;
} {
  const observability = config.observability ?? quietObservability;
  const store = configuredStore(config);
  // One queue client for the steps and the sweep's removals.
  const queue = createSqsOperationQueue(config.sqs ?? {}, config.operationsQueueUrl);
  const worker = createConfiguredOperationWorker({ ...config, observability }, store, queue);
  const sweep = async (): Promise<HourlySweep> => {
    const swept = await store.sweepPayloads();
    observability.count("PayloadsSwept", swept.deleted);
    if (swept.deleted > 0) {
      // Only an append that died between its put and its write, or an upload never appended, leaves these.
      observability.warn("payload sweep: deleted objects no event names", { ...swept });
    }
    const retained = await store.sweepRetention();
    // The truncations hide at once; their removals run as operations (a refused message: the tick resumes them).
    await Promise.all(
      retained.operations.map((operation) => queue.enqueue({ operationId: operation.id }).catch(() => {})),
    );
    observability.count("RetentionTruncations", retained.operations.length);
    if (retained.left > 0) {
      observability.warn("retention sweep: out of time, streams left for the next hour", { left: retained.left });
    }
    const { streams, left } = retained;
    return { payloads: swept, retention: { streams, truncated: retained.operations.length, left } };
  };
  const handle = observeInvocations(observability, async (event: SQSEvent | SweepEvent) => {
    if (isSweepEvent(event)) return sweep();
    const outcomes = await Promise.all(
      event.Records.map(async (record) => {
        const message = parseOperationMessage(record.body);
        if (!message) {
          observability.error("not an operation message: dropped", { messageId: record.messageId });
          return undefined;
        }
        try {
          await worker.handle(message);
          return undefined;
        } catch (error) {
          observability.warn("operation message failed: it comes back", { messageId: record.messageId, error });
          return record.messageId;
        }
      }),
    );
    const failed = outcomes.filter((messageId): messageId is string => messageId !== undefined);
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
  return handle as ReturnType<typeof createOperationWorkerHandler>;
}
