/**
 * Errors to HTTP: the one place that decides the status, the problem+json body (RFC 9457) and the headers
 * a caller sees. Store errors carry a kind; API errors (routing, media type, body) are HttpProblems.
 */
import type { LambdaFunctionURLResult } from "aws-lambda";
import {
  InvalidInputError,
  StoreError,
  StreamNotFoundError,
  ThrottledError,
  TooLargeError,
  UnprocessableError,
  WrongExpectedRevisionError,
} from "#store/errors.ts";

/** An error found by the HTTP layer itself, with the status it answers. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/**
 * Problem types are tag URIs (RFC 4151), which RFC 9457 suggests for types not meant to be dereferenced:
 * stable names a client can switch on, e.g. `tag:event-store,2026:problem:wrong-expected-revision`.
 */
const problemTypeBase = "tag:event-store,2026:problem:";

export function problemResponse(error: unknown, requestId: string): LambdaFunctionURLResult {
  const problem = toProblem(error);
  if (problem.status >= 500 && !(error instanceof StoreError)) {
    // The caller gets no internals; the log gets everything, under the same requestId.
    console.error(JSON.stringify({ level: "ERROR", requestId, message: "unhandled error", error: describe(error) }));
  }
  const body = {
    type: `${problemTypeBase}${problem.slug}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...problem.extra,
    requestId,
  };
  return {
    statusCode: problem.status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...problem.headers },
    body: JSON.stringify(body),
  };
}

interface Problem {
  status: number;
  slug: string;
  title: string;
  detail: string;
  extra: Record<string, unknown>;
  headers: Record<string, string>;
}

function toProblem(error: unknown): Problem {
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      slug: slugOf(error.title),
      title: error.title,
      detail: error.detail,
      extra: error.extra,
      headers: error.headers,
    };
  }
  const base = { detail: error instanceof Error ? error.message : "", extra: {}, headers: {} };
  if (error instanceof InvalidInputError) {
    return { ...base, status: 400, slug: "invalid-input", title: "Invalid input", extra: { errors: error.errors } };
  }
  if (error instanceof StreamNotFoundError) {
    return { ...base, status: 404, slug: "stream-not-found", title: "Stream not found" };
  }
  if (error instanceof WrongExpectedRevisionError) {
    return {
      ...base,
      status: 409,
      slug: "wrong-expected-revision",
      title: "Wrong expected revision",
      detail: `${error.message}; read the stream and retry against its current revision`,
      extra: { currentRevision: error.currentRevision },
    };
  }
  if (error instanceof TooLargeError) {
    return {
      ...base,
      status: 413,
      slug: "too-large",
      title: "Content too large",
      extra: { limitBytes: error.limitBytes },
    };
  }
  if (error instanceof UnprocessableError) {
    return { ...base, status: 422, slug: "unprocessable", title: "Unprocessable request" };
  }
  if (error instanceof ThrottledError) {
    const headers = { "retry-after": String(error.retryAfterSeconds) };
    return { ...base, status: 503, slug: "throttled", title: "Service busy", headers };
  }
  return {
    status: 500,
    slug: "internal-error",
    title: "Internal error",
    detail: "the server failed to answer this request; retry it, and report the requestId if it keeps failing",
    extra: {},
    headers: {},
  };
}

function slugOf(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

function describe(error: unknown): unknown {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error);
}
