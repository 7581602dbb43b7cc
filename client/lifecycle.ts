/**
 * Deleting, truncating and keeping streams (SPEC section 13): `client.deleteStream`, `client.truncateStream`,
 * `client.getRetention`, `client.setRetention`.
 */
import type { CallOptions } from "./common.ts";
import type { Transport } from "./transport.ts";
import type { AcceptedOperation, Retention, RetentionSettings } from "./types.ts";

export interface DeleteStreamOptions extends CallOptions {
  /** Delete only if the stream is at this revision (else WrongExpectedRevision). */
  expectedRevision?: number;
  /** A hard delete: a tombstone, after which the stream answers StreamDeleted (410) for ever. Default soft. */
  hard?: boolean;
}

/** What a truncation answers: its removal operation, or `undefined` when nothing new was hidden. */
export type TruncateResult = AcceptedOperation | undefined;

export async function deleteStream(
  transport: Transport,
  streamType: string,
  streamId: string,
  options: DeleteStreamOptions = {},
): Promise<AcceptedOperation> {
  const { expectedRevision, hard, ...call } = options;
  return transport.call<AcceptedOperation>("DELETE", ["streams", streamType, streamId], {
    ...call,
    query: { "expected-revision": expectedRevision, ...(hard ? { hard: "true" } : {}) },
  });
}

export async function truncateStream(
  transport: Transport,
  streamType: string,
  streamId: string,
  truncateBefore: number,
  options: CallOptions = {},
): Promise<TruncateResult> {
  const answer = await transport.call<AcceptedOperation | { truncateBefore: number }>(
    "POST",
    ["streams", streamType, streamId, "truncation"],
    { ...options, body: { truncateBefore } },
  );
  return "id" in answer ? answer : undefined;
}

export async function getRetention(
  transport: Transport,
  streamType: string,
  streamId: string,
  options: CallOptions = {},
): Promise<RetentionSettings> {
  const answer = await transport.call<{ retention: RetentionSettings }>(
    "GET",
    ["streams", streamType, streamId, "retention"],
    options,
  );
  return answer.retention;
}

export async function setRetention(
  transport: Transport,
  streamType: string,
  streamId: string,
  retention: Retention,
  options: CallOptions = {},
): Promise<AcceptedOperation> {
  return transport.call<AcceptedOperation>("PUT", ["streams", streamType, streamId, "retention"], {
    ...options,
    body: retention,
  });
}
