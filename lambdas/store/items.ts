/**
 * The storage model: every DynamoDB key, item shape, expression and condition of the store lives here.
 * The rest of the store speaks in domain terms and asks this module for the commands it sends.
 *
 * Items (one table, see table-definition.ts):
 *   event    pk = streamId, sk = revision (1, 2, …): streamType, eventType, eventId, payload (JSON text),
 *            metadata (JSON text, optional), createdAt, traceparent and tracestate (optional: the append's W3C trace
 *            context, apart from the metadata); for personal data (personal-data.ts) subject, personalData (JSON
 *            text of the pointers), sealed (Binary: IV | ciphertext | tag) and personalMac, the payload and metadata
 *            then holding placeholders. Written once, with `attribute_not_exists(pk)`.
 *   summary  pk = streamId, sk = 0: streamType, revision, updatedAt, listPk = `<type>#<shard>`,
 *            listSk = `<listedAt>#<streamId>`. Kept by the change feed; the only items in the listing index. Their keys and
 *            commands: listing-items.ts.
 *   marker, settings, removal: a delete's marker in the revision sequence, a stream's settings at sk = -1 and the
 *            feed's removal entries; their keys and commands: lifecycle-items.ts.
 *   secret   pk = `deployment-secret`, sk = 0: secret (base64). One per table (see deployment-secret.ts); its pk is
 *            no UUID, so no stream can meet it, and it has neither eventId nor listPk, so neither the change feed
 *            nor the listing sees it.
 */
import type {
  AttributeValue,
  QueryCommandInput as PlainQueryInput,
  PutItemCommandInput,
  TransactWriteItem,
  TransactWriteItemsCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { PutCommandInput, QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { NewEvent, RecordedEvent, TraceContext } from "./model.ts";
import type { SealedPersonalData } from "./personal-data.ts";
import { RawJson, StoredPayload, sha256 } from "./raw-json.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;

/** The sort key of a stream's summary item; events start at revision 1. */
export const summarySortKey = 0;

/** DynamoDB's item size limit (400 KB). */
export const maxItemBytes = 400 * 1024;
/** DynamoDB's limit on the total size of the items of one TransactWriteItems call (4 MB). */
export const maxTransactionBytes = 4 * 1024 * 1024;
/** DynamoDB's limit on the items of one TransactWriteItems call: the most events one append can carry. */
export const maxTransactionItems = 100;

export type Item = Record<string, unknown>;

/** An event ready to be written: its id given, an upload read in, a large payload staged in S3 (large-payloads.ts). */
export type NewEventWithId = Omit<NewEvent, "payload"> & {
  eventId: string;
  payload: RawJson | StoredPayload;
  /** Its personal values, sealed (the payload and metadata then hold placeholders). */
  sealed?: SealedPersonalData | undefined;
};

export function eventItem(
  streamType: string,
  streamId: string,
  revision: number,
  event: NewEventWithId,
  createdAt: string,
  /** Epoch seconds after which DynamoDB's TTL may remove it (its type's maxAge, retention.ts); absent: never. */
  expiresAt?: number,
): Item {
  const item: Item = {
    [pk]: streamId,
    [sk]: revision,
    streamType,
    eventType: event.eventType,
    eventId: event.eventId,
    createdAt,
  };
  if (expiresAt !== undefined) item[tableDefinition.timeToLiveAttribute] = expiresAt;
  if (event.payload instanceof StoredPayload) {
    item.payloadKey = event.payload.key;
    item.payloadSize = event.payload.size;
    item.payloadSha256 = event.payload.sha256;
  } else item.payload = event.payload.text;
  if (event.metadata) item.metadata = event.metadata.text;
  if (event.traceContext) {
    item.traceparent = event.traceContext.traceparent;
    if (event.traceContext.tracestate) item.tracestate = event.traceContext.tracestate;
  }
  if (event.sealed) {
    item.subject = event.sealed.subject;
    item.personalData = JSON.stringify(event.sealed.pointers);
    item.sealed = event.sealed.sealed;
    item.personalMac = event.sealed.mac;
  }
  return item;
}

/** True for event items (the change feed also sees summary items). */
export function isEventItem(item: Item): boolean {
  return typeof item.eventId === "string" && Number(item[sk]) > summarySortKey;
}

export function recordedEvent(item: Item): RecordedEvent {
  return {
    streamId: String(item[pk]),
    streamType: String(item.streamType),
    revision: Number(item[sk]),
    eventType: String(item.eventType),
    payload:
      typeof item.payloadKey === "string"
        ? new StoredPayload(item.payloadKey, Number(item.payloadSize), String(item.payloadSha256))
        : new RawJson(String(item.payload)),
    eventId: String(item.eventId),
    metadata: typeof item.metadata === "string" ? new RawJson(item.metadata) : undefined,
    createdAt: String(item.createdAt),
    ...(typeof item[tableDefinition.timeToLiveAttribute] === "number"
      ? { expiresAt: item[tableDefinition.timeToLiveAttribute] as number }
      : {}),
    ...(typeof item.tags === "string" ? { tags: JSON.parse(item.tags) as string[] } : {}),
    ...traceContextOf(item),
    ...personalDataOf(item),
  };
}

/** The subject, pointers and sealed values an item keeps, as the members to spread into its RecordedEvent. */
function personalDataOf(item: Item): Pick<RecordedEvent, "subject" | "personalData" | "sealed"> {
  if (typeof item.subject !== "string" || item.sealed === undefined) return {};
  // Lambda's stream events carry binary values as base64 text (JSON), which the SDK's unmarshall leaves as it is.
  const sealed = typeof item.sealed === "string" ? Buffer.from(item.sealed, "base64") : (item.sealed as Uint8Array);
  return { subject: item.subject, personalData: JSON.parse(String(item.personalData)) as string[], sealed };
}

/** The trace context an item keeps (an event's, or a feed entry's), as the members to spread into what it becomes. */
export function traceContextOf(item: Item): { traceContext?: TraceContext } {
  if (typeof item.traceparent !== "string") return {};
  const tracestate = typeof item.tracestate === "string" ? { tracestate: item.tracestate } : {};
  return { traceContext: { traceparent: item.traceparent, ...tracestate } };
}

/**
 * Whether two event items hold the same event (the idempotency test of a retried append). A payload stored in S3 is
 * compared by its hash: the retry's item holds the text, or the object its own attempt staged. The trace context is
 * not compared: a retry is sent from a span of its own, and the event keeps the first attempt's.
 */
export function sameEvent(stored: Item, retried: Item): boolean {
  return (
    stored.eventId === retried.eventId &&
    stored.eventType === retried.eventType &&
    payloadHash(stored) === payloadHash(retried) &&
    stored.metadata === retried.metadata &&
    stored.streamType === retried.streamType &&
    // Personal values are compared by their MAC under the subject's key: the ciphertexts differ (random IVs).
    stored.subject === retried.subject &&
    stored.personalData === retried.personalData &&
    stored.personalMac === retried.personalMac
  );
}

function payloadHash(item: Item): string {
  return typeof item.payloadSha256 === "string" ? item.payloadSha256 : sha256(String(item.payload));
}

/** Size of an item as DynamoDB counts it: attribute names plus values (UTF-8 strings, numbers ≤ 21 bytes). */
export function itemSizeBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    bytes +=
      typeof value === "number" ? 21 : value instanceof Uint8Array ? value.length : Buffer.byteLength(String(value));
  }
  return bytes;
}

/**
 * The request path's commands (appends, reads, details, listing) are plain DynamoDB commands with attribute values
 * built here, not the document client's: its marshalling walks every value through generic converters on each
 * call, where the few shapes of the storage model (strings and numbers) are known. Its other commands stay on the
 * document client.
 */
export type AttributeMap = Record<string, AttributeValue>;

/** An item of strings, numbers and binary values (events, summaries) in DynamoDB's wire format. */
export function toAttributes(item: Item): AttributeMap {
  const attributes: AttributeMap = {};
  for (const name in item) {
    const value = item[name];
    if (typeof value === "string") attributes[name] = { S: value };
    else if (typeof value === "number") attributes[name] = { N: String(value) };
    // The wire format (dynamodb-wire.ts: every item built here is sent as JSON) carries binary values as base64.
    else if (value instanceof Uint8Array) attributes[name] = { B: Buffer.from(value).toString("base64") as never };
    else if (value !== undefined) throw new TypeError(`attribute ${name} is neither a string, a number nor binary`);
  }
  return attributes;
}

/** An item read in the wire format; strings and numbers directly, anything else (no stream item has it) by the SDK. */
export function fromAttributes(attributes: AttributeMap): Item {
  const item: Item = {};
  for (const name in attributes) {
    const value = attributes[name] as AttributeValue;
    if (value.S !== undefined) item[name] = value.S;
    else if (value.N !== undefined) item[name] = Number(value.N);
    else if (typeof (value.B as unknown) === "string") item[name] = Buffer.from(value.B as unknown as string, "base64");
    else item[name] = unmarshall({ [name]: value })[name];
  }
  return item;
}

/** The condition of a write that creates an item: that no item with its key exists yet. */
export const ifAbsent = {
  ConditionExpression: "attribute_not_exists(#pk)",
  ExpressionAttributeNames: { "#pk": pk },
} as const;

/** Puts a new event item; fails if that revision exists, and then returns the item that is there. */
export function putNewEvent(tableName: string, item: Item): PutItemCommandInput {
  return {
    TableName: tableName,
    Item: toAttributes(item),
    ...ifAbsent,
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    ReturnConsumedCapacity: "INDEXES",
  };
}

/** Puts several new event items atomically, each on the same condition as putNewEvent. */
export function putNewEvents(tableName: string, items: Item[]): TransactWriteItemsCommandInput {
  return {
    TransactItems: items.map((item) => {
      const { ReturnConsumedCapacity: _perCall, ...put } = putNewEvent(tableName, item);
      return { Put: put };
    }),
    ReturnConsumedCapacity: "INDEXES",
  };
}

/** A condition in a transaction on an event item that is not written: that it exists, or that it does not. */
export function eventCondition(
  tableName: string,
  streamId: string,
  revision: number,
  exists: boolean,
): NonNullable<TransactWriteItem["ConditionCheck"]> {
  return {
    TableName: tableName,
    Key: { [pk]: { S: streamId }, [sk]: { N: String(revision) } },
    ConditionExpression: exists ? "attribute_exists(#pk)" : "attribute_not_exists(#pk)",
    ExpressionAttributeNames: { "#pk": pk },
  };
}

/**
 * The newest item of a stream's revisions (strongly consistent): an event's revision, type, time and id, or a
 * delete's marker (lifecycle-items.ts). The cheapest strongly
 * consistent read of a stream's head: 1 RRU (an item of up to 4 KB). Only the head's attributes come back, not
 * the payload, which the unit is paid for anyway but which would be sent, parsed and dropped.
 */
export function queryHead(tableName: string, streamId: string): PlainQueryInput {
  return {
    ...newestEvents(tableName, streamId),
    ProjectionExpression: "#pk, #sk, streamType, eventId, createdAt, marker",
    Limit: 1,
  };
}

/** A stream's events, newest first (strongly consistent). */
function newestEvents(tableName: string, streamId: string): PlainQueryInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :streamId AND #sk > :summary",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: { ":streamId": { S: streamId }, ":summary": { N: String(summarySortKey) } },
    ScanIndexForward: false,
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

const deploymentSecretKey = { [pk]: "deployment-secret", [sk]: summarySortKey };

export function queryDeploymentSecret(tableName: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :pk",
    ExpressionAttributeNames: { "#pk": pk },
    ExpressionAttributeValues: { ":pk": deploymentSecretKey[pk] },
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** Creates the deployment's secret unless one exists. */
export function putDeploymentSecret(tableName: string, secret: string): PutCommandInput {
  return {
    TableName: tableName,
    Item: { ...deploymentSecretKey, secret },
    ...ifAbsent,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** A query of a partition no item lives in: the cheapest read that proves the table answers. */
export function queryLiveness(tableName: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :none",
    ExpressionAttributeNames: { "#pk": pk },
    ExpressionAttributeValues: { ":none": "liveness-check" },
    Limit: 1,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** Events of a stream in a revision range (strongly consistent), in either direction. */
export function queryEvents(
  tableName: string,
  streamId: string,
  range: { from: number; to: number },
  forward: boolean,
  limit: number,
): PlainQueryInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :streamId AND #sk BETWEEN :from AND :to",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: {
      ":streamId": { S: streamId },
      ":from": { N: String(range.from) },
      ":to": { N: String(range.to) },
    },
    ScanIndexForward: forward,
    Limit: limit,
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** A stream's newest events, newest first (strongly consistent): the idempotency window. */
export function queryWindow(
  tableName: string,
  streamId: string,
  limit: number,
  exclusiveStartKey: AttributeMap | undefined,
): PlainQueryInput {
  return {
    ...newestEvents(tableName, streamId),
    Limit: limit,
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Largest revision a query range can name (DynamoDB numbers are exact up to this in JavaScript). */
export const maxRevision = Number.MAX_SAFE_INTEGER;
