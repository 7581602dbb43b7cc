/** The service itself: is it up (and its table with it), and what does it serve. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { openApiDocument } from "#api/openapi.ts";
import { json } from "#api/responses.ts";
import type { ApiRequest } from "#api/router.ts";
import type { StreamStore } from "#store/stream-store.ts";

/**
 * 200 when the table answers too (one eventually consistent query, 0.5 RRU), so a health check sees the whole
 * path; when DynamoDB does not answer within the client's timeout the store's UnavailableError is answered 503
 * database-unavailable with Retry-After, like every other request.
 */
export async function livenessCheck(_request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  await store.ping();
  return json(200, { status: "ok", at: new Date().toISOString(), database: "ok" });
}

export async function openApi(): Promise<LambdaFunctionURLResult> {
  return json(200, openApiDocument);
}
