/**
 * The EventStore construct: the event table, the HTTP API function behind a function URL, the change feed
 * from the table's stream to an SNS topic, its dead-letter queue, and the alarms. Use it in any CDK app:
 * `new EventStore(this, "Store", { fifoTopic: true })`.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import type { Alarm } from "aws-cdk-lib/aws-cloudwatch";
import type { TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { FilterCriteria, type FunctionUrl, FunctionUrlAuthType, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { type Subscription, SubscriptionFilter, type Topic } from "aws-cdk-lib/aws-sns";
import { SqsSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { streamTypePattern } from "#api/schema.ts";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { environmentVariables } from "#shared/environment.ts";
import { tableDefinition } from "#store/table.ts";
import { createAlarms } from "./alarms.ts";
import { EventStoreFunction } from "./event-store-function.ts";
import type { EventStoreProps, SubscribeQueueOptions } from "./event-store-props.ts";
import { createTable } from "./event-table.ts";
import { createTopic, streamTypeMessageAttribute } from "./notification-topic.ts";

export type { EventStoreProps, SubscribeQueueOptions } from "./event-store-props.ts";
export { streamTypeMessageAttribute } from "./notification-topic.ts";

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
  /** The API's 5xx answers, dead letters, iterator age, and errors and throttles of both functions. */
  readonly alarms: Alarm[] = [];

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

    this.table = createTable(this, removalPolicy, props.deletionProtection ?? true);
    this.topic = createTopic(this, props.fifoTopic ?? false, props.topicEncryptionKey);

    const api = new EventStoreFunction(this, "Api", {
      ...functionDefaults,
      entry: "lambdas/api/lambda.ts",
      description: "Event store HTTP API (function URL)",
      memorySize: props.apiMemorySize ?? 1024,
      timeout: props.apiTimeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: apiReservedConcurrency,
      environment: { [environmentVariables.tableName]: this.table.tableName },
    });
    this.apiFunction = api.function;
    const { listingIndex } = tableDefinition;
    api.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "ReadAndAppendEvents",
        // Exactly what the store sends from the API (test/infra/least-privilege.test.ts reads the code): Query, Put
        // and TransactWriteItems, which is authorized per item, and its items are all puts.
        actions: ["dynamodb:Query", "dynamodb:PutItem"],
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
    if (props.topicEncryptionKey) {
      Validations.of(changeFeed.role).acknowledge({
        id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        reason:
          "Publishing to a KMS-encrypted SNS topic takes kms:GenerateDataKey* and kms:Decrypt on its key, as AWS documents for SNS publishers; granted on that one key only.",
      });
    }
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

    this.alarms.push(
      ...createAlarms(
        this,
        {
          apiFunction: this.apiFunction,
          changeFeedFunction: this.changeFeedFunction,
          deadLetterQueue: this.deadLetterQueue,
        },
        props,
      ),
    );
  }

  /**
   * Subscribe an SQS queue to the notifications of some stream types: an SNS subscription with a filter policy
   * on the `streamType` message attribute, and a statement in the queue's policy that lets this topic (and only
   * it) send to the queue. A FIFO topic needs a FIFO queue, a standard topic a standard queue. A queue encrypted
   * with a KMS key of this app also gets a statement in that key's policy that lets SNS use it for this topic.
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
}
