/**
 * The HTTP API as one function from a function-URL event (payload format 2.0) to its result: the router finds
 * the endpoint, the endpoint reads its input, calls the store and answers; problem.ts answers every error.
 * Lambda (handler.ts) and local mode serve this same function. Every answer is counted by its status, and a 500 is
 * logged with the error, under the requestId the caller got (the caller gets no internals).
 */
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { type Observability, quietObservability } from "#shared/observability.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { adminAccess } from "./admin.ts";
import { errorResponse } from "./problem.ts";
import type { ApiServices } from "./request.ts";
import { route } from "./router.ts";

type Answer = Exclude<LambdaFunctionURLResult, string>;

/** The API over `store`; `services` are what some endpoints need besides (the operation queue). */
export function createApi(
  store: StreamStore,
  observability: Observability = quietObservability,
  services: ApiServices = {},
): (event: LambdaFunctionURLEvent, context?: Pick<Context, "invokedFunctionArn">) => Promise<LambdaFunctionURLResult> {
  return async (event, context) => {
    const requestId = event.requestContext?.requestId ?? "unknown";
    let answer: Answer;
    try {
      const { endpoint, request } = route(event, requestId, adminAccess(services.adminAlias, context));
      const result = (await endpoint(request, store, services)) as Answer;
      answer = { ...result, headers: { ...result.headers, "x-request-id": requestId } };
    } catch (error) {
      answer = errorResponse(error, requestId) as Answer;
      if (answer.statusCode === 500) observability.error("unhandled error", { requestId, error });
    }
    countAnswer(observability, answer.statusCode ?? 200, answer.headers?.["retry-after"] !== undefined);
    return answer;
  };
}

function countAnswer(observability: Observability, status: number, retryAfter: boolean): void {
  // Only appends and stream creations answer 201.
  if (status === 201) observability.count("Appends");
  if (status === 409) observability.count("Conflicts");
  // The API's 503s with Retry-After are throttled and database-unavailable (local mode's "starting" comes from its
  // server); operations-not-configured, which no retry helps, is a 5xx but no throttle.
  if (status === 503 && retryAfter) observability.count("Throttles");
  if (status >= 500) observability.count("ServerErrors");
}
