/**
 * A replay into a queue (SPEC section 5: a new read model's own queue, so live subscribers see nothing): the same
 * messages the topic's SQS subscribers get with raw delivery — the body and String attributes of
 * `notificationMessage` — sent with SendMessageBatch (≤ 10 entries, ≤ 256 KB per call).
 *
 * Calls go one after another, each stream's events in revision order. An entry SQS refuses for what it is
 * (SenderFault) is not retried; transient failures (throttling, server faults, a failed call) are retried with
 * backoff a bounded number of times. A stream with an entry given up holds back its later events, and on a FIFO
 * queue one call never carries two entries of one stream, so a stream is never reordered. What is left is
 * answered as unpublished, with a cause: the worker then fails the step, which repeats from its checkpoint.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from "@aws-sdk/client-sqs";
import { deduplicationId, messageBytes, messageRefusal, stringAttributes } from "#change-feed/message.ts";
import {
  notificationMessage,
  type Publish,
  type SnsPublisherOptions,
  type Unpublished,
} from "#change-feed/notifications.ts";
import type { RecordedEvent } from "#store/model.ts";

/** SQS's limits for one SendMessageBatch call. */
const maxEntriesPerCall = 10;
const maxCallBytes = 256 * 1024;

/** As the SNS publisher's: the body, and the retries of transient failures (4 tries, with backoff). */
export type QueuePublisherOptions = Pick<SnsPublisherOptions, "body" | "maxAttempts" | "backoffMs"> & {
  sqs: Pick<SQSClient, "send">;
  /** A queue whose name ends in `.fifo` gets MessageGroupId (the stream) and MessageDeduplicationId. */
  queueUrl: string;
};

interface Entry {
  event: RecordedEvent;
  message: Omit<SendMessageBatchRequestEntry, "Id">;
  bytes: number;
  tries: number;
}

export function createQueuePublisher(options: QueuePublisherOptions): Publish {
  const fifo = options.queueUrl.endsWith(".fifo");
  const maxAttempts = options.maxAttempts ?? 4;
  const backoffMs = options.backoffMs ?? ((attempt) => Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random()));
  const body = options.body ?? "go";

  return async (events, extra = {}) => {
    const unpublished: Unpublished[] = [];
    /** The streams with an entry given up: their later events stay behind it. */
    const failedStreams = new Map<string, RecordedEvent>();
    const giveUp = (entry: Entry, cause: string) => {
      unpublished.push({ event: entry.event, cause });
      failedStreams.set(entry.event.streamId, entry.event);
    };
    let waiting: Entry[] = [];
    for (const event of events) {
      const message = notificationMessage(event, { body }, extra);
      const entry: Entry = {
        event,
        message: sqsEntry(event, message.body, message.attributes, fifo),
        bytes: messageBytes(message.body, message.attributes),
        tries: 0,
      };
      const refusal = messageRefusal(message.body, message.attributes);
      if (refusal) unpublished.push({ event, cause: `refused before sending: ${refusal}` });
      else waiting.push(entry);
    }
    let retryRound = 0;
    let failedCallsInARow = 0;
    while (waiting.length > 0) {
      const { call, rest } = nextCall(waiting, failedStreams, unpublished, fifo);
      if (call.length === 0) break;
      const { failures, callFailed } = await send(options.sqs, options.queueUrl, call);
      failedCallsInARow = callFailed ? failedCallsInARow + 1 : 0;
      if (failedCallsInARow >= maxAttempts) {
        // No call got through for a while: the queue is unreachable; the step is repeated later.
        const cause = `${failures[0]?.cause} (SQS unavailable)`;
        for (const entry of [...call, ...rest]) unpublished.push({ event: entry.event, cause });
        break;
      }
      const retry: Entry[] = [];
      for (const { entry, cause, transient } of failures) {
        entry.tries += 1;
        if (transient && entry.tries < maxAttempts) retry.push(entry);
        else giveUp(entry, transient ? `${cause} (after ${entry.tries} tries)` : cause);
      }
      // Retried entries go first, ahead of their streams' later events.
      waiting = [...retry, ...rest];
      if (retry.length > 0) await sleep(backoffMs(retryRound++));
    }
    return unpublished;
  };
}

/**
 * The next call's entries from the front of `waiting`, in order: up to 10 and 256 KB; on a FIFO queue one per
 * stream. Events of streams that failed are set aside as held back.
 */
function nextCall(
  waiting: Entry[],
  failedStreams: Map<string, RecordedEvent>,
  unpublished: Unpublished[],
  fifo: boolean,
): { call: Entry[]; rest: Entry[] } {
  const call: Entry[] = [];
  const rest: Entry[] = [];
  const inCall = new Set<string>();
  const deferred = new Set<string>();
  let bytes = 0;
  for (const entry of waiting) {
    const { streamId } = entry.event;
    const blocker = failedStreams.get(streamId);
    if (blocker) {
      unpublished.push({ event: entry.event, cause: `held back behind revision ${blocker.revision}` });
      continue;
    }
    const full = call.length === maxEntriesPerCall || (call.length > 0 && bytes + entry.bytes > maxCallBytes);
    // A stream's later events never overtake an earlier one that waits for the next call.
    if (full || (fifo && inCall.has(streamId)) || deferred.has(streamId)) {
      rest.push(entry);
      deferred.add(streamId);
      continue;
    }
    call.push(entry);
    inCall.add(streamId);
    bytes += entry.bytes;
  }
  return { call, rest };
}

interface Failure {
  entry: Entry;
  cause: string;
  transient: boolean;
}

/** One SendMessageBatch call: the entries that failed, each with its cause and whether to retry it. */
async function send(
  sqs: Pick<SQSClient, "send">,
  queueUrl: string,
  call: Entry[],
): Promise<{ failures: Failure[]; callFailed: boolean }> {
  try {
    const output = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: call.map((entry, index) => ({ ...entry.message, Id: String(index) })),
      }),
    );
    const succeeded = new Set((output.Successful ?? []).map((success) => success.Id));
    const failed = new Map((output.Failed ?? []).map((failure) => [failure.Id, failure]));
    const failures = call.flatMap((entry, index): Failure[] => {
      if (succeeded.has(String(index))) return [];
      const failure = failed.get(String(index));
      const cause = failure ? `${failure.Code}: ${failure.Message}` : "SQS answered nothing for this entry";
      return [{ entry, cause, transient: failure?.SenderFault !== true }];
    });
    return { failures, callFailed: false };
  } catch (error) {
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { failures: call.map((entry) => ({ entry, cause, transient: true })), callFailed: true };
  }
}

function sqsEntry(
  event: RecordedEvent,
  body: string,
  attributes: Record<string, string>,
  fifo: boolean,
): Omit<SendMessageBatchRequestEntry, "Id"> {
  return {
    MessageBody: body,
    MessageAttributes: stringAttributes(attributes),
    ...(fifo ? { MessageGroupId: event.streamId, MessageDeduplicationId: deduplicationId(event, attributes) } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
