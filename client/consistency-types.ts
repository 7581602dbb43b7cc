/**
 * The types of consistency across streams (SPEC section 11): multi-stream appends (`appendMany`) and the Dynamic
 * Consistency Boundary (`client.dcb`). Checked against the API's schemas by test/client/types.test.ts.
 */
import type { AppendResult, ExpectedRevision, NewEvent, RecordedEvent } from "./types.ts";

/** One stream of a multi-stream append (`appendMany`): its events, written if it is at `expectedRevision`. */
export interface StreamAppend {
  streamType: string;
  streamId: string;
  expectedRevision: ExpectedRevision;
  /** 1 to 100; the client gives each an eventId when absent, as `append` does. */
  events: NewEvent[];
}

/** A stream a multi-stream append reads but does not write: the append fails unless it is at `expectedRevision`. */
export interface StreamCheck {
  streamType: string;
  streamId: string;
  /** `"any"` would check nothing. */
  expectedRevision: Exclude<ExpectedRevision, "any">;
}

/** What `appendMany` posts to `POST /appends`: all or nothing, within DynamoDB's 100 items per transaction. */
export interface MultiAppendRequest {
  appends: StreamAppend[];
  checks?: StreamCheck[];
}

export interface MultiAppendResult {
  /** One per stream appended to, in the order of the request. */
  appends: AppendResult[];
}

/** A stream of a multi-stream append that was not where the append expected it (see `StreamsConflict`). */
export interface StreamExpectationFailure {
  streamType: string;
  streamId: string;
  expectedRevision: ExpectedRevision;
  currentRevision: number;
}

/**
 * Matches an event of one of `types` (any type when absent or empty) that carries every one of `tags`. The first
 * tag is the item's key, the partition the store reads and checks: put the most selective first.
 */
export interface DcbQueryItem {
  types?: string[];
  /** 1 to 10 tags, e.g. `course:c1`. */
  tags: string[];
}

/** Matches an event that any of its items matches (Dynamic Consistency Boundary, SPEC section 11). */
export interface DcbQuery {
  items: DcbQueryItem[];
}

/** A DCB append fails if an event matching `failIfEventsMatch` has a position above `after`. */
export interface DcbAppendCondition {
  failIfEventsMatch: DcbQuery;
  after: number;
}

/** An event of a DCB append: its tags, and the stream it is stored in (by default one derived from its first tag). */
export interface NewDcbEvent extends NewEvent {
  /** Up to 10 tags, what queries find the event by; an event without tags names its stream. */
  tags: string[];
  /** Default `"dcb"`. */
  streamType?: string;
  streamId?: string;
}

/** An event as the DCB serves it: a stream event with its tags and its position. */
export interface SequencedEvent extends RecordedEvent {
  /** Orders the events that share a tag; events that share none may share a position. */
  position: number;
  tags: string[];
}

/** One page of `POST /dcb/read`. */
export interface DcbPage {
  events: SequencedEvent[];
  /** More events match: read again with `after` = `appendCondition.after`. */
  hasMore: boolean;
  /** What an append sends to decide on exactly the events read (of a page with `hasMore`, it fails: read on). */
  appendCondition: DcbAppendCondition;
}

/** The answer of `POST /dcb/append`. */
export interface DcbAppendResult {
  /** Positions of the first and last event appended. */
  firstPosition: number;
  lastPosition: number;
  /** The streams the events were stored in. */
  appends: AppendResult[];
}
