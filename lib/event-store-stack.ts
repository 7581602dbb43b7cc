/**
 * The deployable stack: one EventStore, its outputs, and SSM parameters under `/event-store/<stage>/` so that
 * other stacks and scripts find the URL, the topic and the table without reading this stack's outputs.
 */
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";
import { EventStore } from "./event-store.ts";
import type { EventStoreProps } from "./event-store-props.ts";

export interface EventStoreStackProps extends StackProps {
  /** Deployment stage (`dev`, `prod`, …): names the SSM parameters `/event-store/<stage>/…`. */
  readonly stage: string;
  /** Options of the event store. */
  readonly eventStore?: EventStoreProps;
}

/** Throws unless `stage` can name a stack (`EventStore-<stage>`) and an SSM path. */
export function assertStage(stage: string): void {
  if (!/^[A-Za-z0-9-]{1,32}$/.test(stage)) {
    throw new Error(`stage must be 1 to 32 letters, digits or dashes, got "${stage}"`);
  }
}

/** A stack holding one event store. */
export class EventStoreStack extends Stack {
  readonly eventStore: EventStore;

  constructor(scope: Construct, id: string, props: EventStoreStackProps) {
    super(scope, id, props);
    assertStage(props.stage);
    this.eventStore = new EventStore(this, "EventStore", props.eventStore);
    const { apiUrl, adminUrl, topic, table, apiFunction } = this.eventStore;

    const published: Array<[id: string, name: string, value: string, description: string]> = [
      ["Url", "url", apiUrl, "URL of the event store's HTTP API (Lambda function URL)"],
      [
        "AdminUrl",
        "admin-url",
        adminUrl,
        "URL of the API's admin endpoints (deleting, truncating, erasing; AWS_IAM): grant callers with grantAdmin",
      ],
      ["TopicArn", "topic-arn", topic.topicArn, "ARN of the SNS topic with one notification per appended event"],
      ["TableName", "table-name", table.tableName, "Name of the DynamoDB event table"],
    ];
    for (const [id, name, value, description] of published) {
      new CfnOutput(this, id, { value, description });
      new StringParameter(this, `${id}Parameter`, {
        parameterName: `/event-store/${props.stage}/${name}`,
        stringValue: value,
        description,
      });
    }
    new CfnOutput(this, "ApiFunctionArn", {
      value: apiFunction.functionArn,
      description:
        "ARN of the API function: grant IAM callers lambda:InvokeFunctionUrl and lambda:InvokeFunction on it",
    });
  }
}
