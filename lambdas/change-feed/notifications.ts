/**
 * Notifications: one SNS message per event, in the body and attributes of SPEC section 4, so subscribers of the
 * Go project keep working and filter policies on `streamType` select one stream type.
 *
 * Messages go out with PublishBatch (≤ 10 entries, ≤ the topic's maximum message size per call: 256 KiB unless the
 * stack raised it), calls one after another, and every entry fails alone: an entry that cannot be sent (characters
 * SNS does not take, too long) is refused before any call;
 * a call the SDK or SNS refuses as a whole is split into calls of one entry, so only the bad one fails; an entry
 * SNS refuses (SenderFault) is not retried; transient failures (throttling, server faults, a failed call) are
 * retried with backoff, a bounded number of times per entry, and once calls keep failing with no success in
 * between SNS counts as down and the rest is not tried. On a FIFO topic one call never carries two entries of one
 * stream, so a partial failure cannot reorder a stream, and a stream whose entry failed holds back its later
 * events. What is left is answered as unpublished, with a cause: the change feed records it as undelivered.
 */
import {
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  type PublishBatchRequestEntry,
  type SNSClient,
} from "@aws-sdk/client-sns";
import { type Observability, quietObservability } from "#shared/observability.ts";
import type { RecordedEvent } from "#store/model.ts";
import {
  deduplicationId,
  defaultMaxMessageBytes,
  messageBytes,
  messageRefusal,
  type NotificationOptions,
  notificationMessage,
  stringAttributes,
} from "./message.ts";

export { type NotificationOptions, notificationBody, notificationMessage } from "./message.ts";

/** SNS's limit of entries in one PublishBatch call; its size limit is the topic's maximum message size. */
export const maxEntriesPerBatch = 10;

export interface Unpublished {
  event: RecordedEvent;
  /** Why, for an operator: the refusal, the last error, or `held back behind revision N`. */
  cause: string;
}

/** Publishes events (grouped by stream, each stream in revision order) with `extra` attributes on each; answers what it did not publish. */
export type Publish = (events: RecordedEvent[], extra?: Record<string, string>) => Promise<Unpublished[]>;

export interface SnsPublisherOptions {
  sns: Pick<SNSClient, "send">;
  /** A topic whose name ends in `.fifo` gets MessageGroupId and MessageDeduplicationId, one entry per stream per call. */
  topicArn: string;
  /** The message body (default `go`). */
  body?: "go" | "full";
  /**
   * The topic's `MaximumMessageSize`: the largest message, and the largest PublishBatch call (SNS counts a call's
   * messages together against it). Default: SNS's default, 256 KiB.
   */
  maxMessageBytes?: number | undefined;
  /** Tries per entry for transient failures, the first included; as many failed calls in a row mean SNS is down. */
  maxAttempts?: number;
  /** Backoff before a retry; tests may shorten it. */
  backoffMs?: (attempt: number) => number;
  /** Told about failed PublishBatch calls (they are retried). Default: a line on stderr. */
  observability?: Observability;
}

type Entry = Omit<PublishBatchRequestEntry, "Id">;

interface Pending {
  event: RecordedEvent;
  entry: Entry;
  bytes: number;
  tries: number;
  /** A call with it was refused as a whole: it goes out in a call of its own. */
  alone: boolean;
}

export function createSnsPublisher(options: SnsPublisherOptions): Publish {
  const settings: PublishSettings = {
    sns: options.sns,
    topicArn: options.topicArn,
    fifo: options.topicArn.endsWith(".fifo"),
    message: { body: options.body ?? "go", maxMessageBytes: options.maxMessageBytes ?? defaultMaxMessageBytes },
    maxAttempts: options.maxAttempts ?? 4,
    backoffMs: options.backoffMs ?? ((attempt) => Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random())),
    observability: options.observability ?? quietObservability,
  };
  return (events, extra = {}) => new PublishRun(settings, events, extra).run();
}

interface PublishSettings {
  sns: Pick<SNSClient, "send">;
  topicArn: string;
  fifo: boolean;
  message: NotificationOptions & { maxMessageBytes: number };
  maxAttempts: number;
  backoffMs: (attempt: number) => number;
  observability: Observability;
}

/** One call of the publish function: each stream's entries waiting, and what was given up with its cause. */
class PublishRun {
  private readonly streams = new Map<string, Pending[]>();
  private readonly unpublished = new Map<RecordedEvent, string>();
  /** FIFO: the streams with an event given up, and that event. */
  private readonly held = new Map<string, RecordedEvent>();
  private failedCallsInARow = 0;
  private retryRound = 0;

  constructor(
    private readonly settings: PublishSettings,
    private readonly events: RecordedEvent[],
    extra: Record<string, string>,
  ) {
    for (const event of events) {
      const { body, attributes } = notificationMessage(event, settings.message, extra);
      const entry = snsEntry(event, body, attributes, settings.fifo, extra);
      const pending: Pending = { event, entry, bytes: messageBytes(body, attributes), tries: 0, alone: false };
      const refusal = messageRefusal(body, attributes, settings.message.maxMessageBytes);
      const queue = this.streams.get(event.streamId) ?? [];
      this.streams.set(event.streamId, queue);
      const blocker = this.held.get(event.streamId);
      if (blocker) this.unpublished.set(event, heldBackCause(blocker));
      else if (refusal) this.giveUp(pending, `refused before sending: ${refusal}`);
      else queue.push(pending);
    }
  }

  async run(): Promise<Unpublished[]> {
    for (let batch = this.nextCall(); batch.length > 0; batch = this.nextCall()) {
      const retry = await this.send(batch);
      if (retry) await sleep(this.settings.backoffMs(this.retryRound++));
    }
    return this.events.flatMap((event) => {
      const cause = this.unpublished.get(event);
      return cause === undefined ? [] : [{ event, cause }];
    });
  }

  /**
   * Up to 10 entries and the topic's maximum message size from the fronts of the streams; FIFO: one per stream; an
   * `alone` entry by itself.
   */
  private nextCall(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    for (const queue of this.streams.values()) {
      for (let next = queue[0]; next; next = queue[0]) {
        if (next.alone) {
          if (batch.length === 0) return [queue.shift() as Pending];
          break;
        }
        if (
          batch.length === maxEntriesPerBatch ||
          (batch.length > 0 && bytes + next.bytes > this.settings.message.maxMessageBytes)
        ) {
          return batch;
        }
        batch.push(queue.shift() as Pending);
        bytes += next.bytes;
        if (this.settings.fifo) break;
      }
    }
    return batch;
  }

  /** Sends one call; true when some of its entries wait for a retry. */
  private async send(batch: Pending[]): Promise<boolean> {
    let output: PublishBatchCommandOutput;
    try {
      output = await this.settings.sns.send(
        new PublishBatchCommand({
          TopicArn: this.settings.topicArn,
          PublishBatchRequestEntries: batch.map((pending, index) => ({ ...pending.entry, Id: String(index) })),
        }),
      );
    } catch (error) {
      return this.callFailed(batch, error);
    }
    this.failedCallsInARow = 0;
    const failed = new Map((output.Failed ?? []).map((failure) => [failure.Id, failure]));
    const succeeded = new Set((output.Successful ?? []).map((success) => success.Id));
    const retry: Pending[] = [];
    batch.forEach((pending, index) => {
      const failure = failed.get(String(index));
      if (!failure && succeeded.has(String(index))) return;
      const cause = failure ? `${failure.Code}: ${failure.Message}` : "SNS answered nothing for this entry";
      if (failure?.SenderFault === true) this.giveUp(pending, cause);
      else this.retryOrGiveUp(pending, cause, retry);
    });
    this.requeue(retry);
    return retry.length > 0;
  }

  private callFailed(batch: Pending[], error: unknown): boolean {
    const cause = describe(error);
    if (isRefusal(error)) {
      // Refused as a whole: find the bad entry by sending each alone.
      if (batch.length === 1) this.giveUp(batch[0] as Pending, cause);
      else this.requeue(batch.map((pending) => Object.assign(pending, { alone: true })));
      return false;
    }
    this.settings.observability.warn("PublishBatch call failed", { error, entries: batch.length });
    this.failedCallsInARow += 1;
    if (this.failedCallsInARow >= this.settings.maxAttempts) {
      // No call got through for a while: SNS is down; what is left waits for a redrive.
      for (const pending of batch) this.giveUp(pending, `${cause} (SNS unavailable)`);
      for (const queue of this.streams.values()) {
        for (const pending of queue.splice(0))
          this.unpublished.set(pending.event, `not sent, SNS unavailable: ${cause}`);
      }
      return false;
    }
    const retry: Pending[] = [];
    for (const pending of batch) this.retryOrGiveUp(pending, cause, retry);
    this.requeue(retry);
    return retry.length > 0;
  }

  private retryOrGiveUp(pending: Pending, cause: string, retry: Pending[]): void {
    pending.tries += 1;
    if (pending.tries < this.settings.maxAttempts) retry.push(pending);
    else this.giveUp(pending, `${cause} (after ${pending.tries} tries)`);
  }

  /** Puts entries back at the fronts of their streams, ahead of their streams' later events. */
  private requeue(entries: Pending[]): void {
    for (const pending of [...entries].reverse()) this.streams.get(pending.event.streamId)?.unshift(pending);
  }

  /** Gives an entry up; on a FIFO topic its stream's later events are held back behind it. */
  private giveUp(pending: Pending, cause: string): void {
    this.unpublished.set(pending.event, cause);
    if (!this.settings.fifo) return;
    this.held.set(pending.event.streamId, pending.event);
    const queue = this.streams.get(pending.event.streamId) ?? [];
    for (const later of queue.splice(0)) this.unpublished.set(later.event, heldBackCause(pending.event));
  }
}

function heldBackCause(event: RecordedEvent): string {
  return `held back behind revision ${event.revision}`;
}

function snsEntry(
  event: RecordedEvent,
  body: string,
  attributes: Record<string, string>,
  fifo: boolean,
  extra: Record<string, string>,
): Entry {
  return {
    Message: body,
    MessageAttributes: stringAttributes(attributes),
    ...(fifo ? { MessageGroupId: event.streamId, MessageDeduplicationId: deduplicationId(event, extra) } : {}),
  };
}

interface SdkError {
  name?: string;
  message?: string;
  $fault?: "client" | "server";
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * A call refused for what it carries, not for when it was sent: a client fault of SNS other than throttling,
 * or an error the SDK raised before sending (a URIError or TypeError while serialising the call).
 */
function isRefusal(error: unknown): boolean {
  const sdk = (error ?? {}) as SdkError;
  if (sdk.$fault !== undefined) {
    const throttled =
      sdk.$retryable !== undefined ||
      sdk.$metadata?.httpStatusCode === 429 ||
      /throttl|toomanyrequests|limitexceeded/i.test(sdk.name ?? "");
    return sdk.$fault === "client" && !throttled;
  }
  return error instanceof URIError || error instanceof TypeError || error instanceof RangeError;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
