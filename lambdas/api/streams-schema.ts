/**
 * The input rules and answers of the streams endpoints: creating a stream, appending to it (`POST …/events`, `PUT
 * …/events/{revision}`), reading its events and details, and listing stream types and the streams of a type. TypeBox
 * schemas like schema.ts's, whose building blocks they use; openapi.ts and streams-openapi.ts publish them.
 */
import * as Type from "@sinclair/typebox/type";
import {
  Event,
  ExpectedRevision,
  idempotencyKeyHeader,
  listingPage,
  maxEventsPerAppend,
  maxPageSize,
  maxWholeNumber,
  NewEvent,
  PageKey,
  PageSize,
  Revision,
  requestBody,
  Stream,
  StreamType,
  Time,
  TimeInput,
  Uuid,
  wholeNumber,
} from "./schema.ts";
import { TraceContextHeaders } from "./trace-context.ts";

export const CreateStreamBody = requestBody({ initialEvent: NewEvent });

export const AppendAtRevisionBody = requestBody({ event: NewEvent });

export const AppendBody = requestBody({
  expectedRevision: ExpectedRevision,
  events: Type.Array(NewEvent, {
    minItems: 1,
    maxItems: maxEventsPerAppend,
    errorMessage: `must be an array of 1 to ${maxEventsPerAppend} events`,
  }),
});

// Path, query and header parameters. A member with a default may be left out by the client (openapi.ts does not
// mark it required); input.ts fills the default in.
export const StreamTypePath = Type.Object({ streamType: StreamType });

export const StreamPath = Type.Object({ streamType: StreamType, streamId: Uuid });

export const EventPath = Type.Object({
  streamType: StreamType,
  streamId: Uuid,
  revision: wholeNumber(1, maxWholeNumber, { description: "the revision this event gets: current + 1" }),
});

export const ReadEventsQuery = Type.Object({
  "after-revision": wholeNumber(0, maxWholeNumber, { default: 0, description: "forward reads: start after this" }),
  direction: Type.Union([Type.Literal("forward"), Type.Literal("backward")], {
    default: "forward",
    errorMessage: "must be forward or backward, got {value}",
  }),
  "from-revision": Type.Optional(
    wholeNumber(1, maxWholeNumber, { description: "backward reads: start here (default: the last event)" }),
  ),
  limit: PageSize,
  "payload-encoding": Type.Union([Type.Literal("json"), Type.Literal("string")], {
    default: "json",
    description:
      "json: each payload as the JSON value it was appended as. string: each payload as a string, for clients " +
      "whose type holds it as one (the Go client's Payload string): a payload that is a JSON string is that " +
      "string, any other payload (object, array, number, true, false, null) a string holding its JSON text " +
      "exactly as stored. Metadata stays a JSON object either way",
    errorMessage: "must be json or string, got {value}",
  }),
});

export const ListStreamsQuery = Type.Object({
  "updated-after": Type.Optional(TimeInput),
  nextPageKey: Type.Optional(PageKey),
  "stream-next-page-key": Type.Optional({ ...PageKey, description: "alias of nextPageKey" }),
  // The Go project's server answers a listing in one DynamoDB page, and its client expects few pages (SPEC section 3).
  limit: { ...PageSize, default: maxPageSize },
});

export const CreateStreamHeaders = Type.Object({
  ...idempotencyKeyHeader("stream").properties,
  ...TraceContextHeaders.properties,
});

// Answers.
export const StreamAnswer = Type.Object({ stream: Stream }, { additionalProperties: false });

export const AppendAnswer = Type.Object(
  { stream: Stream, firstRevision: Revision, lastRevision: Revision },
  { additionalProperties: false },
);

export const EventPageAnswer = Type.Object({
  eventPage: Type.Object(
    {
      events: Type.Array(Event),
      hasMore: Type.Boolean(),
      lastEvaluatedRevision: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
});

export const StreamPageAnswer = Type.Object({ streamPage: listingPage({ streams: Type.Array(Stream) }) });

export const StreamTypeSummary = Type.Object(
  {
    streamType: StreamType,
    streamCount: Type.Integer({
      minimum: 1,
      maximum: maxWholeNumber,
      description: "how many streams of this type the change feed has seen created",
    }),
    lastStreamCreatedAt: { ...Time, description: "time of the first event of the newest stream of this type" },
  },
  { $id: "StreamTypeSummary", additionalProperties: false },
);

export const StreamTypePageAnswer = Type.Object({
  streamTypePage: listingPage({ streamTypes: Type.Array(StreamTypeSummary) }),
});

/** The schemas of this group the OpenAPI document names as components, with those of schema.ts. */
export const streamsComponents = { StreamTypeSummary };
