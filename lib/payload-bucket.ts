/**
 * The bucket of large payloads, uploads and snapshots (SPEC section 12; lambdas/store/payload-objects.ts names its
 * keys): private, TLS only, S3-managed encryption, no versions (the store deletes what it means to delete: refused
 * appends' objects, appended uploads, the sweep's finds), and lifecycle rules that expire uploads never appended and
 * abandoned multipart uploads. The hourly schedule that runs the payload sweep on the operations worker is here too.
 */
import { Duration, type RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction as LambdaTarget } from "aws-cdk-lib/aws-events-targets";
import { type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, HttpMethods } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";

// Not imported from lambdas/store/large-payloads.ts, which would bring the store's S3 code into the construct's
// published declarations; test/infra/payload-bucket.test.ts checks that both agree.
/** Where uploads wait for their append (large-payloads.ts `uploadKey`). */
export const uploadsPrefix = "uploads/";
/** Payloads above this many bytes go to the bucket unless the stack says otherwise (`defaultPayloadThresholdBytes`). */
export const defaultLargePayloadThresholdBytes = 350 * 1024;

/** The event the schedule sends the worker (lambdas/operations/handler.ts `SweepEvent`): payloads and retention. */
export const sweepEvent = { sweep: "hourly" } as const;

export interface PayloadBucketProps {
  readonly removalPolicy: RemovalPolicy;
  /** Origins of browsers that may PUT uploads and GET payloads through pre-signed URLs; none: no CORS rule. */
  readonly browserOrigins: string[] | undefined;
}

export function createPayloadBucket(scope: Construct, props: PayloadBucketProps): Bucket {
  const bucket = new Bucket(scope, "Payloads", {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    versioned: false,
    removalPolicy: props.removalPolicy,
    lifecycleRules: [
      // S3 expires objects at the next midnight UTC after a day; the sweep takes those it finds first.
      { id: "ExpireUploads", prefix: uploadsPrefix, expiration: Duration.days(1) },
      { id: "AbortIncompleteMultipartUploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ],
    ...(props.browserOrigins && {
      cors: [
        {
          allowedOrigins: props.browserOrigins,
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
          allowedHeaders: ["*"],
          maxAge: 3600,
        },
      ],
    }),
  });
  Validations.of(bucket).acknowledge({
    id: "AwsSolutions-S1",
    reason:
      "Every object is written and read by the store's own functions (or through URLs they sign for 15 minutes), and the table, not the bucket, records which events exist; turn on CloudTrail data events for the bucket if object-level access must be audited.",
  });
  return bucket;
}

/**
 * Lets `role` put, get and delete the bucket's objects and list it. Listing is what makes S3 answer 404, not 403,
 * for a missing object (an upload not PUT yet), and the sweep lists the hours it looks at.
 */
export function grantPayloadObjects(role: IRole, bucket: Bucket): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: "PayloadObjects",
      actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      resources: [bucket.arnForObjects("*")],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({ sid: "ListPayloadObjects", actions: ["s3:ListBucket"], resources: [bucket.bucketArn] }),
  );
  const logicalId = Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId) as string;
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
    reason:
      "Payload objects have keys of the stream, revision and event they belong to, written as events are appended: the function needs every object of this one bucket, and nothing of any other.",
  });
}

/**
 * Every hour: `{"sweep":"hourly"}` to the worker, which deletes objects no event names (payload-sweep.ts) and keeps
 * streams within their retention (retention-sweep.ts). The rule keeps its first id, so that an update does not
 * replace it.
 */
export function createSweepSchedule(scope: Construct, worker: IFunction): Rule {
  return new Rule(scope, "PayloadSweepSchedule", {
    description:
      "Sweeps the event store's payload bucket of objects no event names and truncates streams past their retention: the operations worker, hourly",
    schedule: Schedule.rate(Duration.hours(1)),
    targets: [new LambdaTarget(worker, { event: RuleTargetInput.fromObject(sweepEvent), retryAttempts: 2 })],
  });
}
