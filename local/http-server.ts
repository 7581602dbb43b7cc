/**
 * Local mode's stand-in for the Lambda function URL: a Node HTTP server that turns each request into the
 * function-URL event (payload format 2.0) and writes the handler's result back, so the API handler runs
 * unchanged on a laptop. It listens on 127.0.0.1 and refuses what a web page could abuse (request-guards.ts).
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { maxRequestBytes } from "#api/limits.ts";
import { problemResponse, problemTypes } from "#api/problem.ts";
import { hostName, refusal } from "./request-guards.ts";

/** The API Lambda handler's signature. */
export type FunctionUrlHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

export interface HttpServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on (default 127.0.0.1: local mode has no authentication, keep it off the network). */
  host?: string;
  handler: FunctionUrlHandler;
  /** Host header names served besides localhost, 127.0.0.1 and [::1] (`--allow-host`). */
  allowedHosts?: string[];
  /** Gets one line per answered request (`GET /liveness-check 200 3 ms`). Default: no log. */
  log?: (line: string) => void;
  /** Routes local mode serves itself before the API (the console); the guards apply to them as to the API. */
  localRoutes?: LocalRoutes;
}

/**
 * Requests that local mode answers itself instead of the API: the console (local/console/serve.ts). They pass the
 * same guards first (request-guards.ts), and they are not function-URL requests, so they never reach the handler.
 */
export interface LocalRoutes {
  /**
   * Answers a request it owns and resolves with the status sent, once the answer has ended (an event stream ends
   * when the client goes away); or writes nothing and resolves undefined, leaving the request to the API.
   */
  serve(request: IncomingMessage, response: ServerResponse, requestId: string): Promise<number | undefined>;
  /** Ends the answers that are still open (event streams), so that the server can close. */
  close(): Promise<void>;
}

export interface HttpServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A function URL refuses request payloads above 6 MB; the limit has one home, next to the API. */
export const maxRequestBodyBytes = maxRequestBytes;

/**
 * Serves `handler` over HTTP as a Lambda function URL would.
 *
 * Throws an Error with a one-line message when the port is in use.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const host = options.host ?? "127.0.0.1";
  const allowedHosts = new Set((options.allowedHosts ?? []).map((name) => hostName(name) ?? name.toLowerCase()));
  const server = createServer((request, response) => {
    const started = performance.now();
    serve(request, response, options, allowedHosts).then(
      (status) => {
        const path = (request.url ?? "/").split("?")[0];
        options.log?.(`${request.method} ${path} ${status} ${Math.round(performance.now() - started)} ms`);
      },
      (error: unknown) => {
        // Only reached when writing the answer itself failed (e.g. the client went away) or a local route failed.
        console.error(`local API: ${(error as Error).message}`);
        response.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `port ${options.port} is in use: pass --port or set PORT`
            : `cannot listen on ${host}:${options.port}: ${error.message}`,
        ),
      );
    });
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
      });
      // Open event streams and keep-alive connections would otherwise hold close() open.
      await options.localRoutes?.close();
      server.closeIdleConnections();
      // A long poll of the feed (GET /feed?wait-seconds=20) would hold it up to 20 s: answers still running
      // after a moment are cut off, as a function URL's are when its function stops.
      const cutOff = setTimeout(() => server.closeAllConnections(), closeGraceMs);
      await closed.finally(() => clearTimeout(cutOff));
    },
  };
}

/** How long closing waits for answers still being written before it cuts their connections. */
const closeGraceMs = 1_000;

/** Answers one request; resolves with the status sent. */
async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  { handler, localRoutes }: HttpServerOptions,
  allowedHosts: ReadonlySet<string>,
): Promise<number> {
  const requestId = randomUUID();
  const body = await readBody(request);
  if (body === "too large") {
    const detail = `the request body exceeds the ${maxRequestBodyBytes} bytes (6 MB) a Lambda function URL accepts`;
    const members = { limitBytes: maxRequestBodyBytes };
    return writeResult(response, problemResponse(problemTypes.requestTooLarge, detail, requestId, { members }));
  }
  const refused = refusal(request, body, allowedHosts, requestId);
  if (refused) return writeResult(response, refused);
  const served = await localRoutes?.serve(request, response, requestId);
  if (served !== undefined) return served;
  const event = toFunctionUrlEvent(request, body, requestId);
  let result: LambdaFunctionURLResult;
  try {
    result = await handler(event);
  } catch (error) {
    // The caller sees what a failed function would give: a 500 with no internals. The log keeps the details.
    console.error(`local API: the handler failed on ${event.requestContext.http.method} ${event.rawPath}:`, error);
    const detail = "the request could not be handled; retry it, and report the requestId if it keeps failing";
    return writeResult(response, problemResponse(problemTypes.internalError, detail, requestId));
  }
  return writeResult(response, result);
}

/**
 * Reads the whole body, or reports it too large (reading on, so that the client gets to see the answer). With
 * listeners rather than `for await`, whose iterator costs more than the rest of a GET's body handling.
 */
function readBody(request: IncomingMessage): Promise<Buffer | "too large"> {
  const declared = Number(request.headers["content-length"] ?? 0);
  let tooLarge = declared > maxRequestBodyBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve, reject) => {
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBodyBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.once("end", () => resolve(tooLarge ? "too large" : Buffer.concat(chunks)));
    request.once("error", reject);
    // A client that goes away mid-body: whatever 'close' settles after 'end' or 'error' is ignored.
    request.once("close", () => reject(new Error("the client closed the connection before the body ended")));
  });
}

/**
 * Builds the function-URL event (payload format 2.0) of a request, as Lambda does: lower-case headers with
 * repeated ones joined by commas, cookies moved out of the headers, repeated query keys joined by commas, and
 * a body that is text for textual content types and base64 otherwise. A textual body that is not valid UTF-8
 * goes base64 too, so that the API sees the bytes and can refuse them rather than get U+FFFD in their place.
 */
export function toFunctionUrlEvent(request: IncomingMessage, body: Buffer, requestId: string): LambdaFunctionURLEvent {
  const target = request.url ?? "/";
  const queryStart = target.indexOf("?");
  const rawPath = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? "" : target.slice(queryStart + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (!values) continue;
    if (name === "cookie") {
      cookies = values.flatMap((value) => value.split(";").map((cookie) => cookie.trim())).filter(Boolean);
    } else {
      headers[name] = values.join(",");
    }
  }
  const sourceIp = (request.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  headers["x-forwarded-for"] ??= sourceIp;
  headers["x-forwarded-proto"] ??= "http";
  headers["x-forwarded-port"] ??= String(request.socket.localPort ?? "");

  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    const previous = queryStringParameters[key];
    queryStringParameters[key] = previous === undefined ? value : `${previous},${value}`;
  }

  const now = new Date();
  const domainName = headers.host ?? "localhost";
  const textual = isTextual(headers["content-type"]) && isUtf8(body);
  const event: LambdaFunctionURLEvent = {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName,
      domainPrefix: domainName.split(".")[0]?.split(":")[0] ?? "local",
      http: {
        method: request.method ?? "GET",
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: textual ? body.toString("utf8") : body.toString("base64") } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
  return event;
}

// Lambda passes these as text and everything else (including no content type) as base64.
function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    type.endsWith("+json") ||
    type.endsWith("+xml") ||
    [
      "application/json",
      "application/javascript",
      "application/xml",
      "application/yaml",
      "application/x-www-form-urlencoded",
      "application/graphql",
    ].includes(type)
  );
}

/** `12/Mar/2020:19:03:58 +0000`, the requestContext.time format. */
function formatRequestTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Writes the result as a function URL would; returns the status sent. */
export function writeResult(response: ServerResponse, result: LambdaFunctionURLResult): number {
  // As with a function URL, a result without statusCode is itself the JSON body of a 200.
  if (typeof result === "string" || result === null || typeof result !== "object" || !("statusCode" in result)) {
    const body = Buffer.from(typeof result === "string" ? result : JSON.stringify(result));
    response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    response.end(body);
    return 200;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers["set-cookie"] = result.cookies;
  // A function URL answers with a Content-Length, not a chunked body; never on a 204, which has no body (RFC 9110).
  const body = Buffer.from(result.body ?? "", result.isBase64Encoded ? "base64" : "utf8");
  const status = result.statusCode ?? 200;
  if (status !== 204) headers["content-length"] = String(body.length);
  response.writeHead(status, headers);
  response.end(body);
  return status;
}
