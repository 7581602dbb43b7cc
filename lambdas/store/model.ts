/** The domain model of the store: what callers give and get, free of DynamoDB and HTTP. */
import type { RawJson } from "./raw-json.ts";

export interface NewEvent {
  eventType: string;
  payload: RawJson;
  /** Given by the client for idempotent retries; generated when absent. */
  eventId?: string | undefined;
  /** A JSON object, as text. */
  metadata?: RawJson | undefined;
}

export interface RecordedEvent {
  streamId: string;
  streamType: string;
  revision: number;
  eventType: string;
  payload: RawJson;
  eventId: string;
  metadata?: RawJson | undefined;
  /** RFC 3339 UTC with milliseconds. */
  createdAt: string;
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

/** RFC 3339 UTC with milliseconds; the width is fixed for years 0000–9999, so strings sort as times. */
export function isoTime(epochMillis: number): string {
  return new Date(epochMillis).toISOString();
}

/** The later of two times of that form (undefined counts as earliest). */
export function laterTime(time: string, other: string | undefined): string {
  return other !== undefined && other > time ? other : time;
}
