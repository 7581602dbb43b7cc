/**
 * The store the handlers use: append, read, details and listing of event streams (and of their types) over one
 * DynamoDB table, and the upkeep the change feed does. The one implementation that runs in Lambda, in local mode and
 * in the tests.
 *
 * A facade: each operation lives in a file of its own (append.ts, read.ts, listing.ts, stream-types.ts, …), keys
 * and expressions in items.ts and record-items.ts, every DynamoDB call in dynamo.ts. Input is checked by the caller
 * (the API's schema); the store keeps the invariants that are not about input: revisions, and the sizes DynamoDB
 * accepts.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type AppendContext, appendEvents } from "./append.ts";
import { appendDcb } from "./dcb-append.ts";
import { readDcb } from "./dcb-read.ts";
import { DeploymentSecret } from "./deployment-secret.ts";
import { type CapacityListener, StoreTable } from "./dynamo.ts";
import { InvalidInputError } from "./errors.ts";
import { type FeedHead, type FeedPage, feedHead, type ReadFeedOptions, readFeed } from "./feed.ts";
import { FeedIndex } from "./feed-index.ts";
import { StreamHeads } from "./heads.ts";
import { defaultIdempotencyWindow } from "./idempotency.ts";
import { queryLiveness } from "./items.ts";
import { createUpload, defaultPayloadThresholdBytes, type Upload } from "./large-payloads.ts";
import type { DeleteOptions, RemovalStep, TruncateResult } from "./lifecycle.ts";
import { claimSummary, keepSummary, listStreams, type SummaryClaim } from "./listing.ts";
import type { FeedClaim } from "./listing-items.ts";
import type {
  AppendResult,
  DcbAppendCondition,
  DcbAppendResult,
  DcbEvent,
  DcbQuery,
  DcbReadResult,
  EventPage,
  ExpectedRevision,
  ListStreamsOptions,
  NewEvent,
  Operation,
  OperationPage,
  ReadEventsOptions,
  RecordedEvent,
  RemovalRequest,
  Stream,
  StreamPage,
  StreamTypePage,
  UndeliveredNotification,
  UndeliveredPage,
} from "./model.ts";
import { appendToStreams, type MultiAppendResult, type StreamCheck, type StreamWrite } from "./multi-append.ts";
import { createOperation, getOperation, listOperations, saveOperation } from "./operations.ts";
import type { PayloadObjects } from "./payload-objects.ts";
import { type PayloadSweep, sweepPayloads } from "./payload-sweep.ts";
import { readEvents, readSettings, streamDetails } from "./read.ts";
import { effectiveRetention, type Retention, type RetentionByType } from "./retention.ts";
import type { RetentionSweep } from "./retention-sweep.ts";
import { latestSnapshot, type NewSnapshot, type PutSnapshotResult, putSnapshot, type Snapshot } from "./snapshots.ts";
import { countNewStreams, listStreamTypes } from "./stream-types.ts";
import {
  type Erasure,
  erasureOperation,
  openPersonalData,
  SubjectKeys,
  type SubjectKeysOptions,
} from "./subject-keys.ts";
import { checkListingShards, tableDefinition } from "./table.ts";
import { clearUndelivered, listUndelivered, recordUndelivered, undeliveredOfStream } from "./undelivered.ts";

export type { StoreOperation } from "./dynamo.ts";

/** Deletes and truncations, rare: imported on first use, a chunk of its own in the API's bundle (scripts/build.ts). */
const lifecycle = () => import("./lifecycle.ts");

export interface StreamStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Milliseconds since the epoch; tests and the bench may pin it. */
  now?: () => number;
  /** Called with the capacity of every DynamoDB call, for the bench and cost tests. */
  onConsumedCapacity?: CapacityListener;
  /** Called each time an append lost a race to another writer and tries again (for metrics). */
  onContention?: () => void;
  /**
   * How many of a stream's newest events an append's idempotency check looks at (SPEC section 2).
   * @default 100, as EventStoreDB
   */
  idempotencyWindow?: number;
  /**
   * Partitions of the listing index per stream type, 1–32 (see table.ts); a deployment keeps one count, or raises it
   * (docs/performance.md, hot stream types).
   * @default 4
   */
  listingShards?: number;
  /**
   * The bucket of payloads over `thresholdBytes` (default 350 KB) and of large snapshots (SPEC section 12). Absent,
   * an event over DynamoDB's 400 KB is refused (413) and uploads are not offered.
   */
  payloads?: { objects: PayloadObjects; thresholdBytes?: number | undefined } | undefined;
  /**
   * The subject keys table and the key wrapper (KMS in AWS, a local key in local mode) of personal data (SPEC
   * section 13, subject-keys.ts). Absent, an event with personal data is refused, and sealed values read as erased.
   */
  subjectKeys?: SubjectKeysOptions | undefined;
  /**
   * Each stream type's retention (SPEC section 13, retention.ts; the stack option `retention`): events past a type's
   * maxAge or before its newest maxCount are hidden, and removed later (TTL, the retention sweep).
   */
  retention?: RetentionByType | undefined;
}

/** A stream's retention: its own limits, its type's, and what applies (its own winning limit by limit). */
export interface RetentionSettings {
  stream: Retention;
  streamType: Retention;
  effective: Retention;
}

const noSubjectKeys = "this deployment was given no subject keys table: personal data is not available";

export class StreamStore {
  private readonly table: StoreTable;
  private readonly secret: DeploymentSecret;
  /** What the operations share: the table, the heads this process has seen, the clock. */
  private readonly context: AppendContext;

  constructor(options: StreamStoreOptions) {
    this.table = new StoreTable(
      options.client,
      options.tableName,
      options.onConsumedCapacity,
      checkListingShards(options.listingShards ?? tableDefinition.listingShards),
    );
    this.secret = new DeploymentSecret(this.table);
    this.context = {
      table: this.table,
      heads: new StreamHeads(this.table),
      now: options.now ?? Date.now,
      onContention: options.onContention,
      idempotencyWindow: options.idempotencyWindow ?? defaultIdempotencyWindow,
      retention: options.retention,
      subjects:
        options.subjectKeys &&
        new SubjectKeys(options.client, options.subjectKeys, options.now ?? Date.now, options.onConsumedCapacity),
      payloads: options.payloads && {
        objects: options.payloads.objects,
        thresholdBytes: options.payloads.thresholdBytes ?? defaultPayloadThresholdBytes,
      },
    };
  }

  /**
   * Appends events atomically if the stream is in the state `expected` describes. A retry of an append whose
   * events are already stored at that position (same eventIds and content) returns the original result.
   */
  append(streamType: string, streamId: string, expected: ExpectedRevision, events: NewEvent[]): Promise<AppendResult> {
    return appendEvents(this.context, streamType, streamId, expected, events);
  }

  /**
   * Appends to several streams atomically if each is in the state its `expected` describes, and each checked
   * stream too; a 409 names every stream that is not (multi-append.ts).
   */
  appendToStreams(writes: StreamWrite[], checks: StreamCheck[] = []): Promise<MultiAppendResult> {
    return appendToStreams(this.context, writes, checks);
  }

  /** The DCB events matching a query after a position, and the condition to append on (dcb.ts). */
  readDcb(query: DcbQuery, after: number, limit: number): Promise<DcbReadResult> {
    return readDcb(this.context, query, after, limit);
  }

  /** Appends DCB events with their tags if no event matching the condition came after its position (dcb.ts). */
  appendDcb(events: DcbEvent[], condition?: DcbAppendCondition): Promise<DcbAppendResult> {
    return appendDcb(this.context, events, condition);
  }

  /** A pre-signed PUT for a payload larger than a request carries, and the id an append names it by. */
  createUpload(): Promise<Upload> {
    return createUpload(this.context.payloads, this.context.now());
  }

  /** Events of a stream in revision order (forward) or newest first (backward); strongly consistent. */
  readEvents(streamType: string, streamId: string, options: ReadEventsOptions): Promise<EventPage> {
    return readEvents(this.context, streamType, streamId, options);
  }

  /** The stream's type, revision and time of its last event; strongly consistent. */
  streamDetails(streamType: string, streamId: string): Promise<Stream> {
    return streamDetails(this.context, streamType, streamId);
  }

  /**
   * Deletes a stream (lifecycle.ts): hides it at once (soft: reads 404, appends go on after its marker; hard: 410 for
   * ever) and answers the pending removal operation that deletes its items, for the caller to queue.
   */
  deleteStream(streamType: string, streamId: string, options: DeleteOptions): Promise<Operation> {
    return lifecycle().then((module) => module.deleteStream(this.context, streamType, streamId, options));
  }

  /** Hides the stream's events before `truncateBefore` at once; answers the pending removal operation, if any. */
  truncateStream(
    streamType: string,
    streamId: string,
    truncateBefore: number,
    requestedBy: string,
  ): Promise<TruncateResult> {
    return lifecycle().then((module) =>
      module.truncateStream(this.context, streamType, streamId, truncateBefore, requestedBy),
    );
  }

  /**
   * Sets the stream's own retention limits (replacing its own; none: its type's apply), hides at once what they no
   * longer keep, and answers the removal operation that records it and deletes those events.
   */
  setRetention(streamType: string, streamId: string, retention: Retention, requestedBy: string): Promise<Operation> {
    return lifecycle().then((module) =>
      module.setStreamRetention(this.context, streamType, streamId, retention, requestedBy),
    );
  }

  /** The stream's own limits, its type's, and what applies (404 for no stream, 410 after a hard delete). */
  async retention(streamType: string, streamId: string): Promise<RetentionSettings> {
    await streamDetails(this.context, streamType, streamId);
    const settings = await readSettings(this.table, streamId);
    const ofType = this.context.retention?.[streamType] ?? {};
    const ofStream = settings?.retention ?? {};
    return { stream: ofStream, streamType: ofType, effective: effectiveRetention(ofType, ofStream) };
  }

  /** The hourly retention sweep (retention-sweep.ts): truncates what limits no longer keep; answers the removals. */
  sweepRetention(budgetMs?: number): Promise<RetentionSweep> {
    return import("./retention-sweep.ts").then((module) => module.sweepRetention(this.context, budgetMs));
  }

  /** One step of a removal operation: deletes up to `limit` hidden items after revision `after`. */
  removeHidden(request: RemovalRequest, after: number, limit: number): Promise<RemovalStep> {
    return lifecycle().then((module) => module.removeHidden(this.context, request, after, limit));
  }

  /** Streams of a type updated after a time, oldest update first; lags appends by the change feed. */
  listStreams(streamType: string, options: ListStreamsOptions): Promise<StreamPage> {
    return listStreams(this.table, streamType, options);
  }

  /** Records notifications the change feed could not publish after its retries (each range once). */
  recordUndelivered(notifications: UndeliveredNotification[]): Promise<void> {
    return recordUndelivered(this.table, notifications);
  }

  /** A stream's undelivered notifications in revision order (strongly consistent). */
  undeliveredOfStream(streamId: string, limit = 100): Promise<UndeliveredNotification[]> {
    return undeliveredOfStream(this.table, streamId, limit);
  }

  /** What waits for a redrive, oldest failure first. */
  listUndelivered(options: { limit: number; pageKey?: string | undefined }): Promise<UndeliveredPage> {
    return listUndelivered(this.table, options);
  }

  /** Clears an undelivered range once a redrive published it. */
  clearUndelivered(streamId: string, firstRevision: number): Promise<void> {
    return clearUndelivered(this.table, streamId, firstRevision);
  }

  /** Creates an operation unless its id exists (then answers the stored one). */
  createOperation(operation: Operation): Promise<{ operation: Operation; created: boolean }> {
    return createOperation(this.table, operation);
  }

  /** An operation, strongly consistent. */
  getOperation(id: string): Promise<Operation | undefined> {
    return getOperation(this.table, id);
  }

  /** Writes the next version of an operation if the stored one is still `expectedVersion`. */
  saveOperation(next: Operation, expectedVersion: number): ReturnType<typeof saveOperation> {
    return saveOperation(this.table, next, expectedVersion);
  }

  listOperations(options: Parameters<typeof listOperations>[1]): Promise<OperationPage> {
    return listOperations(this.table, options);
  }

  /** This deployment's random secret (see deployment-secret.ts), read once per process. */
  deploymentSecret(): Promise<Buffer> {
    return this.secret.get();
  }

  /** Proves the table answers (liveness): one eventually consistent query of a key no stream has, 0.5 RRU. */
  async ping(): Promise<void> {
    await this.table.query("details", queryLiveness(this.table.tableName));
  }

  /**
   * Raises the stream's listing summary to this revision (the change feed's upkeep); never lowers it. True when it
   * wrote the stream's first summary: the stream is new, and `countNewStreams` should count it.
   */
  raiseSummary(stream: Stream): Promise<boolean> {
    return keepSummary(this.table, stream, this.context.now());
  }

  /**
   * Raises the summary and claims the stream's events from `claim.firstRevision` to `stream.revision` for a feed
   * batch, if the stream stands in the feed just before them (the change feed's gate; listing.ts).
   */
  claimSummary(stream: Stream, claim: FeedClaim): Promise<SummaryClaim> {
    return claimSummary(this.table, stream, this.context.now(), claim);
  }

  /** The writer of the global feed (one per process; feed-index.ts). */
  feedIndex(leaseMs?: number): FeedIndex {
    return new FeedIndex(this.table, this.context.now, leaseMs);
  }

  /** A page of the global feed after a position; strongly consistent (feed.ts). */
  readFeed(options: ReadFeedOptions): Promise<FeedPage> {
    return readFeed(this.table, options, this.context);
  }

  /** The newest position of the feed and how long indexing took for it. */
  feedHead(): Promise<FeedHead> {
    return feedHead(this.table);
  }

  /** Adds new streams to their type's count (the change feed's upkeep, once per type and batch). */
  countNewStreams(streamType: string, count: number, lastCreatedAt: string): Promise<void> {
    return countNewStreams(this.table, streamType, count, lastCreatedAt);
  }

  /** Stream types in name order, with their number of streams; lags stream creation by the change feed. */
  listStreamTypes(options: { limit: number; pageKey?: string | undefined }): Promise<StreamTypePage> {
    return listStreamTypes(this.table, options);
  }

  /**
   * Deletes the payload objects no event names once their hour is past the grace, and uploads never appended
   * (payload-sweep.ts); the operations worker's hourly run. Nothing to do without a bucket.
   */
  sweepPayloads(now = Date.now()): Promise<PayloadSweep> {
    const objects = this.context.payloads?.objects;
    return objects ? sweepPayloads(this.table, objects, now) : Promise.resolve({ checked: 0, deleted: 0 });
  }

  /**
   * Stores a snapshot of the stream's state at an existing revision, unless a newer one of its schema is stored
   * (snapshots.ts); a state over the payload threshold goes to the bucket.
   */
  putSnapshot(streamType: string, streamId: string, snapshot: NewSnapshot): Promise<PutSnapshotResult> {
    return putSnapshot(this.context, streamType, streamId, snapshot);
  }

  /**
   * Events made from items elsewhere (the change feed's stream records) as a reader sees them: personal values
   * decrypted, or "[erased]" with `erased: true` (subject-keys.ts).
   */
  openPersonalData<Event extends RecordedEvent>(events: Event[]): Promise<Event[]> {
    return openPersonalData(this.context.subjects, events);
  }

  /**
   * Erases the subject's data key (subject-keys.ts): from now on its personal values read as "[erased]" everywhere.
   * Idempotent: erasing again answers the first erasure.
   */
  async eraseSubject(subject: string, erasedBy: string): Promise<Erasure> {
    const subjects = this.context.subjects;
    if (!subjects) throw new InvalidInputError("this store keeps no subject keys", { subject: [noSubjectKeys] });
    const erasure = await subjects.erase(subject, erasedBy);
    await createOperation(this.table, erasureOperation(erasure));
    return erasure;
  }

  /** The latest snapshot of the stream for `schema`, with its state (strongly consistent); undefined for none. */
  latestSnapshot(streamType: string, streamId: string, schema: string): Promise<Snapshot | undefined> {
    return latestSnapshot(this.context, streamType, streamId, schema);
  }
}
