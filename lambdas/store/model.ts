/** The domain model of the store: what callers give and get, free of DynamoDB and HTTP. */
import type { RawJson, StoredPayload, UploadedPayload } from "./raw-json.ts";

export interface NewEvent {
  eventType: string;
  /** The JSON text, or an upload that holds it (`POST /uploads`), which the store reads before it appends. */
  payload: RawJson | UploadedPayload;
  /** Given by the client for idempotent retries; generated when absent. */
  eventId?: string | undefined;
  /** A JSON object, as text. */
  metadata?: RawJson | undefined;
  /** The W3C trace context of the append that wrote it, kept apart from the user's metadata (SPEC section 14). */
  traceContext?: TraceContext | undefined;
  /** The data subject whose personal data the event carries (SPEC section 13); given with `personalData`. */
  subject?: string | undefined;
  /** JSON Pointers of the personal values (`/payload`, `/payload/email`, `/metadata/ip`), sealed with the subject's key. */
  personalData?: string[] | undefined;
}

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as an append's `traceparent` and `tracestate` headers
 * carried it: kept with each event, returned on reads and forwarded by notifications, replays, redrives and the feed.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string | undefined;
}

export interface RecordedEvent {
  streamId: string;
  streamType: string;
  revision: number;
  eventType: string;
  /** The JSON text; or, for a payload over the inline threshold, its object in S3 (which a read may resolve). */
  payload: RawJson | StoredPayload;
  eventId: string;
  metadata?: RawJson | undefined;
  /** RFC 3339 UTC with milliseconds. */
  createdAt: string;
  /** The event's DCB tags, for events appended through the DCB. */
  tags?: string[] | undefined;
  /** Epoch seconds after which DynamoDB's TTL may remove it (its type's maxAge when appended; retention.ts). */
  expiresAt?: number | undefined;
  traceContext?: TraceContext | undefined;
  /** The data subject and the pointers of its personal values, for an event that carries personal data. */
  subject?: string | undefined;
  personalData?: string[] | undefined;
  /** True once the subject was erased: each personal value reads as "[erased]". */
  erased?: boolean | undefined;
  /** The sealed personal values as stored; the store opens them before an event leaves it (subject-keys.ts). */
  sealed?: Uint8Array | undefined;
}

/** An event of a DCB append (SPEC section 11): tags, and the stream it is stored in (by default one of its first tag's). */
export interface DcbEvent extends NewEvent {
  tags: string[];
  streamType?: string | undefined;
  streamId?: string | undefined;
}

/** Matches an event of one of `types` (any type when absent) that carries every one of `tags` (at least one). */
export interface DcbQueryItem {
  types?: string[] | undefined;
  tags: string[];
}

/** Matches an event that any of its items matches. */
export interface DcbQuery {
  items: DcbQueryItem[];
}

/** A DCB append fails if an event matching `failIfEventsMatch` has a position above `after`. */
export interface DcbAppendCondition {
  failIfEventsMatch: DcbQuery;
  after: number;
}

/** An event as the DCB serves it: a stream event with its tags and its position. */
export interface SequencedEvent extends RecordedEvent {
  position: number;
  tags: string[];
}

export interface DcbReadResult {
  events: SequencedEvent[];
  /** More matching events follow: read again after the last one's position. */
  hasMore: boolean;
  /** What an append sends to decide on exactly what this read returned. */
  appendCondition: DcbAppendCondition;
}

export interface DcbAppendResult {
  /** Positions of the first and last event appended, in the order of the request. */
  firstPosition: number;
  lastPosition: number;
  /** The streams the events were stored in. */
  appends: AppendResult[];
}

export interface Stream {
  streamId: string;
  streamType: string;
  revision: number;
  /** Time of the stream's last event, RFC 3339 UTC with milliseconds. */
  updatedAt: string;
}

/**
 * What an append expects of the stream (EventStoreDB's expected version):
 * a revision n (0 = the stream does not exist yet), "no-stream", "stream-exists", or "any".
 */
export type ExpectedRevision = number | "any" | "no-stream" | "stream-exists";

export interface AppendResult {
  stream: Stream;
  firstRevision: number;
  lastRevision: number;
}

export interface EventPage {
  events: RecordedEvent[];
  hasMore: boolean;
  /** Revision of the last event in the page; where the next page starts from. */
  lastEvaluatedRevision: number;
}

export type ReadDirection = "forward" | "backward";

export interface ReadEventsOptions {
  direction: ReadDirection;
  /** Forward: events with a revision greater than this (0 = from the start). */
  afterRevision?: number;
  /** Backward: events with a revision up to and including this (absent = from the end). */
  fromRevision?: number;
  limit: number;
  /** The answer sends payloads as JSON strings (escaped): a page then holds less, to stay within 6 MB. */
  escapedPayloads?: boolean | undefined;
  /**
   * Leave payloads kept in S3 as their references instead of reading them in (replays and redrives: a notification
   * carries the reference, never such a payload).
   */
  payloadReferences?: boolean | undefined;
}

export interface StreamPage {
  streams: Stream[];
  hasMore: boolean;
  nextPageKey?: string;
}

export interface ListStreamsOptions {
  /** Streams whose last event is strictly later than this instant (ms since epoch). */
  updatedAfter: number;
  /** A key from a previous page; takes the place of updatedAfter. */
  pageKey?: string | undefined;
  limit: number;
}

/** A stream type and its streams, as the change feed counts them (it lags appends as the listing does). */
export interface StreamTypeSummary {
  streamType: string;
  /** How many streams of this type the change feed has seen created. */
  streamCount: number;
  /** The time of the first event of the newest of those streams, RFC 3339 UTC with milliseconds. */
  lastStreamCreatedAt: string;
}

export interface StreamTypePage {
  streamTypes: StreamTypeSummary[];
  hasMore: boolean;
  nextPageKey?: string;
}

/** RFC 3339 UTC with milliseconds; the width is fixed for years 0000–9999, so strings sort as times. */
export function isoTime(epochMillis: number): string {
  return new Date(epochMillis).toISOString();
}

/** The later of two times of that form (undefined counts as earliest). */
export function laterTime(time: string, other: string | undefined): string {
  return other !== undefined && other > time ? other : time;
}

/** Notifications that still failed after the change feed's retries, waiting for a redrive (SPEC section 4). */
export interface UndeliveredNotification {
  streamId: string;
  streamType: string;
  /** The events `firstRevision`…`lastRevision` of the stream, in order. */
  firstRevision: number;
  lastRevision: number;
  /** Why the last attempt failed, for an operator. */
  cause: string;
  /** When publishing them failed first, RFC 3339 UTC. */
  since: string;
}

export interface UndeliveredPage {
  notifications: UndeliveredNotification[];
  hasMore: boolean;
  nextPageKey?: string;
}

/**
 * `removal`: a delete's or truncation's removal of items; `erasure`: the record of a subject's erasure
 * (DELETE /subjects/{subject}), created succeeded.
 */
export type OperationKind = "replay" | "redrive" | "removal" | "erasure";
export type OperationState = "pending" | "running" | "succeeded" | "failed" | "canceled";

/** What a replay republishes (SPEC section 5); `undelivered: true` makes it a redrive. */
export interface ReplayRequest {
  streamType?: string;
  streamIds?: string[];
  /** RFC 3339: streams updated at or after it. */
  updatedAfter?: string;
  /** Events from this revision on (default 1). */
  fromRevision?: number;
  eventTypes?: string[];
  /** Where the notifications go: the store's topic by default. */
  target?: { queueUrl: string } | { topicArn: string };
  undelivered?: boolean;
}

/** What an erasure operation records (DELETE /subjects/{subject}); who asked is the operation's `requestedBy`. */
export interface ErasureRequest {
  subject: string;
}

/**
 * A deletion or truncation of a stream (SPEC section 13), as its removal operation records it: what was asked, by
 * whom, and what it hid; the operation then removes the hidden items.
 */
export interface RemovalRequest {
  streamType: string;
  streamId: string;
  /**
   * "delete" hides the stream (appending again continues its revisions); "hard-delete" ends it for good; "retention"
   * sets the stream's own retention limits (and hides what they no longer keep); "truncate" hides the events before
   * a revision, asked for or by the retention sweep (requestedBy "retention").
   */
  action: "delete" | "hard-delete" | "truncate" | "retention";
  /** The stream's own retention limits a "retention" set (none: its type's apply). */
  retention?: { maxAge?: number | undefined; maxCount?: number | undefined };
  /** The revision the caller expected the stream at, when it said one. */
  expectedRevision?: number;
  /** Truncations: the revision asked for; events before it are hidden. */
  truncateBefore?: number;
  /** Events with a revision below this are hidden (a hard delete: every event). */
  hiddenBelow: number;
  /** The revision of the delete's marker (deletes only). */
  markerRevision?: number;
  /** Who asked (the IAM principal, or "anonymous"). */
  requestedBy: string;
}

/** A long-running operation (seed 003) and its durable state (seed 004). */
export interface Operation {
  id: string;
  kind: OperationKind;
  state: OperationState;
  createdAt: string;
  updatedAt: string;
  request: ReplayRequest | RemovalRequest | ErasureRequest;
  progress: { streams: number; events: number };
  /** Where the worker resumes: opaque to everyone but the worker (JSON). */
  cursor?: unknown;
  result?: unknown;
  problem?: { title: string; detail: string };
  /** Set by a cancel; the worker sees it at its next step and ends the operation as canceled. */
  cancelRequested?: boolean;
  /** Who asked for it (the signer's ARN, or "anonymous"), where the operation records it. */
  requestedBy?: string;
  /** Grows with every change: checkpoints are conditional on it, so a repeated or stale step cannot overwrite. */
  version: number;
}

export interface OperationPage {
  operations: Operation[];
  hasMore: boolean;
  nextPageKey?: string;
}
