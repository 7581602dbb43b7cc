// The replayTargets option: the worker may send to the queues, topics and ARN prefixes it names and to nothing else,
// and both the API and the worker learn them from ALLOWED_REPLAY_TARGETS.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Aws, type Stack } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { EventStoreProps } from "#lib/index.ts";
import { environmentVariables } from "#shared/environment.ts";
import { actionsOf, resourceId, roleStatements, type Statement, storeUnderTest } from "./support.ts";

const account = "123456789012";
const importedQueueArn = `arn:aws:sqs:eu-west-1:${account}:read-model`;
const importedTopicArn = `arn:aws:sns:eu-west-1:${account}:projections`;

function allowedTargetsOf(props: (stack: Stack) => EventStoreProps) {
  const { template } = storeUnderTest(props);
  const variablesOf = (prefix: string) =>
    template.toJSON().Resources[resourceId(template, "AWS::Lambda::Function", prefix)].Properties.Environment.Variables;
  return {
    template,
    api: variablesOf("StoreApiFunction")[environmentVariables.allowedReplayTargets],
    worker: variablesOf("StoreOperationsWorkerFunction")[environmentVariables.allowedReplayTargets],
  };
}

/** The (action, resource) pairs of the worker's role for sqs:SendMessage and sns:Publish, resources as JSON. */
function sendGrants(statements: Statement[]): string[] {
  return statements
    .filter((s) => s.Effect === "Allow")
    .flatMap((s) =>
      actionsOf(s)
        .filter((action) => action === "sqs:SendMessage" || action === "sns:Publish")
        .flatMap((action) =>
          (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => `${action} ${JSON.stringify(r)}`),
        ),
    )
    .sort();
}

describe("replayTargets", () => {
  it("allows no target but the store's topic by default", () => {
    const { api, worker, template } = allowedTargetsOf(() => ({}));
    assert.equal(api, "[]");
    assert.equal(worker, "[]");
    const topic = { Ref: resourceId(template, "AWS::SNS::Topic", "StoreTopic") };
    const queue = { "Fn::GetAtt": [resourceId(template, "AWS::SQS::Queue", "StoreOperationsQueue"), "Arn"] };
    assert.deepEqual(sendGrants(roleStatements(template, "StoreOperationsWorkerRole")), [
      `sns:Publish ${JSON.stringify(topic)}`,
      `sqs:SendMessage ${JSON.stringify(queue)}`,
    ]);
  });

  it("lists the queues, topics and prefixes (ending in *) for the API and the worker alike", () => {
    const { api, worker } = allowedTargetsOf((stack) => ({
      replayTargets: {
        queues: [Queue.fromQueueArn(stack, "ReadModel", importedQueueArn)],
        topics: [Topic.fromTopicArn(stack, "Projections", importedTopicArn)],
        arnPrefixes: [`arn:aws:sqs:eu-west-1:${account}:rm-`, `arn:aws:sns:eu-west-1:${account}:team-*`],
      },
    }));
    assert.deepEqual(JSON.parse(api), [
      importedQueueArn,
      importedTopicArn,
      `arn:aws:sqs:eu-west-1:${account}:rm-*`,
      `arn:aws:sns:eu-west-1:${account}:team-*`,
    ]);
    assert.equal(worker, api);
  });

  it("lets the worker, and not the API, send to exactly those targets", () => {
    const { template } = storeUnderTest((stack) => ({
      replayTargets: {
        queues: [new Queue(stack, "ReadModel", { encryption: QueueEncryption.SQS_MANAGED })],
        topics: [Topic.fromTopicArn(stack, "Projections", importedTopicArn)],
        arnPrefixes: [
          `arn:aws:sqs:eu-west-1:${account}:rm-`,
          `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:t-`,
        ],
      },
    }));
    const readModelArn = { "Fn::GetAtt": [resourceId(template, "AWS::SQS::Queue", "ReadModel"), "Arn"] };
    const grants = sendGrants(roleStatements(template, "StoreOperationsWorkerRole"));
    for (const expected of [
      `sqs:SendMessage ${JSON.stringify(readModelArn)}`,
      `sns:Publish ${JSON.stringify(importedTopicArn)}`,
      `sqs:SendMessage ${JSON.stringify(`arn:aws:sqs:eu-west-1:${account}:rm-*`)}`,
      `sns:Publish ${JSON.stringify({
        "Fn::Join": [
          "",
          ["arn:", { Ref: "AWS::Partition" }, ":sns:", { Ref: "AWS::Region" }, ":", { Ref: "AWS::AccountId" }, ":t-*"],
        ],
      })}`,
    ]) {
      assert.ok(grants.includes(expected), `${expected} in ${grants.join("\n")}`);
    }
    // Besides those: the store's topic and the operations queue.
    assert.equal(grants.length, 6);
    const api = sendGrants(roleStatements(template, "StoreApiRole"));
    assert.equal(api.length, 1);
    assert.match(api[0] as string, /^sqs:SendMessage .*StoreOperationsQueue/);
  });

  it("lets the worker use the KMS key of an encrypted target queue to send to it", () => {
    const { template } = storeUnderTest((stack) => ({
      replayTargets: {
        queues: [
          new Queue(stack, "Sealed", {
            encryption: QueueEncryption.KMS,
            encryptionMasterKey: new Key(stack, "QueueKey", { enableKeyRotation: true }),
          }),
        ],
      },
    }));
    const keyArn = { "Fn::GetAtt": [resourceId(template, "AWS::KMS::Key", "QueueKey"), "Arn"] };
    const onKey = roleStatements(template, "StoreOperationsWorkerRole")
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn))
      .flatMap(actionsOf)
      .sort();
    assert.deepEqual(onKey, ["kms:Decrypt", "kms:GenerateDataKey"]);
  });

  it("refuses a prefix that does not name sqs or sns, a region and an account, or that holds a wildcard", () => {
    for (const prefix of [
      "arn:aws:sqs:",
      "arn:aws:sqs:eu-west-1:",
      `arn:aws:s3:eu-west-1:${account}:bucket`,
      `arn:aws:sqs::${account}:rm-`,
      "arn:aws:sqs:eu-west-1:*:rm-",
      `arn:aws:sqs:eu-west-1:${account}:rm-*-x`,
      `arn:aws:sqs:eu-west-1:${account}:rm-?`,
      `arn:aws:sns:eu-west-1:${account}:topic:subscription`,
    ]) {
      assert.throws(
        () => storeUnderTest({ replayTargets: { arnPrefixes: [prefix] } }),
        /replayTargets.arnPrefixes: .* is not arn:/,
        prefix,
      );
    }
  });
});
