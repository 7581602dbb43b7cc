/**
 * What a step of an operation is, for the worker (worker.ts) and the two kinds of step (replay.ts, redrive.ts):
 * one bounded piece of work from a cursor to the next, which the worker then checkpoints.
 */
import type { Publish, Unpublished } from "#change-feed/notifications.ts";
import type { Operation } from "#store/model.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** The store calls the worker makes. */
export type OperationStore = Pick<
  StreamStore,
  | "getOperation"
  | "saveOperation"
  | "createOperation"
  | "listOperations"
  | "readEvents"
  | "streamDetails"
  | "listStreams"
  | "listUndelivered"
  | "undeliveredOfStream"
  | "clearUndelivered"
  | "removeHidden"
>;

export interface StepContext {
  store: OperationStore;
  /** Where this operation's notifications go. */
  publish: Publish;
  /** Attributes every notification of this operation carries (`replayId`, and `redrive` for a redrive). */
  extra: Record<string, string>;
  /** Events a step reads at most (a stream or page that yields none counts as one). */
  eventsPerStep: number;
}

/** What one step did, and where the next one starts. */
export interface StepOutcome {
  /** Where the next step starts (JSON); meaningless once `done`. */
  cursor: unknown;
  /** Streams finished and events published by this step, added to the operation's progress. */
  streams: number;
  events: number;
  done: boolean;
  /** Merged into the operation's result when it is done. */
  result?: Record<string, unknown>;
}

export type Step = (cursor: unknown, context: StepContext) => Promise<StepOutcome>;

/** A failure no retry mends (an invalid request, a target the stack does not allow): the operation fails at once. */
export class OperationProblem extends Error {
  constructor(
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`);
  }

  get problem(): NonNullable<Operation["problem"]> {
    return { title: this.title, detail: this.detail };
  }
}

/** Notifications that did not go through after the publisher's retries: the step fails, and is repeated. */
export class PublishFailedError extends Error {
  constructor(readonly unpublished: Unpublished[]) {
    super(
      `${unpublished.length} notification(s) not published; the first (stream ${unpublished[0]?.event.streamId}, ` +
        `revision ${unpublished[0]?.event.revision}): ${unpublished[0]?.cause}`,
    );
    this.name = "PublishFailedError";
  }
}
