/** The service itself: is it up, and what does it serve. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { openApiDocument } from "#api/openapi.ts";
import { json } from "#api/responses.ts";

export async function livenessCheck(): Promise<LambdaFunctionURLResult> {
  return json(200, { status: "ok", at: new Date().toISOString() });
}

export async function openApi(): Promise<LambdaFunctionURLResult> {
  return json(200, openApiDocument);
}
