// The EventStore's alarms: what each watches, when it goes off, and whom it tells.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Duration } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { Topic } from "aws-cdk-lib/aws-sns";
import { operationsServiceName } from "#lib/operations.ts";
import { metricsNamespace } from "#shared/observability.ts";
import { resourceId, storeUnderTest } from "./support.ts";

const defaults = storeUnderTest();
const { template } = defaults;
const dlqId = resourceId(template, "AWS::SQS::Queue", "StoreChangeFeedDeadLetters");
const apiId = resourceId(template, "AWS::Lambda::Function", "StoreApiFunction");
const changeFeedId = resourceId(template, "AWS::Lambda::Function", "StoreChangeFeedFunction");
const workerId = resourceId(template, "AWS::Lambda::Function", "StoreOperationsWorkerFunction");
const operationsDlqId = resourceId(template, "AWS::SQS::Queue", "StoreOperationsDeadLetters");
const alarmCount = 10;

const alarmOn = (metricName: string, dimension: unknown) =>
  template.hasResourceProperties("AWS::CloudWatch::Alarm", {
    MetricName: metricName,
    Dimensions: [dimension],
    Threshold: 1,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
  });

describe("alarms", () => {
  it("watch dead letters of the change feed and the operations, iterator age, and errors and throttles", () => {
    for (const id of [dlqId, operationsDlqId]) {
      alarmOn("ApproximateNumberOfMessagesVisible", { Name: "QueueName", Value: { "Fn::GetAtt": [id, "QueueName"] } });
    }
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "IteratorAge",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: changeFeedId } }],
      Statistic: "Maximum",
      Threshold: 5 * 60 * 1000,
    });
    for (const id of [apiId, changeFeedId]) {
      alarmOn("Errors", { Name: "FunctionName", Value: { Ref: id } });
      alarmOn("Throttles", { Name: "FunctionName", Value: { Ref: id } });
    }
    alarmOn("Errors", { Name: "FunctionName", Value: { Ref: workerId } });
    template.resourceCountIs("AWS::CloudWatch::Alarm", alarmCount);
    assert.equal(defaults.store.alarms.length, alarmCount);
  });

  it("go off on any 5xx answer of the function URL (Url5xxCount of its $LATEST resource)", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Url5xxCount",
      Dimensions: Match.arrayEquals([
        { Name: "FunctionName", Value: { Ref: apiId } },
        { Name: "Resource", Value: { "Fn::Join": ["", [{ Ref: apiId }, ":$LATEST"]] } },
      ]),
      Statistic: "Sum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmDescription: Match.stringLikeRegexp("requestId"),
    });
  });

  it("go off when a notification has waited for a redrive longer than 5 minutes, or the redrive stops reporting", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: metricsNamespace,
      MetricName: "OldestUndeliveredAgeSeconds",
      // The dimensions Powertools gives the worker's metrics (lambdas/shared/powertools.ts).
      Dimensions: Match.arrayEquals([
        { Name: "FunctionName", Value: { Ref: workerId } },
        { Name: "service", Value: operationsServiceName },
      ]),
      Statistic: "Maximum",
      Period: 300,
      Threshold: 300,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "breaching",
    });
  });

  it("have no actions unless an alarm topic is given, and then all notify it", () => {
    template.allResourcesProperties("AWS::CloudWatch::Alarm", { AlarmActions: Match.absent() });
    const alarmed = storeUnderTest((stack) => ({ alarmTopic: new Topic(stack, "Alarms") })).template;
    const alarmTopicId = resourceId(alarmed, "AWS::SNS::Topic", "Alarms");
    alarmed.resourceCountIs("AWS::CloudWatch::Alarm", alarmCount);
    alarmed.allResourcesProperties("AWS::CloudWatch::Alarm", { AlarmActions: [{ Ref: alarmTopicId }] });
  });

  it("take the iterator-age threshold from the props", () => {
    const custom = storeUnderTest({ iteratorAgeAlarmThreshold: Duration.seconds(30) }).template;
    custom.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "IteratorAge", Threshold: 30_000 });
  });
});
