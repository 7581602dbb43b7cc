/**
 * The EventStore construct: the event table, the HTTP API function behind a function URL, the change feed
 * from the table's stream to an SNS topic, its dead-letter queue, and the alarms. Use it in any CDK app:
 * `new EventStore(this, "Store", { fifoTopic: true })`.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import {
  type Attribute,
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableV2,
} from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import {
  FilterCriteria,
  type FunctionUrl,
  FunctionUrlAuthType,
  type FunctionUrlCorsOptions,
  StartingPosition,
} from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { FifoThroughputScope, type ITopic, type Subscription, SubscriptionFilter, Topic } from "aws-cdk-lib/aws-sns";
import { SqsSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { environmentVariables } from "#shared/environment.ts";
import { streamTypePattern } from "#store/model.ts";
import { type KeyAttribute, tableDefinition } from "#store/table.ts";
import { EventStoreFunction } from "./event-store-function.ts";

/** The message attribute the change feed sets on every notification, and the one subscriptions filter on. */
export const streamTypeMessageAttribute = "streamType";

export interface EventStoreProps {
  /**
   * What CloudFormation does with the table (and the functions' log groups) when they leave the stack.
   * Set `RemovalPolicy.DESTROY` for throwaway development stacks, together with `deletionProtection: false`.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the table: nobody can delete it, not even CloudFormation, until it is
   * turned off. Turn it off for development stacks you mean to delete.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Make the function URL public (`authType: NONE`): anybody on the internet who knows the URL can read
   * and append events. Only for demos or when something in front of it authenticates callers.
   * @default false - the URL uses `AWS_IAM` auth: callers sign requests with SigV4 (service `lambda`) and need
   * `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the API function; this construct grants nobody.
   */
  readonly publicUrl?: boolean;
  /**
   * CORS settings of the function URL, for browser callers.
   * @default - no CORS headers: browsers on other origins cannot call the API
   */
  readonly cors?: FunctionUrlCorsOptions;
  /**
   * Make the notification topic FIFO: notifications of one stream arrive in revision order (message group =
   * stream id, deduplication id = `streamId:revision`, content-based deduplication off). Subscribers must then be
   * FIFO queues. Changing this replaces the topic and drops its subscriptions.
   * @default false - a standard topic
   */
  readonly fifoTopic?: boolean;
  /**
   * Topic the alarms notify when they go off.
   * @default - the alarms have no action; watch them in the CloudWatch console
   */
  readonly alarmTopic?: ITopic;
  /**
   * How long the functions' log groups keep log events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Memory of the API function in MB. CPU, and so cold-start and JSON work, scales with it.
   * @default 1024
   */
  readonly apiMemorySize?: number;
  /**
   * Timeout of the API function. Function URLs wait for the function, so keep it short.
   * @default Duration.seconds(10)
   */
  readonly apiTimeout?: Duration;
  /**
   * Memory of the change-feed function in MB.
   * @default 512
   */
  readonly changeFeedMemorySize?: number;
  /**
   * Largest number of stream records in one invocation of the change feed.
   * @default 100
   */
  readonly changeFeedBatchSize?: number;
  /**
   * How often a failing batch is retried before its records go to the dead-letter queue. Bisecting a failing
   * batch does not count against it.
   * @default 10
   */
  readonly changeFeedRetryAttempts?: number;
  /**
   * Records older than this are not retried but sent to the dead-letter queue. The stream keeps records 24 hours.
   * @default Duration.hours(6)
   */
  readonly changeFeedMaxRecordAge?: Duration;
  /**
   * The iterator-age alarm goes off when the change feed's oldest unprocessed record is older than this.
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeAlarmThreshold?: Duration;
  /**
   * Active X-Ray tracing on both functions.
   * @default true
   */
  readonly tracing?: boolean;
}

/** Options of {@link EventStore.subscribeQueue}. */
export interface SubscribeQueueOptions {
  /** The stream types whose notifications the queue receives (1 to 150 names). */
  readonly streamTypes: string[];
  /**
   * Deliver the notification body as the SQS message body, with `streamType` and `eventType` as SQS message
   * attributes. With `false` the body is SNS's JSON envelope (`Message`, `MessageAttributes`, `TopicArn`, …).
   * @default false
   */
  readonly rawMessageDelivery?: boolean;
  /**
   * Queue for notifications SNS cannot deliver to the subscribed queue (for example when its policy or key
   * changed).
   * @default - undeliverable notifications are dropped after SNS's retries
   */
  readonly deadLetterQueue?: IQueue;
}

/** An event store: DynamoDB table, HTTP API on a Lambda function URL, change feed to SNS. */
export class EventStore extends Construct {
  /** The event table (streams, events, stream summaries). */
  readonly table: TableV2;
  /** The topic with one notification per appended event, message attributes `streamType` and `eventType`. */
  readonly topic: Topic;
  /** The HTTP API function. */
  readonly apiFunction: NodejsFunction;
  /** The function that turns the table's stream into notifications and keeps the stream listing. */
  readonly changeFeedFunction: NodejsFunction;
  /** The function URL of the API. Grant callers with `functionUrl.grantInvokeUrl(principal)`. */
  readonly functionUrl: FunctionUrl;
  /** The URL of the API, ending in `/`. */
  readonly url: string;
  /** Where the change feed sends the coordinates of stream records it gave up on (not the records). */
  readonly deadLetterQueue: Queue;
  /** Dead letters, iterator age, and errors and throttles of both functions. */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const functionDefaults = {
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      logRemovalPolicy: removalPolicy,
      tracing: props.tracing ?? true,
    };

    this.table = createTable(this, removalPolicy, props.deletionProtection ?? true);
    this.topic = createTopic(this, props.fifoTopic ?? false);

    const api = new EventStoreFunction(this, "Api", {
      ...functionDefaults,
      entry: "lambdas/api/lambda.ts",
      description: "Event store HTTP API (function URL)",
      memorySize: props.apiMemorySize ?? 1024,
      timeout: props.apiTimeout ?? Duration.seconds(10),
      environment: { [environmentVariables.tableName]: this.table.tableName },
    });
    this.apiFunction = api.function;
    const { listingIndex } = tableDefinition;
    api.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "ReadAndAppendEvents",
        // TransactWriteItems is authorized per item by PutItem, UpdateItem and ConditionCheckItem.
        actions: [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:ConditionCheckItem",
        ],
        resources: [this.table.tableArn],
      }),
    );
    api.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "QueryListingIndex",
        actions: ["dynamodb:Query"],
        resources: [`${this.table.tableArn}/index/${listingIndex.name}`],
      }),
    );
    this.functionUrl = this.apiFunction.addFunctionUrl({
      authType: props.publicUrl ? FunctionUrlAuthType.NONE : FunctionUrlAuthType.AWS_IAM,
      cors: props.cors,
    });
    this.url = this.functionUrl.url;

    this.deadLetterQueue = new Queue(this, "ChangeFeedDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter destination (on-failure destination) of the change feed's event source mapping.",
    });

    const changeFeed = new EventStoreFunction(this, "ChangeFeed", {
      ...functionDefaults,
      entry: "lambdas/change-feed/lambda.ts",
      description: "Event store change feed (DynamoDB stream to SNS)",
      memorySize: props.changeFeedMemorySize ?? 512,
      timeout: Duration.seconds(60),
      environment: {
        [environmentVariables.tableName]: this.table.tableName,
        [environmentVariables.topicArn]: this.topic.topicArn,
      },
    });
    this.changeFeedFunction = changeFeed.function;
    changeFeed.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "KeepStreamSummaries",
        actions: ["dynamodb:UpdateItem"],
        resources: [this.table.tableArn],
      }),
    );
    this.topic.grantPublish(changeFeed.role);
    this.changeFeedFunction.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.changeFeedBatchSize ?? 100,
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

    this.createAlarms(props);
  }

  /**
   * Subscribe an SQS queue to the notifications of some stream types: an SNS subscription with a filter policy
   * on the `streamType` message attribute, and a statement in the queue's policy that lets this topic (and only
   * it) send to the queue. A FIFO topic needs a FIFO queue, a standard topic a standard queue.
   */
  subscribeQueue(queue: IQueue, options: SubscribeQueueOptions): Subscription {
    const { streamTypes } = options;
    if (streamTypes.length === 0 || streamTypes.length > 150) {
      throw new Error(`subscribeQueue needs 1 to 150 stream types, got ${streamTypes.length}`);
    }
    const invalid = streamTypes.filter((type) => !streamTypePattern.test(type));
    if (invalid.length > 0) throw new Error(`subscribeQueue: not a stream type: ${invalid.join(", ")}`);
    if (queue.fifo !== this.topic.fifo) {
      throw new Error(
        `subscribeQueue: a ${this.topic.fifo ? "FIFO" : "standard"} topic needs a ${this.topic.fifo ? "FIFO" : "standard"} queue`,
      );
    }
    return this.topic.addSubscription(
      new SqsSubscription(queue, {
        rawMessageDelivery: options.rawMessageDelivery ?? false,
        deadLetterQueue: options.deadLetterQueue,
        filterPolicy: {
          [streamTypeMessageAttribute]: SubscriptionFilter.stringFilter({ allowlist: [...new Set(streamTypes)] }),
        },
      }),
    );
  }

  private createAlarms(props: EventStoreProps): void {
    const period = Duration.minutes(5);
    const iteratorAge = props.iteratorAgeAlarmThreshold ?? Duration.minutes(5);
    const watched: Array<[id: string, metric: IMetric, threshold: number, description: string]> = [
      [
        "DeadLettersAlarm",
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
        1,
        "The change feed gave up on stream records, so their events were not notified. The dead-letter queue holds their stream coordinates.",
      ],
      [
        "IteratorAgeAlarm",
        this.changeFeedFunction.metric("IteratorAge", { period, statistic: "Maximum" }),
        iteratorAge.toMilliseconds(),
        `The change feed is more than ${iteratorAge.toHumanString()} behind the table.`,
      ],
      ["ApiErrorsAlarm", this.apiFunction.metricErrors({ period }), 1, "The API function failed invocations."],
      ["ApiThrottlesAlarm", this.apiFunction.metricThrottles({ period }), 1, "The API function was throttled."],
      [
        "ChangeFeedErrorsAlarm",
        this.changeFeedFunction.metricErrors({ period }),
        1,
        "The change-feed function failed invocations; Lambda retries them.",
      ],
      [
        "ChangeFeedThrottlesAlarm",
        this.changeFeedFunction.metricThrottles({ period }),
        1,
        "The change-feed function was throttled.",
      ],
    ];
    for (const [id, metric, threshold, description] of watched) {
      const alarm = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
      this.alarms.push(alarm);
    }
  }
}

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === "S" ? AttributeType.STRING : AttributeType.NUMBER };
}

/** The table, built only from the shared table definition. */
function createTable(scope: Construct, removalPolicy: RemovalPolicy, deletionProtection: boolean): TableV2 {
  const { partitionKey, sortKey, listingIndex, timeToLiveAttribute, streamViewType } = tableDefinition;
  return new TableV2(scope, "Table", {
    partitionKey: attribute(partitionKey),
    sortKey: attribute(sortKey),
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection,
    removalPolicy,
    timeToLiveAttribute,
    dynamoStream: StreamViewType[streamViewType],
    globalSecondaryIndexes: [
      {
        indexName: listingIndex.name,
        partitionKey: attribute(listingIndex.partitionKey),
        sortKey: attribute(listingIndex.sortKey),
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: [...listingIndex.nonKeyAttributes],
      },
    ],
  });
}

function createTopic(scope: Construct, fifo: boolean): Topic {
  return new Topic(scope, "Topic", {
    enforceSSL: true,
    signatureVersion: "2",
    ...(fifo && {
      fifo: true,
      // The publisher sets MessageDeduplicationId = streamId:revision; two events with equal bodies stay two.
      contentBasedDeduplication: false,
      // Message group = stream id: FIFO throughput is per stream, not per topic.
      fifoThroughputScope: FifoThroughputScope.MESSAGE_GROUP,
    }),
  });
}
