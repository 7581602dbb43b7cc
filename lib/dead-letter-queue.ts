/** A dead-letter queue: encrypted, TLS only, kept 14 days (SQS's longest) for an operator to look at. */
import { Duration, Validations } from "aws-cdk-lib";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/** `of` says whose dead letters the queue holds; it completes cdk-nag's reason for the queue having none itself. */
export function createDeadLetterQueue(scope: Construct, id: string, of: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: `This queue is itself the dead-letter queue ${of}.`,
  });
  return queue;
}
