// The bucket of large payloads (SPEC section 12): private, TLS only, encrypted, unversioned, uploads and abandoned
// multipart uploads expiring, the threshold the API gets, and the hourly schedule that sweeps it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RemovalPolicy } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { defaultLargePayloadThresholdBytes, sweepEvent, uploadsPrefix } from "#lib/payload-bucket.ts";
import { isSweepEvent } from "#operations/handler.ts";
import { environmentVariables } from "#shared/environment.ts";
import { defaultPayloadThresholdBytes, uploadKey } from "#store/large-payloads.ts";
import { resourceId, storeUnderTest } from "./support.ts";

const { template } = storeUnderTest();
const resources = template.toJSON().Resources;
const bucketId = resourceId(template, "AWS::S3::Bucket", "StorePayloads");
const bucket = resources[bucketId];
const apiId = resourceId(template, "AWS::Lambda::Function", "StoreApiFunction");
const workerId = resourceId(template, "AWS::Lambda::Function", "StoreOperationsWorkerFunction");

describe("payload bucket", () => {
  it("blocks all public access, encrypts with S3-managed keys, and keeps no versions", () => {
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(bucket.Properties.BucketEncryption, {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    });
    assert.equal(bucket.Properties.VersioningConfiguration, undefined);
  });

  it("refuses requests without TLS", () => {
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("expires uploads after a day and aborts multipart uploads left incomplete for a day", () => {
    assert.deepEqual(bucket.Properties.LifecycleConfiguration.Rules, [
      { Id: "ExpireUploads", Prefix: "uploads/", ExpirationInDays: 1, Status: "Enabled" },
      {
        Id: "AbortIncompleteMultipartUploads",
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: "Enabled",
      },
    ]);
  });

  it("is retained by default and goes with the stack like the table when removalPolicy says DESTROY", () => {
    assert.equal(bucket.DeletionPolicy, "Retain");
    const destroyed = storeUnderTest({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false }).template;
    const id = resourceId(destroyed, "AWS::S3::Bucket", "StorePayloads");
    assert.equal(destroyed.toJSON().Resources[id].DeletionPolicy, "Delete");
  });

  it("has no CORS rule unless the API allows browsers, and then allows their PUTs and GETs", () => {
    assert.equal(bucket.Properties.CorsConfiguration, undefined);
    const withCors = storeUnderTest({ cors: { allowedOrigins: ["https://app.example.com"] } }).template;
    withCors.hasResourceProperties("AWS::S3::Bucket", {
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedOrigins: ["https://app.example.com"],
            AllowedMethods: ["PUT", "GET"],
            AllowedHeaders: ["*"],
            MaxAge: 3600,
          },
        ],
      },
    });
  });

  it("agrees with the store on the uploads' prefix and the default threshold", () => {
    assert.equal(uploadsPrefix, uploadKey(""));
    assert.equal(defaultLargePayloadThresholdBytes, defaultPayloadThresholdBytes);
  });
});

describe("largePayloadThresholdBytes", () => {
  const threshold = (id: string, tmpl = template) =>
    tmpl.toJSON().Resources[id].Properties.Environment.Variables[environmentVariables.payloadThresholdBytes];

  it("reaches the API as PAYLOAD_THRESHOLD_BYTES, 350 KB by default; the worker gets only the bucket", () => {
    assert.equal(threshold(apiId), "358400");
    assert.equal(threshold(workerId), undefined);
    const custom = storeUnderTest({ largePayloadThresholdBytes: 100 * 1024 }).template;
    assert.equal(threshold(resourceId(custom, "AWS::Lambda::Function", "StoreApiFunction"), custom), "102400");
  });

  it("takes 1 KB to 380 KB, whole numbers only, and names the range otherwise", () => {
    for (const accepted of [1024, 389_120]) storeUnderTest({ largePayloadThresholdBytes: accepted });
    for (const refused of [1023, 389_121, 2048.5, Number.NaN]) {
      assert.throws(
        () => storeUnderTest({ largePayloadThresholdBytes: refused }),
        /largePayloadThresholdBytes must be a whole number from 1024 \(1 KB\) to 389120 \(380 KB\)/,
      );
    }
  });
});

describe("payload sweep schedule", () => {
  it("invokes the operations worker every hour with {sweep: hourly}, which its handler takes for a sweep", () => {
    const ruleId = resourceId(template, "AWS::Events::Rule", "StorePayloadSweepSchedule");
    const rule = resources[ruleId].Properties;
    assert.equal(rule.ScheduleExpression, "rate(1 hour)");
    assert.equal(rule.State, "ENABLED");
    assert.equal(rule.Targets.length, 1);
    assert.deepEqual(rule.Targets[0].Arn, { "Fn::GetAtt": [workerId, "Arn"] });
    assert.deepEqual(JSON.parse(rule.Targets[0].Input), { sweep: "hourly" });
    assert.ok(isSweepEvent(sweepEvent));
    // What stacks deployed before the retention sweep send is still a sweep (of both).
    assert.ok(isSweepEvent({ sweep: "payloads" }));
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [workerId, "Arn"] },
      SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
    });
  });
});
