/**
 * The storage model of snapshots (SPEC section 12), beside the events' (items.ts): their key, item shape, condition
 * and the key of a large state's object.
 *
 *   snapshot  pk = `snapshot#<streamId>#<schema>`, sk = 0: streamId, streamType, schema, revision, createdAt,
 *             stateSize, and either `state` (the JSON text as sent) or, for a state over the payload threshold,
 *             `stateKey` and `stateSha256` (its S3 object, `snapshots/<streamId>/<schema>/<revision>`). A snapshot of
 *             a data subject (SPEC section 13) keeps `subject` and its whole state sealed (`sealed`, `personalMac`, as
 *             an event's personal data: personal-data.ts), `state` then holding the placeholder.
 *
 * One item per stream and schema: the latest. Its pk is no UUID (no stream meets it; a schema holds no '#', so no
 * two streams' or schemas' keys meet either), and it carries neither eventId, listPk nor recPk: neither the change
 * feed, the stream listing nor the records index sees it.
 */
import type { PutItemCommandInput, QueryCommandInput } from "@aws-sdk/client-dynamodb";
import { type Item, summarySortKey, toAttributes } from "./items.ts";
import { tableDefinition } from "./table.ts";

const pk = tableDefinition.partitionKey.name;
const sk = tableDefinition.sortKey.name;

/** A snapshot as stored, without its state. */
export interface SnapshotInfo {
  streamId: string;
  streamType: string;
  revision: number;
  schema: string;
  /** When the snapshot was put, RFC 3339 UTC with milliseconds. */
  createdAt: string;
  /** Bytes of the state's JSON text (UTF-8). */
  stateSize: number;
  /** The data subject whose personal data the state is: sealed whole with the subject's key. */
  subject?: string | undefined;
}

/** Where a snapshot's state is: its text in the item (sealed for a subject), or an S3 object with its hash. */
export type StoredState =
  | { text: string; sealed?: Uint8Array | undefined; mac?: string }
  | { key: string; sha256: string };

function snapshotPk(streamId: string, schema: string): string {
  return `snapshot#${streamId}#${schema}`;
}

/** `snapshots/<streamId>/<schema>/<revision>`: the object of a large state. */
export function snapshotObjectKey(streamId: string, schema: string, revision: number): string {
  return `snapshots/${streamId}/${schema}/${revision}`;
}

export function snapshotItem(info: SnapshotInfo, state: StoredState): Item {
  return {
    [pk]: snapshotPk(info.streamId, info.schema),
    [sk]: summarySortKey,
    streamId: info.streamId,
    streamType: info.streamType,
    schema: info.schema,
    revision: info.revision,
    createdAt: info.createdAt,
    stateSize: info.stateSize,
    ...("text" in state ? { state: state.text } : { stateKey: state.key, stateSha256: state.sha256 }),
    ...(info.subject !== undefined && "sealed" in state
      ? { subject: info.subject, sealed: state.sealed, personalMac: state.mac }
      : {}),
  };
}

export function snapshotInfo(item: Item): SnapshotInfo {
  return {
    streamId: String(item.streamId),
    streamType: String(item.streamType),
    revision: Number(item.revision),
    schema: String(item.schema),
    createdAt: String(item.createdAt),
    stateSize: Number(item.stateSize),
    ...(typeof item.subject === "string" ? { subject: item.subject } : {}),
  };
}

export function storedState(item: Item): StoredState {
  if (typeof item.state !== "string") return { key: String(item.stateKey), sha256: String(item.stateSha256) };
  return item.sealed instanceof Uint8Array ? { text: item.state, sealed: item.sealed } : { text: item.state };
}

/** The state's object key, if the item keeps its state in S3. */
export function stateObjectKey(item: Item | undefined): string | undefined {
  return typeof item?.stateKey === "string" ? item.stateKey : undefined;
}

/**
 * Puts a snapshot unless a newer one of its stream and schema is stored (an equal one is replaced: the same
 * revision of the same reducer is the same state). The replaced item comes back (to tell a create from a re-put, and
 * to delete an object it no longer names); a refused put returns the stored item with its error.
 */
export function putSnapshotItem(tableName: string, item: Item): PutItemCommandInput {
  return {
    TableName: tableName,
    Item: toAttributes(item),
    ConditionExpression: "attribute_not_exists(#pk) OR #revision <= :revision",
    ExpressionAttributeNames: { "#pk": pk, "#revision": "revision" },
    ExpressionAttributeValues: { ":revision": { N: String(item.revision) } },
    ReturnValues: "ALL_OLD",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    ReturnConsumedCapacity: "TOTAL",
  };
}

/** The stored snapshot of a stream and schema (strongly consistent): 1 RRU per 4 KB of the item. */
export function querySnapshot(tableName: string, streamId: string, schema: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: "#pk = :pk AND #sk = :sk",
    ExpressionAttributeNames: { "#pk": pk, "#sk": sk },
    ExpressionAttributeValues: { ":pk": { S: snapshotPk(streamId, schema) }, ":sk": { N: String(summarySortKey) } },
    ConsistentRead: true,
    ReturnConsumedCapacity: "TOTAL",
  };
}
