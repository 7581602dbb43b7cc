/**
 * Shared set-up of the infrastructure tests: an App with the context of cdk.json (so the feature flags match
 * `cdk synth`), and a one-call way to get a stack's template. Synthesis does no bundling: the construct deploys
 * the handler bundles that `npm test` builds first (scripts/build.ts).
 */
import { readFileSync } from "node:fs";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { EventStore, type EventStoreProps } from "#lib/index.ts";

const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as {
  context: Record<string, unknown>;
};

/** The context of cdk.json plus `context`. */
export function testApp(options: { context?: Record<string, unknown>; outdir?: string } = {}): App {
  return new App({ outdir: options.outdir, context: { ...cdkJson.context, ...options.context } });
}

export interface StoreUnderTest {
  readonly app: App;
  readonly stack: Stack;
  readonly store: EventStore;
  readonly template: Template;
}

/**
 * An EventStore in a stack of its own. `props` may be a function of the stack, to create resources the props
 * refer to; `extend` runs before the template is synthesized.
 */
export function storeUnderTest(
  props?: EventStoreProps | ((stack: Stack) => EventStoreProps),
  extend?: (store: EventStore, stack: Stack) => void,
): StoreUnderTest {
  const app = testApp();
  const stack = new Stack(app, "Test");
  const store = new EventStore(stack, "Store", typeof props === "function" ? props(stack) : props);
  extend?.(store, stack);
  return { app, stack, store, template: Template.fromStack(stack) };
}

/** The one resource of `type` whose logical id starts with `prefix` (logical ids end in a hash). */
export function resourceId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}…, found ${ids.join(", ") || "none"}`);
  return ids[0] as string;
}

export interface Statement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

interface IdentityPolicy {
  Properties: { Roles: unknown; PolicyDocument: { Statement: Statement[] } };
}

/** Every statement of every identity policy (AWS::IAM::Policy) attached to the role with that logical id prefix. */
export function roleStatements(template: Template, rolePrefix: string): Statement[] {
  const roleId = resourceId(template, "AWS::IAM::Role", rolePrefix);
  const policies = template.findResources("AWS::IAM::Policy") as Record<string, IdentityPolicy>;
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
