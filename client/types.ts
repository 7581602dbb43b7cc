/**
 * What the HTTP API takes and answers, as plain interfaces. They are a copy of the server's schemas (which this
 * package's client must not import, so that its .d.ts stands alone); test/client/types.test.ts checks at compile
 * time that both agree, so neither side can drift silently.
 */
import type { StreamExpectationFailure } from "./consistency-types.ts";

/** A stream: its id, its type (fixed by its first event), its revision (events in it) and its last update. */
export interface Stream {
  streamId: string;
  streamType: string;
  /** The number of events in the stream; its first event has revision 1. */
  revision: number;
  /** RFC 3339 UTC time of the stream's last event. */
  updatedAt: string;
}

/** An event to append. */
export interface NewEvent {
  /** 1 to 256 characters. */
  eventType: string;
  /**
   * Any JSON value; read back exactly as given (an object keeps its key order, a string stays a string). Over 350 KB
   * the store keeps it in S3; one too large for a request the client uploads by itself.
   */
  payload?: unknown;
  /** Set by the client when it uploaded the payload (`POST /uploads`) instead of sending it: leave it to the client. */
  upload?: string;
  /**
   * A UUID that makes a retried append idempotent. The client generates one when it is absent, which makes its own
   * retries safe; give your own to retry a whole call yourself (a new call generates new ids).
   */
  eventId?: string;
  /** A JSON object stored with the event. */
  metadata?: Record<string, unknown>;
  /**
   * The data subject whose personal data the event carries (e.g. `customer-42`), given with `personalData`;
   * `client.eraseSubject(subject)` erases it.
   */
  subject?: string;
  /**
   * JSON Pointers of the personal values: `/payload` (the whole payload), `/payload/email`, `/metadata/ip`. The store
   * encrypts them with the subject's key; once the subject is erased they read as `"[erased]"`.
   */
  personalData?: string[];
}

/** An event as the store recorded it. */
export interface RecordedEvent {
  streamId: string;
  streamType: string;
  revision: number;
  eventType: string;
  eventId: string;
  /** The JSON value as appended; the client reads a payload the answer carried as `payloadUrl` in by itself. */
  payload?: unknown;
  /** Only on the wire: a URL of a payload kept in S3 that the answer had no room for (the client follows it). */
  payloadUrl?: string;
  /** With payloadUrl: the payload's bytes. */
  payloadSize?: number;
  /** With payloadUrl: the payload's SHA-256, hex, which the client checks. */
  payloadSha256?: string;
  metadata?: Record<string, unknown>;
  /** RFC 3339 UTC time of the append. */
  createdAt: string;
  /** The event's tags, when it was appended through the DCB (`client.dcb.append`). */
  tags?: string[];
  /** The W3C trace context of the append that wrote it (the client sends the active one: tracing.ts). */
  traceparent?: string;
  tracestate?: string;
  /** The data subject of the event's personal data, and the pointers of its personal values. */
  subject?: string;
  personalData?: string[];
  /** True once the subject was erased: each personal value reads as `"[erased]"`. */
  erased?: boolean;
}

/**
 * What an append expects of the stream: its exact revision (0: it does not exist yet), `"no-stream"`,
 * `"stream-exists"`, or `"any"` (append at the end whatever the revision; never a conflict).
 */
export type ExpectedRevision = number | "no-stream" | "stream-exists" | "any";

export interface AppendResult {
  /** The stream after the append. */
  stream: Stream;
  firstRevision: number;
  lastRevision: number;
}

export type ReadDirection = "forward" | "backward";

/** One page of `GET /streams/{type}/{id}/events`. */
export interface EventPage {
  events: RecordedEvent[];
  hasMore: boolean;
  /** Revision of the last event in the page: where the next page starts from. */
  lastEvaluatedRevision: number;
}

/** One page of `GET /streams/{type}`. */
export interface StreamPage {
  streams: Stream[];
  hasMore: boolean;
  nextPageKey?: string;
}

/** A stream type and how many streams it has, as `GET /streams` lists them. */
export interface StreamTypeSummary {
  streamType: string;
  /** How many streams of this type the store's change feed has seen created. */
  streamCount: number;
  /** RFC 3339 UTC time of the first event of the newest stream of this type. */
  lastStreamCreatedAt: string;
}

/** One page of `GET /streams`. */
export interface StreamTypePage {
  streamTypes: StreamTypeSummary[];
  hasMore: boolean;
  nextPageKey?: string;
}

/** A queue or a topic that a replay sends its notifications to instead of the store's topic. */
export type ReplayTarget = { queueUrl: string } | { topicArn: string };

/** A replay of a stream type's events: their notifications published again, in revision order per stream. */
export interface StreamReplayRequest {
  streamType: string;
  /** Only these streams (1 to 100); default every stream of the type. */
  streamIds?: string[];
  /** Only streams updated at or after this time. */
  updatedAfter?: string | Date;
  /** Each stream's events from this revision on (default 1). */
  fromRevision?: number;
  /** Only events of these types (default all). */
  eventTypes?: string[];
  /** Default: the store's own topic (every live subscriber sees the replay). */
  target?: ReplayTarget;
}

/** A redrive: every notification that is waiting undelivered is published again. */
export interface RedriveRequest {
  undelivered: true;
}

/** What `startReplay` posts to `POST /replays`. */
export type ReplayRequest = StreamReplayRequest | RedriveRequest;

/** `removal`: a delete's or truncation's removal of items; `erasure`: the record of a subject's erasure. */
export type OperationKind = "replay" | "redrive" | "removal" | "erasure";

export type OperationState = "pending" | "running" | "succeeded" | "failed" | "canceled";

/** A replay or redrive request as the operation keeps it: stream ids in lower case, updatedAfter in UTC. */
export interface OperationRequest {
  streamType?: string;
  streamIds?: string[];
  updatedAfter?: string;
  fromRevision?: number;
  eventTypes?: string[];
  target?: ReplayTarget;
  undelivered?: true;
}

/** Retention limits (SPEC section 13), as EventStoreDB's `$maxAge` and `$maxCount`. */
export interface Retention {
  /** Seconds an event stays readable after its append. */
  maxAge?: number;
  /** How many of the stream's newest events stay readable. */
  maxCount?: number;
}

/** A stream's retention: its own limits, its type's (the stack option), and what applies. */
export interface RetentionSettings {
  stream: Retention;
  streamType: Retention;
  effective: Retention;
}

/** What an erasure operation records (`eraseSubject`); who asked is the operation's `requestedBy`. */
export interface ErasureRequest {
  subject: string;
}

/** What a removal operation records of the delete or truncation that started it (who, what; `createdAt` is when). */
export interface RemovalRequest {
  streamType: string;
  streamId: string;
  /** "retention": the stream's own limits were set; a "truncate" requested by "retention" is the hourly sweep's. */
  action: "delete" | "hard-delete" | "truncate" | "retention";
  /** "retention": the limits set. */
  retention?: Retention;
  expectedRevision?: number;
  truncateBefore?: number;
  /** Events below this revision are hidden, and removed by the operation. */
  hiddenBelow: number;
  /** Deletes: the revision of the delete's marker. */
  markerRevision?: number;
  /** The IAM principal that asked, or "anonymous". */
  requestedBy: string;
}

/** An asynchronous operation (a replay, a redrive or a removal) and how far it got. */
export interface Operation {
  id: string;
  kind: OperationKind;
  state: OperationState;
  createdAt: string;
  updatedAt: string;
  progress: { streams: number; events: number };
  request: OperationRequest | RemovalRequest | ErasureRequest;
  /** Succeeded: what the operation did. */
  result?: unknown;
  /** Failed: why. */
  problem?: { title: string; detail: string };
  /** Canceled while running: it ends as canceled at its next step. */
  cancelRequested?: true;
  /** Who asked for it (the signer's IAM ARN, anonymous, or "retention" for the hourly sweep); removals and erasures. */
  requestedBy?: string;
}

/** The answer of `POST /replays`: the operation that was started; poll it with `getOperation`. */
export interface AcceptedOperation {
  id: string;
  kind: OperationKind;
  state: OperationState;
  /** `/operations/{id}`. */
  location: string;
}

export interface OperationPage {
  operations: Operation[];
  hasMore: boolean;
  nextPageKey?: string;
}

/** Events of a stream whose notifications could not be published yet; a redrive sends them. */
export interface UndeliveredNotification {
  streamId: string;
  streamType: string;
  firstRevision: number;
  lastRevision: number;
  /** Why the last attempt to publish them failed. */
  cause: string;
  /** When publishing them failed first. */
  since: string;
}

export interface UndeliveredPage {
  notifications: UndeliveredNotification[];
  hasMore: boolean;
  nextPageKey?: string;
}

/** The answer of `GET /liveness-check`. */
export interface Liveness {
  status: "ok";
  at: string;
  database: "ok";
}

/** The record of a data subject's erasure (`eraseSubject`): its personal values read as `"[erased]"` from then on. */
export interface Erasure {
  subject: string;
  /** When its key was erased (the first erasure's time, also on a repeat). */
  erasedAt: string;
  /** Who erased it: the signer's IAM ARN, or `anonymous`. */
  erasedBy: string;
}

/** An RFC 9457 problem document, as the API answers every error. */
export interface Problem {
  /** A stable name to switch on: one of `problemTypes`, or `about:blank` for an answer that was not problem+json. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Absent only on answers that did not come from the API (a gateway's, the function URL's own 403). */
  requestId?: string;
  /** 400: field → messages. */
  errors?: Record<string, string[]>;
  /** 409: the stream's current revision. */
  currentRevision?: number;
  /** 413: the limit that was exceeded. */
  limitBytes?: number;
  /** 409 of `appendMany`: every stream whose expectation failed. */
  failures?: StreamExpectationFailure[];
  /** 409 of a DCB append: the first matching event after the condition's position. */
  conflictingPosition?: number;
  /** 410 subject-erased: the erased subject and when it was erased. */
  subject?: string;
  erasedAt?: string;
  [member: string]: unknown;
}

/** AWS credentials, as the AWS SDK's credential providers give them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Gives credentials when asked (and caches them itself): e.g. the AWS SDK's `fromNodeProviderChain()`. */
export type CredentialsProvider = () => Promise<Credentials>;

/**
 * The notification of one event, as the change feed publishes it to SNS (and a replay to its target), parsed
 * from an SQS message by `parseNotification` or `subscribe`.
 */
export interface Notification {
  streamId: string;
  streamType: string;
  revision: number;
  eventType: string;
  eventId: string;
  createdAt: string;
  /**
   * True when the message carries the event's payload (a stack with `notificationBody: "full"`, and the event fit
   * in the message); otherwise read it with `readEvents(streamType, streamId, { fromRevision: revision })`.
   */
  payloadIncluded: boolean;
  /** The event's payload, when `payloadIncluded`. */
  payload?: unknown;
  /** The event's metadata, when `payloadIncluded` and the event has any. */
  metadata?: Record<string, unknown>;
  /** The id of the replay or redrive operation that published this notification again. */
  replayId?: string;
  /** True when a redrive published it (it had been undelivered). */
  redrive: boolean;
  /** The W3C trace context of the append that wrote the event (the message attributes of the same names). */
  traceparent?: string;
  tracestate?: string;
  /** Every String message attribute (streamType, eventType, replayId, redrive, PayloadIncluded, …). */
  attributes: Record<string, string>;
}

/** An event in the global feed (`GET /feed`): where it stands in the one order of all events, and what it is. */
export interface FeedEvent {
  /** Grows in feed order, never reused; a stream's events are in revision order. A checkpoint. */
  position: number;
  streamId: string;
  streamType: string;
  revision: number;
  eventType: string;
  eventId: string;
  /** Only when the read asked for payloads. */
  payload?: unknown;
  /** Only on the wire: a URL of a payload kept in S3 that the page had no room for (the client follows it). */
  payloadUrl?: string;
  payloadSize?: number;
  payloadSha256?: string;
  metadata?: Record<string, unknown>;
  createdAt: string;
  /** The W3C trace context of the append that wrote it. */
  traceparent?: string;
  tracestate?: string;
  /** The data subject of the event's personal data, and the pointers of its personal values. */
  subject?: string;
  personalData?: string[];
  /** True once the subject was erased: each personal value reads as `"[erased]"`. */
  erased?: boolean;
}

export interface FeedPage {
  events: FeedEvent[];
  /** Where the next page starts: past every event read, also those a filter left out. Safe to checkpoint. */
  lastPosition: number;
  hasMore: boolean;
}

export interface FeedHead {
  /** The newest position indexed (0: none yet). */
  position: number;
  indexedAt?: string;
  lastEventCreatedAt?: string;
  /** How long after its append the newest indexed event was indexed, in ms. */
  lagMs?: number;
}
