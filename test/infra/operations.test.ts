// Replays and redrives in AWS: the operations queue and its dead-letter queue, the worker it drives, and the schedule
// that sends the redrive's tick every minute.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { operationsServiceName } from "#lib/operations.ts";
import { resourceId, storeUnderTest } from "./support.ts";

const { template, store } = storeUnderTest();
const resources = template.toJSON().Resources;
const queueId = resourceId(template, "AWS::SQS::Queue", "StoreOperationsQueue");
const dlqId = resourceId(template, "AWS::SQS::Queue", "StoreOperationsDeadLetters");
const workerId = resourceId(template, "AWS::Lambda::Function", "StoreOperationsWorkerFunction");
const ruleId = resourceId(template, "AWS::Events::Rule", "StoreOperationsRedriveSchedule");
const queueArn = { "Fn::GetAtt": [queueId, "Arn"] };

const denyWithoutTls = (id: string) =>
  template.hasResourceProperties("AWS::SQS::QueuePolicy", {
    Queues: [{ Ref: id }],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      ]),
    },
  });

describe("operations queue", () => {
  it("is encrypted, requires TLS, and sets a step aside in its dead-letter queue after 5 receives", () => {
    const queue = resources[queueId].Properties;
    assert.equal(queue.SqsManagedSseEnabled, true);
    assert.deepEqual(queue.RedrivePolicy, {
      deadLetterTargetArn: { "Fn::GetAtt": [dlqId, "Arn"] },
      maxReceiveCount: 5,
    });
    denyWithoutTls(queueId);
  });

  it("hides a message being worked on for at least six times the worker's timeout", () => {
    const { VisibilityTimeout } = resources[queueId].Properties;
    assert.ok(VisibilityTimeout >= 6 * resources[workerId].Properties.Timeout, `${VisibilityTimeout}`);
  });

  it("has an encrypted dead-letter queue that requires TLS and keeps messages 14 days", () => {
    assert.equal(resources[dlqId].Properties.SqsManagedSseEnabled, true);
    assert.equal(resources[dlqId].Properties.MessageRetentionPeriod, 14 * 24 * 3600);
    denyWithoutTls(dlqId);
  });
});

describe("operation worker", () => {
  it("has 512 MB and at most 60 seconds per step, and is the construct's operations.workerFunction", () => {
    const worker = resources[workerId].Properties;
    assert.equal(worker.MemorySize, 512);
    assert.equal(worker.Timeout, 60);
    assert.equal(store.operations.workerFunction.node.path, "Test/Store/Operations/Worker/Function");
  });

  it("takes one message per invocation from the operations queue and reports failed items", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: queueArn,
      FunctionName: { Ref: workerId },
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("publishes its metrics under the service name the undelivered alarm watches", (t) => {
    const entry = readFileSync(new URL("../../lambdas/operations/lambda.ts", import.meta.url), "utf8");
    if (!entry.includes("powertoolsObservability")) {
      t.skip("the worker's entry does not publish metrics yet");
      return;
    }
    const names = [...entry.matchAll(/serviceName:\s*"([^"]+)"/g)].map((match) => match[1]);
    assert.deepEqual(names, [operationsServiceName]);
  });
});

describe("redrive schedule", () => {
  it('sends {"tick":"redrive"} to the operations queue every minute', () => {
    const rule = resources[ruleId].Properties;
    assert.equal(rule.ScheduleExpression, "rate(1 minute)");
    assert.equal(rule.State, "ENABLED");
    assert.deepEqual(rule.Targets, [{ Arn: queueArn, Id: "Target0", Input: JSON.stringify({ tick: "redrive" }) }]);
  });

  it("may send to the operations queue, and only this rule of EventBridge may", () => {
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: Match.arrayWith(["sqs:SendMessage"]),
            Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [ruleId, "Arn"] } } },
          }),
        ]),
      },
    });
  });
});
