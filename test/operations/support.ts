/**
 * Set-up of the operation worker's tests: the real store over a table of their own on the run's DynamoDB Local
 * (redrives read every undelivered record of a table, so other suites' records must not be in it), a local
 * SNS/SQS endpoint of their own, the real publishers, and a queue in memory that the tests drain step by step.
 */
import { randomUUID } from "node:crypto";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createSnsPublisher, type Publish } from "#change-feed/notifications.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { type LocalSubscription, type Notification, openLocalQueue } from "#local/subscription.ts";
import type { OperationMessage, OperationQueue } from "#operations/queue.ts";
import { createQueuePublisher } from "#operations/queue-publisher.ts";
import type { ReplayTarget } from "#operations/targets.ts";
import { createOperationWorker, type OperationWorker, type OperationWorkerDependencies } from "#operations/worker.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import type { GaugeName, LogDetails, Observability } from "#shared/observability.ts";
import { isoTime, type NewEvent, type Operation, type ReplayRequest } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb, testTable } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotifications } from "#test/support/notifications.ts";
import { testSubjectKeys } from "#test/support/store.ts";

/** The operation tests' table (shared by their files; each test's streams have a stream type of their own). */
export const operationsTable = "operations-test";

export async function operationsStore(): Promise<StreamStore> {
  const tableName = await testTable(operationsTable);
  return new StreamStore({
    client: createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint)),
    tableName,
    subjectKeys: await testSubjectKeys(),
  });
}

/** Appends `events` events to each of `streams` new streams of `streamType` and lists them, as the change feed would. */
export async function seedStreams(
  store: StreamStore,
  streamType: string,
  options: {
    streams: number;
    events: number;
    eventType?: (revision: number) => string;
    /**
     * Raise the streams' summaries here, as the change feed would (default). False when the test runs the change
     * feed itself: a summary already raised tells the change feed that those events went through it.
     */
    summaries?: boolean;
  },
): Promise<string[]> {
  const streamIds = Array.from({ length: options.streams }, () => randomUUID());
  await Promise.all(
    streamIds.map(async (streamId) => {
      for (let first = 1; first <= options.events; first += 100) {
        const count = Math.min(100, options.events - first + 1);
        const events: NewEvent[] = Array.from({ length: count }, (_, index) => ({
          eventType: options.eventType?.(first + index) ?? "Happened",
          payload: new RawJson(`{"revision":${first + index}}`),
        }));
        const appended = await store.append(streamType, streamId, first - 1, events);
        if (options.summaries !== false) await store.raiseSummary(appended.stream);
      }
    }),
  );
  return streamIds;
}

/** An Observability that keeps what it is told (and prints nothing: the failures these tests cause are expected). */
export interface KeptObservability extends Observability {
  gauges: { metric: GaugeName; value: number }[];
  warnings: { message: string; details: LogDetails }[];
}

export function keptObservability(): KeptObservability {
  const kept: KeptObservability = {
    gauges: [],
    warnings: [],
    count: () => {},
    measure: (metric, value) => void kept.gauges.push({ metric, value }),
    error: (message, details) => void kept.warnings.push({ message, details }),
    warn: (message, details) => void kept.warnings.push({ message, details }),
    beginInvocation: () => {},
    endInvocation: () => {},
  };
  return kept;
}

/** A queue in memory: what the worker queues waits here until the test hands it back. */
export interface MemoryQueue extends OperationQueue {
  messages: OperationMessage[];
}

export function memoryQueue(): MemoryQueue {
  const messages: OperationMessage[] = [];
  return { messages, enqueue: async (message) => void messages.push(message) };
}

/** Hands every queued message to the worker until none is left (a failed step's message is handed back). */
export async function drain(worker: OperationWorker, queue: MemoryQueue, maxMessages = 10_000): Promise<number> {
  let handled = 0;
  for (let message = queue.messages.shift(); message; message = queue.messages.shift()) {
    if (++handled > maxMessages) throw new Error(`more than ${maxMessages} messages: the operation does not end`);
    try {
      await worker.handle(message);
    } catch {
      queue.messages.push(message);
    }
  }
  return handled;
}

export interface WorkerRig {
  store: StreamStore;
  notifications: TestNotifications;
  queue: MemoryQueue;
  /** The worker with the real publishers; `options` override its dependencies. */
  worker(options?: Partial<OperationWorkerDependencies>): OperationWorker;
  /** The real publisher of a target. */
  publisherFor(target: ReplayTarget): Publish;
  /** The store's topic's real publisher. */
  publishToTopic: Publish;
  /** A queue of its own (subscribed to nothing): a replay's target. */
  targetQueue(): Promise<LocalSubscription>;
  /** Creates a pending operation and queues its first step, as POST /replays does. */
  start(request: ReplayRequest, kind?: Operation["kind"]): Promise<Operation>;
  close(): Promise<void>;
}

export async function workerRig(): Promise<WorkerRig> {
  const store = await operationsStore();
  const notifications = await testNotifications();
  const config = localAwsClientConfig(notifications.endpoint);
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const queue = memoryQueue();
  const backoffMs = () => 5;
  const publishToTopic = createSnsPublisher({ sns, topicArn: notifications.topicArn, backoffMs });
  const publisherFor = (target: ReplayTarget): Publish =>
    "queueUrl" in target
      ? createQueuePublisher({ sqs, queueUrl: target.queueUrl, backoffMs })
      : createSnsPublisher({ sns, topicArn: target.topicArn, backoffMs });
  const queues: LocalSubscription[] = [];
  return {
    store,
    notifications,
    queue,
    publishToTopic,
    publisherFor,
    worker: (options = {}) =>
      createOperationWorker({
        store,
        publishToTopic,
        publisherFor,
        queue,
        allowedReplayTargets: ["*"],
        eventsPerStep: 50,
        observability: keptObservability(),
        ...options,
      }),
    async targetQueue() {
      const target = await openLocalQueue({ endpoint: notifications.endpoint, namePrefix: "target" });
      queues.push(target);
      return target;
    },
    async start(request, kind = request.undelivered ? "redrive" : "replay") {
      const now = isoTime(Date.now());
      const { operation } = await store.createOperation({
        id: randomUUID(),
        kind,
        state: "pending",
        createdAt: now,
        updatedAt: now,
        request,
        progress: { streams: 0, events: 0 },
        version: 1,
      });
      await queue.enqueue({ operationId: operation.id });
      return operation;
    },
    async close() {
      await Promise.all(queues.map((target) => target.close()));
      sns.destroy();
      sqs.destroy();
      await notifications.stop();
    },
  };
}

/**
 * Receives what is in the queue now, until it is empty (or `max` arrived). For what a drained worker sent: it is
 * all there already, so an empty short poll means there is no more.
 */
export async function receiveAll(queue: LocalSubscription, max = 100_000): Promise<Notification[]> {
  const received: Notification[] = [];
  for (;;) {
    const batch = await queue.receive(0);
    if (batch.length === 0 || received.length >= max) return received;
    received.push(...batch);
  }
}

/** Each stream's revisions in the order they arrived. */
export function revisionsByStream(notifications: Notification[]): Map<string, number[]> {
  const streams = new Map<string, number[]>();
  for (const { body } of notifications) {
    const revisions = streams.get(body.StreamId as string) ?? [];
    revisions.push(Number(body.StreamRevision));
    streams.set(body.StreamId as string, revisions);
  }
  return streams;
}

/** Each stream's revisions in the order they first arrived: a repeat is allowed (at least once), a gap or a swap is not. */
export function firstArrivals(notifications: Notification[]): Map<string, number[]> {
  const streams = new Map<string, number[]>();
  for (const [streamId, revisions] of revisionsByStream(notifications)) streams.set(streamId, [...new Set(revisions)]);
  return streams;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
