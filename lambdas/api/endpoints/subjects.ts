/** Data subjects (SPEC section 13): erasure of a subject's personal data by crypto-shredding. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { readInput } from "#api/input.ts";
import type { ApiRequest } from "#api/request.ts";
import { json } from "#api/responses.ts";
import { SubjectPath } from "#api/subjects-schema.ts";
import type { StreamStore } from "#store/stream-store.ts";

/**
 * DELETE /subjects/{subject}: erases the subject's data key, so that its personal values read as "[erased]" on every
 * path from now on, and records the erasure as an operation (kind erasure). Idempotent: a repeat answers the first.
 */
export async function eraseSubject(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { path } = readInput(request, { path: SubjectPath });
  return json(200, { erasure: await store.eraseSubject(path.subject, request.caller) });
}
