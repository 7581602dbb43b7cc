/**
 * The local console's server side: the page at `/` for a browser, its static files under `/_console/`, and the live
 * tail's event stream (tail-stream.ts). Everything else the page shows it reads from the public HTTP API with
 * fetch, on the same origin. Local mode only: local/http-server.ts serves these routes before the API (its
 * `localRoutes`), after the same guards (loopback Host names, JSON writes); nothing here reaches lambdas/.
 *
 * The page's files are plain HTML, CSS and JavaScript modules in `static/`, served as they are (no build step),
 * read on each request and revalidated by ETag, so an edit shows on the next reload. A strict Content-Security-Policy
 * allows only this origin's own files: no inline script or style, nothing from elsewhere.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import type { LocalRoutes } from "../http-server.ts";
import type { LocalNotifications } from "../notifications.ts";
import { createTails, tailPath } from "./tail-stream.ts";

const staticFolder = new URL("./static/", import.meta.url);

/** `/_console/<name>.<ext>` and one folder level below: names of letters, digits and dashes (no `..`, no dots). */
const assetPath = /^\/_console\/((?:[a-z0-9-]+\/)?[a-z0-9-]+\.(?:js|css|svg))$/;

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

/** The console's routes, to pass to startHttpServer as `localRoutes`; its tail subscribes at `notifications`. */
export function createConsole(notifications: Pick<LocalNotifications, "endpoint" | "topicArn">): LocalRoutes {
  const tails = createTails(notifications);
  return {
    async serve(request, response, requestId) {
      const method = request.method ?? "GET";
      if (method !== "GET" && method !== "HEAD") return undefined;
      const [pathname = "/", query = ""] = (request.url ?? "/").split("?", 2);
      if (pathname === "/") {
        return prefersHtml(request.headers.accept) ? sendFile(request, response, "index.html", true) : undefined;
      }
      if (pathname === tailPath && method === "GET")
        return tails.serve(request, response, new URLSearchParams(query), requestId);
      const asset = assetPath.exec(pathname)?.[1];
      return asset ? sendFile(request, response, asset, false) : undefined;
    },
    close: () => tails.close(),
  };
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
