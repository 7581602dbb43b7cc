/**
 * Local mode, composed once: the table (from the stack's own definition) in a running DynamoDB Local, the local
 * SNS/SQS endpoint with the notification topic and the change-feed handler driven by the stream poller (these two
 * on a worker thread, change-feed/thread.ts, so that the API's event loop serves requests only), the API handler,
 * and the operation worker driven by the operations poller on a local SQS queue (with the redrive timer, and the
 * payload sweep at start and hourly when there is a payload bucket)
 * — each handler built by the same factory its Lambda entry calls, with configuration passed in (never through
 * `process.env`) — and the console's routes (local/console/). `npm start`, the bench and the tests all start local
 * mode through `composeLocalMode`.
 */
import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createApiHandler } from "#api/handler.ts";
import { createOperationWorkerHandler, type SweepEvent } from "#operations/handler.ts";
import { createSqsOperationQueue } from "#operations/queue.ts";
import type { AwsClientConfig } from "#shared/aws-clients.ts";
import { localKeyWrapper } from "#store/key-wrapping.ts";
import type { RetentionByType } from "#store/retention.ts";
import type { SubjectKeysOptions } from "#store/subject-keys.ts";
import { type LocalClientTimeouts, localAwsClientConfig, localClientWithTimeouts } from "./aws-local.ts";
import { startChangeFeedThread } from "./change-feed/thread.ts";
import { createConsole } from "./console/serve.ts";
import type { FunctionUrlHandler, LocalRoutes } from "./http-server.ts";
import type { LocalNotifications } from "./notifications.ts";
import {
  ensureOperationsQueue,
  type OperationsPoller,
  startOperationsPoller,
  startRedriveTimer,
} from "./operations-poller.ts";
import { ensureSubjectKeysTable, ensureTable } from "./table.ts";

export interface LocalModeOptions {
  /** A running DynamoDB Local (see dynamodb-local.ts), or any DynamoDB endpoint. */
  dynamoDbEndpoint: string;
  /**
   * How long the handlers and the poller wait for DynamoDB (passed into the factories' `dynamoDb` config).
   * Default: the functions' own (2 s per attempt, 3 attempts). Tests pass short ones.
   */
  dynamoDbTimeouts?: LocalClientTimeouts;
  /** Created when missing. */
  tableName: string;
  /** Port of the local SNS/SQS endpoint started here; 0 (the default) picks a free one. */
  snsPort?: number;
  /** An SNS/SQS endpoint that runs already: the topic is created there and nothing is started. */
  snsEndpoint?: string;
  /** Keep the change feed's checkpoints in this file across restarts; in memory when absent. */
  checkpointFile?: string;
  /** Told about change-feed failures. Default: one line on stderr. */
  onChangeFeedError?: (error: Error) => void;
  /**
   * Told once when the change feed's worker thread (the poller, the change-feed handler and the local SNS/SQS) dies
   * while local mode runs; the caller should stop local mode. Default: one line on stderr.
   */
  onChangeFeedDied?: (error: Error) => void;
  /** The operation worker (replays and redrives). */
  operations?: LocalOperationsOptions;
  /**
   * The change feed indexes the global feed (SPEC section 10). Default: true. For the bench only, which turns it
   * off to compare the drain rate with and without indexing (bench/drain.ts); local mode without it serves an
   * empty `GET /feed`.
   */
  globalFeed?: boolean;
  /**
   * The bucket of large payloads (SPEC section 12) on a running S3 endpoint (s3-local.ts): given to the API and the
   * worker. Absent: events over DynamoDB's 400 KB are refused, as in a deployment without a bucket.
   */
  payloads?: LocalPayloadsOptions;
  /** Each stream type's retention (`npm start -- --retention …`; store/retention.ts), as the stack option. */
  retention?: RetentionByType | undefined;
  /**
   * The key that wraps the subjects' data keys of personal data (SPEC section 13; local/subject-wrapping-key.ts), in
   * place of the construct's KMS key. Absent: a random key in memory. The keys table, `<tableName>-subject-keys`, is
   * created when missing.
   */
  subjectWrappingKey?: Buffer;
}

export interface LocalPayloadsOptions {
  bucket: string;
  /** The S3 client settings: the local endpoint, a region, its credentials. */
  s3: AwsClientConfig;
  /** Payloads above this many bytes go to the bucket. Default: the store's 350 KB. */
  thresholdBytes?: number;
  /** How often the worker sweeps the bucket, in milliseconds (and once at start). Default: hourly, as in AWS. */
  sweepIntervalMs?: number;
}

export interface LocalOperationsOptions {
  /** How often the redrive timer sends `{tick:"redrive"}`, in milliseconds. Default 10 000. */
  redriveIntervalMs?: number;
  /**
   * The operations queue's visibility timeout, in seconds: how long a failed step's message waits before it comes
   * back, and how long a step may take before its message is handed out again. Default 10.
   */
  visibilityTimeoutSeconds?: number;
  /** Events a step reads at most (the worker's default: 500). */
  eventsPerStep?: number;
  /**
   * How often the worker gets the hourly sweep (payloads and retention), in milliseconds, and once at start. Default:
   * hourly, as in AWS (the payload bucket's `sweepIntervalMs` wins when given).
   */
  sweepIntervalMs?: number;
  /** Told about failures of the operations poller. Default: one line on stderr. */
  onError?: (error: Error) => void;
}

export interface LocalMode {
  /** The API's handler, to serve behind the local function-URL server. */
  api: FunctionUrlHandler;
  /** The console (page, files, live tail of the local topic), to serve as the local server's `localRoutes`. */
  console: LocalRoutes;
  tableName: string;
  /** The local SNS/SQS endpoint and the topic the change feed publishes to. */
  notifications: LocalNotifications;
  /** The local SQS queue that drives the operation worker (on the notifications' endpoint). */
  operationsQueueUrl: string;
  /** Stops the change feed; the API keeps answering (the bench measures it alone this way). */
  stopChangeFeed(): Promise<void>;
  /** Resolves once the change feed has handed on every record written before the call (the bench's drain). */
  changeFeedIdle(): Promise<void>;
  /**
   * Ends the console's tails, stops the redrive timer, the operation worker and the change feed, then the local
   * SNS/SQS (if started here). DynamoDB Local belongs to the caller.
   */
  stop(): Promise<void>;
}

/** Failed deliveries of a change-feed batch before it is reported and skipped, like the stack's bounded retries. */
const changeFeedMaxRetryAttempts = 10;
/**
 * Records per change-feed call: GetRecords' most. The stack's default is 100 (`changeFeedBatchSize`; the event
 * source mapping allows up to 10 000). A backlog then costs one summary write per stream per 1 000 records, not per
 * 100: DynamoDB Local's writes, not reading or publishing, are what limit how fast local mode drains its stream.
 */
const changeFeedBatchSize = 1_000;

export async function composeLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const dynamoDb = { ...localAwsClientConfig(options.dynamoDbEndpoint), ...options.dynamoDbTimeouts };
  const streamArn = await tableStream(dynamoDb.endpoint, options.tableName);
  const changeFeedThread = await startChangeFeedThread(
    {
      tableName: options.tableName,
      streamArn,
      dynamoDb,
      dynamoDbTimeouts: options.dynamoDbTimeouts,
      notifications: options.snsEndpoint ? { endpoint: options.snsEndpoint } : { port: options.snsPort ?? 0 },
      checkpointFile: options.checkpointFile,
      batchSize: changeFeedBatchSize,
      // After this many failures of one batch every further retry is reported (the feed never skips a record).
      maxRetryAttempts: changeFeedMaxRetryAttempts,
      globalFeed: options.globalFeed,
    },
    {
      onChangeFeedError: options.onChangeFeedError ?? ((error) => console.error(`change feed: ${error.message}`)),
      onWorkerDied: options.onChangeFeedDied ?? ((error) => console.error(`change feed: ${error.message}`)),
    },
  );
  const notifications = changeFeedThread.notifications;

  const subjectKeys = await localSubjectKeys(dynamoDb.endpoint, options);
  const operations = await startOperations(options, dynamoDb, notifications, subjectKeys).catch(
    async (error: unknown) => {
      await notifications.stop();
      throw error;
    },
  );
  const api = createApiHandler({
    tableName: options.tableName,
    dynamoDb,
    subjectKeys,
    retention: options.retention,
    // Local mode has no stack to allow replay targets: any local queue or topic will do.
    operations: { queue: operations.queue, allowedReplayTargets: ["*"] },
    payloads: options.payloads && {
      bucket: options.payloads.bucket,
      s3: options.payloads.s3,
      thresholdBytes: options.payloads.thresholdBytes,
    },
  });
  const { stopChangeFeed, changeFeedIdle } = changeFeedThread;
  const consoleRoutes = createConsole(notifications);
  return {
    api,
    console: consoleRoutes,
    tableName: options.tableName,
    notifications,
    operationsQueueUrl: operations.queueUrl,
    stopChangeFeed,
    changeFeedIdle,
    stop: async () => {
      await consoleRoutes.close().catch(() => {});
      await operations.stop().catch(() => {});
      await stopChangeFeed().catch(() => {});
      await notifications.stop().catch(() => {});
    },
  };
}

/**
 * The operation worker as in AWS: a queue (one per table, so that two local modes on one endpoint do not share
 * it), the worker's handler driven by the operations poller, and the redrive timer in place of the schedule.
 */
async function startOperations(
  options: LocalModeOptions,
  dynamoDb: AwsClientConfig,
  notifications: LocalNotifications,
  subjectKeys: SubjectKeysOptions,
) {
  const settings = options.operations ?? {};
  const onError = settings.onError ?? ((error: Error) => console.error(`operations: ${error.message}`));
  const sqsConfig = localAwsClientConfig(notifications.endpoint);
  const sqs = new SQSClient(sqsConfig);
  const queueName = `event-store-operations-${options.tableName.replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 80);
  const { queueUrl, queueArn } = await ensureOperationsQueue(sqs, queueName, settings.visibilityTimeoutSeconds ?? 10);
  const queue = createSqsOperationQueue(sqsConfig, queueUrl);
  const handler = createOperationWorkerHandler({
    tableName: options.tableName,
    topicArn: notifications.topicArn,
    operationsQueueUrl: queueUrl,
    allowedReplayTargets: ["*"],
    dynamoDb,
    sns: sqsConfig,
    sqs: sqsConfig,
    subjectKeys,
    retention: options.retention,
    ...(settings.eventsPerStep !== undefined ? { eventsPerStep: settings.eventsPerStep } : {}),
    payloads: options.payloads && { bucket: options.payloads.bucket, s3: options.payloads.s3 },
  });
  const poller: OperationsPoller = startOperationsPoller({ sqs, queueUrl, queueArn, handler, onError });
  const stopTimer = startRedriveTimer(queue, settings.redriveIntervalMs ?? 10_000, onError);
  const stopSweep = startSweepTimer(
    (event) => handler(event),
    options.payloads?.sweepIntervalMs ?? settings.sweepIntervalMs ?? hourMs,
    onError,
  );
  return {
    queue,
    queueUrl,
    stop: async () => {
      stopTimer();
      await stopSweep();
      await poller.stop();
      sqs.destroy();
    },
  };
}

const hourMs = 60 * 60 * 1000;
/** How long stopping waits for a sweep that is under way; it is safe to cut (the next one finishes its work). */
const sweepStopGraceMs = 2_000;

/**
 * Gives the worker `{"sweep":"hourly"}` now and every `intervalMs`, as the stack's hourly schedule does in AWS.
 * Answers the function that stops it, which waits a little for a sweep under way.
 */
function startSweepTimer(
  handle: (event: SweepEvent) => Promise<unknown>,
  intervalMs: number,
  onError: (error: Error) => void,
): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const sweep = () => {
    if (running) return;
    running = handle({ sweep: "hourly" })
      .catch((error: unknown) => onError(new Error(`hourly sweep: ${(error as Error).message}`)))
      .finally(() => {
        running = undefined;
      });
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    if (!running) return;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((resolve) => (grace = setTimeout(resolve, sweepStopGraceMs)))]);
    clearTimeout(grace);
  };
}

/** The subject keys table (created when missing) and the local key wrapper of personal data. */
async function localSubjectKeys(endpoint: string, options: LocalModeOptions): Promise<SubjectKeysOptions> {
  const tableName = `${options.tableName}-subject-keys`;
  const client = new DynamoDBClient(localClientWithTimeouts(endpoint));
  try {
    await ensureSubjectKeysTable(client, tableName);
  } finally {
    client.destroy();
  }
  return { tableName, wrapper: localKeyWrapper(options.subjectWrappingKey ?? randomBytes(32)) };
}

/** Creates the table when missing; a DynamoDB that does not answer is a one-line error naming its endpoint. */
async function tableStream(endpoint: string, tableName: string): Promise<string> {
  const client = new DynamoDBClient(localClientWithTimeouts(endpoint));
  try {
    return await ensureTable(client, tableName);
  } catch (error) {
    throw new Error(
      `cannot set up table ${tableName} at the DynamoDB endpoint ${endpoint}: ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}
