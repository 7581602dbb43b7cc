/**
 * The console's pages, for both ways it is served: the page at `/` for a browser, its static files under
 * `/_console/`, and its settings at `/_console/config.json` (which store it shows, whether it may write, whether the
 * live tail is there). `npm start` serves them with the tail (serve.ts); the remote console without (remote.ts).
 * Either way local/http-server.ts serves these routes before the API (its `localRoutes`), after the same guards
 * (loopback Host names, JSON writes).
 *
 * The page's files are plain HTML, CSS and JavaScript modules in `static/`, served as they are (no build step),
 * read on each request and revalidated by ETag, so an edit shows on the next reload. A strict Content-Security-Policy
 * allows only this origin's own files: no inline script or style, nothing from elsewhere.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import { problemResponse, problemTypes } from "#api/problem.ts";
import { type LocalRoutes, writeResult } from "../http-server.ts";

/** Beside this module in the sources, and beside the bundle in dist/console/ (scripts/build.ts copies it). */
const staticFolder = new URL("./static/", import.meta.url);

/** `/_console/<name>.<ext>` and one folder level below: names of letters, digits and dashes (no `..`, no dots). */
const assetPath = /^\/_console\/((?:[a-z0-9-]+\/)?[a-z0-9-]+\.(?:js|css|svg))$/;

export const configPath = "/_console/config.json";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Only this origin's own files; no inline code, no frames, no plugins, no form posts, no base URL games. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  // The page builds its DOM with textContent and attributes, never with HTML strings: no script sink is needed.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "x-frame-options": "DENY",
};

/** What the page reads at `/_console/config.json` before its first view (static/config.js). */
export interface ConsoleConfig {
  /** `local`: npm start's own store; `remote`: a deployed store behind this machine's signing proxy. */
  mode: "local" | "remote";
  /** The store's address as the user gave it (remote mode). */
  store?: string;
  /** Whether the forms may write; false makes them say how to get a console that does. */
  writes: boolean;
  /** Whether `/_console/tail` (a queue subscribed to the local topic) is served. */
  tail: boolean;
}

/** A route of the console's own beside its files: answers the request, resolving with the status sent. */
export type ConsoleRoute = (
  request: IncomingMessage,
  response: ServerResponse,
  query: URLSearchParams,
  requestId: string,
) => Promise<number>;

export interface ConsoleRoutesOptions {
  config: ConsoleConfig;
  /** GET routes by path (the tail's event stream). */
  routes?: Record<string, ConsoleRoute>;
  /** Ends what the routes hold open. */
  close?: () => Promise<void>;
  /**
   * Answer every other `/_console/…` path here (404), rather than leave it to the API: the remote console does,
   * so that none of them goes to the deployed store.
   */
  ownsConsolePaths?: boolean;
}

/** The console's routes, to pass to startHttpServer as `localRoutes`. */
export function consoleRoutes({
  config,
  routes = {},
  close,
  ownsConsolePaths = false,
}: ConsoleRoutesOptions): LocalRoutes {
  const configJson = JSON.stringify(config);
  return {
    async serve(request, response, requestId) {
      const method = request.method ?? "GET";
      const [pathname = "/", query = ""] = (request.url ?? "/").split("?", 2);
      const owned = ownsConsolePaths && pathname.startsWith("/_console/");
      if (method !== "GET" && method !== "HEAD") return owned ? notFound(response, pathname, requestId) : undefined;
      if (pathname === "/") {
        return prefersHtml(request.headers.accept) ? sendFile(request, response, "index.html", true) : undefined;
      }
      if (pathname === configPath) {
        return writeResult(response, {
          statusCode: 200,
          headers: { ...securityHeaders, "content-type": "application/json", "cache-control": "no-store" },
          body: configJson,
        });
      }
      const route = routes[pathname];
      if (route && method === "GET") return route(request, response, new URLSearchParams(query), requestId);
      const asset = assetPath.exec(pathname)?.[1];
      const sent = asset ? await sendFile(request, response, asset, false) : undefined;
      return sent ?? (owned ? notFound(response, pathname, requestId) : undefined);
    },
    close: async () => close?.(),
  };
}

function notFound(response: ServerResponse, pathname: string, requestId: string): number {
  const detail = `the console has no file or route at ${pathname}`;
  return writeResult(response, problemResponse(problemTypes.notFound, detail, requestId));
}

/**
 * Whether a request for `/` is a browser's for the page rather than an API client's: its Accept header names
 * `text/html` (or `application/xhtml+xml`) and ranks it no lower than JSON. A browser's navigation does; `*\/*`
 * (curl's default), `application/json` or no Accept at all gets the API's answer, as before the console.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(",").map((range) => {
    const [type = "", ...parameters] = range.split(";").map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith("q="));
    return { type, q: q === undefined ? 1 : Number(q.slice(2)) || 0 };
  });
  const named = (types: string[]) =>
    Math.max(0, ...ranges.filter((range) => types.includes(range.type)).map((r) => r.q));
  const html = named(["text/html", "application/xhtml+xml"]);
  // The most specific range that matches JSON decides its quality (RFC 9110, 12.5.1).
  const json = ["application/json", "application/*", "*/*"]
    .map((type) => ranges.find((range) => range.type === type)?.q)
    .find((q) => q !== undefined);
  return html > 0 && html >= (json ?? 0);
}

/**
 * One of the page's files, or undefined (left to the API's 404) when there is no such file. No cache without
 * asking: the names carry no version, so the browser revalidates each by its ETag (a 304 is cheap).
 */
async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  name: string,
  negotiated: boolean,
): Promise<number | undefined> {
  let content: Buffer;
  try {
    content = await readFile(new URL(name, staticFolder));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const etag = `"${createHash("sha256").update(content).digest("base64url").slice(0, 22)}"`;
  const headers: Record<string, string> = {
    ...securityHeaders,
    "content-type": contentTypes[extname(name)] ?? "application/octet-stream",
    "cache-control": "no-cache",
    etag,
    // `/` answers the page or the API's JSON by the Accept header.
    ...(negotiated ? { vary: "Accept" } : {}),
  };
  if (request.headers["if-none-match"] === etag) {
    response.writeHead(304, headers);
    response.end();
    return 304;
  }
  response.writeHead(200, { ...headers, "content-length": String(content.length) });
  response.end(content);
  return 200;
}
