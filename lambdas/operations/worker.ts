/**
 * The operation worker (SPEC section 5, seed 004): carries out replays, redrives and removals (SPEC section 13) one
 * bounded step per queue message, and checkpoints each step in the table before it queues the next.
 *
 * A message `{operationId}` means "run the next step of this operation from its stored cursor"; it carries no
 * position of its own. The worker loads the operation (strongly consistent), runs one step (replay.ts or
 * redrive.ts: read a bounded amount, publish it), then saves the new cursor and progress on the condition that
 * the operation is still at the version it loaded, and only then queues the next step. So:
 * - a crash after publishing and before the checkpoint repeats that step: notifications at least once, none skipped;
 * - a redelivered or stale message whose operation moved on runs a step whose checkpoint loses: it stops there;
 * - a cancel (cancelRequested, which also moves the version) is seen at the next step, or by the step it beat;
 * - a step that fails (a publish that did not go through after the publisher's retries, DynamoDB down) throws, so
 *   the queue brings the message back later; its attempts are counted in the cursor, and after `maxStepAttempts`
 *   the operation fails with a problem instead.
 *
 * The tick `{tick:"redrive"}` (a schedule in AWS, a timer in local mode) reports the age of the oldest undelivered
 * notification, starts a redrive when something waits and none runs, and queues again any operation whose steps
 * stopped (no checkpoint for `stalledAfterMs`, e.g. a message that went to the queue's dead-letter queue).
 */
import { randomUUID } from "node:crypto";
import type { Publish } from "#change-feed/notifications.ts";
import { type Observability, quietObservability } from "#shared/observability.ts";
import {
  isoTime,
  type Operation,
  type OperationKind,
  type OperationState,
  type RemovalRequest,
  type ReplayRequest,
} from "#store/model.ts";
import type { OperationMessage, OperationQueue } from "./queue.ts";
import { redriveStep } from "./redrive.ts";
import { removalStep } from "./removal.ts";
import { replayStep } from "./replay.ts";
import { OperationProblem, type OperationStore, type Step, type StepContext, type StepOutcome } from "./step.ts";
import { isAllowedTarget, type ReplayTarget } from "./targets.ts";

export interface OperationWorkerDependencies {
  store: OperationStore;
  /** Publishes to the store's topic: redrives, and replays without a target. */
  publishToTopic: Publish;
  /** Publishes to a replay's own target (a queue or a topic it names), once it is allowed. */
  publisherFor(target: ReplayTarget): Publish;
  /** Where the next step goes (the queue that drives the worker). */
  queue: OperationQueue;
  /** The targets the stack allows (ARNs, a trailing `*` a prefix, `"*"` alone anything). */
  allowedReplayTargets: readonly string[];
  observability?: Observability;
  /** Events a step reads at most. Default 500. */
  eventsPerStep?: number;
  /** Failed attempts of one step before the operation fails. Default 5. */
  maxStepAttempts?: number;
  /** A pending or running operation without a checkpoint for this long is queued again by the tick. Default 5 min. */
  stalledAfterMs?: number;
  /** Milliseconds since the epoch; tests may pin it. */
  now?: () => number;
}

export interface OperationWorker {
  /** Handles one queue message; throws when it should come back (a failed step). */
  handle(message: OperationMessage): Promise<void>;
}

/** The cursor as the worker stores it: the step's own position, and the failed attempts at it. */
interface WorkerCursor {
  at?: unknown;
  failedAttempts?: number;
}

type Settings = Required<Omit<OperationWorkerDependencies, "observability">> & { observability: Observability };

const finishedStates: readonly OperationState[] = ["succeeded", "failed", "canceled"];

export function createOperationWorker(dependencies: OperationWorkerDependencies): OperationWorker {
  const settings: Settings = {
    eventsPerStep: 500,
    maxStepAttempts: 5,
    stalledAfterMs: 5 * 60_000,
    now: Date.now,
    ...dependencies,
    observability: dependencies.observability ?? quietObservability,
  };
  return {
    handle: (message) => ("tick" in message ? tick(settings) : runStep(settings, message.operationId)),
  };
}

async function runStep(settings: Settings, operationId: string): Promise<void> {
  const operation = await settings.store.getOperation(operationId);
  if (!operation) {
    settings.observability.warn("no such operation: its message is dropped", { operationId });
    return;
  }
  if (finishedStates.includes(operation.state)) return;
  if (operation.cancelRequested) return finish(settings, operation, { state: "canceled" });

  const cursor = (operation.cursor ?? {}) as WorkerCursor;
  let outcome: StepOutcome;
  try {
    const { step, context } = planStep(settings, operation);
    outcome = await step(cursor.at, context);
  } catch (error) {
    return stepFailed(settings, operation, cursor, error);
  }
  settings.observability.count("EventsReplayed", outcome.events);
  const progress = {
    streams: operation.progress.streams + outcome.streams,
    events: operation.progress.events + outcome.events,
  };
  const { cursor: _done, ...rest } = operation;
  const next: Operation = outcome.done
    ? { ...rest, state: "succeeded", progress, result: { ...progress, ...outcome.result } }
    : { ...rest, state: "running", progress, cursor: { at: outcome.cursor } satisfies WorkerCursor };
  const saved = await settings.store.saveOperation(nextVersion(settings, operation, next), operation.version);
  if (saved.saved) {
    if (!outcome.done) await settings.queue.enqueue({ operationId });
    return;
  }
  // Lost to a change made meanwhile: a cancel is honoured now; a worker that moved on goes on alone.
  const current = saved.current;
  if (current && !finishedStates.includes(current.state) && current.cancelRequested) {
    await finish(settings, current, { state: "canceled" });
  }
}

/** The step of this operation's kind, and where its notifications go; throws an OperationProblem if it cannot run. */
function planStep(settings: Settings, operation: Operation): { step: Step; context: StepContext } {
  const base = { store: settings.store, eventsPerStep: settings.eventsPerStep };
  if (operation.kind === "removal") {
    const step = removalStep(operation.request as RemovalRequest);
    return { step, context: { ...base, publish: settings.publishToTopic, extra: {} } };
  }
  const request = operation.request as ReplayRequest;
  if (operation.kind === "redrive" || request.undelivered) {
    const extra = { replayId: operation.id, redrive: "true" };
    return { step: redriveStep, context: { ...base, publish: settings.publishToTopic, extra } };
  }
  const { target } = request;
  if (target && !isAllowedTarget(target, settings.allowedReplayTargets)) {
    throw new OperationProblem(
      "Target not allowed",
      `this stack does not allow replays to ${JSON.stringify(target)} (its replayTargets option)`,
    );
  }
  const publish = target ? settings.publisherFor(target) : settings.publishToTopic;
  return { step: replayStep(request), context: { ...base, publish, extra: { replayId: operation.id } } };
}

/**
 * A failed step: an OperationProblem fails the operation at once; anything else is counted in the cursor and
 * thrown again, so that the message comes back, until the attempts run out and the operation fails.
 */
async function stepFailed(settings: Settings, operation: Operation, cursor: WorkerCursor, error: unknown) {
  const { observability } = settings;
  observability.count("OperationStepFailures");
  if (error instanceof OperationProblem)
    return finish(settings, operation, { state: "failed", problem: error.problem });
  const failedAttempts = (cursor.failedAttempts ?? 0) + 1;
  observability.warn("operation step failed", {
    operationId: operation.id,
    kind: operation.kind,
    failedAttempts,
    error,
  });
  if (failedAttempts >= settings.maxStepAttempts) {
    const detail = `a step failed ${failedAttempts} times; the last time: ${describe(error)}`;
    return finish(settings, operation, { state: "failed", problem: { title: "Step failed", detail } });
  }
  const next: Operation = { ...operation, state: "running", cursor: { ...cursor, failedAttempts } };
  // Best effort: if this write fails too, the attempt is simply not counted.
  await settings.store.saveOperation(nextVersion(settings, operation, next), operation.version).catch(() => {});
  throw error;
}

/** Ends an operation (canceled or failed), reading it again if it changed meanwhile; a finished one stays as it is. */
async function finish(
  settings: Settings,
  operation: Operation,
  end: { state: "canceled" | "failed"; problem?: Operation["problem"] },
): Promise<void> {
  let current: Operation | undefined = operation;
  for (let attempt = 0; current && !finishedStates.includes(current.state) && attempt < 3; attempt++) {
    const { cursor: _ended, ...rest } = current;
    const saved = await settings.store.saveOperation(
      nextVersion(settings, current, { ...rest, ...end }),
      current.version,
    );
    if (saved.saved) return;
    current = saved.current;
  }
}

function nextVersion(settings: Settings, current: Operation, next: Operation): Operation {
  return { ...next, updatedAt: isoTime(settings.now()), version: current.version + 1 };
}

/**
 * The redrive tick: the age of the oldest undelivered notification as a gauge; operations that stopped are
 * queued again; a redrive starts when something waits and no redrive is pending or running.
 */
async function tick(settings: Settings): Promise<void> {
  const { store, observability, now } = settings;
  const [oldest] = (await store.listUndelivered({ limit: 1 })).notifications;
  const ageSeconds = oldest ? Math.max(0, Math.floor((now() - Date.parse(oldest.since)) / 1000)) : 0;
  observability.measure?.("OldestUndeliveredAgeSeconds", ageSeconds);
  await resumeStalled(settings, "removal");
  const redrivesUnderWay = (await resumeStalled(settings, "replay")) + (await resumeStalled(settings, "redrive"));
  if (!oldest || redrivesUnderWay > 0) return;
  const time = isoTime(now());
  const { operation } = await store.createOperation({
    id: randomUUID(),
    kind: "redrive",
    state: "pending",
    createdAt: time,
    updatedAt: time,
    request: { undelivered: true },
    progress: { streams: 0, events: 0 },
    version: 1,
  });
  await settings.queue.enqueue({ operationId: operation.id });
}

/** Queues again the pending and running operations of a kind with no checkpoint for a while; answers how many run. */
async function resumeStalled(settings: Settings, kind: OperationKind): Promise<number> {
  const { store, queue, now, stalledAfterMs } = settings;
  let underWay = 0;
  for (const state of ["pending", "running"] as const) {
    let pageKey: string | undefined;
    do {
      // Pages of 100: the state is a filter applied after the read, so small pages would cost a query per item.
      const page = await store.listOperations({ kind, state, limit: 100, pageKey });
      for (const operation of page.operations) {
        underWay += 1;
        if (now() - Date.parse(operation.updatedAt) < stalledAfterMs) continue;
        settings.observability.warn("operation stalled: its next step is queued again", { operationId: operation.id });
        await queue.enqueue({ operationId: operation.id });
      }
      pageKey = page.hasMore ? page.nextPageKey : undefined;
    } while (pageKey);
  }
  return kind === "redrive" ? underWay : 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
