/**
 * Routing: from a function-URL event to the endpoint that answers it, with the request it reads.
 *
 * A new endpoint goes in three places: its function in `endpoints/<group>.ts` (readInput with the schemas of
 * its group's <group>-schema.ts, built from schema.ts's, one store call, an answer from responses.ts), its line in
 * `routes` below, and its operation in its group's slice of the OpenAPI document, <group>-openapi.ts, spread into
 * openapi.ts (test/api/openapi.test.ts fails until the routes and the document agree).
 *
 * The groups few requests need (operations, replays, undelivered notifications, snapshots, uploads, appends across
 * streams and DCB, deletes, truncations and erasures) are imported on the first request to any of them, with `lazy`: in the
 * Lambda bundle they are one chunk (rare-endpoints.ts; scripts/build.ts splits the bundle), so a cold start does not
 * evaluate them or the schemas only they use. The streams, events, feed and service groups, which most requests use,
 * are imported as usual. The endpoints that remove data answer only through the admin URL (admin.ts `adminOnly`).
 */
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { adminOnly } from "./admin.ts";
import { appendAtRevision, appendEvents, readEvents } from "./endpoints/events.ts";
import { feedHead, readFeed } from "./endpoints/feed.ts";
import { listStreams, listStreamTypes } from "./endpoints/listing.ts";
import { livenessCheck, openApi } from "./endpoints/service.ts";
import { createStream, streamDetails } from "./endpoints/streams.ts";
import { decodeBody } from "./json-body.ts";
import { maxRequestBytes } from "./limits.ts";
import { HttpProblem, problemTypes } from "./problem.ts";
import type { ApiRequest, Endpoint } from "./request.ts";

export interface Route {
  /** Path segments; `:name` captures one. */
  pattern: string[];
  methods: Record<string, Endpoint>;
}

/**
 * An endpoint of the module `load` imports, imported on its first request (later requests find the module loaded).
 * `load` must be `() => import("<literal path>")`, so that the bundler sees the module and makes it a chunk; the
 * endpoint is picked by a property access, not by name, so that it stays a reference the type checker (and
 * test/infra/sdk-calls.ts, which follows the code to the AWS calls it makes) can follow.
 */
export function lazy<Module>(load: () => Promise<Module>, endpoint: (module: Module) => Endpoint): Endpoint {
  return async (request, store, services) => endpoint(await load())(request, store, services);
}

// The groups imported on the first request to any of them (rare-endpoints.ts says why together).
const rare = () => import("./rare-endpoints.ts");

/** Every route of the API; openapi.ts documents exactly these (a test checks it). */
export const routes: Route[] = [
  { pattern: ["liveness-check"], methods: { GET: livenessCheck } },
  { pattern: ["openapi.json"], methods: { GET: openApi } },
  { pattern: ["streams"], methods: { GET: listStreamTypes } },
  { pattern: ["streams", ":streamType"], methods: { GET: listStreams, POST: createStream } },
  {
    pattern: ["streams", ":streamType", ":streamId"],
    methods: { GET: streamDetails, DELETE: lazy(rare, (groups) => adminOnly(groups.lifecycle.deleteStream)) },
  },
  { pattern: ["streams", ":streamType", ":streamId", "details"], methods: { GET: streamDetails } },
  { pattern: ["streams", ":streamType", ":streamId", "events"], methods: { GET: readEvents, POST: appendEvents } },
  { pattern: ["streams", ":streamType", ":streamId", "events", ":revision"], methods: { PUT: appendAtRevision } },
  {
    pattern: ["streams", ":streamType", ":streamId", "truncation"],
    methods: { POST: lazy(rare, (groups) => adminOnly(groups.lifecycle.truncateStream)) },
  },
  {
    pattern: ["streams", ":streamType", ":streamId", "retention"],
    methods: {
      GET: lazy(rare, (groups) => groups.lifecycle.getRetention),
      PUT: lazy(rare, (groups) => adminOnly(groups.lifecycle.putRetention)),
    },
  },
  {
    pattern: ["streams", ":streamType", ":streamId", "snapshots"],
    methods: { PUT: lazy(rare, (groups) => groups.snapshots.putSnapshot) },
  },
  {
    pattern: ["streams", ":streamType", ":streamId", "snapshots", "latest"],
    methods: { GET: lazy(rare, (groups) => groups.snapshots.getLatestSnapshot) },
  },
  { pattern: ["replays"], methods: { POST: lazy(rare, (groups) => groups.replays.createReplay) } },
  { pattern: ["operations"], methods: { GET: lazy(rare, (groups) => groups.operations.listOperations) } },
  {
    pattern: ["operations", ":id"],
    methods: {
      GET: lazy(rare, (groups) => groups.operations.operationDetails),
      DELETE: lazy(rare, (groups) => groups.operations.cancelOperation),
    },
  },
  {
    pattern: ["notifications", "undelivered"],
    methods: { GET: lazy(rare, (groups) => groups.undelivered.listUndelivered) },
  },
  { pattern: ["feed"], methods: { GET: readFeed } },
  { pattern: ["feed", "head"], methods: { GET: feedHead } },
  { pattern: ["appends"], methods: { POST: lazy(rare, (groups) => groups.consistency.appendToStreams) } },
  { pattern: ["uploads"], methods: { POST: lazy(rare, (groups) => groups.uploads.createUpload) } },
  { pattern: ["dcb", "read"], methods: { POST: lazy(rare, (groups) => groups.consistency.readDcb) } },
  { pattern: ["dcb", "append"], methods: { POST: lazy(rare, (groups) => groups.consistency.appendDcb) } },
  {
    pattern: ["subjects", ":subject"],
    methods: { DELETE: lazy(rare, (groups) => adminOnly(groups.subjects.eraseSubject)) },
  },
];

/** The endpoint for this event and the request it reads; 400, 404, 405 or 413 (HttpProblem) when there is none. */
export function route(
  event: LambdaFunctionURLEvent,
  requestId: string,
  admin = true,
): { endpoint: Endpoint; request: ApiRequest } {
  const method = event.requestContext.http.method.toUpperCase();
  const matched = matchRoute(splitPath(event.rawPath));
  if (!matched) {
    const detail = `no resource at ${event.rawPath}; see GET /openapi.json for the API`;
    throw new HttpProblem(problemTypes.notFound, detail);
  }
  const endpoint = endpointFor(matched.route, method);
  if (!endpoint) {
    const allow = allowedMethods(matched.route);
    throw new HttpProblem(problemTypes.methodNotAllowed, `${event.rawPath} answers ${allow}`, { headers: { allow } });
  }
  const bytes = event.body && event.isBase64Encoded ? Buffer.from(event.body, "base64") : undefined;
  if ((bytes?.length ?? Buffer.byteLength(event.body ?? "")) > maxRequestBytes) {
    throw new HttpProblem(problemTypes.requestTooLarge, `a request body may be at most ${maxRequestBytes} bytes`, {
      members: { limitBytes: maxRequestBytes },
    });
  }
  // Invalid UTF-8 is refused, not read with replacement characters that would then be stored.
  const body = bytes ? decodeBody(bytes) : event.body;
  const request: ApiRequest = {
    method,
    path: event.rawPath,
    params: matched.params,
    query: new URLSearchParams(event.rawQueryString ?? ""),
    headers: lowerCaseKeys(event.headers ?? {}),
    body,
    requestId,
    caller: callerOf(event),
    admin,
  };
  return { endpoint, request };
}

/**
 * The IAM principal of a signed request: a user's ARN, or an assumed role's ARN without its session name (so a
 * client retrying from a new session stays the same caller). Function URLs with auth NONE and local mode have none.
 */
function callerOf(event: LambdaFunctionURLEvent): string {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string; accountId?: string } } }).authorizer
    ?.iam;
  const assumedRole = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\//.exec(iam?.userArn ?? "");
  if (assumedRole) return `arn:${assumedRole[1]}:iam::${assumedRole[2]}:role/${assumedRole[3]}`;
  return iam?.userArn ?? iam?.accountId ?? "anonymous";
}

function splitPath(rawPath: string): string[] {
  const segments = rawPath
    .split("/")
    .filter((segment, index, all) => segment !== "" || (index > 0 && index < all.length - 1));
  return segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      const message = `has a segment that is not valid percent-encoding: "${segment}"`;
      throw new HttpProblem(problemTypes.malformedPath, `the path segment "${segment}" is not valid percent-encoding`, {
        members: { errors: { path: [message] } },
      });
    }
  });
}

function matchRoute(segments: string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = route.pattern.every((part, index) => {
      const segment = segments[index] as string;
      if (part.startsWith(":")) {
        params[part.slice(1)] = segment;
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

/**
 * The endpoint of a method on a route. HEAD is served by the GET endpoint: the answer's headers are GET's, and the
 * function URL (or local mode's server) sends no body for HEAD. OPTIONS answers 204 with the methods in Allow.
 */
function endpointFor(route: Route, method: string): Endpoint | undefined {
  if (method === "HEAD") return route.methods.GET;
  if (method === "OPTIONS") {
    const allow = allowedMethods(route);
    return async () => ({ statusCode: 204, headers: { allow } });
  }
  return route.methods[method];
}

/** What the Allow header names for a route: its own methods, HEAD where it has GET, and OPTIONS. */
function allowedMethods(route: Route): string {
  const own = Object.keys(route.methods);
  return [...own, ...(own.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
