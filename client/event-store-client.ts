/**
 * The client of the event store's HTTP API: one method per endpoint, iterators that page by themselves, typed
 * errors, SigV4 for `AWS_IAM` function URLs, and retries that are safe because every write carries its identity
 * (eventIds, Idempotency-Key) from the first attempt on.
 */
import {
  type FeedSubscribeOptions,
  type FeedSubscription,
  type ReadFeedOptions,
  type ReadFeedPageOptions,
  readFeed,
  readFeedHead,
  readFeedPage,
  subscribeToFeed,
} from "./feed.ts";
import { sleep } from "./retry.ts";
import { type EventStoreClientOptions, Transport } from "./transport.ts";
import type {
  AcceptedOperation,
  AppendResult,
  EventPage,
  ExpectedRevision,
  FeedEvent,
  FeedHead,
  FeedPage,
  Liveness,
  NewEvent,
  Operation,
  OperationKind,
  OperationPage,
  OperationState,
  ReadDirection,
  RecordedEvent,
  ReplayRequest,
  Stream,
  StreamPage,
  StreamTypePage,
  StreamTypeSummary,
  UndeliveredNotification,
  UndeliveredPage,
} from "./types.ts";

export type { EventStoreClientOptions } from "./transport.ts";

/** Options every call takes. */
export interface CallOptions {
  /** Ends the call (and its retries) early; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface CreateStreamOptions extends CallOptions {
  /**
   * Makes a retried create return the same stream. The client generates one per call when absent, so that its own
   * retries are safe; give your own to make your retries of the whole call safe too.
   */
  idempotencyKey?: string;
}

export interface AppendOptions extends CallOptions {
  /** The stream's revision the append expects, or `"no-stream"`, `"stream-exists"`, `"any"`. */
  expectedRevision: ExpectedRevision;
}

export interface ReadEventsOptions extends CallOptions {
  /** Default forward (oldest first). */
  direction?: ReadDirection;
  /** The first revision to read: forward, default 1; backward, default the newest. */
  fromRevision?: number;
  /** Events fetched per request, 1 to 1000. Default 100. */
  pageSize?: number;
}

export interface ReadEventPageOptions extends CallOptions {
  direction?: ReadDirection;
  /** Forward reads: the events after this revision (default 0). */
  afterRevision?: number;
  /** Backward reads: the events from this revision down (default the newest). */
  fromRevision?: number;
  /** 1 to 1000; default 100. */
  limit?: number;
}

export interface ListStreamsOptions extends CallOptions {
  /** Only streams whose last event is at or after this time (inclusive). */
  updatedAfter?: string | Date;
  /** Streams fetched per request, 1 to 1000. Default 100. */
  pageSize?: number;
}

export interface ListStreamPageOptions extends CallOptions {
  updatedAfter?: string | Date;
  /** The `nextPageKey` of the previous page, unchanged. */
  nextPageKey?: string;
  limit?: number;
}

export interface ListStreamTypesOptions extends CallOptions {
  /** Stream types fetched per request, 1 to 1000. Default 100. */
  pageSize?: number;
}

export interface StartReplayOptions extends CallOptions {
  /** Makes a retried start return the same operation; generated per call when absent. */
  idempotencyKey?: string;
}

export interface ListOperationsOptions extends CallOptions {
  kind?: OperationKind;
  state?: OperationState;
  pageSize?: number;
}

export interface ListUndeliveredOptions extends CallOptions {
  pageSize?: number;
}

export interface WaitForOperationOptions extends CallOptions {
  /** Time between polls. Default 500 ms. */
  intervalMs?: number;
}

/** States an operation does not leave. */
const finishedStates: ReadonlySet<OperationState> = new Set(["succeeded", "failed", "canceled"]);

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

  constructor(options: EventStoreClientOptions) {
    this.#transport = new Transport(options);
  }

  /**
   * Creates a stream with its first event (`POST /streams/{type}`); the server picks its id.
   *
   * Safe to retry: the request carries an Idempotency-Key (generated when not given) and the event an eventId.
   */
  async createStream(streamType: string, initialEvent: NewEvent, options: CreateStreamOptions = {}): Promise<Stream> {
    const headers = { "idempotency-key": options.idempotencyKey ?? crypto.randomUUID() };
    const body = { initialEvent: withEventId(initialEvent) };
    const answer = await this.#transport.call<{ stream: Stream }>("POST", ["streams", streamType], {
      ...options,
      headers,
      body,
    });
    return answer.stream;
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
  async append(
    streamType: string,
    streamId: string,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const body = { expectedRevision: options.expectedRevision, events: events.map(withEventId) };
    return this.#transport.call("POST", ["streams", streamType, streamId, "events"], { ...options, body });
  }

  /**
   * Appends one event at exactly `revision` (`PUT /streams/{type}/{id}/events/{revision}`, what the Go client
   * does): the stream must be at `revision - 1`; revision 1 creates the stream with this id.
   *
   * Safe to retry, as `append`.
   *
   * @throws WrongExpectedRevision when the stream is not at `revision - 1`
   */
  async appendAt(
    streamType: string,
    streamId: string,
    revision: number,
    event: NewEvent,
    options: CallOptions = {},
  ): Promise<Stream> {
    const path = ["streams", streamType, streamId, "events", String(revision)];
    const answer = await this.#transport.call<{ stream: Stream }>("PUT", path, {
      ...options,
      body: { event: withEventId(event) },
    });
    return answer.stream;
  }

  /**
   * The stream's revision and last update (`GET /streams/{type}/{id}/details`), strongly consistent.
   *
   * @throws StreamNotFound when it does not exist, or exists with another type
   */
  async getStream(streamType: string, streamId: string, options: CallOptions = {}): Promise<Stream> {
    const answer = await this.#transport.call<{ stream: Stream }>(
      "GET",
      ["streams", streamType, streamId, "details"],
      options,
    );
    return answer.stream;
  }

  /**
   * Every event of a stream, forward (oldest first) or backward, fetched a page at a time as the loop goes on.
   *
   * @throws StreamNotFound (from the first iteration) when the stream does not exist
   * @example
   * for await (const event of client.readEvents("order", id, { direction: "backward" })) { … }
   */
  async *readEvents(
    streamType: string,
    streamId: string,
    options: ReadEventsOptions = {},
  ): AsyncGenerator<RecordedEvent, void, undefined> {
    const backward = options.direction === "backward";
    let position = backward ? options.fromRevision : (options.fromRevision ?? 1) - 1;
    for (;;) {
      const page = await this.readEventPage(streamType, streamId, {
        direction: options.direction,
        ...(backward ? { fromRevision: position } : { afterRevision: position }),
        limit: options.pageSize,
        signal: options.signal,
      });
      yield* page.events;
      if (!page.hasMore) return;
      position = backward ? page.lastEvaluatedRevision - 1 : page.lastEvaluatedRevision;
    }
  }

  /** One page of a stream's events (`GET /streams/{type}/{id}/events`); `readEvents` pages for you. */
  async readEventPage(streamType: string, streamId: string, options: ReadEventPageOptions = {}): Promise<EventPage> {
    const query = {
      direction: options.direction === "backward" ? "backward" : undefined,
      "after-revision": options.afterRevision,
      "from-revision": options.fromRevision,
      limit: options.limit,
    };
    const path = ["streams", streamType, streamId, "events"];
    return (await this.#transport.call<{ eventPage: EventPage }>("GET", path, { ...options, query })).eventPage;
  }

  /**
   * Every stream of a type updated at or after `updatedAfter`, oldest update first, a page at a time.
   *
   * The listing follows the change feed (a new append shows after a short delay) and is at least once: a stream
   * updated while the loop runs may come twice. To follow a type, list again from the last `updatedAt` seen.
   */
  async *listStreams(streamType: string, options: ListStreamsOptions = {}): AsyncGenerator<Stream, void, undefined> {
    yield* pages(async (nextPageKey) => {
      const page = await this.listStreamPage(streamType, {
        ...(nextPageKey === undefined ? { updatedAfter: options.updatedAfter } : { nextPageKey }),
        limit: options.pageSize,
        signal: options.signal,
      });
      return { ...page, items: page.streams };
    });
  }

  /** One page of the streams of a type (`GET /streams/{type}`); `listStreams` pages for you. */
  async listStreamPage(streamType: string, options: ListStreamPageOptions = {}): Promise<StreamPage> {
    const query = {
      "updated-after": timeText(options.updatedAfter),
      nextPageKey: options.nextPageKey,
      limit: options.limit,
    };
    return (
      await this.#transport.call<{ streamPage: StreamPage }>("GET", ["streams", streamType], { ...options, query })
    ).streamPage;
  }

  /**
   * Every stream type in name order, with its number of streams (`GET /streams`), a page at a time.
   *
   * The types follow the change feed as the listing does: a type shows, and a new stream counts, a short delay
   * after the stream was created.
   */
  async *listStreamTypes(options: ListStreamTypesOptions = {}): AsyncGenerator<StreamTypeSummary, void, undefined> {
    yield* pages(async (nextPageKey) => {
      const query = { limit: options.pageSize, nextPageKey };
      const answer = await this.#transport.call<{ streamTypePage: StreamTypePage }>("GET", ["streams"], {
        ...options,
        query,
      });
      return { ...answer.streamTypePage, items: answer.streamTypePage.streamTypes };
    });
  }

  /**
   * Starts a replay of a stream type's notifications, or with `{ undelivered: true }` a redrive of the undelivered
   * ones (`POST /replays`); poll it with `getOperation` or `waitForOperation`.
   *
   * Safe to retry: the request carries an Idempotency-Key (generated when not given).
   */
  async startReplay(request: ReplayRequest, options: StartReplayOptions = {}): Promise<AcceptedOperation> {
    const body = "undelivered" in request ? request : { ...request, updatedAfter: timeText(request.updatedAfter) };
    const headers = { "idempotency-key": options.idempotencyKey ?? crypto.randomUUID() };
    return this.#transport.call("POST", ["replays"], { ...options, headers, body });
  }

  /**
   * An operation's state and progress (`GET /operations/{id}`).
   *
   * @throws OperationNotFound for an unknown id
   */
  async getOperation(id: string, options: CallOptions = {}): Promise<Operation> {
    return this.#transport.call("GET", ["operations", id], options);
  }

  /** Polls an operation until it has succeeded, failed or been canceled; returns it then. */
  async waitForOperation(id: string, options: WaitForOperationOptions = {}): Promise<Operation> {
    for (;;) {
      const operation = await this.getOperation(id, options);
      if (finishedStates.has(operation.state)) return operation;
      await sleep(options.intervalMs ?? 500, options.signal);
    }
  }

  /** Every operation, oldest first, of one kind and in one state when asked (`GET /operations`). */
  async *listOperations(options: ListOperationsOptions = {}): AsyncGenerator<Operation, void, undefined> {
    yield* pages(async (nextPageKey) => {
      const query = { kind: options.kind, state: options.state, limit: options.pageSize, nextPageKey };
      const answer = await this.#transport.call<{ operationPage: OperationPage }>("GET", ["operations"], {
        ...options,
        query,
      });
      return { ...answer.operationPage, items: answer.operationPage.operations };
    });
  }

  /**
   * Cancels an operation (`DELETE /operations/{id}`): a pending one at once, a running one at its next step.
   *
   * @throws OperationFinished when it has finished already
   * @throws OperationNotFound for an unknown id
   */
  async cancelOperation(id: string, options: CallOptions = {}): Promise<Operation> {
    return this.#transport.call("DELETE", ["operations", id], options);
  }

  /** Every notification waiting for a redrive, oldest failure first (`GET /notifications/undelivered`). */
  async *listUndelivered(
    options: ListUndeliveredOptions = {},
  ): AsyncGenerator<UndeliveredNotification, void, undefined> {
    yield* pages(async (nextPageKey) => {
      const query = { limit: options.pageSize, nextPageKey };
      const path = ["notifications", "undelivered"];
      const answer = await this.#transport.call<{ undeliveredPage: UndeliveredPage }>("GET", path, {
        ...options,
        query,
      });
      return { ...answer.undeliveredPage, items: answer.undeliveredPage.notifications };
    });
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
  readFeed(options: ReadFeedOptions = {}): AsyncGenerator<FeedEvent> {
    return readFeed(this.#transport, options);
  }

  /** One page of the feed (`GET /feed`), optionally waiting for new events; `readFeed` and `subscribe` page for you. */
  readFeedPage(options: ReadFeedPageOptions = {}): Promise<FeedPage> {
    return readFeedPage(this.#transport, options);
  }

  /** The feed's newest position and how far indexing lags behind the table (`GET /feed/head`). */
  getFeedHead(options: CallOptions = {}): Promise<FeedHead> {
    return readFeedHead(this.#transport, options.signal);
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
  subscribe(options: FeedSubscribeOptions): FeedSubscription {
    return subscribeToFeed(this.#transport, options);
  }

  /** The OpenAPI 3.1 document of the API (`GET /openapi.json`). */
  async openApi(options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.#transport.call("GET", ["openapi.json"], options);
  }
}

/** The event with an eventId: its own, or a new one, fixed before the first attempt so that retries repeat it. */
function withEventId(event: NewEvent): NewEvent {
  return event.eventId === undefined ? { ...event, eventId: crypto.randomUUID() } : event;
}

function timeText(time: string | Date | undefined): string | undefined {
  return time instanceof Date ? time.toISOString() : time;
}

/** Items of page after page, following `nextPageKey` while the server says there are more. */
async function* pages<Item>(
  fetchPage: (nextPageKey: string | undefined) => Promise<{ items: Item[]; hasMore: boolean; nextPageKey?: string }>,
): AsyncGenerator<Item, void, undefined> {
  let nextPageKey: string | undefined;
  for (;;) {
    const page = await fetchPage(nextPageKey);
    yield* page.items;
    if (!page.hasMore || page.nextPageKey === undefined) return;
    nextPageKey = page.nextPageKey;
  }
}
