/**
 * The input rules and answers of the global feed (SPEC section 10): `GET /feed` and `GET /feed/head`. TypeBox
 * schemas like schema.ts's, whose building blocks they use.
 */
import * as Type from "@sinclair/typebox/type";
import { streamTypeRule } from "#shared/stream-type.ts";
import {
  Event,
  maxEventTypeLength,
  maxPageSize,
  maxWholeNumber,
  personalDataMembers,
  Time,
  wholeNumber,
} from "./schema.ts";
import { ReadEventsQuery } from "./streams-schema.ts";

/** How long a read of the feed may wait for new events (a long poll). */
export const maxFeedWaitSeconds = 20;
/** How many stream types or event types one read may filter by. */
export const maxFeedFilters = 20;

const oneStreamType = streamTypeRule.slice(1, -1);

export const FeedQuery = Type.Object({
  after: wholeNumber(0, maxWholeNumber, {
    default: 0,
    description: "events after this position: 0 for the whole feed, or the lastPosition of the previous page",
  }),
  // Pages of the feed default to the most: a batch item is read whole, so a page of a batch's size costs least.
  limit: wholeNumber(1, maxPageSize, {
    default: maxPageSize,
    description: "events per page; the feed reads whole batches of up to 1,000 events, so large pages cost least",
  }),
  "stream-type": Type.Optional(
    Type.String({
      pattern: `^${oneStreamType}(,${oneStreamType}){0,${maxFeedFilters - 1}}$`,
      description: `only events of these stream types, comma-separated (up to ${maxFeedFilters}); the read costs in proportion to their events`,
      errorMessage: `must be up to ${maxFeedFilters} stream types separated by commas, each matching ${streamTypeRule}, got {value}`,
    }),
  ),
  "event-type": Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: maxFeedFilters * (maxEventTypeLength + 1),
      description: `only events of these event types, comma-separated (up to ${maxFeedFilters}; an event type with a comma cannot be named here)`,
      errorMessage: `must be up to ${maxFeedFilters} event types separated by commas, got {value}`,
    }),
  ),
  payload: Type.Optional(
    Type.Literal("include", {
      description: "include each event's payload and metadata (costs a read of each event: docs/data-model.md)",
      errorMessage: "must be include, or left out, got {value}",
    }),
  ),
  "payload-encoding": ReadEventsQuery.properties["payload-encoding"],
  "wait-seconds": wholeNumber(0, maxFeedWaitSeconds, {
    default: 0,
    description: "when no event is there yet, wait up to this long for one (a long poll) before answering",
  }),
});

export const FeedEvent = Type.Object(
  {
    position: Type.Integer({ minimum: 1, description: "the event's place in the feed: grows, never reused" }),
    streamId: Event.properties.streamId,
    streamType: Event.properties.streamType,
    revision: Event.properties.revision,
    eventType: Event.properties.eventType,
    eventId: Event.properties.eventId,
    payload: Event.properties.payload,
    payloadUrl: Event.properties.payloadUrl,
    payloadSize: Event.properties.payloadSize,
    payloadSha256: Event.properties.payloadSha256,
    metadata: Event.properties.metadata,
    createdAt: Time,
    traceparent: Event.properties.traceparent,
    tracestate: Event.properties.tracestate,
    ...personalDataMembers,
  },
  { $id: "FeedEvent", additionalProperties: false },
);

export const FeedPageAnswer = Type.Object(
  {
    feedPage: Type.Object(
      {
        events: Type.Array(FeedEvent),
        lastPosition: Type.Integer({
          minimum: 0,
          description:
            "where the next page starts (its after): past every event read, also those a filter left out; a checkpoint",
        }),
        hasMore: Type.Boolean({ description: "more events are there now; false once the reader has caught up" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const FeedHeadAnswer = Type.Object(
  {
    feedHead: Type.Object(
      {
        position: Type.Integer({ minimum: 0, description: "the newest position indexed (0: none yet)" }),
        indexedAt: Type.Optional({ ...Time, description: "when the newest batch of the feed was written" }),
        lastEventCreatedAt: Type.Optional({ ...Time, description: "the append time of the newest event indexed" }),
        lagMs: Type.Optional(
          Type.Integer({
            minimum: 0,
            description: "how long after its append the newest event was indexed: how far indexing lags the table",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
