/** The notification topic: standard, or FIFO with one message group per stream; encrypted at rest when given a key. */
import type { IKey } from "aws-cdk-lib/aws-kms";
import { FifoThroughputScope, Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";

/** The message attribute the change feed sets on every notification, and the one subscriptions filter on. */
export const streamTypeMessageAttribute = "streamType";

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
