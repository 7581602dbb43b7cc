/**
 * The client of the event store's HTTP API: one method per endpoint, iterators that page by themselves, typed
 * errors, SigV4 for `AWS_IAM` function URLs, and retries that are safe because every write carries its identity
 * (eventIds, Idempotency-Key) from the first attempt on. The methods delegate to one module per resource group
 * (streams.ts, multi-append.ts, operations.ts, feed.ts, and dcb.ts as `client.dcb`), so this file is the API's
 * table of contents.
 */
import type { CallOptions } from "./common.ts";
import type { MultiAppendRequest, MultiAppendResult } from "./consistency-types.ts";
import { DcbClient } from "./dcb.ts";
import * as feed from "./feed.ts";
import * as lifecycle from "./lifecycle.ts";
import { appendMany } from "./multi-append.ts";
import * as operations from "./operations.ts";
import type { NewSnapshot, Snapshot, SnapshotInfo } from "./snapshot-types.ts";
import * as snapshots from "./snapshots.ts";
import * as streams from "./streams.ts";
import * as subjects from "./subjects.ts";
import { type EventStoreClientOptions, Transport } from "./transport.ts";
import type {
  AcceptedOperation,
  AppendResult,
  Erasure,
  EventPage,
  FeedEvent,
  FeedHead,
  FeedPage,
  Liveness,
  NewEvent,
  Operation,
  RecordedEvent,
  ReplayRequest,
  Retention,
  RetentionSettings,
  Stream,
  StreamPage,
  StreamTypeSummary,
  UndeliveredNotification,
} from "./types.ts";

export type { EventStoreClientOptions } from "./transport.ts";

/**
 * A client of the event store's HTTP API.
 *
 * Failed calls throw an `EventStoreError` subclass (`WrongExpectedRevision`, `StreamNotFound`, `BadRequest`, …)
 * that keeps the problem document, or a `NetworkError` when no attempt got an answer. 429 and 503 answers and
 * attempts without an answer are retried with backoff, honouring Retry-After; writes are safe to retry because the
 * client gives each new event an `eventId` and each create or replay an `Idempotency-Key` before the first attempt.
 *
 * @example
 * const client = new EventStoreClient({ url: process.env.EVENT_STORE_URL, auth: "iam" });
 * const stream = await client.createStream("order", { eventType: "OrderPlaced", payload: { total: 42 } });
 * await client.append("order", stream.streamId, [{ eventType: "OrderPaid", payload: {} }], { expectedRevision: 1 });
 * for await (const event of client.readEvents("order", stream.streamId)) console.log(event.revision, event.payload);
 */
export class EventStoreClient {
  readonly #transport: Transport;
  /**
   * The Dynamic Consistency Boundary (SPEC section 11): `read` and `append` tagged events by a query and a
   * condition, and `decide`, the read-decide-append loop that retries a lost race.
   */
  readonly dcb: DcbClient;

  constructor(options: EventStoreClientOptions) {
    this.#transport = new Transport(options);
    this.dcb = new DcbClient(this.#transport);
  }

  /**
   * Creates a stream with its first event (`POST /streams/{type}`); the server picks its id.
   *
   * Safe to retry: the request carries an Idempotency-Key (generated when not given) and the event an eventId.
   */
  createStream(streamType: string, initialEvent: NewEvent, options: streams.CreateStreamOptions = {}): Promise<Stream> {
    return streams.createStream(this.#transport, streamType, initialEvent, options);
  }

  /**
   * Appends 1 to 100 events atomically (`POST /streams/{type}/{id}/events`) if the stream is at `expectedRevision`;
   * `"no-stream"` creates the stream with this id.
   *
   * Safe to retry: events without an eventId get one before the first attempt, and an append whose eventIds all
   * stand at the end of the stream answers their original positions and writes nothing.
   *
   * @throws WrongExpectedRevision (with `currentRevision`) when the stream is elsewhere; nothing was written
   * @throws StreamNotFound for `"stream-exists"` or a revision above 0 on a stream that does not exist
   */
  append(
    streamType: string,
    streamId: string,
    events: NewEvent[],
    options: streams.AppendOptions,
  ): Promise<AppendResult> {
    return streams.append(this.#transport, streamType, streamId, events, options);
  }

  /**
   * Appends to several streams and checks others, each with its own expectation, all or nothing (`POST /appends`);
   * answers one result per stream appended to, in the order of the request.
   *
   * Safe to retry, as `append`: events without an eventId get one before the first attempt.
   *
   * @throws StreamsConflict (a WrongExpectedRevision) whose `failures` name every stream that was not where
   * expected, with its current revision; nothing was written
   */
  appendMany(request: MultiAppendRequest, options: CallOptions = {}): Promise<MultiAppendResult> {
    return appendMany(this.#transport, request, options);
  }

  /**
   * Appends one event at exactly `revision` (`PUT /streams/{type}/{id}/events/{revision}`, what the Go client
   * does): the stream must be at `revision - 1`; revision 1 creates the stream with this id.
   *
   * Safe to retry, as `append`.
   *
   * @throws WrongExpectedRevision when the stream is not at `revision - 1`
   */
  appendAt(
    streamType: string,
    streamId: string,
    revision: number,
    event: NewEvent,
    options: CallOptions = {},
  ): Promise<Stream> {
    return streams.appendAt(this.#transport, streamType, streamId, revision, event, options);
  }

  /**
   * The stream's revision and last update (`GET /streams/{type}/{id}/details`), strongly consistent.
   *
   * @throws StreamNotFound when it does not exist, or exists with another type
   */
  getStream(streamType: string, streamId: string, options: CallOptions = {}): Promise<Stream> {
    return streams.getStream(this.#transport, streamType, streamId, options);
  }

  /**
   * Every event of a stream, forward (oldest first) or backward, fetched a page at a time as the loop goes on.
   *
   * @throws StreamNotFound (from the first iteration) when the stream does not exist
   * @example
   * for await (const event of client.readEvents("order", id, { direction: "backward" })) { … }
   */
  readEvents(
    streamType: string,
    streamId: string,
    options: streams.ReadEventsOptions = {},
  ): AsyncGenerator<RecordedEvent, void, undefined> {
    return streams.readEvents(this.#transport, streamType, streamId, options);
  }

  /** One page of a stream's events (`GET /streams/{type}/{id}/events`); `readEvents` pages for you. */
  readEventPage(streamType: string, streamId: string, options: streams.ReadEventPageOptions = {}): Promise<EventPage> {
    return streams.readEventPage(this.#transport, streamType, streamId, options);
  }

  /**
   * Every stream of a type updated at or after `updatedAfter`, oldest update first, a page at a time.
   *
   * The listing follows the change feed (a new append shows after a short delay) and is at least once: a stream
   * updated while the loop runs may come twice. To follow a type, list again from the last `updatedAt` seen.
   */
  listStreams(streamType: string, options: streams.ListStreamsOptions = {}): AsyncGenerator<Stream, void, undefined> {
    return streams.listStreams(this.#transport, streamType, options);
  }

  /** One page of the streams of a type (`GET /streams/{type}`); `listStreams` pages for you. */
  listStreamPage(streamType: string, options: streams.ListStreamPageOptions = {}): Promise<StreamPage> {
    return streams.listStreamPage(this.#transport, streamType, options);
  }

  /**
   * Every stream type in name order, with its number of streams (`GET /streams`), a page at a time.
   *
   * The types follow the change feed as the listing does: a type shows, and a new stream counts, a short delay
   * after the stream was created.
   */
  listStreamTypes(options: streams.ListStreamTypesOptions = {}): AsyncGenerator<StreamTypeSummary, void, undefined> {
    return streams.listStreamTypes(this.#transport, options);
  }

  /**
   * Starts a replay of a stream type's notifications, or with `{ undelivered: true }` a redrive of the undelivered
   * ones (`POST /replays`); poll it with `getOperation` or `waitForOperation`.
   *
   * Safe to retry: the request carries an Idempotency-Key (generated when not given).
   */
  startReplay(request: ReplayRequest, options: operations.StartReplayOptions = {}): Promise<AcceptedOperation> {
    return operations.startReplay(this.#transport, request, options);
  }

  /**
   * An operation's state and progress (`GET /operations/{id}`).
   *
   * @throws OperationNotFound for an unknown id
   */
  getOperation(id: string, options: CallOptions = {}): Promise<Operation> {
    return operations.getOperation(this.#transport, id, options);
  }

  /** Polls an operation until it has succeeded, failed or been canceled; returns it then. */
  waitForOperation(id: string, options: operations.WaitForOperationOptions = {}): Promise<Operation> {
    return operations.waitForOperation(this.#transport, id, options);
  }

  /** Every operation, oldest first, of one kind and in one state when asked (`GET /operations`). */
  listOperations(options: operations.ListOperationsOptions = {}): AsyncGenerator<Operation, void, undefined> {
    return operations.listOperations(this.#transport, options);
  }

  /**
   * Cancels an operation (`DELETE /operations/{id}`): a pending one at once, a running one at its next step.
   *
   * @throws OperationFinished when it has finished already
   * @throws OperationNotFound for an unknown id
   */
  cancelOperation(id: string, options: CallOptions = {}): Promise<Operation> {
    return operations.cancelOperation(this.#transport, id, options);
  }

  /**
   * Deletes a stream (`DELETE /streams/{type}/{id}`): soft by default (reads answer StreamNotFound, appending again
   * continues its revisions), or `hard` (a tombstone: StreamDeleted for ever). Hidden at once; the answer is the
   * removal operation that deletes its events (poll it with `waitForOperation`).
   *
   * @throws WrongExpectedRevision when `expectedRevision` is given and the stream is elsewhere
   * @throws StreamNotFound when it does not exist (or was deleted already); StreamDeleted after a hard delete
   */
  deleteStream(
    streamType: string,
    streamId: string,
    options: lifecycle.DeleteStreamOptions = {},
  ): Promise<AcceptedOperation> {
    return lifecycle.deleteStream(this.#transport, streamType, streamId, options);
  }

  /**
   * Hides the stream's events before revision `before` at once (`POST /streams/{type}/{id}/truncation`), and
   * answers the removal operation that deletes them; `undefined` when they were hidden already.
   *
   * @throws BadRequest when `before` is beyond the stream's revision + 1
   */
  truncateStream(
    streamType: string,
    streamId: string,
    before: number,
    options: CallOptions = {},
  ): Promise<lifecycle.TruncateResult> {
    return lifecycle.truncateStream(this.#transport, streamType, streamId, before, options);
  }

  /**
   * The stream's retention (`GET /streams/{type}/{id}/retention`): its own limits, its type's, and what applies.
   *
   * @throws StreamNotFound when it does not exist; StreamDeleted after a hard delete
   */
  getRetention(streamType: string, streamId: string, options: CallOptions = {}): Promise<RetentionSettings> {
    return lifecycle.getRetention(this.#transport, streamType, streamId, options);
  }

  /**
   * Sets the stream's own retention limits (`PUT /streams/{type}/{id}/retention`), replacing those it had (`{}`:
   * none, its type's apply). Reads hide at once what they no longer keep; the answer is the removal operation that
   * records the change and deletes those events. Through the admin URL only.
   */
  setRetention(
    streamType: string,
    streamId: string,
    retention: Retention,
    options: CallOptions = {},
  ): Promise<AcceptedOperation> {
    return lifecycle.setRetention(this.#transport, streamType, streamId, retention, options);
  }

  /** Every notification waiting for a redrive, oldest failure first (`GET /notifications/undelivered`). */
  listUndelivered(
    options: operations.ListUndeliveredOptions = {},
  ): AsyncGenerator<UndeliveredNotification, void, undefined> {
    return operations.listUndelivered(this.#transport, options);
  }

  /** `GET /liveness-check`: the API and its table answer. */
  async liveness(options: CallOptions = {}): Promise<Liveness> {
    return this.#transport.call("GET", ["liveness-check"], options);
  }

  /**
   * Every event of the global feed after `after` (default 0: from the start), in feed order, up to the head as it
   * is when the loop gets there: one order across all streams (SPEC section 10). Filter by stream types (the read
   * then costs in proportion to their events) and event types; `includePayload` adds payloads.
   *
   * @example
   * for await (const event of client.readFeed({ after: checkpoint, streamTypes: ["order"] })) project(event);
   */
  readFeed(options: feed.ReadFeedOptions = {}): AsyncGenerator<FeedEvent> {
    return feed.readFeed(this.#transport, options);
  }

  /** One page of the feed (`GET /feed`), optionally waiting for new events; `readFeed` and `subscribe` page for you. */
  readFeedPage(options: feed.ReadFeedPageOptions = {}): Promise<FeedPage> {
    return feed.readFeedPage(this.#transport, options);
  }

  /** The feed's newest position and how far indexing lags behind the table (`GET /feed/head`). */
  getFeedHead(options: CallOptions = {}): Promise<FeedHead> {
    return feed.readFeedHead(this.#transport, options.signal);
  }

  /**
   * A catch-up subscription: reads the feed after `from`, then follows it with long polls; calls `handler` for each
   * event in order and `checkpoint` with the position reached after each page. At least once: after a crash, start
   * again from the last checkpoint saved (events after it may be handled again, none is skipped). Outages are
   * retried with backoff; a failing handler ends the subscription (`done` rejects with its error).
   *
   * @example
   * const subscription = client.subscribe({ from: await loadCheckpoint(), streamTypes: ["order"],
   *   handler: (event) => project(event), checkpoint: (position) => saveCheckpoint(position) });
   */
  subscribe(options: feed.FeedSubscribeOptions): feed.FeedSubscription {
    return feed.subscribeToFeed(this.#transport, options);
  }

  /**
   * Stores a snapshot of the stream's state at `revision` (`PUT /streams/{type}/{id}/snapshots`); one of the same
   * revision and schema is put again. Usually `loadState` with `snapshotEvery` does this for you.
   *
   * @throws SnapshotSuperseded (with `snapshotRevision`) when a newer snapshot of the schema is stored; nothing was
   * written
   * @throws WrongExpectedRevision when the stream has no such revision yet; StreamNotFound when there is no stream
   */
  putSnapshot<State>(
    streamType: string,
    streamId: string,
    snapshot: NewSnapshot<State>,
    options: CallOptions = {},
  ): Promise<SnapshotInfo> {
    return snapshots.putSnapshot(this.#transport, streamType, streamId, snapshot, options);
  }

  /**
   * The latest snapshot of the stream for `schema`, with its state (`GET /streams/{type}/{id}/snapshots/latest`);
   * undefined when there is none (also when the stream does not exist).
   */
  getLatestSnapshot<State = unknown>(
    streamType: string,
    streamId: string,
    schema: string,
    options: CallOptions = {},
  ): Promise<Snapshot<State> | undefined> {
    return snapshots.getLatestSnapshot<State>(this.#transport, streamType, streamId, schema, options);
  }

  /**
   * A stream's state: the latest snapshot of `schema` (or `initial`) with the events after it folded in by `reduce`,
   * and the revision the next append expects. With `snapshotEvery`, puts a new snapshot when at least that many
   * events were folded (best effort: a newer one stored meanwhile is fine).
   *
   * @example
   * const { state, revision } = await client.loadState("cart", id, {
   *   schema: "cart-v1", initial: { items: 0 }, reduce: (cart, event) => ({ items: cart.items + 1 }), snapshotEvery: 100,
   * });
   * await client.append("cart", id, [{ eventType: "ItemAdded", payload: {} }], { expectedRevision: revision });
   */
  loadState<State>(
    streamType: string,
    streamId: string,
    options: snapshots.LoadStateOptions<State>,
  ): Promise<snapshots.LoadedState<State>> {
    return snapshots.loadState(this.#transport, streamType, streamId, options);
  }

  /**
   * Erases a data subject's personal data by crypto-shredding (`DELETE /subjects/{subject}`): the subject's data key
   * is destroyed, so its personal values (`personalData` of the events that name it as `subject`) read as
   * `"[erased]"` with `erased: true` everywhere from then on. Idempotent: erasing again answers the first erasure.
   * Appending personal data for the subject afterwards throws SubjectErased.
   *
   * @example
   * await client.append("customer", id, [
   *   { eventType: "Registered", payload: { email: "ada@example.com", plan: "gold" }, subject: "customer-42",
   *     personalData: ["/payload/email"] },
   * ]);
   * await client.eraseSubject("customer-42");
   */
  eraseSubject(subject: string, options: CallOptions = {}): Promise<Erasure> {
    return subjects.eraseSubject(this.#transport, subject, options);
  }

  /** The OpenAPI 3.1 document of the API (`GET /openapi.json`). */
  async openApi(options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.#transport.call("GET", ["openapi.json"], options);
  }
}
