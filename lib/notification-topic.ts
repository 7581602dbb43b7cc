/** The notification topic: standard, or FIFO with one message group per stream; encrypted at rest when given a key. */
import { Validations } from "aws-cdk-lib";
import type { IRole } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { FifoThroughputScope, type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";

/** The message attributes the change feed sets on every notification, which subscriptions filter on. */
export const streamTypeMessageAttribute = "streamType";
export const eventTypeMessageAttribute = "eventType";

export function createTopic(scope: Construct, fifo: boolean, encryptionKey: IKey | undefined): Topic {
  return new Topic(scope, "Topic", {
    enforceSSL: true,
    signatureVersion: "2",
    masterKey: encryptionKey,
    ...(fifo && {
      fifo: true,
      // The publisher sets MessageDeduplicationId = streamId:revision; two events with equal bodies stay two.
      contentBasedDeduplication: false,
      // Message group = stream id: FIFO throughput is per stream, not per topic.
      fifoThroughputScope: FifoThroughputScope.MESSAGE_GROUP,
    }),
  });
}

/**
 * Lets `role` publish to `topic`: `sns:Publish`, and on the topic's KMS key (if this app knows it)
 * `kms:GenerateDataKey*` and `kms:Decrypt`, the wildcard of which cdk-nag asks a reason for.
 */
export function grantPublishTo(topic: ITopic, role: IRole): void {
  topic.grantPublish(role);
  if (topic.masterKey) {
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Publishing to a KMS-encrypted SNS topic takes kms:GenerateDataKey* and kms:Decrypt on its key, as AWS documents for SNS publishers; granted on that key only.",
    });
  }
}
