/**
 * Where a replay may send notifications: the store's topic always; another queue or topic only if the stack allows
 * it (SPEC section 5: the worker's role can write only to allowed targets, and the API refuses the others before
 * it creates anything). Allowed targets are ARNs; a trailing `*` allows every ARN with that prefix.
 */
import type { ReplayRequest } from "#store/model.ts";

export type ReplayTarget = NonNullable<ReplayRequest["target"]>;

/** The ARN of a target: a topic's is given; a queue's follows from its URL (https://sqs.<region>.<domain>/<account>/<name>). */
export function targetArn(target: ReplayTarget): string | undefined {
  if ("topicArn" in target) return target.topicArn;
  const match = /^https?:\/\/sqs\.([a-z0-9-]+)\.[^/]+\/(\d{12})\/([A-Za-z0-9_.-]{1,80})$/.exec(target.queueUrl);
  if (!match) return undefined;
  const [, region, account, name] = match;
  const partition = region?.startsWith("cn-") ? "aws-cn" : region?.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return `arn:${partition}:sqs:${region}:${account}:${name}`;
}

export function isAllowedTarget(target: ReplayTarget, allowed: readonly string[]): boolean {
  const arn = targetArn(target);
  if (allowed.includes("*")) return true;
  if (!arn) return false;
  return allowed.some((entry) => (entry.endsWith("*") ? arn.startsWith(entry.slice(0, -1)) : arn === entry));
}

/** The allowed targets as the stack passes them (a JSON array of strings; empty or unset: none). */
export function parseAllowedTargets(text: string | undefined): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text || "[]");
  } catch {
    // answered below
  }
  if (Array.isArray(value) && value.every((entry) => typeof entry === "string")) return value;
  throw new Error(`the allowed replay targets must be a JSON array of strings, got ${text}`);
}
