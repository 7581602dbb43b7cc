/**
 * What the local HTTP server refuses before the API sees a request. Local mode has no authentication and
 * listens on 127.0.0.1, so the remaining callers to fear are web pages in the developer's own browser:
 *
 * - DNS rebinding: a page on `evil.example` whose name is re-pointed to 127.0.0.1 talks to the store as a
 *   same-origin page would, and reads the answers. Its requests carry `Host: evil.example`, so only loopback
 *   names (plus the ones `--allow-host` names) are served; others get 421 misdirected-request naming the header.
 * - Cross-site "simple" requests: any page may POST a form or a `text/plain` (or untyped) body with `no-cors`;
 *   it cannot read the answer, but the write would happen. Browsers preflight every request with a JSON
 *   content type (and every PUT, PATCH and DELETE), so a write must say `application/json` (or `+json`):
 *   POST, PUT and PATCH always, DELETE when it has a body; otherwise 415.
 */
import type { IncomingMessage } from "node:http";
import type { LambdaFunctionURLResult } from "aws-lambda";
import { isJsonContentType } from "#api/json-body.ts";
import { problemResponse, problemTypes } from "#api/problem.ts";

/** Host names served without being named: the loopback ones, with any port. */
export const loopbackHostNames = ["localhost", "127.0.0.1", "[::1]"] as const;

const alwaysJson = new Set(["POST", "PUT", "PATCH"]);

/**
 * The refusal of a request, or undefined when it may go to the handler.
 *
 * @param allowedHosts - host names (lower case, without port) served besides the loopback ones
 */
export function refusal(
  request: IncomingMessage,
  body: Buffer,
  allowedHosts: ReadonlySet<string>,
  requestId: string,
): LambdaFunctionURLResult | undefined {
  const hosts = request.headersDistinct.host ?? [];
  const host = hosts.length === 1 ? hostName(hosts[0] as string) : undefined;
  // No Host at all is no browser (they always send one); more than one is never valid (RFC 9110, 7.2).
  if (hosts.length > 1 || (hosts.length === 1 && !(host && isAllowedHost(host, allowedHosts)))) {
    const given = hosts.join(", ");
    const detail =
      `the Host header "${given}" is not a name of this machine: local mode answers ${loopbackHostNames.join(", ")} ` +
      "(any port), which keeps web pages on other names out (DNS rebinding); npm start -- --allow-host NAME adds one";
    const members = { errors: { host: [`must be ${loopbackHostNames.join(", ")} or a name given with --allow-host`] } };
    // 421 Misdirected Request (RFC 9110, 15.5.20): this server does not answer for that name.
    return problemResponse(problemTypes.misdirectedRequest, detail, requestId, { members });
  }

  const method = (request.method ?? "GET").toUpperCase();
  const needsJson = alwaysJson.has(method) || (method === "DELETE" && body.length > 0);
  if (needsJson && !isJsonContentType(request.headers["content-type"])) {
    const given = request.headers["content-type"] ?? "none";
    const detail =
      `send ${method} requests with Content-Type: application/json (got ${given}); local mode refuses other ` +
      "types so that a web page cannot write through a cross-site form or text post";
    return problemResponse(problemTypes.unsupportedMediaType, detail, requestId);
  }
  return undefined;
}

/** The host name of a Host header, lower case and without its port; undefined when it is not a valid one. */
export function hostName(header: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::\d*)?$/.exec(header.trim().toLowerCase());
  return match?.[1];
}

function isAllowedHost(host: string, allowedHosts: ReadonlySet<string>): boolean {
  return (loopbackHostNames as readonly string[]).includes(host) || allowedHosts.has(host);
}
