/**
 * Streams from the client's side: create, append, read a stream's events, and list streams and stream types. The
 * `EventStoreClient` methods of the same names delegate here and carry the documentation callers read.
 */
import { type CallOptions, pages, timeText } from "./common.ts";
import { eventsToSend, followPayloadUrls } from "./large-payloads.ts";
import type { Transport } from "./transport.ts";
import type {
  AppendResult,
  EventPage,
  ExpectedRevision,
  NewEvent,
  ReadDirection,
  RecordedEvent,
  Stream,
  StreamPage,
  StreamTypePage,
  StreamTypeSummary,
} from "./types.ts";

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

export async function createStream(
  transport: Transport,
  streamType: string,
  initialEvent: NewEvent,
  options: CreateStreamOptions = {},
): Promise<Stream> {
  const headers = { "idempotency-key": options.idempotencyKey ?? crypto.randomUUID() };
  const [event] = await eventsToSend(transport, [initialEvent], options.signal);
  const body = { initialEvent: event };
  const answer = await transport.call<{ stream: Stream }>("POST", ["streams", streamType], {
    ...options,
    headers,
    body,
  });
  return answer.stream;
}

export async function append(
  transport: Transport,
  streamType: string,
  streamId: string,
  events: NewEvent[],
  options: AppendOptions,
): Promise<AppendResult> {
  const sent = await eventsToSend(transport, events, options.signal);
  const body = { expectedRevision: options.expectedRevision, events: sent };
  return transport.call("POST", ["streams", streamType, streamId, "events"], { ...options, body });
}

export async function appendAt(
  transport: Transport,
  streamType: string,
  streamId: string,
  revision: number,
  event: NewEvent,
  options: CallOptions = {},
): Promise<Stream> {
  const path = ["streams", streamType, streamId, "events", String(revision)];
  const [sent] = await eventsToSend(transport, [event], options.signal);
  const answer = await transport.call<{ stream: Stream }>("PUT", path, { ...options, body: { event: sent } });
  return answer.stream;
}

export async function getStream(
  transport: Transport,
  streamType: string,
  streamId: string,
  options: CallOptions = {},
): Promise<Stream> {
  const answer = await transport.call<{ stream: Stream }>("GET", ["streams", streamType, streamId, "details"], options);
  return answer.stream;
}

/** Every event of a stream, a page at a time as the loop goes on. */
export async function* readEvents(
  transport: Transport,
  streamType: string,
  streamId: string,
  options: ReadEventsOptions = {},
): AsyncGenerator<RecordedEvent, void, undefined> {
  const backward = options.direction === "backward";
  let position = backward ? options.fromRevision : (options.fromRevision ?? 1) - 1;
  for (;;) {
    const page = await readEventPage(transport, streamType, streamId, {
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

export async function readEventPage(
  transport: Transport,
  streamType: string,
  streamId: string,
  options: ReadEventPageOptions = {},
): Promise<EventPage> {
  const query = {
    direction: options.direction === "backward" ? "backward" : undefined,
    "after-revision": options.afterRevision,
    "from-revision": options.fromRevision,
    limit: options.limit,
  };
  const path = ["streams", streamType, streamId, "events"];
  const page = (await transport.call<{ eventPage: EventPage }>("GET", path, { ...options, query })).eventPage;
  return { ...page, events: await followPayloadUrls(transport, page.events, options.signal) };
}

export async function* listStreams(
  transport: Transport,
  streamType: string,
  options: ListStreamsOptions = {},
): AsyncGenerator<Stream, void, undefined> {
  yield* pages(async (nextPageKey) => {
    const page = await listStreamPage(transport, streamType, {
      ...(nextPageKey === undefined ? { updatedAfter: options.updatedAfter } : { nextPageKey }),
      limit: options.pageSize,
      signal: options.signal,
    });
    return { ...page, items: page.streams };
  });
}

export async function listStreamPage(
  transport: Transport,
  streamType: string,
  options: ListStreamPageOptions = {},
): Promise<StreamPage> {
  const query = {
    "updated-after": timeText(options.updatedAfter),
    nextPageKey: options.nextPageKey,
    limit: options.limit,
  };
  const path = ["streams", streamType];
  return (await transport.call<{ streamPage: StreamPage }>("GET", path, { ...options, query })).streamPage;
}

export async function* listStreamTypes(
  transport: Transport,
  options: ListStreamTypesOptions = {},
): AsyncGenerator<StreamTypeSummary, void, undefined> {
  yield* pages(async (nextPageKey) => {
    const query = { limit: options.pageSize, nextPageKey };
    const answer = await transport.call<{ streamTypePage: StreamTypePage }>("GET", ["streams"], {
      ...options,
      query,
    });
    return { ...answer.streamTypePage, items: answer.streamTypePage.streamTypes };
  });
}
