/**
 * Local mode's stand-in for the SQS event source of the operation worker (SPEC section 5): long-polls the local
 * operations queue (fauxqs), hands each batch to the worker's Lambda handler as the SQS event Lambda would build,
 * deletes the messages it handled and leaves the failed ones (its batchItemFailures, or all when it throws) for the
 * queue to deliver again once their visibility timeout ends. Also the redrive timer, local mode's stand-in for the
 * schedule that sends `{tick:"redrive"}` in AWS.
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { OperationQueue } from "#operations/queue.ts";
import { localRegion } from "./aws-local.ts";

export interface OperationsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** The worker's Lambda handler (partial batch responses). */
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** Told about failed receives, deletes and handler calls. Default: a line on stderr. */
  onError?: (error: Error) => void;
  /** Receive loops side by side, as Lambda runs invocations side by side. Default 2. */
  concurrency?: number;
  /** Messages per handler call (Lambda's batch size). Default 10. */
  batchSize?: number;
  /** The queue's ARN, as the records' eventSourceARN. */
  queueArn?: string;
}

export interface OperationsPoller {
  /** Stops receiving; waits for the handler calls in progress. */
  stop(): Promise<void>;
}

/** The queue that drives the worker, created when missing; `visibilityTimeoutSeconds` is how long a failed step waits. */
export async function ensureOperationsQueue(
  sqs: SQSClient,
  name: string,
  visibilityTimeoutSeconds: number,
): Promise<{ queueUrl: string; queueArn: string }> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) } }),
  );
  const queueUrl = QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { queueUrl, queueArn: Attributes?.QueueArn ?? "" };
}

export function startOperationsPoller(options: OperationsPollerOptions): OperationsPoller {
  const abort = new AbortController();
  const report = options.onError ?? ((error: Error) => console.error(`operations: ${error.message}`));
  const loop = async () => {
    let failuresInARow = 0;
    while (!abort.signal.aborted) {
      try {
        await pollOnce(options, abort.signal);
        failuresInARow = 0;
      } catch (error) {
        if (abort.signal.aborted) return;
        report(error instanceof Error ? error : new Error(String(error)));
        failuresInARow += 1;
        await sleep(Math.min(5_000, 100 * 2 ** failuresInARow), abort.signal);
      }
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 2 }, loop);
  return {
    stop: async () => {
      abort.abort();
      await Promise.all(loops);
    },
  };
}

/** One long poll, the handler call, and the deletes of what it handled. */
async function pollOnce(options: OperationsPollerOptions, signal: AbortSignal): Promise<void> {
  const { sqs, queueUrl } = options;
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.batchSize ?? 10,
      WaitTimeSeconds: 20,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
    { abortSignal: signal },
  );
  if (Messages.length === 0) return;
  const records = Messages.map((message) => sqsRecord(message, options.queueArn ?? ""));
  // Thrown: every message comes back after its visibility timeout, as when a Lambda invocation fails.
  const { batchItemFailures } = await options.handler({ Records: records });
  const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
  const done = records.filter((record) => !failed.has(record.messageId));
  if (done.length === 0) return;
  const output = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
    }),
  );
  if ((output.Failed ?? []).length > 0) throw new Error(`could not delete ${output.Failed?.length} handled message(s)`);
}

/** A received message as Lambda's SQS event source delivers it. */
function sqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? "String", ...(value.StringValue ? { stringValue: value.StringValue } : {}) },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: localRegion,
  };
}

/**
 * Sends `{tick:"redrive"}` every `intervalMs`, as the stack's schedule does in AWS: the worker then redrives what
 * waits undelivered. Answers the function that stops it.
 */
export function startRedriveTimer(
  queue: OperationQueue,
  intervalMs: number,
  onError: (error: Error) => void,
): () => void {
  const timer = setInterval(() => {
    queue.enqueue({ tick: "redrive" }).catch((error: unknown) => {
      onError(error instanceof Error ? error : new Error(String(error)));
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
