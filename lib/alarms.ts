/** The event store's alarms: what an operator is told about, and when. */
import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { EventStoreProps } from "./event-store-props.ts";

export interface AlarmedParts {
  apiFunction: IFunction;
  changeFeedFunction: IFunction;
  deadLetterQueue: IQueue;
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
 * Alarms on the API's 5xx answers, dead letters, iterator age, and errors and throttles of both functions; they
 * notify `alarmTopic`.
 */
export function createAlarms(scope: Construct, parts: AlarmedParts, props: EventStoreProps): Alarm[] {
  const period = Duration.minutes(5);
  const iteratorAge = props.iteratorAgeAlarmThreshold ?? Duration.minutes(5);
  const watched: Array<[id: string, metric: IMetric, threshold: number, description: string]> = [
    [
      "ApiServerErrorsAlarm",
      functionUrl5xx(parts.apiFunction, period),
      1,
      "The API answered 5xx: a 500 (its error is in the API function's log under the answer's requestId), a 503 because DynamoDB throttled or did not answer, or the function failed or timed out.",
    ],
    [
      "DeadLettersAlarm",
      parts.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
      1,
      "The change feed gave up on stream records, so their events were not notified. The dead-letter queue holds their stream coordinates.",
    ],
    [
      "IteratorAgeAlarm",
      parts.changeFeedFunction.metric("IteratorAge", { period, statistic: "Maximum" }),
      iteratorAge.toMilliseconds(),
      `The change feed is more than ${iteratorAge.toHumanString()} behind the table.`,
    ],
    ["ApiErrorsAlarm", parts.apiFunction.metricErrors({ period }), 1, "The API function failed invocations."],
    ["ApiThrottlesAlarm", parts.apiFunction.metricThrottles({ period }), 1, "The API function was throttled."],
    [
      "ChangeFeedErrorsAlarm",
      parts.changeFeedFunction.metricErrors({ period }),
      1,
      "The change-feed function failed invocations; Lambda retries them.",
    ],
    [
      "ChangeFeedThrottlesAlarm",
      parts.changeFeedFunction.metricThrottles({ period }),
      1,
      "The change-feed function was throttled.",
    ],
  ];
  const alarms: Alarm[] = [];
  for (const [id, metric, threshold, description] of watched) {
    const alarm = new Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
    alarms.push(alarm);
  }
  return alarms;
}
