// cdk-nag's AwsSolutions checks: no finding may stay unacknowledged, and every acknowledgment says why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Aws, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { EventStoreStack } from "#lib/event-store-stack.ts";
import type { EventStoreProps } from "#lib/index.ts";
import { testApp } from "./support.ts";

interface Variant {
  readonly name: string;
  readonly props?: (stack: Stack) => EventStoreProps;
  readonly subscribe?: boolean;
}

const variants: Variant[] = [
  { name: "the default stack" },
  {
    name: "a public URL with CORS",
    props: () => ({ authType: FunctionUrlAuthType.NONE, cors: { allowedOrigins: ["*"] } }),
  },
  {
    name: "a FIFO topic, alarm topic and deletable table",
    props: (stack) => ({
      fifoTopic: true,
      alarmTopic: new Topic(stack, "Alarms", { enforceSSL: true }),
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    }),
  },
  {
    name: "a KMS-encrypted topic and reserved API concurrency",
    props: (stack) => ({
      topicEncryptionKey: new Key(stack, "TopicKey", { enableKeyRotation: true }),
      apiReservedConcurrency: 20,
    }),
  },
  { name: "a subscribed queue", subscribe: true },
  {
    name: "a subscribed queue on a topic of large notifications",
    props: () => ({ largeNotifications: true, notificationBody: "full" }),
    subscribe: true,
  },
  {
    name: "replay targets (a KMS-encrypted queue and topic, literal and token ARN prefixes) and full notifications",
    props: (stack) => ({
      notificationBody: "full",
      topicEncryptionKey: new Key(stack, "StoreTopicKey", { enableKeyRotation: true }),
      replayTargets: {
        queues: [
          new Queue(stack, "ReadModel", {
            encryption: QueueEncryption.KMS,
            encryptionMasterKey: new Key(stack, "ReadModelKey", { enableKeyRotation: true }),
            enforceSSL: true,
            deadLetterQueue: {
              queue: Queue.fromQueueArn(stack, "ReadModelDeadLetters", "arn:aws:sqs:eu-west-1:123456789012:dlq"),
              maxReceiveCount: 5,
            },
          }),
        ],
        topics: [
          new Topic(stack, "Projections", {
            enforceSSL: true,
            masterKey: new Key(stack, "ProjectionsKey", { enableKeyRotation: true }),
          }),
        ],
        arnPrefixes: [
          "arn:aws:sqs:eu-west-1:123456789012:read-model-",
          `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:projections-`,
        ],
      },
    }),
  },
];

/** The acknowledged finding of the grants on every object of the payload bucket (lib/payload-bucket.ts). */
const payloadObjectsWildcard = "AwsSolutions-IAM5[Resource::<EventStorePayloads90A813FC.Arn>/*]";

function build(variant: Variant) {
  const app = testApp();
  // The props factory needs a scope before the stack exists: a scratch stack holds what the props refer to.
  const shared = new Stack(app, "Shared");
  const stack = new EventStoreStack(app, "EventStore-test", { stage: "test", eventStore: variant.props?.(shared) });
  if (variant.subscribe) {
    const deadLetters = new Queue(stack, "ReadModelDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({ id: "AwsSolutions-SQS3", reason: "It is the dead-letter queue." });
    const queue = new Queue(stack, "ReadModel", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    stack.eventStore.subscribeQueue(queue, { streamTypes: ["order"] });
  }
  return app;
}

/** Every acknowledgment recorded under `scope`: construct path, rule id and reason. */
function acknowledgments(scope: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe("cdk-nag AwsSolutions", () => {
  for (const variant of variants) {
    it(`finds nothing unacknowledged in ${variant.name}`, () => {
      const app = build(variant);
      const report = new AwsSolutionsChecks(app).validateScope(app);
      const findings = report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.templatePath).join(", ")}: ${violation.description}`,
      );
      assert.deepEqual(findings, []);
      assert.equal(report.success, true);
    });
  }

  it("would report a finding that is not acknowledged", () => {
    const app = testApp();
    new Queue(new Stack(app, "Careless"), "PlainQueue");
    const report = new AwsSolutionsChecks(app).validateScope(app);
    assert.deepEqual(report.violations.map((violation) => violation.ruleName).sort(), [
      "AwsSolutions-SQS3",
      "AwsSolutions-SQS4",
    ]);
  });

  it("acknowledges only the dead-letter queues' SQS3, the payload bucket's S1 and its objects' wildcard, and the subject keys table's missing backups (DDB3) by default, with a reason", () => {
    const app = build(variants[0] as Variant);
    const found = acknowledgments(app.node.findChild("EventStore-test"));
    assert.deepEqual(found.map(({ path, id }) => `${path} ${id}`).sort(), [
      `EventStore-test/EventStore/Api/Role Annotation::${payloadObjectsWildcard}`,
      "EventStore-test/EventStore/ChangeFeedDeadLetters Annotation::AwsSolutions-SQS3",
      "EventStore-test/EventStore/Operations/DeadLetters Annotation::AwsSolutions-SQS3",
      `EventStore-test/EventStore/Operations/Worker/Role Annotation::${payloadObjectsWildcard}`,
      "EventStore-test/EventStore/Payloads Annotation::AwsSolutions-S1",
      "EventStore-test/EventStore/SubjectKeys/Table Annotation::AwsSolutions-DDB3",
    ]);
    for (const { reason } of found) assert.ok(reason.length >= 40, `a reason that explains: ${reason}`);
  });

  it("acknowledges each replay target prefix and the topic keys' wildcard on the roles that hold them", () => {
    const app = build(variants.at(-1) as Variant);
    const found = acknowledgments(app.node.findChild("EventStore-test")).filter(({ id }) => id.includes("IAM5"));
    assert.deepEqual([...new Set(found.map(({ path, id }) => `${path} ${id}`))].sort(), [
      `EventStore-test/EventStore/Api/Role Annotation::${payloadObjectsWildcard}`,
      "EventStore-test/EventStore/ChangeFeed/Role Annotation::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      "EventStore-test/EventStore/Operations/Worker/Role Annotation::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      `EventStore-test/EventStore/Operations/Worker/Role Annotation::${payloadObjectsWildcard}`,
      "EventStore-test/EventStore/Operations/Worker/Role Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:projections-*]",
      "EventStore-test/EventStore/Operations/Worker/Role Annotation::AwsSolutions-IAM5[Resource::arn:aws:sqs:eu-west-1:123456789012:read-model-*]",
    ]);
    for (const { reason } of found) assert.ok(reason.length >= 40, `a reason that explains: ${reason}`);
  });
});
