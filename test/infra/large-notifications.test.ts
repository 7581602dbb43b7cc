// The stack option largeNotifications: the topic's MaximumMessageSize at 1 MiB, the limit passed to what publishes to
// the topic, and a synth check of the subscriptions SNS allows on such a topic.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Subscription, SubscriptionProtocol } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { environmentVariables } from "#shared/environment.ts";
import { resourceId, storeUnderTest } from "./support.ts";

function environmentOf(template: Template, prefix: string): Record<string, unknown> {
  return template.toJSON().Resources[resourceId(template, "AWS::Lambda::Function", prefix)].Properties.Environment
    .Variables;
}

const functions = ["StoreApiFunction", "StoreChangeFeedFunction", "StoreOperationsWorkerFunction"];

function withoutKey(object: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
}

describe("largeNotifications", () => {
  it("is off by default: the topic keeps SNS's default size and no function gets a limit", () => {
    const { template } = storeUnderTest();
    template.hasResourceProperties("AWS::SNS::Topic", { MaximumMessageSize: Match.absent() });
    for (const fn of functions) {
      assert.equal(environmentOf(template, fn)[environmentVariables.notificationMaxBytes], undefined, fn);
    }
  });

  it("sets the topic's MaximumMessageSize to 1 MiB and gives the change feed and the worker the limit", () => {
    const { template } = storeUnderTest({ largeNotifications: true, notificationBody: "full" });
    template.hasResourceProperties("AWS::SNS::Topic", { MaximumMessageSize: 1_048_576 });
    assert.equal(
      environmentOf(template, "StoreChangeFeedFunction")[environmentVariables.notificationMaxBytes],
      "1048576",
    );
    assert.equal(
      environmentOf(template, "StoreOperationsWorkerFunction")[environmentVariables.notificationMaxBytes],
      "1048576",
    );
    assert.equal(environmentOf(template, "StoreApiFunction")[environmentVariables.notificationMaxBytes], undefined);
  });

  it("changes nothing else: no custom resource, no other resource or grant", () => {
    const plain = storeUnderTest().template.toJSON();
    const large = storeUnderTest({ largeNotifications: true }).template.toJSON();
    const resources = large.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    for (const resource of Object.values(resources)) {
      if (resource.Type === "AWS::SNS::Topic") {
        assert.equal(resource.Properties.MaximumMessageSize, 1_048_576);
        resource.Properties = withoutKey(resource.Properties, "MaximumMessageSize");
      }
      if (resource.Type === "AWS::Lambda::Function") {
        const environment = resource.Properties.Environment as { Variables: Record<string, unknown> };
        environment.Variables = withoutKey(environment.Variables, environmentVariables.notificationMaxBytes);
      }
    }
    assert.deepEqual(large, plain);
  });

  it("lets subscribeQueue subscribe a queue (SQS is one of the protocols SNS allows)", () => {
    const { template } = storeUnderTest({ largeNotifications: true }, (store, stack) => {
      store.subscribeQueue(new Queue(stack, "ReadModel", { encryption: QueueEncryption.SQS_MANAGED }));
    });
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "sqs" });
  });

  it("refuses at synth a subscription of the topic that SNS would not deliver large messages to", () => {
    assert.throws(
      () =>
        storeUnderTest({ largeNotifications: true }, (store) => {
          new Subscription(store, "Webhook", {
            topic: store.topic,
            protocol: SubscriptionProtocol.HTTPS,
            endpoint: "https://example.com/hook",
          });
        }),
      /largeNotifications: SNS delivers messages over 256 KiB to sqs, lambda, firehose subscriptions only, not to https/,
    );
    // Without the option the same subscription is fine.
    storeUnderTest(undefined, (store) => {
      new Subscription(store, "Webhook", {
        topic: store.topic,
        protocol: SubscriptionProtocol.HTTPS,
        endpoint: "https://example.com/hook",
      });
    });
  });
});
