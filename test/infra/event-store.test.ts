// The EventStore construct's template, property by property (synth.test.ts checks the assets themselves): the
// table, the functions, the function URL and the change feed. The topic and subscriptions: notifications.test.ts;
// the operations: operations.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { FunctionUrlAuthType, Runtime } from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { changeFeedFilterPattern } from "#change-feed/filter.ts";
import { environmentVariables } from "#shared/environment.ts";
import { attributeDefinitions, tableDefinition } from "#store/table.ts";
import { resourceId, storeUnderTest } from "./support.ts";

const defaults = storeUnderTest();
const { template } = defaults;
const tableId = resourceId(template, "AWS::DynamoDB::GlobalTable", "StoreTable");
const topicId = resourceId(template, "AWS::SNS::Topic", "StoreTopic");
const dlqId = resourceId(template, "AWS::SQS::Queue", "StoreChangeFeedDeadLetters");
const apiId = resourceId(template, "AWS::Lambda::Function", "StoreApiFunction");
const changeFeedId = resourceId(template, "AWS::Lambda::Function", "StoreChangeFeedFunction");
const workerId = resourceId(template, "AWS::Lambda::Function", "StoreOperationsWorkerFunction");

function keySchema(partitionKey: { name: string }, sortKey: { name: string }) {
  return [
    { AttributeName: partitionKey.name, KeyType: "HASH" },
    { AttributeName: sortKey.name, KeyType: "RANGE" },
  ];
}

describe("table", () => {
  const { partitionKey, sortKey, listingIndex, recordsIndex } = tableDefinition;

  it("has the keys and attribute types of the shared table definition, billed on demand", () => {
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: keySchema(partitionKey, sortKey),
      AttributeDefinitions: Match.arrayWith(attributeDefinitions()),
      BillingMode: "PAY_PER_REQUEST",
    });
    const table = template.toJSON().Resources[tableId];
    assert.equal(table.Properties.AttributeDefinitions.length, attributeDefinitions().length);
  });

  it("has the sharded listing index (its non-key attributes) and the records index (all attributes)", () => {
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      GlobalSecondaryIndexes: [
        {
          IndexName: listingIndex.name,
          KeySchema: keySchema(listingIndex.partitionKey, listingIndex.sortKey),
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...listingIndex.nonKeyAttributes] },
        },
        {
          IndexName: recordsIndex.name,
          KeySchema: keySchema(recordsIndex.partitionKey, recordsIndex.sortKey),
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
  });

  it("streams new images and expires items by the TTL attribute", () => {
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      StreamSpecification: { StreamViewType: tableDefinition.streamViewType },
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
    });
  });

  it("has point-in-time recovery and deletion protection, and is retained by default", () => {
    template.hasResource("AWS::DynamoDB::GlobalTable", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      }),
    });
  });

  it("can be made deletable for development stacks, keeping point-in-time recovery", () => {
    const dev = storeUnderTest({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false }).template;
    dev.hasResource("AWS::DynamoDB::GlobalTable", {
      DeletionPolicy: "Delete",
      Properties: Match.objectLike({
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: false,
          }),
        ],
      }),
    });
  });
});

describe("functions", () => {
  it("run on the newest Node.js runtime aws-cdk-lib knows, on ARM64", () => {
    const nodeVersions = Object.getOwnPropertyNames(Runtime)
      .map((name) =>
        /^nodejs(\d+)\.x$/.exec((Runtime as unknown as Record<string, { name?: string }>)[name]?.name ?? ""),
      )
      .flatMap((match) => (match ? [Number(match[1])] : []));
    const newest = `nodejs${Math.max(...nodeVersions)}.x`;
    template.resourceCountIs("AWS::Lambda::Function", 3);
    for (const id of [apiId, changeFeedId, workerId]) {
      const fn = template.toJSON().Resources[id];
      assert.equal(fn.Properties.Runtime, newest);
      assert.deepEqual(fn.Properties.Architectures, ["arm64"]);
      assert.equal(fn.Properties.Handler, "index.handler");
    }
  });

  it("log JSON to a log group of their own with a retention, and are not traced (see docs/deploy.md)", () => {
    for (const prefix of ["StoreApi", "StoreChangeFeed", "StoreOperationsWorker"]) {
      const logGroupId = resourceId(template, "AWS::Logs::LogGroup", `${prefix}Logs`);
      template.hasResourceProperties("AWS::Lambda::Function", {
        LoggingConfig: { LogFormat: "JSON", ApplicationLogLevel: "INFO", LogGroup: { Ref: logGroupId } },
        TracingConfig: Match.absent(),
      });
      const logGroup = template.toJSON().Resources[logGroupId];
      assert.equal(logGroup.Properties.RetentionInDays, 30);
      assert.equal(logGroup.DeletionPolicy, "Retain");
    }
  });

  it("take memory sizes and log retention from the props", () => {
    const custom = storeUnderTest({
      apiMemorySize: 2048,
      changeFeedMemorySize: 256,
      logRetention: RetentionDays.ONE_WEEK,
    }).template;
    custom.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("API"),
      MemorySize: 2048,
    });
    custom.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("change feed"),
      MemorySize: 256,
    });
    custom.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 7 });
  });

  it("get the table, topic, operations queue, replay targets and notification body each needs, and nothing more", () => {
    const resources = template.toJSON().Resources;
    const queueUrl = { Ref: resourceId(template, "AWS::SQS::Queue", "StoreOperationsQueue") };
    const bucket = { Ref: resourceId(template, "AWS::S3::Bucket", "StorePayloads") };
    const {
      tableName,
      topicArn,
      operationsQueueUrl,
      allowedReplayTargets,
      notificationBody,
      payloadBucket,
      payloadThresholdBytes,
      adminAlias,
      subjectKeysTable,
      subjectKeyId,
    } = environmentVariables;
    const keys = {
      [subjectKeysTable]: { Ref: resourceId(template, "AWS::DynamoDB::GlobalTable", "StoreSubjectKeysTable") },
      [subjectKeyId]: { "Fn::GetAtt": [resourceId(template, "AWS::KMS::Key", "StoreSubjectKeysKey"), "Arn"] },
    };
    const variables = (id: string) => {
      const { NODE_OPTIONS, ...own } = resources[id].Properties.Environment.Variables;
      assert.equal(NODE_OPTIONS, "--enable-source-maps");
      return own;
    };
    assert.deepEqual(variables(apiId), {
      [tableName]: { Ref: tableId },
      [operationsQueueUrl]: queueUrl,
      [allowedReplayTargets]: "[]",
      [payloadBucket]: bucket,
      [payloadThresholdBytes]: "358400",
      [adminAlias]: "admin",
      ...keys,
    });
    assert.deepEqual(variables(changeFeedId), {
      [tableName]: { Ref: tableId },
      [topicArn]: { Ref: topicId },
      [notificationBody]: "go",
      ...keys,
    });
    assert.deepEqual(variables(workerId), {
      [tableName]: { Ref: tableId },
      [topicArn]: { Ref: topicId },
      [operationsQueueUrl]: queueUrl,
      [allowedReplayTargets]: "[]",
      [notificationBody]: "go",
      [payloadBucket]: bucket,
      ...keys,
    });
  });
});

describe("function URL", () => {
  it("uses AWS_IAM auth by default and grants nobody anything", () => {
    template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "AWS_IAM",
      TargetFunctionArn: { "Fn::GetAtt": [apiId, "Arn"] },
    });
    // The one permission: EventBridge may invoke the worker (the payload sweep's schedule), nobody the API.
    const permissions = Object.values(template.findResources("AWS::Lambda::Permission"));
    assert.deepEqual(
      permissions.map((permission) => permission.Properties.Principal),
      ["events.amazonaws.com"],
    );
    assert.notDeepEqual(permissions[0]?.Properties.FunctionName, { "Fn::GetAtt": [apiId, "Arn"] });
  });

  it("is public (auth NONE) only when authType says so, and then anybody may invoke it through the URL", () => {
    const open = storeUnderTest({ authType: FunctionUrlAuthType.NONE }).template;
    open.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
    open.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunctionUrl",
      Principal: "*",
      FunctionUrlAuthType: "NONE",
    });
    open.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "*",
      InvokedViaFunctionUrl: true,
    });
  });

  it("takes CORS options from the props", () => {
    const withCors = storeUnderTest({ cors: { allowedOrigins: ["https://app.example.com"] } }).template;
    withCors.hasResourceProperties("AWS::Lambda::Url", { Cors: { AllowOrigins: ["https://app.example.com"] } });
    template.hasResourceProperties("AWS::Lambda::Url", { Cors: Match.absent() });
  });
});

describe("change feed", () => {
  it("reads the table's stream from the trim horizon with one poller per shard", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [tableId, "StreamArn"] },
      FunctionName: { Ref: changeFeedId },
      StartingPosition: "TRIM_HORIZON",
      ParallelizationFactor: 1,
    });
  });

  it("is invoked only for records that pass the shared filter pattern", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(changeFeedFilterPattern) }] },
    });
  });

  it("bisects failing batches, takes partial batch responses, and bounds retries and record age", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
    });
    const custom = storeUnderTest({ changeFeedRetryAttempts: 3, changeFeedMaxRecordAge: Duration.hours(1) }).template;
    custom.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
    });
  });

  it("sends what it gives up on to an encrypted SQS dead-letter queue that requires TLS", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [dlqId, "Arn"] } } },
    });
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });
});
