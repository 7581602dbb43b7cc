/**
 * Large notifications (the stack option `largeNotifications`): the topic's `MaximumMessageSize` raised from SNS's
 * default 256 KiB to 1 MiB, which SNS allows only while the topic has at most 100 subscriptions, each of them SQS,
 * Lambda or Firehose (AWS's SNS guide, "Publishing large messages"). CloudFormation sets the attribute on the topic
 * (`AWS::SNS::Topic` `MaximumMessageSize`); a check at synth refuses subscriptions of this stack that SNS would not
 * take on such a topic.
 */
import { Stack } from "aws-cdk-lib";
import { CfnSubscription, type CfnTopic, type Topic } from "aws-cdk-lib/aws-sns";

/** The topic's `MaximumMessageSize` with large notifications: SNS's largest, 1 MiB. */
export const largeNotificationBytes = 1_048_576;

/** The subscription protocols SNS delivers to from a topic whose `MaximumMessageSize` is above 256 KiB. */
const largeMessageProtocols = ["sqs", "lambda", "firehose"];
/** SNS's limit of subscriptions of such a topic. */
const maxLargeMessageSubscriptions = 100;

/** Raises the topic's maximum message size to 1 MiB, and checks at synth that its subscriptions allow it. */
export function allowLargeNotifications(topic: Topic): void {
  (topic.node.defaultChild as CfnTopic).maximumMessageSize = largeNotificationBytes;
  topic.node.addValidation({ validate: () => refusedSubscriptions(topic) });
}

/** What SNS would refuse among the subscriptions of `topic` that its stack declares. */
function refusedSubscriptions(topic: Topic): string[] {
  // Subscriptions sit where their subscriber is (a queue's under the queue), so look through the whole stack.
  const subscriptions = Stack.of(topic)
    .node.findAll()
    .filter((node): node is CfnSubscription => node instanceof CfnSubscription && node.topicArn === topic.topicArn);
  const errors = subscriptions
    .filter((subscription) => !largeMessageProtocols.includes(subscription.protocol))
    .map(
      (subscription) =>
        `largeNotifications: SNS delivers messages over 256 KiB to ${largeMessageProtocols.join(", ")} subscriptions only, not to ${subscription.protocol} (${subscription.node.path})`,
    );
  if (subscriptions.length > maxLargeMessageSubscriptions) {
    errors.push(
      `largeNotifications: SNS allows at most ${maxLargeMessageSubscriptions} subscriptions on a topic that takes messages over 256 KiB, got ${subscriptions.length}`,
    );
  }
  return errors;
}
