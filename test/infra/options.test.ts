// Options of the EventStore construct beyond the defaults: reserved concurrency of the API, a KMS key for the topic,
// the notification body. (replayTargets: replay-targets.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Duration } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { NotificationBody } from "#lib/index.ts";
import { environmentVariables, retentionFromEnvironment } from "#shared/environment.ts";
import { actionsOf, resourceId, roleStatements, storeUnderTest } from "./support.ts";

describe("apiReservedConcurrency", () => {
  it("reserves nothing by default, for neither function", () => {
    storeUnderTest().template.allResourcesProperties("AWS::Lambda::Function", {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it("reserves (and caps) the API function's concurrency, and only the API's", () => {
    const { template } = storeUnderTest({ apiReservedConcurrency: 50 });
    const functions = template.toJSON().Resources;
    const api = functions[resourceId(template, "AWS::Lambda::Function", "StoreApiFunction")];
    const changeFeed = functions[resourceId(template, "AWS::Lambda::Function", "StoreChangeFeedFunction")];
    assert.equal(api.Properties.ReservedConcurrentExecutions, 50);
    assert.equal(changeFeed.Properties.ReservedConcurrentExecutions, undefined);
  });

  it("refuses a number that is not a whole number of at least 1", () => {
    for (const wrong of [0, -1, 2.5, Number.NaN]) {
      assert.throws(() => storeUnderTest({ apiReservedConcurrency: wrong }), /apiReservedConcurrency must be/);
    }
  });
});

describe("changeFeedBatchSize", () => {
  it("sizes the change feed's event source batches (and so the global feed's batches): 1000 unless given", () => {
    storeUnderTest().template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { BatchSize: 1000 });
    const { template } = storeUnderTest({ changeFeedBatchSize: 250 });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { BatchSize: 250 });
  });

  it("refuses more than a feed item can hold (5,000), and what is not a whole number of at least 1", () => {
    for (const wrong of [0, 2.5, 5001, 10_000]) {
      assert.throws(() => storeUnderTest({ changeFeedBatchSize: wrong }), /changeFeedBatchSize must be/);
    }
  });
});

describe("listingShards", () => {
  const functionNames = ["StoreApiFunction", "StoreChangeFeedFunction", "StoreOperationsWorkerFunction"];
  const environmentOf = (template: ReturnType<typeof storeUnderTest>["template"], name: string) =>
    template.toJSON().Resources[resourceId(template, "AWS::Lambda::Function", name)].Properties.Environment.Variables;

  it("leaves the functions on the store's default (4) unless given", () => {
    const { template } = storeUnderTest();
    for (const name of functionNames) {
      assert.equal(environmentOf(template, name)[environmentVariables.listingShards], undefined, name);
    }
  });

  it("gives the API, the change feed and the operation worker the same shard count", () => {
    const { template } = storeUnderTest({ listingShards: 16 });
    for (const name of functionNames) {
      assert.equal(environmentOf(template, name)[environmentVariables.listingShards], "16", name);
    }
  });

  it("refuses a count that is not a whole number from 1 to 32", () => {
    for (const wrong of [0, 33, 2.5, Number.NaN]) {
      assert.throws(
        () => storeUnderTest({ listingShards: wrong }),
        /listingShards must be a whole number from 1 to 32/,
      );
    }
  });
});

describe("retention", () => {
  const environmentOf = (template: ReturnType<typeof storeUnderTest>["template"], name: string) =>
    template.toJSON().Resources[resourceId(template, "AWS::Lambda::Function", name)].Properties.Environment.Variables;

  it("gives the API and the operation worker each type's limits as the store reads them; none by default", () => {
    const { template } = storeUnderTest({
      retention: { order: { maxAge: Duration.days(30), maxCount: 1000 }, audit: { maxAge: Duration.hours(1) } },
    });
    for (const name of ["StoreApiFunction", "StoreOperationsWorkerFunction"]) {
      const value = environmentOf(template, name)[environmentVariables.retention];
      assert.deepEqual(retentionFromEnvironment({ [environmentVariables.retention]: value }), {
        order: { maxAge: 2_592_000, maxCount: 1000 },
        audit: { maxAge: 3600 },
      });
    }
    assert.equal(environmentOf(template, "StoreChangeFeedFunction")[environmentVariables.retention], undefined);
    const plain = storeUnderTest().template;
    assert.equal(environmentOf(plain, "StoreApiFunction")[environmentVariables.retention], undefined);
  });

  it("refuses a stream type that is none, a maxAge under a second or fractional, a maxCount under 1", () => {
    const cases: [Record<string, { maxAge?: Duration; maxCount?: number }>, RegExp][] = [
      [{ "no spaces": { maxCount: 1 } }, /"no spaces" is not a stream type/],
      [
        { order: { maxAge: Duration.millis(500) } },
        /retention of order: maxAge must be a whole number of s, m, h or d/,
      ],
      [{ order: { maxCount: 0 } }, /retention of order: maxCount must be a whole number of at least 1/],
      [{ order: { maxCount: 2.5 } }, /retention of order: maxCount must be a whole number of at least 1/],
    ];
    for (const [retention, message] of cases) assert.throws(() => storeUnderTest({ retention }), message);
  });
});

describe("topicEncryptionKey", () => {
  it("leaves the topic without server-side encryption by default", () => {
    storeUnderTest().template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.absent() });
  });

  it("encrypts the topic with the key and lets the change feed (only) use the key to publish", () => {
    const { template } = storeUnderTest((stack) => ({
      topicEncryptionKey: new Key(stack, "TopicKey", { enableKeyRotation: true }),
    }));
    const keyArn = { "Fn::GetAtt": [resourceId(template, "AWS::KMS::Key", "TopicKey"), "Arn"] };
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: keyArn });
    const onKey = (rolePrefix: string) =>
      roleStatements(template, rolePrefix)
        .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn))
        .flatMap(actionsOf)
        .sort();
    assert.deepEqual(onKey("StoreChangeFeedRole"), ["kms:Decrypt", "kms:GenerateDataKey*"]);
    assert.deepEqual(onKey("StoreApiRole"), []);
  });

  it("lets SNS use the key of a KMS-encrypted queue that subscribeQueue subscribes", () => {
    const { template } = storeUnderTest(
      (stack) => ({ topicEncryptionKey: new Key(stack, "TopicKey", { enableKeyRotation: true }) }),
      (store, stack) => {
        const queueKey = new Key(stack, "QueueKey", { enableKeyRotation: true });
        const queue = new Queue(stack, "Orders", { encryption: QueueEncryption.KMS, encryptionMasterKey: queueKey });
        store.subscribeQueue(queue, { streamTypes: ["order"] });
      },
    );
    template.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          }),
        ]),
      },
    });
  });
});

describe("notificationBody", () => {
  const bodyOf = (template: ReturnType<typeof storeUnderTest>["template"], prefix: string) =>
    template.toJSON().Resources[resourceId(template, "AWS::Lambda::Function", prefix)].Properties.Environment.Variables[
      environmentVariables.notificationBody
    ];

  it("is the Go project's body by default, and full when asked, for the change feed and the worker", () => {
    for (const [props, expected] of [
      [{}, "go"],
      [{ notificationBody: "full" }, "full"],
    ] as const) {
      const { template } = storeUnderTest(props);
      assert.equal(bodyOf(template, "StoreChangeFeedFunction"), expected);
      assert.equal(bodyOf(template, "StoreOperationsWorkerFunction"), expected);
      assert.equal(bodyOf(template, "StoreApiFunction"), undefined);
    }
  });

  it("refuses anything but go and full", () => {
    assert.throws(
      () => storeUnderTest({ notificationBody: "payload" as NotificationBody }),
      /notificationBody must be "go" or "full"/,
    );
  });
});
