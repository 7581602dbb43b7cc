/**
 * The HTTP API as one function from a function-URL event (payload format 2.0) to its result: routing, input
 * parsing, the store call, the answer. Lambda (handler.ts) and local mode serve this same function.
 */
import { randomUUID } from "node:crypto";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { uuidV5 } from "#shared/uuid.ts";
import { UnprocessableError, WrongExpectedRevisionError } from "#store/errors.ts";
import type { ExpectedRevision, NewEvent, RecordedEvent, Stream } from "#store/model.ts";
import { stringifyJson } from "#store/raw-json.ts";
import type { StreamStore } from "#store/stream-store.ts";
import {
  bodyMember,
  InputErrors,
  parseEventMember,
  parseExpectedRevision,
  parseInteger,
  parseNewEvent,
  parsePageSize,
  parseTime,
  parseUuid,
  requireBodyObject,
} from "./input.ts";
import { parseJsonBody } from "./json-body.ts";
import { maxRequestBytes } from "./limits.ts";
import { openApiDocument } from "./openapi.ts";
import { HttpProblem, problemResponse } from "./problem.ts";

/** Namespace of stream ids derived from Idempotency-Key headers (a fixed, random UUID). */
const idempotencyNamespace = "9b5e2f0c-3f7d-4a51-9d4e-6c2a1b8e7f30";

/** 0000-01-01T00:00:00.000Z, before any stream existed: the default of `updated-after`. */
const beginningOfTime = -62_167_219_200_000;

interface Request {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: string | undefined;
  requestId: string;
}

type Endpoint = (request: Request, store: StreamStore) => Promise<LambdaFunctionURLResult>;

export interface Route {
  /** Path segments; `:name` captures one. */
  pattern: string[];
  methods: Record<string, Endpoint>;
}

export function createApi(store: StreamStore): (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult> {
  return async (event) => {
    const requestId = event.requestContext?.requestId ?? "unknown";
    try {
      const method = event.requestContext.http.method.toUpperCase();
      const segments = splitPath(event.rawPath);
      const matched = matchRoute(segments);
      if (!matched) {
        throw new HttpProblem(404, "Not found", `no resource at ${event.rawPath}; see GET /openapi.json for the API`);
      }
      const endpoint = matched.route.methods[method];
      if (!endpoint) {
        const allow = Object.keys(matched.route.methods).join(", ");
        throw new HttpProblem(405, "Method not allowed", `${event.rawPath} answers ${allow}`, {}, { allow });
      }
      const body =
        event.body && event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
      if (body !== undefined && Buffer.byteLength(body) > maxRequestBytes) {
        throw new HttpProblem(413, "Content too large", `a request body may be at most ${maxRequestBytes} bytes`, {
          limitBytes: maxRequestBytes,
        });
      }
      const request: Request = {
        method,
        params: matched.params,
        query: new URLSearchParams(event.rawQueryString ?? ""),
        headers: lowerCaseKeys(event.headers ?? {}),
        body,
        requestId,
      };
      const result = (await endpoint(request, store)) as Exclude<LambdaFunctionURLResult, string>;
      return { ...result, headers: { ...result.headers, "x-request-id": requestId } };
    } catch (error) {
      return problemResponse(error, requestId);
    }
  };
}

/** Every route of the API; openapi.ts documents exactly these (a test checks it). */
export const routes: Route[] = [
  { pattern: ["liveness-check"], methods: { GET: livenessCheck } },
  { pattern: ["openapi.json"], methods: { GET: openApi } },
  { pattern: ["streams", ":streamType"], methods: { GET: listStreams, POST: createStream } },
  { pattern: ["streams", ":streamType", ":streamId"], methods: { GET: streamDetails } },
  { pattern: ["streams", ":streamType", ":streamId", "details"], methods: { GET: streamDetails } },
  { pattern: ["streams", ":streamType", ":streamId", "events"], methods: { GET: readEvents, POST: appendEvents } },
  { pattern: ["streams", ":streamType", ":streamId", "events", ":revision"], methods: { PUT: appendAtRevision } },
];

async function livenessCheck(): Promise<LambdaFunctionURLResult> {
  return json(200, { status: "ok", at: new Date().toISOString() });
}

async function openApi(): Promise<LambdaFunctionURLResult> {
  return json(200, openApiDocument);
}

/** POST /streams/{type} {"initialEvent"}: a new stream; with Idempotency-Key, the same stream on every retry. */
async function createStream(request: Request, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const errors = new InputErrors();
  const streamType = request.params.streamType as string;
  const idempotencyKey = request.headers["idempotency-key"];
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    errors.add("Idempotency-Key", "must be 1 to 255 visible ASCII characters");
  }
  const body = parseJsonBody(request.body, request.headers["content-type"]);
  const event = parseEventMember(body, "initialEvent", errors);
  errors.done();
  let streamId: string = randomUUID();
  if (idempotencyKey !== undefined) {
    // The key names the stream: a retry lands on the same id, and the store's idempotent append does the rest.
    streamId = uuidV5(`${streamType}\n${idempotencyKey}`, idempotencyNamespace);
    (event as NewEvent).eventId ??= uuidV5(`${streamType}\n${idempotencyKey}\ninitialEvent`, idempotencyNamespace);
  }
  try {
    const { stream } = await store.append(streamType, streamId, "no-stream", [event as NewEvent]);
    return json(201, { stream }, { location: streamLocation(stream) });
  } catch (error) {
    if (idempotencyKey !== undefined && error instanceof WrongExpectedRevisionError) {
      throw new UnprocessableError(
        "this Idempotency-Key was used before with another request body; use a new key for a new stream",
      );
    }
    throw error;
  }
}

/** PUT /streams/{type}/{id}/events/{revision} {"event"}: exactly the next revision (the Go client's append). */
async function appendAtRevision(request: Request, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const errors = new InputErrors();
  const { streamType, streamId } = streamPath(request, errors);
  const revision = parseInteger(request.params.revision, "revision", errors, { min: 1 });
  const body = parseJsonBody(request.body, request.headers["content-type"]);
  const event = parseEventMember(body, "event", errors);
  errors.done();
  const { stream } = await store.append(streamType, streamId as string, (revision as number) - 1, [event as NewEvent]);
  return json(201, { stream });
}

/** POST /streams/{type}/{id}/events {"expectedRevision", "events"}: 1–100 events, atomically. */
async function appendEvents(request: Request, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const errors = new InputErrors();
  const { streamType, streamId } = streamPath(request, errors);
  const body = parseJsonBody(request.body, request.headers["content-type"]);
  let expected: ExpectedRevision | undefined;
  const events: NewEvent[] = [];
  if (requireBodyObject(body, errors)) {
    expected = parseExpectedRevision(bodyMember(body, "expectedRevision")?.value, errors);
    const member = bodyMember(body, "events");
    if (!member || !Array.isArray(member.value) || member.value.length === 0 || member.value.length > 100) {
      errors.add("events", "must be an array of 1 to 100 events");
    } else {
      member.value.forEach((value, index) => {
        const node = member.node.elements?.[index];
        const event = node && parseNewEvent(body, value, node, `events[${index}]`, errors);
        if (event) events.push(event);
      });
    }
  }
  errors.done();
  const result = await store.append(streamType, streamId as string, expected as ExpectedRevision, events);
  return json(201, result);
}

/** GET /streams/{type}/{id}/events: forward after a revision (default), or backward from one. */
async function readEvents(request: Request, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const errors = new InputErrors();
  const { streamType, streamId } = streamPath(request, errors);
  const direction = request.query.get("direction") ?? "forward";
  if (direction !== "forward" && direction !== "backward")
    errors.add("direction", `must be forward or backward, got "${direction}"`);
  const limit = parsePageSize(request.query.get("limit") ?? undefined, errors);
  let afterRevision: number | undefined;
  let fromRevision: number | undefined;
  if (direction === "backward") {
    if (request.query.has("after-revision"))
      errors.add("after-revision", "applies to forward reads; use from-revision");
    const from = request.query.get("from-revision");
    fromRevision = from === null ? undefined : parseInteger(from, "from-revision", errors, { min: 1 });
  } else {
    if (request.query.has("from-revision"))
      errors.add("from-revision", "applies to backward reads; use after-revision");
    afterRevision = parseInteger(request.query.get("after-revision") ?? undefined, "after-revision", errors, {
      min: 0,
      fallback: 0,
    });
  }
  errors.done();
  const page = await store.readEvents(streamType, streamId as string, {
    direction: direction as "forward" | "backward",
    afterRevision,
    fromRevision,
    limit: limit as number,
  });
  return json(200, { eventPage: { ...page, events: page.events.map(eventBody) } });
}

async function streamDetails(request: Request, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const errors = new InputErrors();
  const { streamType, streamId } = streamPath(request, errors);
  errors.done();
  return json(200, { stream: await store.streamDetails(streamType, streamId as string) });
}

/** GET /streams/{type}?updated-after=T: streams of a type by time of their last event (lags the feed). */
async function listStreams(request: Request, store: StreamStore): Promise<LambdaFunctionURLResult> {
  const errors = new InputErrors();
  const streamType = request.params.streamType as string;
  const updatedAfterText = request.query.get("updated-after");
  const updatedAfter =
    updatedAfterText === null ? beginningOfTime : parseTime(updatedAfterText, "updated-after", errors);
  const pageKey = request.query.get("nextPageKey") ?? request.query.get("stream-next-page-key") ?? undefined;
  const limit = parsePageSize(request.query.get("limit") ?? undefined, errors);
  errors.done();
  const streamPage = await store.listStreams(streamType, {
    updatedAfter: updatedAfter as number,
    pageKey: pageKey || undefined,
    limit: limit as number,
  });
  return json(200, { streamPage });
}

function streamPath(request: Request, errors: InputErrors): { streamType: string; streamId: string | undefined } {
  return {
    streamType: request.params.streamType as string,
    streamId: parseUuid(request.params.streamId, "streamId", errors),
  };
}

/** The event as the API shows it: the Go client's fields plus eventId, metadata and streamType. */
function eventBody(event: RecordedEvent): Record<string, unknown> {
  return {
    streamId: event.streamId,
    streamType: event.streamType,
    revision: event.revision,
    eventType: event.eventType,
    eventId: event.eventId,
    payload: event.payload,
    metadata: event.metadata,
    createdAt: event.createdAt,
  };
}

function streamLocation(stream: Stream): string {
  return `/streams/${encodeURIComponent(stream.streamType)}/${stream.streamId}`;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult {
  return { statusCode: status, headers: { "content-type": "application/json", ...headers }, body: stringifyJson(body) };
}

function splitPath(rawPath: string): string[] {
  const segments = rawPath
    .split("/")
    .filter((segment, index, all) => segment !== "" || (index > 0 && index < all.length - 1));
  return segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new HttpProblem(400, "Malformed path", `the path segment "${segment}" is not valid percent-encoding`);
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

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
