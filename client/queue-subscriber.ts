/**
 * A subscriber of an SQS queue that the store's topic (or a replay) delivers notifications to: it long-polls the
 * queue, hands each notification to a handler and deletes the message only once the handler succeeded, so that a
 * failure leaves it to come back after its visibility timeout (and, after the queue's maxReceiveCount, to go to its
 * dead-letter queue). Delivery is at least once: deduplicate on `streamId` + `revision` (or `eventId`).
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { parseNotification } from "./notifications.ts";
import { sleep } from "./retry.ts";
import { inHandlerSpan } from "./tracing.ts";
import type { Notification } from "./types.ts";

export interface SubscribeOptions {
  /** The SQS client to use. Default: a new one for the queue URL's region (or AWS_REGION), destroyed on return. */
  sqsClient?: SQSClient;
  /** Stops the subscriber: the long poll ends, the notification being handled is finished, the rest come back. */
  signal?: AbortSignal;
  /** How long one receive waits for messages, 0 to 20 s. Default 20. */
  waitTimeSeconds?: number;
  /** Messages per receive, 1 to 10. Default 10. */
  maxMessages?: number;
  /** How long a received message stays hidden from other receivers (and comes back after a failure). Default: the queue's. */
  visibilityTimeoutSeconds?: number;
  /**
   * Told about what failed: a handler (its message comes back), a message that is not a notification (it stays
   * for the dead-letter queue), a receive or a delete. Default: one line on stderr.
   */
  onError?: (error: Error, message?: Message) => void;
}

/** What the handler is told besides the notification. */
export interface MessageContext {
  messageId: string;
  /** How often the queue has handed this message out, this time included (above 1: a redelivery). */
  receiveCount: number;
  /** The SQS message as received. */
  message: Message;
}

export type NotificationHandler = (notification: Notification, context: MessageContext) => unknown;

/**
 * Handles the notifications that arrive on `queueUrl`, one at a time in the order received, until `signal` aborts;
 * resolves then. Each message is deleted after `handler` resolved; when it throws (or rejects), the message stays
 * and comes back.
 *
 * @example
 * const stop = new AbortController();
 * await subscribe(queueUrl, async (notification) => {
 *   await readModel.apply(notification);
 * }, { signal: stop.signal });
 */
export async function subscribe(
  queueUrl: string,
  handler: NotificationHandler,
  options: SubscribeOptions = {},
): Promise<void> {
  // Loaded here, not at the top: users of the HTTP client alone never load the SQS client.
  const sqsModule = await import("@aws-sdk/client-sqs");
  const region = regionOfQueueUrl(queueUrl);
  const sqs = options.sqsClient ?? new sqsModule.SQSClient(region ? { region } : {});
  const { signal } = options;
  const report = options.onError ?? ((error: Error) => console.error(`event store subscriber: ${error.message}`));
  const receive = new sqsModule.ReceiveMessageCommand({
    QueueUrl: queueUrl,
    MaxNumberOfMessages: options.maxMessages ?? 10,
    WaitTimeSeconds: options.waitTimeSeconds ?? 20,
    ...(options.visibilityTimeoutSeconds === undefined ? {} : { VisibilityTimeout: options.visibilityTimeoutSeconds }),
    MessageAttributeNames: ["All"],
    MessageSystemAttributeNames: ["ApproximateReceiveCount"],
  });
  let failedReceives = 0;
  try {
    while (!signal?.aborted) {
      let messages: Message[];
      try {
        messages = (await sqs.send(receive, { abortSignal: signal })).Messages ?? [];
        failedReceives = 0;
      } catch (error) {
        if (signal?.aborted) return;
        report(error as Error);
        // SQS unreachable or throttling: back off up to 20 s rather than spin.
        failedReceives++;
        await sleep(Math.min(20_000, 250 * 2 ** failedReceives), signal).catch(() => {});
        continue;
      }
      for (const message of messages) {
        // Stopping: what is left of the batch comes back after its visibility timeout.
        if (signal?.aborted) return;
        if (!(await handled(message, handler, report))) continue;
        try {
          // Not abortable: the handler has succeeded, so the delete is finished even while stopping.
          await sqs.send(
            new sqsModule.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        } catch (error) {
          // It comes back and is handled again: at least once.
          report(error as Error, message);
        }
      }
    }
  } finally {
    if (!options.sqsClient) sqs.destroy();
  }
}

/** Parses the message and runs the handler; false when either failed (reported). */
async function handled(
  message: Message,
  handler: NotificationHandler,
  report: (error: Error, message?: Message) => void,
): Promise<boolean> {
  try {
    const context = {
      messageId: message.MessageId ?? "",
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      message,
    };
    const notification = parseNotification(message);
    await inHandlerSpan(notification, notification, async () => handler(notification, context));
    return true;
  } catch (error) {
    report(error instanceof Error ? error : new Error(String(error)), message);
    return false;
  }
}

/** The region of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`); undefined otherwise. */
function regionOfQueueUrl(queueUrl: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(queueUrl)?.[1];
}
