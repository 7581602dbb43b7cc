// Least privilege: what each role may do, resource by resource, and (read from both sides) the AWS actions each
// function's code can call (sdk-calls.ts follows the code from its Lambda entry) are exactly those its role allows
// besides what the event source mappings use it for.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tableDefinition } from "#store/table.ts";
import { sdkCallsFrom } from "./sdk-calls.ts";
import { actionsOf, resourceId, roleStatements, type Statement, storeUnderTest } from "./support.ts";

const functions = [
  { name: "API", entry: "lambdas/api/lambda.ts", role: "StoreApiRole" },
  { name: "change feed", entry: "lambdas/change-feed/lambda.ts", role: "StoreChangeFeedRole" },
  { name: "operation worker", entry: "lambdas/operations/lambda.ts", role: "StoreOperationsWorkerRole" },
] as const;

const calls = sdkCallsFrom(functions.map((fn) => fn.entry));
const { template } = storeUnderTest();
const tableId = resourceId(template, "AWS::DynamoDB::GlobalTable", "StoreTable");
const topicId = resourceId(template, "AWS::SNS::Topic", "StoreTopic");
const dlqId = resourceId(template, "AWS::SQS::Queue", "StoreChangeFeedDeadLetters");
const queueId = resourceId(template, "AWS::SQS::Queue", "StoreOperationsQueue");
const bucketId = resourceId(template, "AWS::S3::Bucket", "StorePayloads");
const bucketArn = { "Fn::GetAtt": [bucketId, "Arn"] };
const objectsArn = { "Fn::Join": ["", [bucketArn, "/*"]] };
const tableArn = { "Fn::GetAtt": [tableId, "Arn"] };
const streamArn = { "Fn::GetAtt": [tableId, "StreamArn"] };
const queueArn = { "Fn::GetAtt": [queueId, "Arn"] };
const keysTableArn = {
  "Fn::GetAtt": [resourceId(template, "AWS::DynamoDB::GlobalTable", "StoreSubjectKeysTable"), "Arn"],
};
const kmsKeyArn = { "Fn::GetAtt": [resourceId(template, "AWS::KMS::Key", "StoreSubjectKeysKey"), "Arn"] };
const indexArn = (name: string) => ({ "Fn::Join": ["", [tableArn, `/index/${name}`]] });
const { listingIndex, recordsIndex } = tableDefinition;

/** What the event source mappings do with the functions' roles: read the stream or the queue, dead-letter. */
const eventSourceGrants = [
  {
    resource: streamArn,
    actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
  },
  {
    resource: { "Fn::GetAtt": [dlqId, "Arn"] },
    actions: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
  },
  {
    resource: queueArn,
    actions: [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
    ],
  },
];

/** Every (action, resource) an Allow statement of the role grants. */
function grants(statements: Statement[]): Array<{ action: string; resource: string }> {
  return statements
    .filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) => {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      return actionsOf(statement).flatMap((action) =>
        resources.map((resource) => ({ action, resource: JSON.stringify(resource) })),
      );
    });
}

const isEventSourceGrant = ({ action, resource }: { action: string; resource: string }) =>
  eventSourceGrants.some((grant) => JSON.stringify(grant.resource) === resource && grant.actions.includes(action));

/** The DynamoDB, SNS, SQS and S3 actions the role allows for its function's code (not for its event source mapping). */
function codeActions(rolePrefix: string): string[] {
  const actions = grants(roleStatements(template, rolePrefix))
    .filter((grant) => !isEventSourceGrant(grant))
    .map(({ action }) => action)
    .filter((action) => /^(dynamodb|sns|sqs|s3):/.test(action));
  return [...new Set(actions)].sort();
}

function callsOf(entry: string) {
  const found = calls.get(entry);
  if (!found) throw new Error(`no calls read for ${entry}`);
  return found;
}

describe("least privilege: each role allows exactly the AWS actions its function's code calls", () => {
  it("reads the calls from the code: the API reads and appends, the change feed keeps summaries and publishes", () => {
    const api = callsOf("lambdas/api/lambda.ts");
    assert.ok(api.actions.includes("dynamodb:Query") && api.actions.includes("dynamodb:PutItem"), `${api.actions}`);
    // Both construct the whole StreamStore; the change feed calls only its summary upkeep (and what records failures).
    const changeFeed = callsOf("lambdas/change-feed/lambda.ts");
    assert.ok(changeFeed.actions.includes("dynamodb:UpdateItem"), `${changeFeed.actions}`);
    assert.ok(changeFeed.actions.includes("sns:Publish"), `${changeFeed.actions}`);
    assert.ok(!changeFeed.commands.some(({ command }) => command === "TransactWriteCommand"));
    assert.ok(!changeFeed.actions.some((action) => action.startsWith("s3:")), `${changeFeed.actions}`);
  });

  it("reads S3 commands built from the SDK imported at run time (`new sdk.PutObjectCommand`)", () => {
    // payload-objects.ts loads the S3 client on first use; the API reaches every method of the payload objects.
    const s3Commands = new Set(
      callsOf("lambdas/api/lambda.ts")
        .commands.filter(({ pkg }) => pkg.includes("client-s3"))
        .map(({ command }) => command),
    );
    for (const command of ["PutObject", "GetObject", "HeadObject", "CopyObject", "DeleteObjects", "ListObjectsV2"]) {
      assert.ok(s3Commands.has(`${command}Command`), `${command}Command in ${[...s3Commands]}`);
    }
    // DeleteObjects' `Delete: {…}` is no DynamoDB transaction item: the API deletes no item.
    assert.ok(!callsOf("lambdas/api/lambda.ts").actions.includes("dynamodb:DeleteItem"));
  });

  for (const fn of functions) {
    it(`the ${fn.name} role allows what the ${fn.name} code calls, and nothing more`, () => {
      const { actions, commands } = callsOf(fn.entry);
      const where = commands.map(({ command, file }) => `${command} in ${file.replace(/^.*?\/lambdas\//, "lambdas/")}`);
      assert.deepEqual(codeActions(fn.role), actions, `the code sends: ${where.join(", ") || "nothing"}`);
    });
  }
});

describe("permissions", () => {
  const api = roleStatements(template, "StoreApiRole");
  const changeFeed = roleStatements(template, "StoreChangeFeedRole");
  const worker = roleStatements(template, "StoreOperationsWorkerRole");
  const allowed = (statements: Statement[], resource: unknown) =>
    grants(statements)
      .filter((grant) => grant.resource === JSON.stringify(resource))
      .map(({ action }) => action)
      .sort();
  const resourcesOf = (statements: Statement[], prefix: string) =>
    new Set(
      grants(statements)
        .filter(({ action }) => action.startsWith(prefix))
        .map(({ resource }) => resource),
    );

  it("uses no managed policies", () => {
    for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
    }
  });

  it("never grants on Resource '*'", () => {
    for (const policy of Object.values(template.findResources("AWS::IAM::Policy"))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        assert.ok(!resources.includes("*"), JSON.stringify(statement));
      }
    }
  });

  it("lets the API query, get, put, update and check on the table, query its two indexes, and enqueue operations", () => {
    assert.deepEqual(allowed(api, tableArn), [
      "dynamodb:BatchGetItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    assert.deepEqual(allowed(api, indexArn(listingIndex.name)), ["dynamodb:Query"]);
    assert.deepEqual(allowed(api, indexArn(recordsIndex.name)), ["dynamodb:Query"]);
    assert.deepEqual(allowed(api, queueArn), ["sqs:SendMessage"]);
    assert.deepEqual(
      resourcesOf(api, "dynamodb:"),
      new Set(
        [tableArn, indexArn(listingIndex.name), indexArn(recordsIndex.name), keysTableArn].map((r) =>
          JSON.stringify(r),
        ),
      ),
    );
    assert.deepEqual(resourcesOf(api, "sqs:"), new Set([JSON.stringify(queueArn)]));
    assert.ok(!api.flatMap(actionsOf).some((action) => action.startsWith("sns:")));
  });

  it("lets the API make, read and erase subject keys; the change feed and the worker only read and unwrap them", () => {
    assert.deepEqual(allowed(api, keysTableArn), ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
    assert.deepEqual(allowed(api, kmsKeyArn), ["kms:Decrypt", "kms:GenerateDataKey"]);
    for (const statements of [changeFeed, worker]) {
      assert.deepEqual(allowed(statements, keysTableArn), ["dynamodb:GetItem"]);
      assert.deepEqual(allowed(statements, kmsKeyArn), ["kms:Decrypt"]);
    }
    for (const statements of [api, changeFeed, worker]) {
      assert.deepEqual(resourcesOf(statements, "kms:Decrypt"), new Set([JSON.stringify(kmsKeyArn)]));
    }
  });

  it("lets the API and the worker put, get and delete payload objects and list the bucket, and nothing else of S3", () => {
    for (const statements of [api, worker]) {
      assert.deepEqual(allowed(statements, objectsArn), ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
      assert.deepEqual(allowed(statements, bucketArn), ["s3:ListBucket"]);
      assert.deepEqual(resourcesOf(statements, "s3:"), new Set([objectsArn, bucketArn].map((r) => JSON.stringify(r))));
    }
    assert.ok(!changeFeed.flatMap(actionsOf).some((action) => action.startsWith("s3:")));
  });

  it("lets the change feed read the stream, keep summaries, the global feed and undelivered records, publish, and dead-letter", () => {
    assert.deepEqual(allowed(changeFeed, tableArn), [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    assert.deepEqual(allowed(changeFeed, streamArn), [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]);
    assert.deepEqual(
      resourcesOf(changeFeed, "dynamodb:"),
      new Set([tableArn, streamArn, keysTableArn].map((r) => JSON.stringify(r))),
    );
    assert.deepEqual(allowed(changeFeed, { Ref: topicId }), ["sns:Publish"]);
    assert.deepEqual(allowed(changeFeed, { "Fn::GetAtt": [dlqId, "Arn"] }), [
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:SendMessage",
    ]);
    assert.equal(resourcesOf(changeFeed, "sqs:").size, 1);
  });

  it("lets the worker read and keep records, query both indexes, publish to the topic, and use its queue", () => {
    assert.deepEqual(allowed(worker, tableArn), [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    assert.deepEqual(allowed(worker, indexArn(listingIndex.name)), ["dynamodb:Query"]);
    assert.deepEqual(allowed(worker, indexArn(recordsIndex.name)), ["dynamodb:Query"]);
    assert.deepEqual(allowed(worker, { Ref: topicId }), ["sns:Publish"]);
    assert.deepEqual(resourcesOf(worker, "sns:"), new Set([JSON.stringify({ Ref: topicId })]));
    // Receiving, deleting and hiding messages is the event source mapping's; sending the next step is the code's.
    assert.deepEqual(allowed(worker, queueArn), [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ]);
    assert.deepEqual(resourcesOf(worker, "sqs:"), new Set([JSON.stringify(queueArn)]));
    assert.ok(!worker.flatMap(actionsOf).some((action) => action.startsWith("dynamodb:") && /Stream/.test(action)));
  });

  it("lets each function write only to its own log group", () => {
    for (const [prefix, statements] of [
      ["StoreApi", api],
      ["StoreChangeFeed", changeFeed],
      ["StoreOperationsWorker", worker],
    ] as const) {
      const logGroupArn = { "Fn::GetAtt": [resourceId(template, "AWS::Logs::LogGroup", `${prefix}Logs`), "Arn"] };
      assert.deepEqual(allowed(statements, logGroupArn), ["logs:CreateLogStream", "logs:PutLogEvents"]);
      const logActions = statements.flatMap(actionsOf).filter((action) => action.startsWith("logs:"));
      assert.equal(logActions.length, 2);
    }
  });

  it("grants sns:Publish to the change feed and the worker only", () => {
    const publishers = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).some((s) => actionsOf(s).includes("sns:Publish")),
      )
      .flatMap((policy) => policy.Properties.Roles);
    assert.deepEqual(
      publishers.map((role) => JSON.stringify(role)).sort(),
      ["StoreChangeFeedRole", "StoreOperationsWorkerRole"]
        .map((prefix) => JSON.stringify({ Ref: resourceId(template, "AWS::IAM::Role", prefix) }))
        .sort(),
    );
  });
});
