/**
 * Replay targets (SPEC section 5): the queues and topics besides the store's own topic that a replay may send to.
 * The operation worker's role may send to them and to nothing else; the list of their ARNs (`ALLOWED_REPLAY_TARGETS`)
 * lets the API refuse any other target before it creates an operation, and the worker check again before it sends.
 */
import { Stack, Validations } from "aws-cdk-lib";
import { type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import type { ReplayTargets } from "./event-store-props.ts";
import { grantPublishTo } from "./notification-topic.ts";

/**
 * `arn:<partition>:<sqs|sns>:<region>:<account>:<start of a name>`, with an optional trailing `*`. The parts may be
 * tokens (`Aws.REGION`), whose string form holds no `:`, `*` or `?`; the service must be written out.
 */
const arnPrefixPattern = /^arn:[^:*?]+:(sqs|sns):[^:*?]+:[^:*?]+:[^:*?]*\*?$/;

interface ArnPrefix {
  /** What the prefix grants. */
  readonly action: "sqs:SendMessage" | "sns:Publish";
  /** The prefix with its trailing `*`: the IAM resource and the entry of `ALLOWED_REPLAY_TARGETS`. */
  readonly pattern: string;
}

function parseArnPrefix(prefix: string): ArnPrefix {
  const match = arnPrefixPattern.exec(prefix);
  if (!match) {
    throw new Error(
      `replayTargets.arnPrefixes: "${prefix}" is not arn:<partition>:<sqs|sns>:<region>:<account>:<name prefix> (no wildcard but a trailing *)`,
    );
  }
  return {
    action: match[1] === "sqs" ? "sqs:SendMessage" : "sns:Publish",
    pattern: prefix.endsWith("*") ? prefix : `${prefix}*`,
  };
}

/** The ARNs (and prefixes ending in `*`) of the allowed targets, for `ALLOWED_REPLAY_TARGETS`. */
export function allowedReplayTargets(targets: ReplayTargets | undefined): string[] {
  return [
    ...(targets?.queues ?? []).map((queue) => queue.queueArn),
    ...(targets?.topics ?? []).map((topic) => topic.topicArn),
    ...(targets?.arnPrefixes ?? []).map((prefix) => parseArnPrefix(prefix).pattern),
  ];
}

/**
 * How cdk-nag names an IAM5 finding on a resource: the template's value with references flattened to `<Id>` and
 * `<Id.Attribute>` (its `flattenCfnReference`), so that a prefix's acknowledgment names exactly that prefix.
 */
function nagResourceName(scope: Construct, arn: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/\}/g, ">");
    const fn = (node ?? {}) as Record<string, unknown>;
    if (Array.isArray(fn["Fn::Join"])) {
      const [delimiter, parts] = fn["Fn::Join"] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if ("Ref" in fn) return `<${flatten(fn.Ref)}>`;
    if (Array.isArray(fn["Fn::GetAtt"])) {
      const [resource, attribute] = fn["Fn::GetAtt"] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    return JSON.stringify(node);
  };
  return flatten(Stack.of(scope).resolve(arn));
}

/** Lets `role` send to the replay targets, and to nothing else that the targets do not name. */
export function grantReplayTargets(role: IRole, targets: ReplayTargets | undefined): void {
  const queues = targets?.queues ?? [];
  if (queues.length > 0) {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: "SendToReplayQueues",
        actions: ["sqs:SendMessage"],
        resources: queues.map((queue) => queue.queueArn),
      }),
    );
  }
  // Sending to a queue encrypted with a KMS key takes these two on the key (SendMessage encrypts a data key).
  for (const key of new Set(queues.flatMap((queue) => queue.encryptionMasterKey ?? []))) {
    key.grant(role, "kms:GenerateDataKey", "kms:Decrypt");
  }
  for (const topic of targets?.topics ?? []) grantPublishTo(topic, role);

  const prefixes = (targets?.arnPrefixes ?? []).map(parseArnPrefix);
  for (const action of ["sqs:SendMessage", "sns:Publish"] as const) {
    const resources = prefixes.filter((prefix) => prefix.action === action).map((prefix) => prefix.pattern);
    if (resources.length === 0) continue;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: action === "sqs:SendMessage" ? "SendToReplayQueuePrefixes" : "PublishToReplayTopicPrefixes",
        actions: [action],
        resources,
      }),
    );
    for (const resource of resources) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(role, resource)}]`,
        reason: `The replayTargets.arnPrefixes option of this stack allows replays to every ${action === "sqs:SendMessage" ? "queue" : "topic"} whose ARN starts with this prefix, and grants exactly ${action} on them.`,
      });
    }
  }
}
