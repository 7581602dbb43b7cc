/**
 * The asynchronous operations of SPEC section 5 (replays and the redrive of undelivered notifications): the SQS queue
 * that drives them, its dead-letter queue, the worker function it triggers, and the schedule that sends the
 * redrive's tick every minute. Each message is one bounded step; the worker checkpoints in the table and queues the
 * next step, so a crash or a redelivery resumes from the last checkpoint.
 */
import { Duration, Stack } from "aws-cdk-lib";
import type { TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { environmentVariables } from "../lambdas/shared/environment.ts";
import { createDeadLetterQueue } from "./dead-letter-queue.ts";
import { EventStoreFunction, type EventStoreFunctionProps } from "./event-store-function.ts";
import type { NotificationBody, ReplayTargets } from "./event-store-props.ts";
import { allowTableActions } from "./event-table.ts";
import { grantPublishTo } from "./notification-topic.ts";
import { allowedReplayTargets, grantReplayTargets } from "./replay-targets.ts";

/** The `service` dimension of the worker's metrics (its `lambda.ts` passes it to Powertools); the alarms use it. */
export const operationsServiceName = "event-store-operations";

/** The longest step; the queue hides a message for six times that, as AWS advises for SQS event sources. */
const workerTimeout = Duration.seconds(60);

/** Receives of one message before it goes to the dead-letter queue: a step that fails five times is stuck. */
const maxReceiveCount = 5;

export interface OperationsProps {
  readonly table: TableV2;
  /** The store's topic: the default target of replays and the target of redrives. */
  readonly topic: ITopic;
  readonly replayTargets?: ReplayTargets | undefined;
  readonly notificationBody: NotificationBody;
  readonly logRetention: EventStoreFunctionProps["logRetention"];
  readonly logRemovalPolicy: EventStoreFunctionProps["logRemovalPolicy"];
}

/** The operations queue, its dead-letter queue, the worker and the redrive schedule. */
export class Operations extends Construct {
  /** The queue of operation steps and redrive ticks; the API and the worker send to it, the worker reads it. */
  readonly queue: Queue;
  /** Steps that failed `maxReceiveCount` times. */
  readonly deadLetterQueue: Queue;
  /** The operation worker. */
  readonly workerFunction: LambdaFunction;
  /** The worker's execution role. */
  readonly workerRole: IRole;
  /** Every minute: `{"tick":"redrive"}` to the queue, so undelivered notifications are redriven by themselves. */
  readonly redriveSchedule: Rule;
  /** `ALLOWED_REPLAY_TARGETS`: a JSON array of the ARNs (and prefixes ending in `*`) a replay may send to. */
  readonly allowedReplayTargets: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.allowedReplayTargets = Stack.of(this).toJsonString(allowedReplayTargets(props.replayTargets));
    this.deadLetterQueue = createDeadLetterQueue(
      this,
      "DeadLetters",
      `of the operations queue: steps that failed ${maxReceiveCount} receives`,
    );
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * workerTimeout.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    const worker = new EventStoreFunction(this, "Worker", {
      handler: "operations",
      description: "Event store operation worker (replays and redrives driven by SQS, the hourly payload sweep)",
      memorySize: 512,
      timeout: workerTimeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        [environmentVariables.tableName]: props.table.tableName,
        [environmentVariables.topicArn]: props.topic.topicArn,
        ...this.enqueueEnvironment(),
        [environmentVariables.notificationBody]: props.notificationBody,
      },
    });
    this.workerFunction = worker.function;
    this.workerRole = worker.role;
    allowTableActions(worker.role, props.table, {
      sid: "ReadEventsKeepOperationsAndUndelivered",
      // Query: events, operations, undelivered ranges; Put: operation checkpoints; Delete: redriven ranges;
      // BatchGet: the payload sweep's strongly consistent reads of the events payload objects belong to; BatchWrite:
      // removals (deletes and truncations) deleting hidden events a page at a time; Get: a stream's settings (what a
      // delete or truncation hid), which replays' reads apply; Update: the settings of a truncation the hourly
      // retention sweep makes (in its transaction).
      actions: [
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
      ],
      queryIndexes: true,
    });
    grantPublishTo(props.topic, worker.role);
    grantReplayTargets(worker.role, props.replayTargets);
    this.grantEnqueue(worker.role);
    this.workerFunction.addEventSource(
      new SqsEventSource(this.queue, {
        // One step per invocation: a step is bounded to fit the timeout, and fails or succeeds alone.
        batchSize: 1,
        reportBatchItemFailures: true,
      }),
    );

    this.redriveSchedule = new Rule(this, "RedriveSchedule", {
      description: "Redrives undelivered event store notifications: a tick to the operations queue every minute",
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new SqsQueue(this.queue, { message: RuleTargetInput.fromObject({ tick: "redrive" }) })],
    });
  }

  /** What a function that starts operations reads: the queue's URL and the allowed replay targets. */
  enqueueEnvironment(): Record<string, string> {
    return {
      [environmentVariables.operationsQueueUrl]: this.queue.queueUrl,
      [environmentVariables.allowedReplayTargets]: this.allowedReplayTargets,
    };
  }

  /** Lets `role` send messages (operation steps) to the operations queue, and nothing else on it. */
  grantEnqueue(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ sid: "EnqueueOperations", actions: ["sqs:SendMessage"], resources: [this.queue.queueArn] }),
    );
  }
}
