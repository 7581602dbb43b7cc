/**
 * How the client reaches the API: each call signed (SigV4 for `AWS_IAM` function URLs), sent with a timeout,
 * retried with backoff on 429, 503 and attempts without an answer, and its answer parsed or turned into its typed
 * error. The client's modules (streams.ts, operations.ts, feed.ts, …) speak HTTP through it alone.
 */
import { errorFor, NetworkError, problemOf, problemTypes } from "./errors.ts";
import { type Answer, type RetryOptions, withRetries } from "./retry.ts";
import { createSigner, type Signer } from "./signing.ts";
import { activeTraceHeaders } from "./tracing.ts";
import type { Credentials, CredentialsProvider } from "./types.ts";

export interface EventStoreClientOptions {
  /** The function URL (`https://<id>.lambda-url.<region>.on.aws/`), or local mode's (`http://127.0.0.1:3000`). */
  url: string | URL;
  /** `"iam"` signs every request with SigV4 (a function URL with `AWS_IAM` auth, the default); `"none"` does not. */
  auth: "iam" | "none";
  /** The region to sign for. Default: the function URL's, else AWS_REGION. */
  region?: string;
  /** Credentials to sign with, or a provider of them. Default: the AWS SDK's default chain (works in Lambda). */
  credentials?: Credentials | CredentialsProvider;
  /** The fetch to send requests with. Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Retries of 429, 503 and attempts without an answer: a number of retries, or the whole policy. Default 3. */
  retries?: number | RetryOptions;
  /** How long one attempt may take before it counts as failed (and is retried). Default 10 s. */
  timeoutMs?: number;
}

/** One call's request. */
export interface Call {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** This call's attempts may take this long (a long poll waits on the server). Default: the client's. */
  timeoutMs?: number;
}

export class Transport {
  readonly #base: string;
  readonly #signer: Signer | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #retries: RetryOptions;
  readonly #timeoutMs: number;

  constructor(options: EventStoreClientOptions) {
    const url = new URL(options.url);
    this.#base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    if (options.auth !== "iam" && options.auth !== "none") {
      throw new TypeError(`auth must be "iam" or "none", got ${String(options.auth)}`);
    }
    this.#signer =
      options.auth === "iam"
        ? createSigner(url, { region: options.region, credentials: options.credentials })
        : undefined;
    // Looked up per call rather than bound now, so that a fetch patched later (tracing, tests) is used.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#retries = typeof options.retries === "number" ? { maxRetries: options.retries } : (options.retries ?? {});
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** One call: signed and sent, retried as the policy says, its answer parsed or turned into its error. */
  async call<Result>(method: string, path: string[], call: Call): Promise<Result> {
    const url = new URL(`${this.#base}/${path.map(encodeURIComponent).join("/")}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      // The caller's span, so that the events an append writes keep it (with OpenTelemetry only: tracing.ts).
      ...(await activeTraceHeaders()),
      ...call.headers,
    };
    const attempt = async (): Promise<Answer> => {
      // Signed on every attempt: a retry gets its own date and signature.
      const sent = this.#signer ? await this.#signer({ method, url, headers, body }) : headers;
      return this.#send(url, { method, headers: sent, body }, call.signal, call.timeoutMs ?? this.#timeoutMs);
    };
    const answer = await withRetries(attempt, this.#retries, isRetriable, call.signal);
    if (answer.status < 200 || answer.status >= 300) throw errorFor(answer.status, answer.headers, answer.text);
    return (answer.text === "" ? undefined : JSON.parse(answer.text)) as Result;
  }

  /**
   * A request to a URL the API handed out (a payload's or an upload's, pre-signed: no signature of ours), with the
   * client's timeout and retries; a 4xx or 5xx answer is an error.
   */
  async presigned(method: "GET" | "PUT", url: string, body?: string, signal?: AbortSignal): Promise<string> {
    const target = new URL(url);
    const attempt = () => this.#send(target, { method, body }, signal, this.#timeoutMs);
    const answer = await withRetries(attempt, this.#retries, (sent) => sent.status >= 500, signal);
    if (answer.status < 200 || answer.status >= 300) {
      throw new NetworkError(`${method} of a pre-signed URL answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    }
    return answer.text;
  }

  /** One attempt; a failure without an answer (connection, timeout) is a NetworkError, which is retried. */
  async #send(url: URL, init: RequestInit, signal: AbortSignal | undefined, timeoutMs: number): Promise<Answer> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.#fetch(url, {
        ...init,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new NetworkError(`${init.method} ${url.pathname}: ${reason}`, { cause: error });
    }
  }
}

/** 429 and 503 ask for a retry, except a 503 that says retrying will not help. */
function isRetriable(answer: Answer): boolean {
  if (answer.status === 429) return true;
  return answer.status === 503 && problemOf(503, answer.text).type !== problemTypes.operationsNotConfigured;
}
