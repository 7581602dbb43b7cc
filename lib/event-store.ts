/**
 * The EventStore construct: the event table, the HTTP API function behind a function URL, the change feed
 * from the table's stream to an SNS topic, its dead-letter queue, the operations (replays and redrives: queue,
 * worker, schedule; operations.ts), the bucket of large payloads with its hourly sweep (payload-bucket.ts), and the
 * alarms. Use it in any CDK app:
 * `new EventStore(this, "Store", { fifoTopic: true })`.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { Alarm } from "aws-cdk-lib/aws-cloudwatch";
import type { TableV2 } from "aws-cdk-lib/aws-dynamodb";
import type { Rule } from "aws-cdk-lib/aws-events";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import {
  type Alias,
  FilterCriteria,
  type FunctionUrl,
  FunctionUrlAuthType,
  type Function as LambdaFunction,
  StartingPosition,
} from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import { type Subscription, SubscriptionFilter, type Topic } from "aws-cdk-lib/aws-sns";
import { SqsSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue, Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { changeFeedFilterPattern } from "../lambdas/change-feed/filter.ts";
import { environmentVariables } from "../lambdas/shared/environment.ts";
import { streamTypePattern } from "../lambdas/shared/stream-type.ts";
import { formatRetentionByType, parseRetentionByType } from "../lambdas/store/retention.ts";
import { checkListingShards } from "../lambdas/store/table.ts";
import { adminAliasName, createAdminUrl } from "./admin-url.ts";
import { createAlarms } from "./alarms.ts";
import { createDeadLetterQueue } from "./dead-letter-queue.ts";
import { EventStoreFunction } from "./event-store-function.ts";
import type { EventStoreProps, StreamTypeRetention, SubscribeQueueOptions } from "./event-store-props.ts";
import { allowTableActions, createTable } from "./event-table.ts";
import { allowLargeNotifications, largeNotificationBytes } from "./large-notifications.ts";
import {
  createTopic,
  eventTypeMessageAttribute,
  grantPublishTo,
  streamTypeMessageAttribute,
} from "./notification-topic.ts";
import { Operations } from "./operations.ts";
import {
  createPayloadBucket,
  createSweepSchedule,
  defaultLargePayloadThresholdBytes,
  grantPayloadObjects,
} from "./payload-bucket.ts";
import { SubjectKeys } from "./subject-keys.ts";

/** An event store: DynamoDB table, HTTP API on a Lambda function URL, change feed to SNS, replays and redrives. */
export class EventStore extends Construct {
  /** The event table (streams, events, stream summaries). */
  readonly table: TableV2;
  /** The topic with one notification per appended event, message attributes `streamType` and `eventType`. */
  readonly topic: Topic;
  /** The HTTP API function. */
  readonly apiFunction: LambdaFunction;
  /** The function that turns the table's stream into notifications and keeps the stream listing. */
  readonly changeFeedFunction: LambdaFunction;
  /** The function URL of the API. Grant callers with {@link grantAppend} and {@link grantRead}. */
  readonly functionUrl: FunctionUrl;
  /** The URL of the API, ending in `/` (a token until deployed; the stack also outputs it). */
  readonly apiUrl: string;
  /**
   * The admin URL (`AWS_IAM`), the only way in to the endpoints that remove data: grant callers with
   * {@link grantAdmin}. The same API, on the API function's alias `admin` (lib/admin-url.ts).
   */
  readonly adminUrl: string;
  /** The API function's alias behind {@link adminUrl}. */
  readonly adminAlias: Alias;
  /** Where the change feed sends the coordinates of stream records it gave up on (not the records). */
  readonly deadLetterQueue: Queue;
  /** Replays and redrives: the operations queue, its dead-letter queue, the worker and the redrive schedule. */
  readonly operations: Operations;
  /** Payloads over `largePayloadThresholdBytes`, uploads and large snapshots (SPEC section 12). */
  readonly payloadBucket: Bucket;
  /** Every hour: the operations worker sweeps the payload bucket of objects no event names. */
  readonly payloadSweepSchedule: Rule;
  /** Personal data (SPEC section 13): the subject keys table and the KMS key that wraps its data keys. */
  readonly subjectKeys: SubjectKeys;
  /** The alarms of docs/deploy.md: 5xx answers, dead letters, lag, undelivered notifications, errors, throttles. */
  readonly alarms: Alarm[] = [];
  /** The principals grantAdmin named: the only callers the API lets delete and truncate streams. */

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const functionDefaults = {
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      logRemovalPolicy: removalPolicy,
    };
    const { apiReservedConcurrency } = props;
    if (
      apiReservedConcurrency !== undefined &&
      !(Number.isInteger(apiReservedConcurrency) && apiReservedConcurrency >= 1)
    ) {
      throw new Error(`apiReservedConcurrency must be a whole number of at least 1, got ${apiReservedConcurrency}`);
    }

    const changeFeedBatchSize = props.changeFeedBatchSize ?? 1000;
    if (!(Number.isInteger(changeFeedBatchSize) && changeFeedBatchSize >= 1 && changeFeedBatchSize <= 5000)) {
      // One invocation's events make one item of the global feed (about 40 bytes each): 5,000 stay well within
      // DynamoDB's 400 KB item limit.
      throw new Error(`changeFeedBatchSize must be a whole number from 1 to 5000, got ${changeFeedBatchSize}`);
    }

    // Checked here, at synth, rather than by the functions at their first start.
    const listingShards = props.listingShards === undefined ? undefined : checkListingShards(props.listingShards);

    const payloadThresholdBytes = props.largePayloadThresholdBytes ?? defaultLargePayloadThresholdBytes;
    if (
      !(Number.isInteger(payloadThresholdBytes) && payloadThresholdBytes >= 1024 && payloadThresholdBytes <= 389_120)
    ) {
      // Below 1 KB every small event would cost an S3 request; above 380 KB an event item with its metadata and
      // attributes may no longer fit in DynamoDB's 400 KB.
      throw new Error(
        `largePayloadThresholdBytes must be a whole number from 1024 (1 KB) to 389120 (380 KB), got ${payloadThresholdBytes}`,
      );
    }

    this.table = createTable(this, removalPolicy, props.deletionProtection ?? true);
    this.payloadBucket = createPayloadBucket(this, {
      removalPolicy,
      browserOrigins: props.cors ? (props.cors.allowedOrigins ?? ["*"]) : undefined,
    });
    this.topic = createTopic(this, props.fifoTopic ?? false, props.topicEncryptionKey);
    if (props.largeNotifications) allowLargeNotifications(this.topic);
    // What publishes to the topic must know how large a message it takes (unset: SNS's default).
    const topicEnvironment: Record<string, string> = props.largeNotifications
      ? { [environmentVariables.notificationMaxBytes]: String(largeNotificationBytes) }
      : {};

    const notificationBody = props.notificationBody ?? "go";
    if (notificationBody !== "go" && notificationBody !== "full") {
      throw new Error(`notificationBody must be "go" or "full", got ${JSON.stringify(notificationBody)}`);
    }
    this.operations = new Operations(this, "Operations", {
      ...functionDefaults,
      table: this.table,
      topic: this.topic,
      replayTargets: props.replayTargets,
      notificationBody,
    });
    const worker = this.operations.workerFunction;
    worker.addEnvironment(environmentVariables.payloadBucket, this.payloadBucket.bucketName);
    for (const [name, value] of Object.entries(topicEnvironment)) worker.addEnvironment(name, value);
    // The worker's code reaches every method of the payload objects (sdk-calls.ts cannot tell it only lists and
    // deletes): it gets the same grants as the API.
    grantPayloadObjects(this.operations.workerRole, this.payloadBucket);
    this.payloadSweepSchedule = createSweepSchedule(this, worker);

    const api = new EventStoreFunction(this, "Api", {
      ...functionDefaults,
      handler: "api",
      description: "Event store HTTP API (function URL)",
      memorySize: props.apiMemorySize ?? 1024,
      // A read of the global feed may wait up to 20 s for new events (GET /feed?wait-seconds=20).
      timeout: props.apiTimeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: apiReservedConcurrency,
      environment: {
        [environmentVariables.tableName]: this.table.tableName,
        ...this.operations.enqueueEnvironment(),
        [environmentVariables.payloadBucket]: this.payloadBucket.bucketName,
        [environmentVariables.payloadThresholdBytes]: String(payloadThresholdBytes),
      },
    });
    this.apiFunction = api.function;
    grantPayloadObjects(api.role, this.payloadBucket);
    allowTableActions(api.role, this.table, {
      sid: "ReadAndAppendEvents",
      // Query, Put and TransactWriteItems, which is authorized per item: puts (events, idempotency records,
      // operations, DCB tag entries), updates of DCB tag heads and condition checks (multi-stream appends' checked
      // streams, DCB conditions); UpdateItem alone: a DCB read's seal. GetItem and BatchGetItem: the global feed's
      // head and its events' payloads, DCB tag heads.
      actions: [
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
      ],
      queryIndexes: true,
    });
    this.operations.grantEnqueue(api.role);
    this.functionUrl = this.apiFunction.addFunctionUrl({ authType: urlAuthType(props), cors: props.cors });
    this.apiUrl = this.functionUrl.url;
    const admin = createAdminUrl(this, this.apiFunction, props.cors);
    this.adminAlias = admin.alias;
    this.adminUrl = admin.url.url;
    this.apiFunction.addEnvironment(environmentVariables.adminAlias, adminAliasName);

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      "ChangeFeedDeadLetters",
      "(on-failure destination) of the change feed's event source mapping",
    );

    const changeFeed = new EventStoreFunction(this, "ChangeFeed", {
      ...functionDefaults,
      handler: "change-feed",
      description: "Event store change feed (DynamoDB stream to the global feed and SNS)",
      memorySize: props.changeFeedMemorySize ?? 512,
      timeout: Duration.seconds(60),
      environment: {
        [environmentVariables.tableName]: this.table.tableName,
        [environmentVariables.topicArn]: this.topic.topicArn,
        [environmentVariables.notificationBody]: notificationBody,
        ...topicEnvironment,
      },
    });
    this.changeFeedFunction = changeFeed.function;
    if (props.retention && Object.keys(props.retention).length > 0) {
      // The API hides and writes expiries by it; the worker's retention sweep keeps maxCount.
      const retention = retentionEnvironment(props.retention);
      for (const fn of [this.apiFunction, this.operations.workerFunction]) {
        fn.addEnvironment(environmentVariables.retention, retention);
      }
    }
    if (listingShards !== undefined) {
      // Every function that lists streams or keeps their summaries must split the listing the same way.
      for (const fn of [this.apiFunction, this.changeFeedFunction, this.operations.workerFunction]) {
        fn.addEnvironment(environmentVariables.listingShards, String(listingShards));
      }
    }
    allowTableActions(changeFeed.role, this.table, {
      sid: "KeepSummariesFeedAndUndelivered",
      // Update: stream summaries and the feed's head; Put and Query: undelivered notifications of a stream (on the
      // table, by stream) and the feed's batches; Get: the feed's head and a batch a dead writer left.
      actions: ["dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:GetItem"],
      queryIndexes: false,
    });
    grantPublishTo(this.topic, changeFeed.role);
    this.changeFeedFunction.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: changeFeedBatchSize,
        // One poller per shard keeps the records of one stream in order, which FIFO notifications rely on.
        parallelizationFactor: 1,
        filters: [FilterCriteria.filter(changeFeedFilterPattern)],
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: props.changeFeedRetryAttempts ?? 10,
        maxRecordAge: props.changeFeedMaxRecordAge ?? Duration.hours(6),
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );

    this.subjectKeys = new SubjectKeys(this, "SubjectKeys", {
      removalPolicy,
      deletionProtection: props.deletionProtection ?? true,
    });
    this.subjectKeys.grant(this.apiFunction, api.role, true);
    this.subjectKeys.grant(this.changeFeedFunction, changeFeed.role, false);
    this.subjectKeys.grant(worker, this.operations.workerRole, false);

    this.alarms.push(
      ...createAlarms(
        this,
        {
          apiFunction: this.apiFunction,
          changeFeedFunction: this.changeFeedFunction,
          deadLetterQueue: this.deadLetterQueue,
          operationsWorker: this.operations.workerFunction,
          operationsDeadLetterQueue: this.operations.deadLetterQueue,
        },
        props,
      ),
    );
  }

  /**
   * Let `grantee` (a role, user or account) append events: invoke the function URL with SigV4. With a URL of
   * `authType: NONE` nothing needs granting and this adds nothing.
   *
   * A function URL is authorized as a whole, so this grant and {@link grantRead} are the same permission
   * (`lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` via the URL); both exist so that the intent reads in
   * the app, and a grantee of either can call every endpoint but deleting and truncating streams
   * ({@link grantAdmin}).
   */
  grantAppend(grantee: IGrantable): Grant {
    return this.grantInvokeUrl(grantee);
  }

  /** Let `grantee` read streams and events. See {@link grantAppend}: the same permission. */
  grantRead(grantee: IGrantable): Grant {
    return this.grantInvokeUrl(grantee);
  }

  /**
   * Let `grantee` remove data: delete and truncate streams, erase subjects (SPEC section 13), through the admin URL
   * ({@link adminUrl}, always `AWS_IAM`). Those endpoints answer no other URL, and grantAppend and grantRead do not
   * reach this one, so a writer's role cannot delete. Grants nothing else: an admin that also reads or appends needs
   * those grants too (the admin URL serves every endpoint).
   */
  grantAdmin(grantee: IGrantable): Grant {
    return this.adminAlias.grantInvokeUrl(grantee);
  }

  private grantInvokeUrl(grantee: IGrantable): Grant {
    if (this.functionUrl.authType === FunctionUrlAuthType.NONE) return Grant.drop(grantee, "invoke a public URL");
    return this.apiFunction.grantInvokeUrl(grantee);
  }

  /**
   * Subscribe an SQS queue to notifications: an SNS subscription with a filter policy on the `streamType` and
   * `eventType` message attributes, and a statement in the queue's policy that lets this topic (and only it)
   * send to the queue. A FIFO topic needs a FIFO queue, a standard topic a standard queue. A queue encrypted
   * with a KMS key of this app also gets a statement in that key's policy that lets SNS use it for this topic.
   */
  subscribeQueue(queue: IQueue, options: SubscribeQueueOptions = {}): Subscription {
    const streamTypes = distinct(options.streamTypes, "streamTypes");
    const eventTypes = distinct(options.eventTypes, "eventTypes");
    const invalid = (streamTypes ?? []).filter((type) => !streamTypePattern.test(type));
    if (invalid.length > 0) throw new Error(`subscribeQueue: not a stream type: ${invalid.join(", ")}`);
    const combinations = (streamTypes?.length ?? 1) * (eventTypes?.length ?? 1);
    if (combinations > maxFilterCombinations) {
      throw new Error(
        `subscribeQueue: SNS allows at most ${maxFilterCombinations} combinations of filter values, got ${combinations} (stream types × event types); subscribe several queues or fewer types`,
      );
    }
    if (queue.fifo !== this.topic.fifo) {
      throw new Error(
        `subscribeQueue: a ${this.topic.fifo ? "FIFO" : "standard"} topic needs a ${this.topic.fifo ? "FIFO" : "standard"} queue`,
      );
    }
    const filterPolicy: Record<string, SubscriptionFilter> = {};
    if (streamTypes)
      filterPolicy[streamTypeMessageAttribute] = SubscriptionFilter.stringFilter({ allowlist: streamTypes });
    if (eventTypes)
      filterPolicy[eventTypeMessageAttribute] = SubscriptionFilter.stringFilter({ allowlist: eventTypes });
    return this.topic.addSubscription(
      new SqsSubscription(queue, {
        rawMessageDelivery: options.rawMessageDelivery ?? false,
        deadLetterQueue: options.deadLetterQueue,
        filterPolicy: streamTypes || eventTypes ? filterPolicy : undefined,
      }),
    );
  }
}

/** SNS's limit on the values of one filter policy, multiplied across its attributes. */
const maxFilterCombinations = 150;

/** The names without repeats; absent stays absent (no filter), an empty list is a mistake. */
function distinct(names: string[] | undefined, option: string): string[] | undefined {
  if (names === undefined) return undefined;
  if (names.length === 0) throw new Error(`subscribeQueue: ${option} is empty; leave it out to receive every type`);
  return [...new Set(names)];
}

function urlAuthType(props: EventStoreProps): FunctionUrlAuthType {
  if (props.publicUrl !== undefined && props.authType !== undefined) {
    const same = props.publicUrl === (props.authType === FunctionUrlAuthType.NONE);
    if (!same)
      throw new Error(`publicUrl: ${props.publicUrl} contradicts authType: ${props.authType}; give authType only`);
  }
  return props.authType ?? (props.publicUrl ? FunctionUrlAuthType.NONE : FunctionUrlAuthType.AWS_IAM);
}

/**
 * The stack option `retention` written as the functions read it (store/retention.ts), and read back here: the same
 * parser refuses at synth what the functions would refuse at their start.
 */
function retentionEnvironment(byType: Record<string, StreamTypeRetention>): string {
  const text = formatRetentionByType(
    Object.fromEntries(
      Object.entries(byType).map(([streamType, limits]) => [
        streamType,
        { maxAge: limits.maxAge?.toSeconds({ integral: false }), maxCount: limits.maxCount },
      ]),
    ),
  );
  parseRetentionByType(text);
  return text;
}
