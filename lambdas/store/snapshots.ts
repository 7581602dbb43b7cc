/**
 * Snapshots (SPEC section 12): a reducer's state of a stream at a revision, kept so that loading the stream reads
 * the state and the events after it instead of every event.
 *
 * Putting one: the stream must have the revision (its head, strongly consistent, is at or past it, and of the type
 * asked); then one conditional PutItem keeps the latest snapshot per stream and schema. An older snapshot never
 * replaces a newer one: it is refused, and nothing is written. A state over the payload threshold is put as an S3
 * object first (payload-objects.ts); the item keeps its key, size and SHA-256. The DynamoDB write is the commit
 * point: a refused put deletes its object, a replaced snapshot's object is deleted once the new one is written.
 * Keys and conditions: snapshot-items.ts.
 *
 * Deleted and truncated streams (SPEC section 13; lifecycle-items.ts): both a put and a read of the latest take the
 * stream's settings (strongly consistent, 1 RRU). A hard-deleted stream answers 410 (stream-deleted) to both; a put
 * on a soft-deleted stream answers 404, as reads do, and its snapshots are never read again (a read answers none,
 * as for a stream that does not exist). A snapshot is served while every event after it is readable: its revision
 * is at least `hiddenBelow` − 1. So the snapshot a truncation kept ("snapshot at R, truncate before R + 1", or at
 * any later revision) is returned as before, although its own event is hidden: a load is that state and the events
 * after it. An older one is left out (read as none), for two reasons: after a soft delete it holds the deleted
 * stream's state, which must not come back in a stream appended to again after the delete; after a truncation above
 * it, the events between it and the truncation are hidden, so it plus the readable events would fold a state the
 * stream never had. A put of such a revision is refused (409) rather than written to be ignored.
 */
import type { PutItemCommandOutput } from "@aws-sdk/client-dynamodb";
import type { AppendContext } from "./append.ts";
import { errorName, plainItem } from "./dynamo.ts";
import {
  InvalidInputError,
  StreamDeletedError,
  StreamNotFoundError,
  TooLargeError,
  WrongExpectedRevisionError,
} from "./errors.ts";
import { type AttributeMap, fromAttributes, itemSizeBytes, maxItemBytes } from "./items.ts";
import { sha256 } from "./large-payloads.ts";
import type { StreamSettings } from "./lifecycle-items.ts";
import { isoTime } from "./model.ts";
import { sealPersonalData, unsealPersonalData } from "./personal-data.ts";
import { RawJson } from "./raw-json.ts";
import { readSettings } from "./read.ts";
import {
  putSnapshotItem,
  querySnapshot,
  type SnapshotInfo,
  type StoredState,
  snapshotInfo,
  snapshotItem,
  snapshotObjectKey,
  stateObjectKey,
  storedState,
} from "./snapshot-items.ts";

export type { SnapshotInfo } from "./snapshot-items.ts";

export interface NewSnapshot {
  /** The stream's revision the state was folded up to; it must exist. */
  revision: number;
  /** The reducer's version: a snapshot is seen only by loads of the same schema. */
  schema: string;
  /** The state's JSON text, kept exactly. */
  state: RawJson;
  /** The data subject whose personal data the state is (SPEC section 13): sealed whole with the subject's key. */
  subject?: string | undefined;
}

export interface Snapshot extends SnapshotInfo {
  state: RawJson;
  /** True once the snapshot's subject was erased: the state reads as "[erased]". */
  erased?: boolean | undefined;
}

/**
 * What a put did: `stored`, `created` false when a snapshot of the same revision was there (an idempotent re-put),
 * or `superseded` when a newer snapshot of the schema is stored (nothing was written; `stored` is it).
 */
export type PutSnapshotResult =
  | { kind: "stored"; created: boolean; snapshot: SnapshotInfo }
  | { kind: "superseded"; stored: SnapshotInfo };

/** Stores a snapshot of the stream at `snapshot.revision` unless a newer one of its schema is stored. */
export async function putSnapshot(
  context: AppendContext,
  streamType: string,
  streamId: string,
  snapshot: NewSnapshot,
): Promise<PutSnapshotResult> {
  await checkRevisionExists(context, streamType, streamId, snapshot.revision);
  const body = Buffer.from(snapshot.state.text, "utf8");
  const info: SnapshotInfo = {
    streamId,
    streamType,
    revision: snapshot.revision,
    schema: snapshot.schema,
    createdAt: isoTime(context.now()),
    stateSize: body.length,
    ...(snapshot.subject !== undefined ? { subject: snapshot.subject } : {}),
  };
  const payloads = context.payloads;
  const large = payloads !== undefined && body.length > payloads.thresholdBytes;
  if (large && snapshot.subject !== undefined) {
    throw new TooLargeError(
      `a snapshot of a data subject is kept inline: its state may take at most ${payloads.thresholdBytes} bytes`,
      payloads.thresholdBytes,
    );
  }
  const objectKey = snapshotObjectKey(streamId, snapshot.schema, snapshot.revision);
  const state: StoredState = large
    ? { key: objectKey, sha256: sha256(body) }
    : await inlineState(context, snapshot, snapshotSealId(info));
  const item = snapshotItem(info, state);
  const size = itemSizeBytes(item);
  if (size > maxItemBytes) {
    throw new TooLargeError(
      `the snapshot takes ${size} bytes as a DynamoDB item; the limit is ${maxItemBytes} bytes (400 KB) ` +
        "(a store with a payload bucket keeps larger states there)",
      maxItemBytes,
    );
  }
  if (large) await payloads.objects.put(objectKey, body);
  const table = context.table;
  try {
    const output = (await table.putItem("snapshot", putSnapshotItem(table.tableName, item))) as PutItemCommandOutput;
    const replaced = output.Attributes ? fromAttributes(output.Attributes as AttributeMap) : undefined;
    const replacedKey = stateObjectKey(replaced);
    // The replaced snapshot's object is named by nothing now (the same revision's is the same key, rewritten).
    if (payloads && replacedKey !== undefined && replacedKey !== stateObjectKey(item)) {
      await payloads.objects.delete([replacedKey]).catch(() => undefined);
    }
    const created = replaced === undefined || Number(replaced.revision) !== snapshot.revision;
    return { kind: "stored", created, snapshot: info };
  } catch (error) {
    // A timeout may hide a put that was written: the object stays, since the item may name it.
    if (errorName(error) !== "ConditionalCheckFailedException") throw error;
    // Refused: the object is named by nothing (only a newer snapshot refuses a put, and its key differs).
    if (large) await payloads.objects.delete([objectKey]).catch(() => undefined);
    const stored = plainItem((error as { Item?: unknown }).Item);
    if (!stored) throw error;
    return { kind: "superseded", stored: snapshotInfo(stored) };
  }
}

/** The latest snapshot of a stream for a schema, with its state; undefined when there is none. */
export async function latestSnapshot(
  context: AppendContext,
  streamType: string,
  streamId: string,
  schema: string,
): Promise<Snapshot | undefined> {
  // A newer put may replace the item and delete the object of the one read: read the item again then.
  for (let attempt = 1; ; attempt++) {
    const [{ items }, settings] = await Promise.all([
      context.table.queryItems("snapshot", querySnapshot(context.table.tableName, streamId, schema)),
      readSettings(context.table, streamId),
    ]);
    if (settings?.tombstone && settings.streamType === streamType) throw new StreamDeletedError(streamType, streamId);
    const item = items[0];
    if (!item || item.streamType !== streamType) return undefined;
    // Deleted, or truncated above it (see the top of this file): as good as none.
    if (!servable(Number(item.revision), settings)) return undefined;
    const info = snapshotInfo(item);
    const stored = storedState(item);
    if ("sealed" in stored && stored.sealed) return openSnapshot(context, info, stored.text, stored.sealed);
    const text = await stateText(context, stored);
    if (text !== undefined) return { ...info, state: new RawJson(text) };
    // A snapshot is a cache of what the events say: one whose state cannot be read is as good as none.
    if (attempt >= 3) return undefined;
  }
}

/** What a sealed state binds as its id (the AAD): the snapshot's stream, schema and revision. */
function snapshotSealId(info: SnapshotInfo): string {
  return `snapshot:${info.streamId}:${info.schema}:${info.revision}`;
}

/** The state as the item keeps it: its text, or for a subject's snapshot the placeholder and the sealed state. */
async function inlineState(context: AppendContext, snapshot: NewSnapshot, sealId: string): Promise<StoredState> {
  if (snapshot.subject === undefined) return { text: snapshot.state.text };
  if (!context.subjects) {
    throw new InvalidInputError("this store keeps no subject keys", {
      subject: ["this deployment has no subject keys table: personal data is not available"],
    });
  }
  const key = await context.subjects.keyForAppend(snapshot.subject);
  const sealed = sealPersonalData(
    { payload: snapshot.state, eventId: sealId },
    { subject: snapshot.subject, pointers: ["/payload"] },
    key,
  );
  return { text: sealed.payload.text, sealed: sealed.sealed.sealed, mac: sealed.sealed.mac };
}

/** A subject's snapshot as a reader sees it: its state decrypted, or "[erased]" with erased: true. */
async function openSnapshot(
  context: AppendContext,
  info: SnapshotInfo,
  placeholder: string,
  sealed: Uint8Array,
): Promise<Snapshot> {
  const subject = info.subject as string;
  const key = await context.subjects?.keyForRead(subject);
  if (!key) return { ...info, state: new RawJson(placeholder), erased: true };
  const opened = unsealPersonalData(
    { payload: new RawJson(placeholder), eventId: snapshotSealId(info) },
    { subject, pointers: ["/payload"], sealed },
    key,
  );
  return { ...info, state: opened.payload };
}

/** The state's text; undefined when its object is gone or holds another state (it was replaced meanwhile). */
async function stateText(context: AppendContext, state: StoredState): Promise<string | undefined> {
  if ("text" in state) return state.text;
  const body = await context.payloads?.objects.get(state.key);
  if (!body || sha256(body) !== state.sha256) return undefined;
  return body.toString("utf8");
}

/**
 * Whether a snapshot at `revision` is served under the stream's settings: the events after it are all readable (a
 * truncation's own snapshot, at `hiddenBelow` − 1 or later, is). Never after a hard delete.
 */
function servable(revision: number, settings: StreamSettings | undefined): boolean {
  if (!settings) return true;
  return !settings.tombstone && revision >= settings.hiddenBelow - 1;
}

/**
 * The stream has `revision`, readable or just below what a truncation hid (see the top of this file): a head this
 * process saw at or past it proves that it was written (events are never rewritten), else a strongly consistent
 * read of the head; and the stream's settings, read with it, that it is not deleted and not truncated past it. No
 * stream, one of another type, or a soft-deleted one: not found; hard-deleted: gone (410); not that far yet, or
 * hidden by a truncation or a delete the stream was appended after: a conflict.
 */
async function checkRevisionExists(
  context: AppendContext,
  streamType: string,
  streamId: string,
  revision: number,
): Promise<void> {
  const known = context.heads.known(streamId);
  const knownFar = known !== undefined && known.streamType === streamType && known.revision >= revision;
  const [read, settings] = await Promise.all([
    knownFar ? undefined : context.heads.read(streamId, "snapshot"),
    readSettings(context.table, streamId),
  ]);
  if (settings?.tombstone) {
    if (settings.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
    throw new StreamDeletedError(streamType, streamId);
  }
  if (knownFar && servable(revision, settings)) return;
  // Known that far, but hidden: the head says whether the stream is deleted now (404) or was appended to since.
  const head = read ?? (await context.heads.read(streamId, "snapshot"));
  if (!head || head.streamType !== streamType) throw new StreamNotFoundError(streamType, streamId);
  if (head.marker === "tombstone") throw new StreamDeletedError(streamType, streamId);
  if (head.marker === "deleted") throw new StreamNotFoundError(streamType, streamId);
  if (head.revision < revision) {
    throw new WrongExpectedRevisionError(
      `stream ${streamId} is at revision ${head.revision}; a snapshot at revision ${revision} names an event that ` +
        "does not exist",
      head.revision,
    );
  }
  if (!servable(revision, settings)) {
    throw new WrongExpectedRevisionError(
      `stream ${streamId} hides its events below revision ${settings?.hiddenBelow} (deleted or truncated); a ` +
        `snapshot at revision ${revision} would never be read`,
      head.revision,
    );
  }
}
