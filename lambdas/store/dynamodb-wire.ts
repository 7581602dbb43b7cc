/**
 * The request path's DynamoDB calls (the appends' puts and transactions, the queries of reads, details and
 * listing) as DynamoDB's JSON protocol, sent with the parts of the SDK client they are built for: its signer's
 * algorithm (SigV4 over its credentials and region), its HTTP handler (keep-alive, connection and request
 * timeouts), its retry strategy (the same token bucket and backoff as the client's own calls) and its endpoint
 * rules (evaluated once per action).
 *
 * Why not `client.send`: the SDK's per-call middleware stack (endpoint parameters resolved from a copy of the
 * whole configuration, schema-driven serialisation of input that items.ts already built in the wire format, retry
 * and auth bookkeeping) cost a third of the API's CPU per request on details and listing (docs/performance.md, the
 * request path). The protocol itself is small: a signed POST of the input as JSON, the output or an error
 * document `{"__type": "…#Name", "message": …}` back. Everything else the store sends (records, operations,
 * summaries) stays on the document client.
 *
 * Errors come back as the SDK's do, as far as the store and the retry strategy look: `name` is the exception's
 * name, the error document's other members (`Item`, `CancellationReasons`) are properties, and `$metadata` holds
 * the HTTP status. Network errors and timeouts are the HTTP handler's own.
 */
import type { IncomingMessage } from "node:http";
import { type DynamoDBClient, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import type { HttpHandler } from "@smithy/core/protocols";
import { isClockSkewError, isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import { HttpRequest, type HttpResponse } from "@smithy/core/transport";
import { SignatureV4 } from "@smithy/signature-v4";
import type { RetryErrorType, RetryToken } from "@smithy/types";

/** The DynamoDB actions the request path sends in the wire format, and the SDK command of each (its endpoint rules). */
const commands = { Query: QueryCommand, PutItem: PutItemCommand, TransactWriteItems: TransactWriteItemsCommand };
export type WireAction = keyof typeof commands;

/** An error DynamoDB answered with, shaped as the SDK's service exceptions are. */
export class DynamoDbServiceError extends Error {
  readonly $fault: "client" | "server";
  readonly $metadata: { httpStatusCode: number; requestId?: string; clockSkewCorrected?: true };

  constructor(name: string, message: string, statusCode: number, requestId: string | undefined, fields: object) {
    super(message);
    Object.assign(this, fields);
    this.name = name;
    this.$fault = statusCode >= 500 ? "server" : "client";
    this.$metadata = { httpStatusCode: statusCode, ...(requestId ? { requestId } : {}) };
  }
}

export class DynamoDbWire {
  private readonly signer: SignatureV4;
  private readonly endpoints = new Map<WireAction, Promise<URL>>();

  constructor(private readonly client: DynamoDBClient) {
    const { credentials, region, sha256 } = client.config;
    this.signer = new SignatureV4({ credentials, region, service: "dynamodb", sha256 });
  }

  async send<Output>(action: WireAction, input: object): Promise<Output> {
    const { config } = this.client;
    const body = JSON.stringify(input);
    const endpoint = await this.endpointOf(action, input);
    const retryStrategy = await config.retryStrategy();
    if (!("acquireInitialRetryToken" in retryStrategy)) {
      throw new Error("the store's DynamoDB client needs a retry strategy of the SDK's current kind (RetryStrategyV2)");
    }
    let token: RetryToken = await retryStrategy.acquireInitialRetryToken("");
    for (;;) {
      try {
        const output = await this.attempt<Output>(action, body, endpoint);
        retryStrategy.recordSuccess(token);
        return output;
      } catch (error) {
        try {
          token = await retryStrategy.refreshRetryTokenForRetry(token, { errorType: retryErrorType(error) });
        } catch {
          throw error; // out of attempts, or not worth retrying
        }
        const delay = token.getRetryDelay();
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * The endpoint of an action, by the SDK's own endpoint rules and instructions for its command, from the action's
   * first input (the store sends every call to one table): a configured endpoint (the client's `endpoint`, or
   * `AWS_ENDPOINT_URL_DYNAMODB` and the shared config file) or DynamoDB's for the region. Resolved once per action; a
   * failure is not remembered, so that the next call tries again.
   */
  private endpointOf(action: WireAction, input: object): Promise<URL> {
    let endpoint = this.endpoints.get(action);
    if (!endpoint) {
      endpoint = getEndpointFromInstructions(input, commands[action], { ...this.client.config }).then(
        (resolved) => resolved.url,
        (error: unknown) => {
          this.endpoints.delete(action);
          throw error;
        },
      );
      this.endpoints.set(action, endpoint);
    }
    return endpoint;
  }

  private async attempt<Output>(action: WireAction, body: string, endpoint: URL): Promise<Output> {
    const { config } = this.client;
    const request = new HttpRequest({
      method: "POST",
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      headers: {
        host: endpoint.host,
        "content-type": "application/x-amz-json-1.0",
        "content-length": String(Buffer.byteLength(body)),
        "x-amz-target": `DynamoDB_20120810.${action}`,
      },
      body,
    });
    const signed = await this.signer.sign(request, { signingDate: new Date(Date.now() + config.systemClockOffset) });
    const { response } = await config.requestHandler.handle(signed as HttpRequest);
    const text = await readText(response.body as IncomingMessage);
    const offsetBefore = config.systemClockOffset;
    config.systemClockOffset = clockOffset(response.headers.date, offsetBefore);
    if (response.statusCode >= 200 && response.statusCode < 300) return JSON.parse(text) as Output;
    const error = serviceError(response.statusCode, response.headers["x-amzn-requestid"], text);
    // As the SDK's signer does: a request refused for a skewed clock is retried once the offset is corrected.
    if (config.systemClockOffset !== offsetBefore && isClockSkewError(error as SdkErrorShape)) {
      error.$metadata.clockSkewCorrected = true;
    }
    throw error;
  }
}

/**
 * The offset to add to this machine's clock when signing: DynamoDB refuses signatures more than 5 minutes off its
 * own time, so a clock that far from the answer's `Date` takes the server's time (the SDK's rule, shared through
 * the client's configuration with its own calls).
 */
function clockOffset(dateHeader: string | undefined, current: number): number {
  const serverTime = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  if (Number.isNaN(serverTime)) return current;
  return Math.abs(Date.now() + current - serverTime) >= 300_000 ? serverTime - Date.now() : current;
}

/**
 * The answer's body as text. Not the client's `streamCollector`: that pipes the body through a Writable and copies
 * the bytes twice, a measurable part of a listing page's CPU (several answers of tens of KB each).
 */
function readText(body: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    body.setEncoding("utf8"); // decodes characters split between chunks
    body.on("data", (chunk: string) => {
      text += chunk;
    });
    body.once("end", () => resolve(text));
    body.once("error", reject);
  });
}

function serviceError(statusCode: number, requestId: string | undefined, text: string): DynamoDbServiceError {
  let document: Record<string, unknown> = {};
  try {
    document = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not DynamoDB's answer (a proxy's HTML page, say): the status tells what happened.
  }
  const { __type: type, message, Message, ...fields } = document;
  const name = String(type ?? `HttpStatus${statusCode}`)
    .split("#")
    .pop() as string;
  return new DynamoDbServiceError(
    name,
    String(message ?? Message ?? text.slice(0, 200)),
    statusCode,
    requestId,
    fields,
  );
}

type SdkErrorShape = Parameters<typeof isThrottlingError>[0];

/** How the SDK's retry middleware classifies an error, with the SDK's own classifiers. */
function retryErrorType(error: unknown): RetryErrorType {
  const sdkError = error as SdkErrorShape;
  if (isThrottlingError(sdkError)) return "THROTTLING";
  if (isTransientError(sdkError)) return "TRANSIENT";
  if (isServerError(sdkError)) return "SERVER_ERROR";
  return "CLIENT_ERROR";
}

/**
 * Sees every HTTP exchange of a DynamoDB client, whichever way its calls are sent (the SDK's commands or this
 * file's): the bench's capacity meter reads what each call consumed there, and tests answer in DynamoDB's place
 * there to reach faults that DynamoDB Local never shows. `send` passes a request on to DynamoDB.
 */
export type ExchangeInterceptor = (
  request: HttpRequest,
  send: (request: HttpRequest) => Promise<HttpResponse>,
) => Promise<HttpResponse>;

export function interceptExchanges(
  client: { config: DynamoDBClient["config"] },
  interceptor: ExchangeInterceptor,
): void {
  const handler = client.config.requestHandler as HttpHandler;
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, options) => ({
    response: await interceptor(request, async (passed) => (await handle(passed, options)).response),
  });
}
