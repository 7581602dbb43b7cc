// Least privilege: what each role may do, resource by resource, and (read from both sides) the DynamoDB actions each
// function's code can call (sdk-calls.ts follows the code from its Lambda entry) are exactly those its role allows.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tableDefinition } from "#store/table.ts";
import { dynamoDbCallsFrom } from "./sdk-calls.ts";
import { actionsOf, resourceId, roleStatements, type Statement, storeUnderTest } from "./support.ts";

const functions = [
  { name: "API", entry: "lambdas/api/lambda.ts", role: "StoreApiRole" },
  { name: "change feed", entry: "lambdas/change-feed/lambda.ts", role: "StoreChangeFeedRole" },
] as const;

const calls = dynamoDbCallsFrom(functions.map((fn) => fn.entry));
const { template } = storeUnderTest();
const tableId = resourceId(template, "AWS::DynamoDB::GlobalTable", "StoreTable");
const topicId = resourceId(template, "AWS::SNS::Topic", "StoreTopic");
const dlqId = resourceId(template, "AWS::SQS::Queue", "StoreChangeFeedDeadLetters");
const tableArn = { "Fn::GetAtt": [tableId, "Arn"] };

function callsOf(entry: string) {
  const found = calls.get(entry);
  if (!found) throw new Error(`no calls read for ${entry}`);
  return found;
}

/** DynamoDB actions the role allows on the table and its indexes (the stream's are the event source mapping's). */
function tableActions(rolePrefix: string): string[] {
  const actions = roleStatements(template, rolePrefix)
    .filter((statement) => statement.Effect === "Allow" && !JSON.stringify(statement.Resource).includes("StreamArn"))
    .flatMap(actionsOf)
    .filter((action) => action.startsWith("dynamodb:"));
  return [...new Set(actions)].sort();
}

describe("least privilege: each role allows exactly the DynamoDB actions its function's code calls", () => {
  it("reads the calls from the code: the API reads and appends, the change feed only keeps summaries", () => {
    const api = callsOf("lambdas/api/lambda.ts");
    assert.ok(api.actions.includes("dynamodb:Query") && api.actions.includes("dynamodb:PutItem"), `${api.actions}`);
    // Both construct the whole StreamStore; the change feed calls only its summary upkeep.
    const changeFeed = callsOf("lambdas/change-feed/lambda.ts");
    assert.deepEqual(
      changeFeed.commands.map(({ command }) => command),
      ["UpdateCommand"],
    );
  });

  for (const fn of functions) {
    it(`the ${fn.name} role allows what the ${fn.name} code calls, and nothing more`, () => {
      const { actions, commands } = callsOf(fn.entry);
      const where = commands.map(({ command, file }) => `${command} in ${file.replace(/^.*?\/lambdas\//, "lambdas/")}`);
      assert.deepEqual(tableActions(fn.role), actions, `the code sends: ${where.join(", ")}`);
    });
  }
});

describe("permissions", () => {
  const api = roleStatements(template, "StoreApiRole");
  const changeFeed = roleStatements(template, "StoreChangeFeedRole");
  const allowed = (statements: Statement[], resource: unknown) =>
    statements
      .filter((s) => s.Effect === "Allow" && JSON.stringify(s.Resource) === JSON.stringify(resource))
      .flatMap(actionsOf)
      .sort();

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

  it("lets the API function query and put on the table and query only the listing index", () => {
    assert.deepEqual(allowed(api, tableArn), ["dynamodb:PutItem", "dynamodb:Query"]);
    const indexArn = { "Fn::Join": ["", [tableArn, `/index/${tableDefinition.listingIndex.name}`]] };
    assert.deepEqual(allowed(api, indexArn), ["dynamodb:Query"]);
    const dynamoActions = api.flatMap(actionsOf).filter((action) => action.startsWith("dynamodb:"));
    assert.deepEqual([...new Set(dynamoActions)].sort(), allowed(api, tableArn));
    assert.ok(!api.flatMap(actionsOf).some((action) => action.startsWith("sns:")));
  });

  it("lets the change feed read the stream, update stream summaries, publish to the topic, and dead-letter", () => {
    assert.deepEqual(allowed(changeFeed, tableArn), ["dynamodb:UpdateItem"]);
    assert.deepEqual(allowed(changeFeed, { "Fn::GetAtt": [tableId, "StreamArn"] }), [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]);
    assert.deepEqual(allowed(changeFeed, { Ref: topicId }), ["sns:Publish"]);
    assert.deepEqual(allowed(changeFeed, { "Fn::GetAtt": [dlqId, "Arn"] }), [
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:SendMessage",
    ]);
  });

  it("lets each function write only to its own log group", () => {
    for (const [prefix, statements] of [
      ["StoreApi", api],
      ["StoreChangeFeed", changeFeed],
    ] as const) {
      const logGroupArn = { "Fn::GetAtt": [resourceId(template, "AWS::Logs::LogGroup", `${prefix}Logs`), "Arn"] };
      assert.deepEqual(allowed(statements, logGroupArn), ["logs:CreateLogStream", "logs:PutLogEvents"]);
      const logActions = statements.flatMap(actionsOf).filter((action) => action.startsWith("logs:"));
      assert.equal(logActions.length, 2);
    }
  });

  it("grants sns:Publish to the change feed only", () => {
    const publishers = Object.entries(template.findResources("AWS::IAM::Policy")).filter(([, policy]) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).some((s) => actionsOf(s).includes("sns:Publish")),
    );
    assert.equal(publishers.length, 1);
    assert.deepEqual(publishers[0]?.[1].Properties.Roles, [
      { Ref: resourceId(template, "AWS::IAM::Role", "StoreChangeFeedRole") },
    ]);
  });
});
