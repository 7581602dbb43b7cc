// The EventStore construct as another CDK app uses it: in a stack of the app's own, under any id, twice in one
// stack, with its public properties and grants. (test/package/ installs the packed package into a fresh app.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AccountPrincipal, Role } from "aws-cdk-lib/aws-iam";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { EventStore } from "#lib/index.ts";
import { actionsOf, roleStatements, storeUnderTest, testApp } from "./support.ts";

describe("EventStore in a consumer's app", () => {
  it("lives twice in one stack of the app's own, under any ids, without a clash, and cdk-nag passes", () => {
    const app = testApp();
    const stack = new Stack(app, "Shop");
    const orders = new EventStore(stack, "Orders");
    const billing = new EventStore(stack, "billing-events", { authType: FunctionUrlAuthType.NONE });
    const invoices = new Queue(stack, "Invoices", { enforceSSL: true });
    Validations.of(invoices).acknowledge({ id: "AwsSolutions-SQS3", reason: "The test's own queue, not the store's." });
    billing.subscribeQueue(invoices, { eventTypes: ["InvoiceIssued"] });
    const template = Template.fromStack(stack);
    // Each store: its event table and its subject keys table (personal data).
    template.resourceCountIs("AWS::DynamoDB::GlobalTable", 4);
    // Each store's URL and its admin URL.
    template.resourceCountIs("AWS::Lambda::Url", 4);
    template.resourceCountIs("AWS::SNS::Topic", 2);
    // No physical names: CloudFormation names every resource from its stack and path, so nothing can collide.
    for (const [type, nameKey] of [
      ["AWS::DynamoDB::GlobalTable", "TableName"],
      ["AWS::Lambda::Function", "FunctionName"],
      ["AWS::SNS::Topic", "TopicName"],
      ["AWS::SQS::Queue", "QueueName"],
    ] as const) {
      for (const resource of Object.values(template.findResources(type))) {
        assert.equal(resource.Properties?.[nameKey], undefined, `${type} has a physical name`);
      }
    }
    assert.notEqual(orders.apiUrl, billing.apiUrl);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    assert.deepEqual(
      report.violations.map((violation) => violation.ruleName),
      [],
    );
  });

  it("exposes the table, topic, URL and functions", () => {
    const { store } = storeUnderTest();
    assert.ok(store.table.tableName);
    assert.ok(store.topic.topicArn);
    assert.ok(store.apiUrl);
    assert.ok(store.apiFunction.functionArn);
    assert.ok(store.changeFeedFunction.functionArn);
    assert.equal(store.functionUrl.authType, FunctionUrlAuthType.AWS_IAM);
  });

  it("grantAppend and grantRead give an IAM caller the right to invoke the URL, and only through the URL", () => {
    const { template } = storeUnderTest(undefined, (store, stack) => {
      store.grantAppend(new Role(stack, "Writer", { assumedBy: new AccountPrincipal("123456789012") }));
      store.grantRead(new Role(stack, "Reader", { assumedBy: new AccountPrincipal("123456789012") }));
    });
    for (const role of ["Writer", "Reader"]) {
      const statements = roleStatements(template, role);
      assert.deepEqual(statements.flatMap(actionsOf).sort(), ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]);
      const invoke = statements.find((statement) => actionsOf(statement).includes("lambda:InvokeFunction"));
      assert.deepEqual(invoke?.Condition, { Bool: { "lambda:InvokedViaFunctionUrl": true } });
      const url = statements.find((statement) => actionsOf(statement).includes("lambda:InvokeFunctionUrl"));
      assert.deepEqual(url?.Condition, { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } });
    }
  });

  it("grantAdmin gives the right to the admin URL alone, an AWS_IAM URL of the alias admin, which writers cannot reach", () => {
    const { template } = storeUnderTest({ authType: FunctionUrlAuthType.NONE }, (store, stack) => {
      store.grantAdmin(new Role(stack, "Admin", { assumedBy: new AccountPrincipal("123456789012") }));
    });
    const aliases = template.findResources("AWS::Lambda::Alias");
    const [aliasId] = Object.keys(aliases);
    assert.equal(Object.keys(aliases).length, 1);
    assert.equal(aliases[aliasId as string]?.Properties.Name, "admin");
    // Two URLs: the main one public here, the admin one signed whatever the main one is.
    const urls = Object.values(template.findResources("AWS::Lambda::Url")).map((url) => url.Properties);
    assert.deepEqual(urls.map((url) => url.AuthType).sort(), ["AWS_IAM", "NONE"]);
    assert.equal(urls.find((url) => url.AuthType === "AWS_IAM")?.Qualifier, "admin");
    const statements = roleStatements(template, "Admin");
    assert.deepEqual(statements.flatMap(actionsOf).sort(), ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]);
    // The alias's ARN only: a grant on the function's unqualified ARN (grantAppend, grantRead) does not match it.
    for (const statement of statements) assert.deepEqual(statement.Resource, { Ref: aliasId });
    const api = Object.values(template.findResources("AWS::Lambda::Function")).find(
      (fn) => fn.Properties.Environment?.Variables?.ADMIN_ALIAS !== undefined,
    );
    assert.equal(api?.Properties.Environment.Variables.ADMIN_ALIAS, "admin");
  });

  it("grants nothing for a public URL, where every caller may already invoke it", () => {
    const { template } = storeUnderTest({ authType: FunctionUrlAuthType.NONE }, (store, stack) => {
      store.grantAppend(new Role(stack, "Writer", { assumedBy: new AccountPrincipal("123456789012") }));
    });
    assert.deepEqual(roleStatements(template, "Writer"), []);
  });

  it("keeps the deprecated publicUrl working, and refuses it when it contradicts authType", () => {
    const { store } = storeUnderTest({ publicUrl: true });
    assert.equal(store.functionUrl.authType, FunctionUrlAuthType.NONE);
    assert.throws(
      () => storeUnderTest({ publicUrl: true, authType: FunctionUrlAuthType.AWS_IAM }),
      /publicUrl: true contradicts authType: AWS_IAM/,
    );
  });
});
