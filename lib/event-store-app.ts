/**
 * What the CDK app does with its context: `-c stage=prod` names the stack `EventStore-prod`; `-c fifoTopic=true`,
 * `-c publicUrl=true`, `-c retainData=false` and `-c notificationBody=full` switch the matching EventStore options. The stack is
 * environment-agnostic: it deploys to the account and region of the credentials `cdk deploy` runs with.
 * cdk-nag's AwsSolutions checks run on every synth; a finding that is not acknowledged fails it.
 */
import { type App, RemovalPolicy, Validations } from "aws-cdk-lib";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks } from "cdk-nag";
import type { NotificationBody } from "./event-store-props.ts";
import { assertStage, EventStoreStack } from "./event-store-stack.ts";

export const defaultStage = "dev";

function flag(app: App, name: string, fallback: boolean): boolean {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`context ${name} must be true or false, got ${JSON.stringify(value)}`);
}

function notificationBody(app: App): NotificationBody {
  const value: unknown = app.node.tryGetContext("notificationBody") ?? "go";
  if (value !== "go" && value !== "full") {
    throw new Error(`context notificationBody must be go or full, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Adds the event store stack named after the `stage` context, and the cdk-nag checks, to `app`. */
export function addEventStoreStack(app: App): EventStoreStack {
  const stage = String(app.node.tryGetContext("stage") ?? defaultStage);
  assertStage(stage);
  const retainData = flag(app, "retainData", true);
  const stack = new EventStoreStack(app, `EventStore-${stage}`, {
    stage,
    description: `Event store (${stage}): DynamoDB table, HTTP API on a Lambda function URL, change feed to SNS`,
    eventStore: {
      authType: flag(app, "publicUrl", false) ? FunctionUrlAuthType.NONE : FunctionUrlAuthType.AWS_IAM,
      fifoTopic: flag(app, "fifoTopic", false),
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retainData,
      notificationBody: notificationBody(app),
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
