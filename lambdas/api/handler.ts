// Lambda entry point of the HTTP API (function URL, payload format 2.0). Placeholder until the API lands.
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";

export const handler = async (_event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => ({
  statusCode: 503,
  body: "not yet",
});
