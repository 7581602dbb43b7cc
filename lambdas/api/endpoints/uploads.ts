/** Uploads of payloads larger than a request carries (SPEC section 12). */
import type { LambdaFunctionURLResult } from "aws-lambda";
import type { ApiRequest } from "#api/request.ts";
import { json } from "#api/responses.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** POST /uploads: a pre-signed PUT for a payload, and the id an append names it by. */
export async function createUpload(_request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  return json(201, { upload: await store.createUpload() });
}
