/**
 * The building blocks of the OpenAPI document (openapi.ts) and of its slices kept beside their endpoint groups
 * (feed-openapi.ts, …): schemas as the document shows them, parameters from schemas, and the answers operations
 * share.
 */
import type { TObject, TSchema } from "@sinclair/typebox";

/**
 * A schema as the document shows it: plain JSON without our `errorMessage` keyword, and every component
 * (a schema with an `$id`, see schema.ts `components` and each group's, e.g. streams-schema.ts `streamsComponents`)
 * other than `self` as a $ref to it.
 */
export function documented(schema: TSchema, self?: string): Record<string, unknown> {
  const text = JSON.stringify(schema, (key, value) => {
    if (key === "errorMessage" || key === "exactlyOne" || key === "$id") return undefined;
    if (typeof value?.$id === "string" && value.$id !== self) return { $ref: `#/components/schemas/${value.$id}` };
    return value;
  });
  return JSON.parse(text);
}

/**
 * The members of a parameter schema (schema.ts, <group>-schema.ts) as OpenAPI parameters; one with a default may
 * be left out.
 */
export function parameters(schema: TObject, location: "path" | "query" | "header") {
  return Object.entries(schema.properties).map(([name, property]) => {
    const required = location === "path" || (schema.required?.includes(name) && property.default === undefined);
    return { name, in: location, ...(required ? { required: true } : {}), schema: documented(property) };
  });
}

export const json = (schema: TSchema) => ({ content: { "application/json": { schema: documented(schema) } } });
export const retryAfter = {
  "Retry-After": { description: "seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
};
export const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

// Answers that operations share. Each operation lists the ones it can give.
export const badInput = { "400": problem("bad input: errors names each field and what is wrong with it") };
export const streamNotFound = { "404": problem("no such stream, or the stream has another type than the path names") };
export const streamDeleted = {
  "410": problem("stream-deleted: the stream was deleted for good (hard delete); it is never read or written again"),
};
export const tooLarge = {
  "413": problem("an event over 400 KB, an append over 4 MB or a request over 6 MB: see limitBytes"),
};
/** The endpoints that remove data, called through the API URL instead of the admin URL (admin.ts). */
export const adminOnly = {
  "403": problem(
    "admin-only: this endpoint answers only through the store's admin URL (stack output AdminUrl), to callers " +
      "granted with grantAdmin (problem+json); or Lambda refused the signed request before the API saw it (Lambda's " +
      "own body)",
  ),
};
export const notJson = { "415": problem("the body is not application/json") };
export const keyReused = { "422": problem("the Idempotency-Key was used before with another body") };
export const busy = {
  "503": problem("DynamoDB throttled after retries, or did not answer in time: retry after Retry-After", retryAfter),
};
/** What every operation can answer: Lambda's own refusals, before the API runs, and a failure of the API. */
export const always = {
  "403": {
    description:
      "AWS_IAM deployments: Lambda refused the request before the API saw it (a bad signature, or the caller lacks " +
      "lambda:InvokeFunctionUrl and lambda:InvokeFunction); Lambda's own body, not problem+json",
  },
  "429": {
    description:
      "Lambda throttled the function (its reserved concurrency or the account's limit); Lambda's own body, not " +
      "problem+json",
  },
  "500": problem("the server failed: the body holds no internals, only the requestId to report"),
};
export const conflict = {
  "409": problem("the stream is not in the expected state; nothing was written: see currentRevision"),
};
