/**
 * The HTTP API as one function from a function-URL event (payload format 2.0) to its result: the router finds
 * the endpoint, the endpoint reads its input, calls the store and answers; problem.ts answers every error.
 * Lambda (handler.ts) and local mode serve this same function.
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import type { StreamStore } from "#store/stream-store.ts";
import { errorResponse } from "./problem.ts";
import { route } from "./router.ts";

export function createApi(store: StreamStore): (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult> {
  return async (event) => {
    const requestId = event.requestContext?.requestId ?? "unknown";
    try {
      const { endpoint, request } = route(event, requestId);
      const result = (await endpoint(request, store)) as Exclude<LambdaFunctionURLResult, string>;
      return { ...result, headers: { ...result.headers, "x-request-id": requestId } };
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
}
