/**
 * Set-up shared by the store, API and change-feed tests: one table on the run's DynamoDB Local, the real
 * StreamStore over it, and function-URL events for the API handler.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { createApi } from "#api/app.ts";
import type { ApiServices } from "#api/request.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { ensureSubjectKeysTable } from "#local/table.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { type KeyWrapper, localKeyWrapper } from "#store/key-wrapping.ts";
import type { StreamTypeSummary } from "#store/model.ts";
import { RawJson, type StoredPayload } from "#store/raw-json.ts";
import { type StoreOperation, StreamStore, type StreamStoreOptions } from "#store/stream-store.ts";
import type { SubjectKeysOptions } from "#store/subject-keys.ts";
import { testDynamoDb, testTable } from "./dynamodb.ts";

/** The table the store, API and change-feed tests share (streams are told apart by their random ids). */
export const eventsTable = "events-test";

export interface CapacityLog {
  entries: { operation: StoreOperation; capacity: ConsumedCapacity }[];
  clear(): void;
}

/**
 * The real store over the shared test table (or `tableName`, for a suite that must see its own items alone); `now`
 * pins its clock (appends' createdAt, summaries' listing time).
 */
export async function testStreamStore(
  options: {
    now?: () => number;
    tableName?: string;
    listingShards?: number;
    /** The bucket of large payloads and snapshot states, as StreamStoreOptions take it. */
    payloads?: StreamStoreOptions["payloads"];
    /** The subject keys of personal data; default: the shared test keys table, wrapped by a random local key. */
    subjectKeys?: StreamStoreOptions["subjectKeys"];
    /** Each stream type's retention, as the stack option gives it. */
    retention?: StreamStoreOptions["retention"];
  } = {},
): Promise<{ store: StreamStore; tableName: string; capacity: CapacityLog }> {
  const { endpoint } = testDynamoDb();
  const tableName = await testTable(options.tableName ?? eventsTable);
  const entries: CapacityLog["entries"] = [];
  const store = new StreamStore({
    client: createDocumentClient(localAwsClientConfig(endpoint)),
    tableName,
    now: options.now,
    listingShards: options.listingShards,
    payloads: options.payloads,
    retention: options.retention,
    subjectKeys: options.subjectKeys ?? (await testSubjectKeys()),
    onConsumedCapacity: (operation, capacity) => entries.push({ operation, capacity }),
  });
  return { store, tableName, capacity: { entries, clear: () => entries.splice(0) } };
}

/** The table the tests keep subjects' data keys in. */
export const subjectKeysTable = "subject-keys-test";
/** The local wrapping key of this test process (local mode keeps its own in the data folder). */
const testWrappingKey = randomBytes(32);

/** Subject keys over the shared test keys table; `wrapper` replaces the process's local key wrapper. */
export async function testSubjectKeys(wrapper?: KeyWrapper): Promise<SubjectKeysOptions> {
  await ensureSubjectKeysTable(testDynamoDb().client, subjectKeysTable);
  return { tableName: subjectKeysTable, wrapper: wrapper ?? localKeyWrapper(testWrappingKey) };
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON (undefined when empty); tests read it field by field. */
  json: any;
}

export type CallApi = (
  method: string,
  path: string,
  options?: {
    body?: unknown;
    query?: string;
    headers?: Record<string, string>;
    base64?: boolean;
    /** The signer's ARN, as a function URL with IAM auth reports it. */
    caller?: string;
    /** The ARN Lambda says the function was invoked with: an alias's ends in `:<alias>` (the admin URL). */
    invokedFunctionArn?: string;
  },
) => Promise<ApiResponse>;

/** The API handler over the test table, called with function-URL events as Lambda would; `services` as createApi's. */
export async function testApi(
  services: ApiServices = {},
): Promise<{ call: CallApi; store: StreamStore; capacity: CapacityLog }> {
  const { store, capacity } = await testStreamStore();
  return { call: callApi(createApi(store, undefined, services)), store, capacity };
}

/** Calls an API handler with function-URL events as Lambda would. */
export function callApi(handle: ReturnType<typeof createApi>): CallApi {
  return async (method, path, options = {}) => {
    const text =
      options.body === undefined
        ? undefined
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body);
    const event = functionUrlEvent(method, path, {
      query: options.query ?? "",
      headers: { ...(text !== undefined ? { "content-type": "application/json" } : {}), ...options.headers },
      body: text !== undefined && options.base64 ? Buffer.from(text).toString("base64") : text,
      base64: options.base64 ?? false,
      caller: options.caller,
    });
    const context = options.invokedFunctionArn ? { invokedFunctionArn: options.invokedFunctionArn } : undefined;
    const result = (await handle(event, context)) as Exclude<LambdaFunctionURLResult, string>;
    const body = result.body ?? "";
    return {
      status: result.statusCode ?? 200,
      headers: (result.headers ?? {}) as Record<string, string>,
      body,
      json: body ? JSON.parse(body) : undefined,
    };
  };
}

export function functionUrlEvent(
  method: string,
  rawPath: string,
  options: {
    query: string;
    headers: Record<string, string>;
    body: string | undefined;
    base64: boolean;
    caller?: string | undefined;
  },
): LambdaFunctionURLEvent {
  const now = new Date();
  const authorizer = options.caller ? { authorizer: { iam: { userArn: options.caller } } } : {};
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: options.query,
    headers: options.headers,
    queryStringParameters: Object.fromEntries(new URLSearchParams(options.query)),
    requestContext: {
      accountId: "anonymous",
      apiId: "test",
      domainName: "test.lambda-url.us-east-1.on.aws",
      domainPrefix: "test",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...authorizer,
    } as LambdaFunctionURLEvent["requestContext"],
    body: options.body,
    isBase64Encoded: options.base64,
  };
}

export function newEvent(eventType = "Happened", payload: unknown = { n: 1 }, eventId?: string) {
  return { eventType, payload, ...(eventId ? { eventId } : {}) };
}

/** A stream type no other test uses, so listings see only this test's streams. */
export function uniqueStreamType(prefix = "t"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Every revision stored in a stream, read forward page by page through the store. */
export async function storedRevisions(store: StreamStore, streamType: string, streamId: string): Promise<number[]> {
  const revisions: number[] = [];
  let afterRevision = 0;
  for (;;) {
    const page = await store.readEvents(streamType, streamId, { direction: "forward", afterRevision, limit: 1000 });
    revisions.push(...page.events.map((event) => event.revision));
    if (!page.hasMore) return revisions;
    afterRevision = page.lastEvaluatedRevision;
  }
}

/** Every stream type the store lists, in its order, read page by page (`limit` a page). */
export async function allStreamTypes(store: StreamStore, limit = 1000): Promise<StreamTypeSummary[]> {
  const types: StreamTypeSummary[] = [];
  let pageKey: string | undefined;
  for (;;) {
    const page = await store.listStreamTypes({ limit, pageKey });
    types.push(...page.streamTypes);
    if (!page.hasMore) return types;
    pageKey = page.nextPageKey;
  }
}

/** A recorded payload's JSON text; a test that reads a payload kept in S3 without resolving it fails here. */
export function payloadTextOf(payload: RawJson | StoredPayload): string {
  if (payload instanceof RawJson) return payload.text;
  throw new Error(`the payload is in S3 (${payload.key}), not in the answer`);
}
