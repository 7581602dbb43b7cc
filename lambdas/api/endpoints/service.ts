/** The service itself: is it up (and its table with it), and what does it serve. */
import type { LambdaFunctionURLResult } from "aws-lambda";
import type { ApiRequest } from "#api/request.ts";
import { json } from "#api/responses.ts";
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

/**
 * GET /openapi.json: the document, its server the origin this request came to. The document (every schema written
 * out as JSON) is built when its module is first imported, by the first request for it, not at every cold start.
 */
export async function openApi(request: ApiRequest): Promise<LambdaFunctionURLResult> {
  const { servedOpenApiDocument } = await import("#api/openapi.ts");
  return json(200, servedOpenApiDocument(originOf(request)));
}

/**
 * The origin a request came to: the function URL's (Lambda sets Host and X-Forwarded-Proto), or local mode's
 * server's. Undefined when the headers do not name one plainly, so that nothing odd is echoed into the document.
 */
function originOf(request: ApiRequest): string | undefined {
  const host = request.headers.host;
  const protocol = request.headers["x-forwarded-proto"] ?? "https";
  if (!host || !hostShape.test(host) || (protocol !== "https" && protocol !== "http")) return undefined;
  return `${protocol}://${host.toLowerCase()}`;
}

/** A host name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const hostShape = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
