/** Notifications the change feed could not publish, waiting for a redrive (SPEC sections 4 and 5). */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { readInput } from "#api/input.ts";
import { ListUndeliveredQuery } from "#api/operation-schema.ts";
import type { ApiRequest } from "#api/request.ts";
import { json } from "#api/responses.ts";
import type { StreamStore } from "#store/stream-store.ts";

/** GET /notifications/undelivered: ranges of a stream's events, oldest failure first. */
export async function listUndelivered(request: ApiRequest, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const { query } = readInput(request, { query: ListUndeliveredQuery });
  const undeliveredPage = await store.listUndelivered({ limit: query.limit, pageKey: query.nextPageKey || undefined });
  return json(200, { undeliveredPage });
}
