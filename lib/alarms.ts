/** The event store's alarms: what an operator is told about, and when. */
import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { type GaugeName, metricsNamespace } from "../lambdas/shared/observability.ts";
import type { EventStoreProps } from "./event-store-props.ts";
import { operationsServiceName } from "./operations.ts";

export interface AlarmedParts {
  apiFunction: IFunction;
  changeFeedFunction: IFunction;
  deadLetterQueue: IQueue;
  operationsWorker: IFunction;
  operationsDeadLetterQueue: IQueue;
}

interface Watched {
  id: string;
  metric: IMetric;
  threshold: number;
  description: string;
  /** Default: at or above the threshold. */
  comparison?: ComparisonOperator;
  /** Default: not breaching (nothing counted, nothing wrong). */
  missingData?: TreatMissingData;
}

/**
 * The function URL's 5xx answers: 500s (logged with their error), the 503s of a throttled or unreachable table, and
 * what Lambda itself answers when the function fails or times out. Lambda publishes it per URL with the dimensions
 * FunctionName and Resource; a URL on the unqualified function is the `$LATEST` resource.
 */
function functionUrl5xx(apiFunction: IFunction, period: Duration): Metric {
  return new Metric({
    namespace: "AWS/Lambda",
    metricName: "Url5xxCount",
    dimensionsMap: { FunctionName: apiFunction.functionName, Resource: `${apiFunction.functionName}:$LATEST` },
    statistic: "Sum",
    period,
  });
}

/**
 * The age in seconds of the oldest undelivered notification, which the worker publishes on every redrive tick (in
 * `metricsNamespace`, with the dimensions Powertools gives the worker's metrics: `service` and `FunctionName`).
 */
function oldestUndeliveredAge(worker: IFunction, period: Duration): Metric {
  return new Metric({
    namespace: metricsNamespace,
    metricName: "OldestUndeliveredAgeSeconds" satisfies GaugeName,
    dimensionsMap: { service: operationsServiceName, FunctionName: worker.functionName },
    statistic: "Maximum",
    period,
  });
}

/**
 * Alarms on the API's 5xx answers, dead letters (change feed and operations), iterator age, notifications left
 * undelivered for more than 5 minutes, and errors and throttles of the functions; they notify `alarmTopic`.
 */
export function createAlarms(scope: Construct, parts: AlarmedParts, props: EventStoreProps): Alarm[] {
  const period = Duration.minutes(5);
  const iteratorAge = props.iteratorAgeAlarmThreshold ?? Duration.minutes(5);
  const undeliveredFor = Duration.minutes(5);
  const watched: Watched[] = [
    {
      id: "ApiServerErrorsAlarm",
      metric: functionUrl5xx(parts.apiFunction, period),
      threshold: 1,
      description:
        "The API answered 5xx: a 500 (its error is in the API function's log under the answer's requestId), a 503 because DynamoDB throttled or did not answer, or the function failed or timed out.",
    },
    {
      id: "DeadLettersAlarm",
      metric: parts.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
      threshold: 1,
      description:
        "The change feed gave up on stream records, so their events were not notified. The dead-letter queue holds their stream coordinates.",
    },
    {
      id: "IteratorAgeAlarm",
      metric: parts.changeFeedFunction.metric("IteratorAge", { period, statistic: "Maximum" }),
      threshold: iteratorAge.toMilliseconds(),
      description: `The change feed is more than ${iteratorAge.toHumanString()} behind the table.`,
    },
    {
      id: "UndeliveredNotificationsAlarm",
      metric: oldestUndeliveredAge(parts.operationsWorker, period),
      threshold: undeliveredFor.toSeconds(),
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // The worker measures on every tick (0 when nothing waits): no value for 5 minutes means no redrive runs.
      missingData: TreatMissingData.BREACHING,
      description: `A notification has been undelivered for more than ${undeliveredFor.toHumanString()} (SNS or a replay target keeps refusing it, and the redrive every minute has not got it through; GET /notifications/undelivered lists what waits, with its cause), or the redrive has not reported for that long (the schedule or the operation worker is broken).`,
    },
    {
      id: "OperationsDeadLettersAlarm",
      metric: parts.operationsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period,
        statistic: "Maximum",
      }),
      threshold: 1,
      description:
        "Messages of the operations queue (steps of replays and redrives, or redrive ticks) failed five receives and were set aside. The redrive tick resumes an operation that stopped; the operation worker's log says why they failed.",
    },
  ];
  const functions: Array<[name: string, fn: IFunction, errors: string, throttles?: string]> = [
    ["Api", parts.apiFunction, "The API function failed invocations.", "The API function was throttled."],
    [
      "ChangeFeed",
      parts.changeFeedFunction,
      "The change-feed function failed invocations; Lambda retries them.",
      "The change-feed function was throttled.",
    ],
    [
      "OperationsWorker",
      parts.operationsWorker,
      "The operation worker failed invocations (crash or timeout); SQS delivers the step again.",
    ],
  ];
  for (const [name, fn, errors, throttles] of functions) {
    watched.push({ id: `${name}ErrorsAlarm`, metric: fn.metricErrors({ period }), threshold: 1, description: errors });
    if (throttles) {
      const metric = fn.metricThrottles({ period });
      watched.push({ id: `${name}ThrottlesAlarm`, metric, threshold: 1, description: throttles });
    }
  }
  const alarms: Alarm[] = [];
  for (const { id, metric, threshold, description, comparison, missingData } of watched) {
    const alarm = new Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: missingData ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
    alarms.push(alarm);
  }
  return alarms;
}
