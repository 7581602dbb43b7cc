/**
 * The queue that drives the operation worker (SPEC section 5): each message is one step of one operation, or the
 * redrive's periodic tick. In AWS an SQS queue triggers the worker Lambda (and an EventBridge schedule sends the
 * tick); in local mode the same messages go through the local SQS, read by a poller. The API enqueues the first
 * step of an operation it creates; the worker enqueues each next step after its checkpoint.
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type AwsClientConfig, clientSettings } from "#shared/aws-clients.ts";

export type OperationMessage =
  /** Run the next step of this operation (its cursor is in the table, not in the message). */
  | { operationId: string }
  /** Redrive whatever is undelivered (the schedule's tick). */
  | { tick: "redrive" };

export interface OperationQueue {
  enqueue(message: OperationMessage): Promise<void>;
}

export function createSqsOperationQueue(config: AwsClientConfig, queueUrl: string): OperationQueue {
  const sqs = new SQSClient(clientSettings(config));
  return {
    enqueue: async (message) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },
  };
}

/** Reads a queue message body; undefined for anything that is not an operation message. */
export function parseOperationMessage(body: string): OperationMessage | undefined {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    if (typeof value.operationId === "string") return { operationId: value.operationId };
    if (value.tick === "redrive") return { tick: "redrive" };
  } catch {
    // not JSON: not ours
  }
  return undefined;
}
