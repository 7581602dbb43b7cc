/**
 * The input rules and answers of consistency across streams (SPEC section 11): `POST /appends` (multi-stream
 * append) and the Dynamic Consistency Boundary's `POST /dcb/read` and `POST /dcb/append`. TypeBox schemas like
 * schema.ts's, whose building blocks they use.
 */
import * as Type from "@sinclair/typebox/type";
import {
  Event,
  ExpectedRevision,
  maxEventsPerAppend,
  maxEventTypeLength,
  maxPageSize,
  maxWholeNumber,
  NewEvent,
  requestBody,
  StreamType,
  Uuid,
  wholeNumber,
} from "./schema.ts";
import { AppendAnswer } from "./streams-schema.ts";

/** DynamoDB's limit on the items of one transaction: events, checks and (DCB) tag items together. */
export const maxTransactionItems = 100;
/** Tags one DCB event may carry: each is an entry and a head in the append's transaction. */
export const maxTagsPerEvent = 10;
export const maxTagLength = 128;
/** Items of a DCB query, and types or tags of one item. */
export const maxQueryItems = 20;
export const maxQueryTypes = 20;

const StreamExpectation = {
  streamType: StreamType,
  streamId: Uuid,
  expectedRevision: ExpectedRevision,
};

export const StreamAppend = Type.Object(
  {
    ...StreamExpectation,
    events: Type.Array(NewEvent, {
      minItems: 1,
      maxItems: maxEventsPerAppend,
      errorMessage: `must be an array of 1 to ${maxEventsPerAppend} events`,
    }),
  },
  {
    additionalProperties: false,
    errorMessage: {
      default: "must be an object {streamType, streamId, expectedRevision, events}",
      additionalProperties: "is not a field of a stream's append (streamType, streamId, expectedRevision, events)",
    },
  },
);

export const StreamCheck = Type.Object(
  {
    ...StreamExpectation,
    expectedRevision: {
      ...ExpectedRevision,
      anyOf: ExpectedRevision.anyOf.filter((option) => option.const !== "any"),
      errorMessage:
        'must be a revision (0 or more), "no-stream" or "stream-exists" ("any" checks nothing), got {value}',
    },
  },
  {
    additionalProperties: false,
    errorMessage: {
      default: "must be an object {streamType, streamId, expectedRevision}",
      additionalProperties: "is not a field of a check (streamType, streamId, expectedRevision)",
    },
  },
);

export const AppendsBody = requestBody({
  appends: Type.Array(StreamAppend, {
    minItems: 1,
    maxItems: maxTransactionItems,
    errorMessage: `must be an array of 1 to ${maxTransactionItems} streams to append to`,
  }),
  checks: Type.Optional(
    Type.Array(StreamCheck, {
      maxItems: maxTransactionItems - 1,
      errorMessage: `must be an array of at most ${maxTransactionItems - 1} streams to check`,
    }),
  ),
});

export const AppendsAnswer = Type.Object(
  { appends: Type.Array(AppendAnswer, { description: "one per stream appended to, in the order of the request" }) },
  { additionalProperties: false },
);

export const Tag = Type.String({
  pattern: `^\\S{1,${maxTagLength}}$`,
  description: `1 to ${maxTagLength} characters without whitespace, e.g. course:c1`,
  errorMessage: `must be 1 to ${maxTagLength} characters without whitespace, like course:c1, got {value}`,
});

export const DcbQueryItem = Type.Object(
  {
    types: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: maxEventTypeLength }), {
        maxItems: maxQueryTypes,
        description: "event types, any of which matches; absent or empty: any type",
        errorMessage: `must be an array of up to ${maxQueryTypes} event types`,
      }),
    ),
    tags: Type.Array(Tag, {
      minItems: 1,
      maxItems: maxTagsPerEvent,
      description:
        "tags an event must all carry; the first is the item's key, the partition read and checked (put the most " +
        "selective first). At least one: a condition on every event of a type would serialise all its appends",
      errorMessage: `must be an array of 1 to ${maxTagsPerEvent} tags (a query item needs a tag; read all events of a type through GET /feed?event-type=…)`,
    }),
  },
  {
    $id: "DcbQueryItem",
    additionalProperties: false,
    errorMessage: {
      default: "must be an object {types?, tags}",
      required: "is required: {tags: [...]}, with at least one tag",
      additionalProperties: "is not a field of a query item (types, tags)",
    },
  },
);

export const DcbQuery = Type.Object(
  {
    items: Type.Array(DcbQueryItem, {
      minItems: 1,
      maxItems: maxQueryItems,
      errorMessage: `must be an array of 1 to ${maxQueryItems} query items`,
    }),
  },
  {
    $id: "DcbQuery",
    additionalProperties: false,
    description: "matches an event that any of its items matches",
    errorMessage: {
      default: "must be an object {items: [...]}",
      additionalProperties: "is not a field of a query (items)",
    },
  },
);

const Position = wholeNumber(0, maxWholeNumber);

export const DcbAppendCondition = Type.Object(
  {
    failIfEventsMatch: DcbQuery,
    after: { ...Position, description: "the appendCondition.after of the read the decision was made on" },
  },
  {
    $id: "DcbAppendCondition",
    additionalProperties: false,
    errorMessage: {
      default: "must be an object {failIfEventsMatch, after}: the appendCondition a read answered",
      additionalProperties: "is not a field of a condition (failIfEventsMatch, after)",
    },
  },
);

export const DcbReadBody = requestBody({
  query: DcbQuery,
  after: Type.Optional({ ...Position, description: "only events after this position (default 0: all)" }),
  limit: Type.Optional(
    wholeNumber(1, maxPageSize, { description: `events per page, at most ${maxPageSize} (default ${maxPageSize})` }),
  ),
});

export const DcbEvent = Type.Object(
  {
    ...NewEvent.properties,
    tags: Type.Array(Tag, {
      maxItems: maxTagsPerEvent,
      description: "what queries find the event by",
      errorMessage: `must be an array of up to ${maxTagsPerEvent} tags`,
    }),
    streamType: Type.Optional({ ...StreamType, description: 'the stream the event is stored in (default "dcb")' }),
    streamId: Type.Optional({
      ...Uuid,
      description: "the stream the event is stored in (default: one derived from its stream type and first tag)",
    }),
  },
  {
    $id: "DcbEvent",
    additionalProperties: false,
    exactlyOne: NewEvent.exactlyOne,
    errorMessage: {
      default:
        "must be an object {eventType, payload, tags, eventId?, metadata?, streamType?, streamId?, subject?, personalData?}",
      required: "is required: {eventType, payload, tags}",
      additionalProperties:
        "is not a field of a DCB event (eventType, payload, tags, eventId, metadata, streamType, streamId, subject, " +
        "personalData)",
    },
  },
);

export const DcbAppendBody = requestBody({
  events: Type.Array(DcbEvent, {
    minItems: 1,
    maxItems: maxEventsPerAppend,
    errorMessage: `must be an array of 1 to ${maxEventsPerAppend} events`,
  }),
  condition: Type.Optional(DcbAppendCondition),
});

export const SequencedEvent = Type.Object(
  {
    position: { ...Position, description: "orders the events that share a tag (see docs/data-model.md)" },
    ...Event.properties,
    tags: Type.Array(Type.String()),
  },
  { $id: "SequencedEvent", additionalProperties: false },
);

export const DcbPageAnswer = Type.Object({
  dcbPage: Type.Object(
    {
      events: Type.Array(SequencedEvent),
      hasMore: Type.Boolean({ description: "more events match: read again with after = appendCondition.after" }),
      appendCondition: DcbAppendCondition,
    },
    { additionalProperties: false },
  ),
});

export const DcbAppendAnswer = Type.Object(
  {
    firstPosition: Position,
    lastPosition: Position,
    appends: Type.Array(AppendAnswer, { description: "the streams the events were stored in" }),
  },
  { additionalProperties: false },
);

export const consistencyComponents = { DcbQueryItem, DcbQuery, DcbAppendCondition, DcbEvent, SequencedEvent };
