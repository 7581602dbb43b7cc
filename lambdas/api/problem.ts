/**
 * Errors to HTTP: the one place that decides the status, the problem+json body (RFC 9457) and the headers a
 * caller sees. Every answer that is not a success has a type from `problemTypes`; store errors map to one by
 * their kind, errors of the HTTP layer itself (routing, media type, body, input) are HttpProblems.
 */
import type { LambdaFunctionURLResult } from "aws-lambda";
import {
  type AppendConditionFailedError,
  type InvalidInputError,
  StoreError,
  type StoreErrorKind,
  type StreamDeletedError,
  type StreamNotFoundError,
  type StreamsConflictError,
  type SubjectErasedError,
  type ThrottledError,
  type TooLargeError,
  type UnavailableError,
  type UnprocessableError,
  type WrongExpectedRevisionError,
} from "#store/errors.ts";

export interface ProblemType {
  /** A tag URI (RFC 4151), as RFC 9457 suggests for types not meant to be dereferenced. */
  type: string;
  slug: string;
  title: string;
  status: number;
}

function problemType(slug: string, title: string, status: number): ProblemType {
  return { type: `tag:event-store,2026:problem:${slug}`, slug, title, status };
}

/** Every kind of problem the API (and local mode's server in front of it) answers: stable names to switch on. */
export const problemTypes = {
  invalidInput: problemType("invalid-input", "Invalid input", 400),
  malformedJson: problemType("malformed-json", "Malformed JSON", 400),
  missingBody: problemType("missing-body", "Missing body", 400),
  malformedPath: problemType("malformed-path", "Malformed path", 400),
  notFound: problemType("not-found", "Not found", 404),
  streamNotFound: problemType("stream-not-found", "Stream not found", 404),
  operationNotFound: problemType("operation-not-found", "Operation not found", 404),
  /** No snapshot of the stream for the schema asked (also when the stream does not exist). */
  snapshotNotFound: problemType("snapshot-not-found", "Snapshot not found", 404),
  /** A stream deleted for good (hard delete): reads, details and appends answer this, for ever. */
  streamDeleted: problemType("stream-deleted", "Stream deleted", 410),
  /** An endpoint that removes data, called through another URL than the admin URL (admin.ts). */
  adminOnly: problemType("admin-only", "Admin URL only", 403),
  methodNotAllowed: problemType("method-not-allowed", "Method not allowed", 405),
  wrongExpectedRevision: problemType("wrong-expected-revision", "Wrong expected revision", 409),
  /** A DCB append whose condition failed: an event matching its query was appended after the position read. */
  appendConditionFailed: problemType("append-condition-failed", "Append condition failed", 409),
  /** A cancel of an operation that has succeeded, failed or been canceled. */
  operationFinished: problemType("operation-finished", "Operation finished", 409),
  /** A snapshot older than the one stored of its schema: `snapshotRevision` names the stored one. */
  snapshotSuperseded: problemType("snapshot-superseded", "Snapshot superseded", 409),
  /** An event or an append larger than DynamoDB takes. */
  tooLarge: problemType("too-large", "Content too large", 413),
  /** A request body larger than a function URL takes. */
  requestTooLarge: problemType("content-too-large", "Content too large", 413),
  unsupportedMediaType: problemType("unsupported-media-type", "Unsupported media type", 415),
  unprocessable: problemType("unprocessable", "Unprocessable request", 422),
  /** Personal data for a data subject that was erased (DELETE /subjects/{subject}): name a new subject. */
  subjectErased: problemType("subject-erased", "Subject erased", 410),
  internalError: problemType("internal-error", "Internal error", 500),
  throttled: problemType("throttled", "Service busy", 503),
  /** DynamoDB did not answer within the request timeout. */
  databaseUnavailable: problemType("database-unavailable", "Database unavailable", 503),
  /** A replay or redrive asked of an API that was given no operation queue: retrying will not help. */
  operationsNotConfigured: problemType("operations-not-configured", "Operations not configured", 503),
  /** Local mode while it starts: a function still initialising, which clients retry after Retry-After. */
  serviceStarting: problemType("service-unavailable", "Service unavailable", 503),
  /** Local mode: a Host header that names no name of this machine (its guard against DNS rebinding). */
  misdirectedRequest: problemType("misdirected-request", "Misdirected request", 421),
} as const satisfies Record<string, ProblemType>;

/** What an answer adds to its problem type: members of the body (besides type, title, status, detail) and headers. */
export interface ProblemExtras {
  members?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** An error found by the HTTP layer itself, answered as its problem type. */
export class HttpProblem extends Error {
  constructor(
    readonly problemType: ProblemType,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
  }
}

/** The problem+json body of an answer of this type. */
export function problemBody(
  type: ProblemType,
  detail: string,
  requestId: string,
  members: Record<string, unknown> = {},
): Record<string, unknown> {
  return { type: type.type, title: type.title, status: type.status, detail, ...members, requestId };
}

/** The whole answer of this type, as a function URL returns it. */
export function problemResponse(
  type: ProblemType,
  detail: string,
  requestId: string,
  extras: ProblemExtras = {},
): LambdaFunctionURLResult {
  return {
    statusCode: type.status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...extras.headers },
    body: JSON.stringify(problemBody(type, detail, requestId, extras.members)),
  };
}

/** The answer to an error thrown while serving a request. */
export function errorResponse(error: unknown, requestId: string): LambdaFunctionURLResult {
  if (error instanceof HttpProblem) return problemResponse(error.problemType, error.detail, requestId, error.extras);
  if (error instanceof StoreError && Object.hasOwn(storeErrorAnswers, error.kind)) {
    const answer = storeErrorAnswers[error.kind] as (error: StoreError) => StoreErrorAnswer;
    const { type, detail, ...extras } = answer(error);
    return problemResponse(type, detail ?? error.message, requestId, extras);
  }
  // The caller gets no internals; app.ts logs the error under the same requestId.
  const detail = "the server failed to answer this request; retry it, and report the requestId if it keeps failing";
  return problemResponse(problemTypes.internalError, detail, requestId);
}

type KnownStoreError =
  | InvalidInputError
  | StreamNotFoundError
  | StreamDeletedError
  | WrongExpectedRevisionError
  | StreamsConflictError
  | AppendConditionFailedError
  | TooLargeError
  | UnprocessableError
  | SubjectErasedError
  | ThrottledError
  | UnavailableError;

interface StoreErrorAnswer extends ProblemExtras {
  type: ProblemType;
  /** Absent: the error's message. */
  detail?: string;
}

/** Each kind of store error, once: its problem type and what the caller needs besides. */
const storeErrorAnswers: {
  [Kind in StoreErrorKind]: (error: Extract<KnownStoreError, { kind: Kind }>) => StoreErrorAnswer;
} = {
  invalid: (error) => ({ type: problemTypes.invalidInput, members: { errors: error.errors } }),
  "not-found": () => ({ type: problemTypes.streamNotFound }),
  gone: () => ({ type: problemTypes.streamDeleted }),
  conflict: (error) => ({
    type: problemTypes.wrongExpectedRevision,
    detail: `${error.message}; read the stream and retry against its current revision`,
    members: { currentRevision: error.currentRevision },
  }),
  "streams-conflict": (error) => ({
    type: problemTypes.wrongExpectedRevision,
    detail: `${error.message}; read those streams and retry against their current revisions`,
    members: { failures: error.failures },
  }),
  "condition-failed": (error) => ({
    type: problemTypes.appendConditionFailed,
    detail: `${error.message}; read the query again and decide again on what it returns`,
    members: { conflictingPosition: error.conflictingPosition },
  }),
  "too-large": (error) => ({ type: problemTypes.tooLarge, members: { limitBytes: error.limitBytes } }),
  unprocessable: () => ({ type: problemTypes.unprocessable }),
  "subject-erased": (error) => ({
    type: problemTypes.subjectErased,
    members: { subject: error.subject, erasedAt: error.erasedAt },
  }),
  throttled: (error) => ({
    type: problemTypes.throttled,
    headers: { "retry-after": String(error.retryAfterSeconds) },
  }),
  unavailable: (error) => ({
    type: problemTypes.databaseUnavailable,
    detail: `${error.message}; nothing is known to be written: retry (an append with eventIds is safe to repeat)`,
    headers: { "retry-after": String(error.retryAfterSeconds) },
  }),
};
