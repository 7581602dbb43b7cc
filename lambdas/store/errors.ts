/**
 * Errors of the store, as values with a kind. The HTTP layer maps each kind to a status in one place
 * (`lambdas/api/problem.ts`); nothing else decides what a caller sees.
 */
export type StoreErrorKind =
  | "invalid"
  | "not-found"
  | "gone"
  | "conflict"
  | "streams-conflict"
  | "condition-failed"
  | "too-large"
  | "unprocessable"
  | "subject-erased"
  | "throttled"
  | "unavailable";

export abstract class StoreError extends Error {
  abstract readonly kind: StoreErrorKind;
}

/** Input that breaks the model's rules; `errors` maps a field to what is wrong with it. */
export class InvalidInputError extends StoreError {
  readonly kind = "invalid";
  constructor(
    message: string,
    readonly errors: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

export class StreamNotFoundError extends StoreError {
  readonly kind = "not-found";
  constructor(
    readonly streamType: string,
    readonly streamId: string,
  ) {
    super(`stream ${streamId} of type ${streamType} does not exist`);
  }
}

/** The stream was deleted for good (a tombstone): it is never read or written again. */
export class StreamDeletedError extends StoreError {
  readonly kind = "gone";
  constructor(
    readonly streamType: string,
    readonly streamId: string,
  ) {
    super(`stream ${streamId} of type ${streamType} was deleted for good (hard delete): it can never be written again`);
  }
}

/** The stream is not in the state the append expected; nothing was written. */
export class WrongExpectedRevisionError extends StoreError {
  readonly kind = "conflict";
  constructor(
    message: string,
    readonly currentRevision: number,
  ) {
    super(message);
  }
}

/** What a stream of a multi-stream append or check was expected to be, and what it is. */
export interface StreamExpectationFailure {
  streamType: string;
  streamId: string;
  expectedRevision: number | "any" | "no-stream" | "stream-exists";
  currentRevision: number;
}

/** Streams of a multi-stream append are not in the state it expected (all of them named); nothing was written. */
export class StreamsConflictError extends StoreError {
  readonly kind = "streams-conflict";
  constructor(readonly failures: StreamExpectationFailure[]) {
    super(
      `${failures.length === 1 ? "a stream is" : `${failures.length} streams are`} not as expected: ${failures
        .map((failure) => `${failure.streamType}/${failure.streamId} is at ${failure.currentRevision}`)
        .join(", ")}`,
    );
  }
}

/** An event matching a DCB append's condition was appended after the position it read; nothing was written. */
export class AppendConditionFailedError extends StoreError {
  readonly kind = "condition-failed";
  constructor(
    message: string,
    /** The position of the first matching event after the condition's `after`. */
    readonly conflictingPosition: number,
  ) {
    super(message);
  }
}

/** An item or a request is larger than DynamoDB accepts; `limitBytes` says the limit. */
export class TooLargeError extends StoreError {
  readonly kind = "too-large";
  constructor(
    message: string,
    readonly limitBytes: number,
  ) {
    super(message);
  }
}

/** Well-formed but contradicting what is stored, e.g. an idempotency key reused with another body. */
export class UnprocessableError extends StoreError {
  readonly kind = "unprocessable";
}

/** Personal data for a subject whose key was erased: refused for good (a returning customer is a new subject). */
export class SubjectErasedError extends StoreError {
  readonly kind = "subject-erased";
  constructor(
    readonly subject: string,
    readonly erasedAt: string,
  ) {
    super(`subject ${subject} was erased at ${erasedAt}: it takes no personal data again; name a new subject`);
  }
}

/** A failure that a later retry may not meet: `retryAfterSeconds` says when to try again. */
abstract class RetryLaterError extends StoreError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** DynamoDB kept throttling (or kept contending) after the SDK's and our retries. */
export class ThrottledError extends RetryLaterError {
  readonly kind = "throttled";
}

/** DynamoDB did not answer in time (or could not be reached); nothing is known to have been written. */
export class UnavailableError extends RetryLaterError {
  readonly kind = "unavailable";
}
