// The CDK app as `cdk synth` runs it: context → stack, outputs and SSM parameters, and (in one test only) a real
// synth that bundles the three handlers with the locally installed esbuild and passes the cdk-nag checks.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Token } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { addEventStoreStack } from "#lib/event-store-app.ts";
import { testApp } from "./support.ts";

describe("CDK app", () => {
  it("names the stack after the stage (default dev) and stays environment-agnostic", () => {
    const dev = addEventStoreStack(testApp());
    assert.equal(dev.stackName, "EventStore-dev");
    assert.ok(Token.isUnresolved(dev.account) && Token.isUnresolved(dev.region));
    const prod = addEventStoreStack(testApp({ context: { stage: "prod" } }));
    assert.equal(prod.stackName, "EventStore-prod");
  });

  it("refuses a stage that cannot name a stack and a flag that is not a boolean", () => {
    assert.throws(() => addEventStoreStack(testApp({ context: { stage: "my stage" } })), /stage must be/);
    assert.throws(
      () => addEventStoreStack(testApp({ context: { publicUrl: "yes" } })),
      /publicUrl must be true or false/,
    );
  });

  it("switches the FIFO topic, the public URL, the data retention and the notification body by context", () => {
    const context = { fifoTopic: "true", publicUrl: "true", retainData: "false", notificationBody: "full" };
    const template = Template.fromStack(addEventStoreStack(testApp({ context })));
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ NOTIFICATION_BODY: "full" }) },
    });
    assert.throws(
      () => addEventStoreStack(testApp({ context: { notificationBody: "payload" } })),
      /notificationBody must be go or full/,
    );
    template.hasResourceProperties("AWS::SNS::Topic", { FifoTopic: true });
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
    template.hasResource("AWS::DynamoDB::GlobalTable", { DeletionPolicy: "Delete" });
  });

  it("outputs the URL, topic ARN, table name and API function ARN, and publishes the first three in SSM", () => {
    const template = Template.fromStack(addEventStoreStack(testApp({ context: { stage: "qa" } })));
    const url = { "Fn::GetAtt": [Match.stringLikeRegexp("^EventStoreApiFunctionFunctionUrl"), "FunctionUrl"] };
    const topicArn = { Ref: Match.stringLikeRegexp("^EventStoreTopic") };
    const tableName = { Ref: Match.stringLikeRegexp("^EventStoreTable") };
    template.hasOutput("Url", { Value: url });
    template.hasOutput("TopicArn", { Value: topicArn });
    template.hasOutput("TableName", { Value: tableName });
    template.hasOutput("ApiFunctionArn", {
      Value: { "Fn::GetAtt": [Match.stringLikeRegexp("^EventStoreApiFunction"), "Arn"] },
    });
    for (const [name, value] of [
      ["url", url],
      ["topic-arn", topicArn],
      ["table-name", tableName],
    ] as const) {
      template.hasResourceProperties("AWS::SSM::Parameter", {
        Name: `/event-store/qa/${name}`,
        Type: "String",
        Value: value,
      });
    }
  });

  it("synthesizes offline with the prebuilt handler bundles as the functions' assets, and cdk-nag passes", (t) => {
    const outdir = mkdtempSync(join(tmpdir(), "event-store-synth-"));
    try {
      // The CLI sets this context too: templates then name each function's asset directory.
      const app = testApp({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
      const stack = addEventStoreStack(app);
      // Synthesis runs the cdk-nag plugin and throws on an unacknowledged finding.
      const assembly = app.synth();
      const template = assembly.getStackByName(stack.stackName).template as {
        Resources: Record<
          string,
          { Type: string; Properties: { Handler?: string }; Metadata?: Record<string, unknown> }
        >;
      };
      const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::Lambda::Function");
      assert.equal(functions.length, 3);
      for (const [id, fn] of functions) {
        assert.equal(fn.Properties.Handler, "index.handler");
        const assetDir = join(outdir, String(fn.Metadata?.["aws:asset:path"]));
        const bundle = join(assetDir, "index.mjs");
        assert.ok(existsSync(bundle), `${id}: ${bundle}`);
        assert.ok(existsSync(`${bundle}.map`), `${id}: source map`);
        const code = readFileSync(bundle, "utf8");
        assert.match(code, /^import \{ createRequire as __createRequire \} from 'node:module';/, "ESM banner");
        assert.match(code, /export\s*\{[^}]*\bhandler\b[^}]*\}/, `${id} exports handler`);
        t.diagnostic(
          `${id}: index.mjs ${statSync(bundle).size} bytes, index.mjs.map ${statSync(`${bundle}.map`).size} bytes`,
        );
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
