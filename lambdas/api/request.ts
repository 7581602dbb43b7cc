/**
 * What an endpoint is given: the request as routing read it, the store, and the services besides. Its own module, so
 * that the endpoints and the router (which imports every endpoint) do not import each other.
 */
import type { LambdaFunctionURLResult } from "aws-lambda";
import type { OperationQueue } from "#operations/queue.ts";
import type { StreamStore } from "#store/stream-store.ts";

export interface ApiRequest {
  method: string;
  /** Path parameters by name, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The body as text (decoded as UTF-8 when the function URL delivered it in base64). */
  body: string | undefined;
  requestId: string;
  /** Who signed the request (IAM auth), or "anonymous": what scopes an Idempotency-Key. */
  caller: string;
}

/** What the API runs operations with (SPEC section 5); without it, POST /replays answers 503. */
export interface OperationsConfig {
  /** Where the API sends the first step of each operation it creates, for the worker. */
  queue: OperationQueue;
  /**
   * The replay targets the stack allows besides its own topic (which a replay without `target` uses): queue or
   * topic ARNs, a trailing `*` allowing a prefix, `"*"` alone anything (local mode).
   */
  allowedReplayTargets: readonly string[];
  /**
   * The callers (`ApiRequest.caller`) allowed to delete and truncate streams (SPEC section 13; the construct's
   * `grantAdmin`). Absent: every caller may (local mode, a URL with auth NONE).
   */
  admins?: readonly string[] | undefined;
}

/** What endpoints use besides the store. */
export interface ApiServices {
  operations?: OperationsConfig | undefined;
}

export type Endpoint = (
  request: ApiRequest,
  store: StreamStore,
  services: ApiServices,
) => Promise<LambdaFunctionURLResult>;
