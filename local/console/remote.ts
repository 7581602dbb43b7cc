/**
 * The console against a deployed store (`npm run console -- --url …`, the package's `event-store-console`): the
 * same page as `npm start`'s, served on 127.0.0.1 by local mode's HTTP server with its guards (loopback Host names,
 * JSON writes: local/request-guards.ts), whose API handler here forwards each call to the store's function URL,
 * signed with SigV4 (client/signing.ts) and the user's AWS credentials. A browser cannot sign a request for an
 * `AWS_IAM` function URL; this process signs for it.
 *
 * Forwarded: method, path, query, the JSON body, and only the headers the API reads (below); never the browser's
 * cookies or its own Authorization. Answered: status, body and the headers the page reads. Read-only unless
 * `allowWrites`: every call that could change data is refused here (403 problem+json) and never reaches the store.
 * There is no live tail (no local topic to subscribe to): the page follows the global feed instead.
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import type { ProblemType } from "#api/problem.ts";
import { problemResponse } from "#api/problem.ts";
import { createSigner, type Signer } from "../../client/signing.ts";
import type { Credentials, CredentialsProvider } from "../../client/types.ts";
import { type FunctionUrlHandler, type HttpServer, startHttpServer } from "../http-server.ts";
import { consoleRoutes } from "./pages.ts";

export interface RemoteConsoleOptions {
  /** The deployed store's function URL (or any base URL of its API). */
  url: URL;
  /** Default: the region in the function URL's host, else AWS_REGION. */
  region?: string | undefined;
  /** A named profile of ~/.aws/config for the default credential chain (which reads AWS_PROFILE without it). */
  profile?: string | undefined;
  /** Credentials to sign with instead of the default chain (tests, callers with their own). */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** Let the page write (append, create, replay, redrive, cancel). Default false: read-only. */
  allowWrites?: boolean;
  /** Local port; 0 picks a free one. */
  port: number;
  /** Host header names served besides the loopback ones. */
  allowedHosts?: string[];
  log?: (line: string) => void;
  /** How long a call to the store may take (a feed long poll waits up to 20 s). Default 60 s. */
  timeoutMs?: number;
}

/** Starts the remote console; throws a one-line Error when the port is taken or no region can be found. */
export async function startRemoteConsole(options: RemoteConsoleOptions): Promise<HttpServer> {
  const allowWrites = options.allowWrites ?? false;
  return startHttpServer({
    port: options.port,
    handler: forwardToStore({ ...options, allowWrites }),
    localRoutes: consoleRoutes({
      config: { mode: "remote", store: options.url.origin, writes: allowWrites, tail: false },
      ownsConsolePaths: true,
    }),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}

/** Request headers the API reads; everything else the browser sends stays here. */
const forwardedRequestHeaders = ["accept", "content-type", "idempotency-key", "traceparent", "tracestate"];
/** Answer headers the page (or a client of this proxy) reads. */
const returnedHeaders = ["content-type", "location", "retry-after", "allow", "x-request-id", "cache-control"];

/** Problem types of this proxy's own answers, beside the API's (lambdas/api/problem.ts). */
const consoleProblem = (slug: string, title: string, status: number): ProblemType => ({
  type: `tag:event-store,2026:problem:${slug}`,
  slug,
  title,
  status,
});
export const remoteProblemTypes = {
  readOnly: consoleProblem("console-read-only", "Read-only console", 403),
  credentialsRefused: consoleProblem("credentials-refused", "AWS credentials refused", 403),
  noCredentials: consoleProblem("no-credentials", "No AWS credentials", 401),
  unreachable: consoleProblem("store-unreachable", "Store unreachable", 502),
  timedOut: consoleProblem("store-timeout", "Store did not answer", 504),
};

/**
 * Whether a call may change data. Reads: GET, HEAD, OPTIONS, and the POSTs that only read (`POST /dcb/read`, whose
 * query is a body); every other POST, PUT, PATCH and DELETE writes (lambdas/api/router.ts lists the routes).
 */
export function isWrite(method: string, path: string): boolean {
  const upper = method.toUpperCase();
  if (["GET", "HEAD", "OPTIONS"].includes(upper)) return false;
  return !(upper === "POST" && readOnlyPosts.includes(path.replace(/\/+$/, "")));
}
const readOnlyPosts = ["/dcb/read"];

/** The API handler of the remote console: function-URL event in, signed call to the store, its answer out. */
export function forwardToStore(
  options: Pick<RemoteConsoleOptions, "url" | "region" | "profile" | "credentials" | "timeoutMs"> & {
    allowWrites: boolean;
  },
): FunctionUrlHandler {
  const profile = options.profile ?? process.env.AWS_PROFILE;
  const credentials = options.credentials ?? defaultChain(options.profile);
  // Throws at once (before the server listens) when no region can be found.
  const sign: Signer = createSigner(options.url, { region: options.region, credentials });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const logIn = howToLogIn(profile);

  return async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const { method } = event.requestContext.http;
    const requestId = event.requestContext.requestId;
    if (!options.allowWrites && isWrite(method, event.rawPath)) {
      const detail =
        `${method} ${event.rawPath} would change data in ${options.url.host}, and this console is read-only: ` +
        "restart it with --allow-writes to append, create streams, start replays or cancel operations";
      return problemResponse(remoteProblemTypes.readOnly, detail, requestId);
    }
    const target = new URL(
      `${options.url.pathname.replace(/\/$/, "")}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`,
      options.url,
    );
    const headers: Record<string, string> = {};
    for (const name of forwardedRequestHeaders) {
      const value = event.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const body =
      event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
    const bodyText = body?.toString("utf8");
    let signed: Record<string, string>;
    try {
      signed = await sign({ method, url: target, headers, body: bodyText });
    } catch (error) {
      const detail =
        `no AWS credentials to sign the call to ${options.url.host} with (${(error as Error).message}): ` +
        `${logIn}, then reload this page`;
      return problemResponse(remoteProblemTypes.noCredentials, detail, requestId);
    }
    let answer: Response;
    try {
      answer = await fetch(target, {
        method,
        headers: signed,
        ...(bodyText === undefined ? {} : { body: bodyText }),
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if ((error as Error).name === "TimeoutError") {
        const detail = `${options.url.host} did not answer ${method} ${event.rawPath} within ${timeoutMs / 1000} s; retry`;
        return problemResponse(remoteProblemTypes.timedOut, detail, requestId);
      }
      const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
      const detail = `${options.url.origin} did not answer (${cause}): check the --url and the network, then reload`;
      return problemResponse(remoteProblemTypes.unreachable, detail, requestId);
    }
    const answerBody = Buffer.from(await answer.arrayBuffer());
    if (answer.status === 403 && !answer.headers.get("content-type")?.includes("problem+json")) {
      // The function URL's own refusal (the API itself answers no 403): {"Message":"Forbidden"} or a signature error.
      const said = answerBody.toString("utf8").slice(0, 300);
      const detail =
        `${options.url.host} refused the signed call (${said || "403"}): the credentials${profile ? ` of profile ${profile}` : ""} ` +
        "are not allowed to call this function URL. They need lambda:InvokeFunctionUrl (and, for URLs made since " +
        "October 2025, lambda:InvokeFunction) on the function; check the profile, the account and the region, or " +
        `${logIn}`;
      return problemResponse(remoteProblemTypes.credentialsRefused, detail, requestId);
    }
    const returned: Record<string, string> = {};
    for (const name of returnedHeaders) {
      const value = answer.headers.get(name);
      if (value !== null) returned[name] = value;
    }
    return {
      statusCode: answer.status,
      headers: returned,
      body: answerBody.toString("base64"),
      isBase64Encoded: true,
    };
  };
}

/** What a user without (valid) credentials does next. */
export function howToLogIn(profile: string | undefined = process.env.AWS_PROFILE): string {
  return profile
    ? `run aws sso login --profile ${profile} (or check the profile ${profile} in ~/.aws/config)`
    : "run aws sso login --profile P and start the console with --profile P (or set AWS_PROFILE, or " +
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
}

/** The AWS SDK's default chain (environment, profile, SSO, …), imported when first asked for credentials. */
export function defaultChain(profile: string | undefined): CredentialsProvider {
  let provider: Promise<CredentialsProvider> | undefined;
  return async () => {
    provider ??= import("@aws-sdk/credential-provider-node").then(({ defaultProvider }) =>
      defaultProvider(profile ? { profile } : {}),
    );
    return (await provider)();
  };
}
