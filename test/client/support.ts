/**
 * Set-up of the client's tests that need no store: a tiny HTTP server that answers from a script and keeps every
 * request it got, and an independent SigV4 check (node:crypto, written from AWS's description of the algorithm)
 * to hold the client's signatures against.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface CapturedRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One scripted answer; `hang` never answers (the client's timeout ends it), `drop` closes the connection. */
export type ScriptedAnswer =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { hang: true }
  | { drop: true };

export interface ScriptedServer {
  url: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

/** Answers the n-th request with `answers[n]` (the last one again once they run out). */
export async function scriptedServer(answers: ScriptedAnswer[]): Promise<ScriptedServer> {
  const requests: CapturedRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    requests.push({ method: request.method ?? "", target: request.url ?? "", headers: request.headers, body });
    const answer = answers[Math.min(requests.length, answers.length) - 1] as ScriptedAnswer;
    if ("hang" in answer) return void hanging.push(response);
    if ("drop" in answer) return void request.socket.destroy();
    const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
    const type = answer.status >= 400 ? "application/problem+json" : "application/json";
    response.writeHead(answer.status, { "content-type": type, ...answer.headers });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A problem+json body as the API answers it. */
export function problem(slug: string, status: number, members: Record<string, unknown> = {}) {
  const type = `tag:event-store,2026:problem:${slug}`;
  return { type, title: slug, status, detail: `a ${slug} for the test`, requestId: "test-request", ...members };
}

export const stream = { streamId: "3f2b8c1e-6f7a-4d2b-9c1e-2a3b4c5d6e7f", streamType: "order", revision: 1 };

/** A Stream answer. */
export function streamAnswer(revision = 1) {
  return { stream: { ...stream, revision, updatedAt: "2026-01-02T03:04:05.678Z" } };
}

export interface SignatureParts {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** The parts of an `Authorization: AWS4-HMAC-SHA256 …` header; undefined when it is not one. */
export function signatureParts(authorization: string | undefined): SignatureParts | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      authorization ?? "",
    );
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId as string,
    date: date as string,
    region: region as string,
    service: service as string,
    signedHeaders: (signedHeaders as string).split(";"),
    signature: signature as string,
  };
}

/** The SigV4 signature a request as received should carry, computed from scratch with `secretAccessKey`. */
export function expectedSignature(request: CapturedRequest, secretAccessKey: string): string {
  const parts = signatureParts(request.headers.authorization);
  if (!parts) throw new Error(`not a SigV4 authorization: ${request.headers.authorization}`);
  const url = new URL(request.target, "http://placeholder");
  const canonicalQuery = [...url.searchParams]
    .map(([name, value]) => [rfc3986(name), rfc3986(value)])
    .sort(([a = "", x = ""], [b = "", y = ""]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  // Every service but S3 encodes each path segment once more.
  const canonicalPath = url.pathname
    .split("/")
    .map((segment) => rfc3986(segment))
    .join("/");
  const headerLines = parts.signedHeaders.map((name) => `${name}:${String(request.headers[name]).trim()}\n`);
  const canonicalRequest = [
    request.method,
    canonicalPath,
    canonicalQuery,
    headerLines.join(""),
    parts.signedHeaders.join(";"),
    request.headers["x-amz-content-sha256"],
  ].join("\n");
  const scope = `${parts.date}/${parts.region}/${parts.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", request.headers["x-amz-date"], scope, sha256Hex(canonicalRequest)].join(
    "\n",
  );
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`);
  for (const part of [parts.date, parts.region, parts.service, "aws4_request"]) key = hmac(key, part);
  return hmac(key, stringToSign).toString("hex");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac("sha256", key).update(text).digest();
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
