/**
 * Typed errors: every answer that is not a success becomes an EventStoreError that keeps the problem document, and
 * the problem types callers act on have classes of their own (WrongExpectedRevision, StreamNotFound, …).
 */

import type { StreamExpectationFailure } from "./consistency-types.ts";
import type { Problem } from "./types.ts";

const tag = (slug: string) => `tag:event-store,2026:problem:${slug}` as const;

/**
 * The `type` of every problem the API answers: the API's contract, copied from its registry
 * (lambdas/api/problem.ts; test/client/types.test.ts checks that they agree). Switch on these, not on `title`.
 */
export const problemTypes = {
  invalidInput: tag("invalid-input"),
  malformedJson: tag("malformed-json"),
  missingBody: tag("missing-body"),
  malformedPath: tag("malformed-path"),
  notFound: tag("not-found"),
  streamNotFound: tag("stream-not-found"),
  operationNotFound: tag("operation-not-found"),
  snapshotNotFound: tag("snapshot-not-found"),
  streamDeleted: tag("stream-deleted"),
  adminOnly: tag("admin-only"),
  methodNotAllowed: tag("method-not-allowed"),
  wrongExpectedRevision: tag("wrong-expected-revision"),
  appendConditionFailed: tag("append-condition-failed"),
  operationFinished: tag("operation-finished"),
  snapshotSuperseded: tag("snapshot-superseded"),
  tooLarge: tag("too-large"),
  requestTooLarge: tag("content-too-large"),
  unsupportedMediaType: tag("unsupported-media-type"),
  unprocessable: tag("unprocessable"),
  subjectErased: tag("subject-erased"),
  internalError: tag("internal-error"),
  throttled: tag("throttled"),
  databaseUnavailable: tag("database-unavailable"),
  operationsNotConfigured: tag("operations-not-configured"),
  serviceStarting: tag("service-unavailable"),
  misdirectedRequest: tag("misdirected-request"),
} as const;

/** An answer of the API that is not a success. `problem` is its problem document (RFC 9457). */
export class EventStoreError extends Error {
  override name = "EventStoreError";
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.title} (${problem.status}): ${problem.detail}`);
    this.status = problem.status;
    this.problem = problem;
  }

  /** The id to quote when reporting the failure (the server logs it). */
  get requestId(): string | undefined {
    return this.problem.requestId;
  }
}

/** 400: the request broke a rule of the API; `errors` names each field and what is wrong with it. */
export class BadRequest extends EventStoreError {
  override name = "BadRequest";
  readonly errors: Record<string, string[]>;
  constructor(problem: Problem) {
    super(problem);
    this.errors = problem.errors ?? {};
  }
}

/** 401 or 403: the function URL refused the caller (no or a bad signature, or no permission to invoke it). */
export class Forbidden extends EventStoreError {
  override name = "Forbidden";
}

/** 404. */
export class NotFound extends EventStoreError {
  override name = "NotFound";
}

/** 404: the stream does not exist, or it exists with another type than the one asked for. */
export class StreamNotFound extends NotFound {
  override name = "StreamNotFound";
}

/** 410: the stream was deleted for good (a hard delete): it is never read or written again. */
export class StreamDeleted extends EventStoreError {
  override name = "StreamDeleted";
}

/** 404: there is no operation with this id. */
export class OperationNotFound extends NotFound {
  override name = "OperationNotFound";
}

/** 409: the stream is not in the state the append expected; nothing was written. */
export class WrongExpectedRevision extends EventStoreError {
  override name = "WrongExpectedRevision";
  /** The stream's revision when the append was refused (0: it does not exist). */
  readonly currentRevision: number;
  constructor(problem: Problem) {
    super(problem);
    this.currentRevision = problem.currentRevision ?? Number.NaN;
  }
}

/**
 * 409 of `appendMany`: some of its streams are not in the state expected; `failures` names every one of them, with
 * its current revision, and nothing was written. A WrongExpectedRevision too, so that one handler (read again,
 * decide again) serves both kinds of append; its own `currentRevision` is NaN, as no single stream is meant.
 */
export class StreamsConflict extends WrongExpectedRevision {
  override name = "StreamsConflict";
  readonly failures: StreamExpectationFailure[];
  constructor(problem: Problem) {
    super(problem);
    this.failures = problem.failures ?? [];
  }
}

/**
 * 409 of a DCB append: an event matching its condition's query was appended after the position its read answered;
 * nothing was written. Read again and decide again (`client.dcb.decide` does).
 */
export class AppendConditionFailed extends EventStoreError {
  override name = "AppendConditionFailed";
  /** The position of the first matching event after the condition's `after`. */
  readonly conflictingPosition: number;
  constructor(problem: Problem) {
    super(problem);
    this.conflictingPosition = problem.conflictingPosition ?? Number.NaN;
  }
}

/** 409: a cancel of an operation that has finished already. */
export class OperationFinished extends EventStoreError {
  override name = "OperationFinished";
}

/**
 * 409 of `putSnapshot`: a newer snapshot of the schema is stored (`snapshotRevision`); nothing was written. Harmless:
 * loads use the newer one.
 */
export class SnapshotSuperseded extends EventStoreError {
  override name = "SnapshotSuperseded";
  /** The revision of the stored snapshot. */
  readonly snapshotRevision: number;
  constructor(problem: Problem) {
    super(problem);
    this.snapshotRevision = typeof problem.snapshotRevision === "number" ? problem.snapshotRevision : Number.NaN;
  }
}

/** 413: an event, an append or a request is larger than the store takes; `limitBytes` says the limit. */
export class PayloadTooLarge extends EventStoreError {
  override name = "PayloadTooLarge";
  readonly limitBytes: number | undefined;
  constructor(problem: Problem) {
    super(problem);
    this.limitBytes = problem.limitBytes;
  }
}

/**
 * 410: personal data for a data subject that was erased (`eraseSubject`); nothing was written. A returning customer
 * is a new subject: name a new one.
 */
export class SubjectErased extends EventStoreError {
  override name = "SubjectErased";
  /** The erased subject and when it was erased. */
  readonly subject: string | undefined;
  readonly erasedAt: string | undefined;
  constructor(problem: Problem) {
    super(problem);
    this.subject = problem.subject;
    this.erasedAt = problem.erasedAt;
  }
}

/** 422: an Idempotency-Key used before with another request body. Use a new key for a new request. */
export class IdempotencyKeyReused extends EventStoreError {
  override name = "IdempotencyKeyReused";
}

/**
 * 429 or 503 after the client's retries: the table throttled or did not answer in time, or the function is busy.
 * Nothing is known to be written; repeating the same call with the same eventIds or Idempotency-Key is safe.
 */
export class ServiceUnavailable extends EventStoreError {
  override name = "ServiceUnavailable";
  /** The server's Retry-After, in seconds, when it sent one as a number. */
  readonly retryAfterSeconds: number | undefined;
  constructor(problem: Problem, retryAfter?: string | null) {
    super(problem);
    this.retryAfterSeconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  }
}

/**
 * No answer: the connection failed or an attempt timed out, on every attempt. The request may or may not have been
 * carried out; repeating it with the same eventIds or Idempotency-Key is safe.
 */
export class NetworkError extends Error {
  override name = "NetworkError";
}

/** The error class of each problem type that has one; other types map by status (see `errorFor`). */
const errorsByType: Record<string, new (problem: Problem) => EventStoreError> = {
  [problemTypes.streamNotFound]: StreamNotFound,
  [problemTypes.streamDeleted]: StreamDeleted,
  [problemTypes.operationNotFound]: OperationNotFound,
  [problemTypes.wrongExpectedRevision]: WrongExpectedRevision,
  [problemTypes.appendConditionFailed]: AppendConditionFailed,
  [problemTypes.operationFinished]: OperationFinished,
  [problemTypes.snapshotSuperseded]: SnapshotSuperseded,
  [problemTypes.unprocessable]: IdempotencyKeyReused,
  [problemTypes.subjectErased]: SubjectErased,
};

const errorsByStatus: Record<number, new (problem: Problem) => EventStoreError> = {
  400: BadRequest,
  401: Forbidden,
  403: Forbidden,
  404: NotFound,
  413: PayloadTooLarge,
};

/** The error of an answer that is not a success: its problem document, or one made up from what came instead. */
export function errorFor(status: number, headers: Headers, text: string): EventStoreError {
  const problem = problemOf(status, text);
  if (status === 429 || status === 503) return new ServiceUnavailable(problem, headers.get("retry-after"));
  // A multi-stream append's conflict has the type of a single append's, and names its streams in `failures`.
  const streamsConflict = problem.type === problemTypes.wrongExpectedRevision && Array.isArray(problem.failures);
  const ErrorClass = streamsConflict
    ? StreamsConflict
    : (errorsByType[problem.type] ?? errorsByStatus[status] ?? EventStoreError);
  return new ErrorClass(problem);
}

/** The problem document of an answer; a non-JSON answer (a gateway's, the function URL's own) gets `about:blank`. */
export function problemOf(status: number, text: string): Problem {
  try {
    const body = JSON.parse(text) as Partial<Problem> | null;
    if (body && typeof body.type === "string" && typeof body.title === "string") {
      return { ...body, type: body.type, title: body.title, status, detail: String(body.detail ?? "") };
    }
    // Lambda's own answers (a refused signature, throttling) are {"Message": "..."}; some gateways say "message".
    const { Message, message } = (body ?? {}) as { Message?: unknown; message?: unknown };
    const said = Message ?? message;
    if (typeof said === "string") return blankProblem(status, said);
  } catch {
    // Not JSON: a proxy's or gateway's page; its text is the detail.
  }
  return blankProblem(status, text.slice(0, 500));
}

function blankProblem(status: number, detail: string): Problem {
  return { type: "about:blank", title: `HTTP ${status}`, status, detail };
}
