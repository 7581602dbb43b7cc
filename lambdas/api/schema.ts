/**
 * Every rule of valid input to the HTTP API, and the shapes of its answers, as TypeBox schemas. They are JSON
 * Schema: openapi.ts publishes them as the document's components and parameters, `Static<>` gives their
 * TypeScript types, and input.ts checks each request against them. The few rules JSON Schema cannot state (an
 * eventId twice in one append, after-revision only on forward reads) sit next to the endpoint that needs them;
 * one holds for every body and is checked by input.ts for all: each string and member name is well-formed Unicode.
 *
 * `errorMessage` (our own keyword, in the manner of ajv-errors) is what a 400 says of a value that breaks the
 * schema, see ErrorMessage. openapi.ts leaves it out of the published document. The operations' schemas (replays,
 * operations, undelivered notifications) are built from these in operation-schema.ts.
 */
import type { SchemaOptions, Static, TProperties } from "@sinclair/typebox";
// The builders by name, not the `Type` object of the package root: only the ones used are bundled.
import * as Type from "@sinclair/typebox/type";
import { streamTypeRule } from "#shared/stream-type.ts";

/**
 * One message for every way a value can break the schema, or one per failing keyword with `default` for the
 * rest; `required` is said of a member that is missing. `{value}` stands for the value as the client sent it.
 */
export type ErrorMessage =
  | string
  | {
      default: string;
      required?: string;
      maxLength?: string;
      format?: string;
      /** A date-time that exists but, after applying its offset, falls outside years 0001–9999. */
      range?: string;
      additionalProperties?: string;
    };

export const maxEventTypeLength = 256;
export const maxEventsPerAppend = 100;
export const defaultPageSize = 100;
export const maxPageSize = 1000;
/** Page keys this API gives out are far shorter; a longer one cannot be one of them. */
export const maxPageKeyLength = 1024;
/** Revisions and other counts stay exact as JSON numbers up to here. */
export const maxWholeNumber = Number.MAX_SAFE_INTEGER;

export const StreamType = Type.String({
  $id: "StreamType",
  pattern: streamTypeRule,
  description: "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit; fixed by the first event",
  errorMessage: `must match ${streamTypeRule}, got {value}`,
});

/** Any case is accepted; ids are stored and answered in lower case. */
export const Uuid = Type.String({
  format: "uuid",
  pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
  errorMessage: "must be a UUID like 3f2b8c1e-6f7a-4d2b-9c1e-2a3b4c5d6e7f, got {value}",
});

/** A whole number within bounds; in a path or query it arrives as text and is read as a number. */
export function wholeNumber(minimum: number, maximum: number, options: SchemaOptions = {}) {
  return Type.Integer({
    minimum,
    maximum,
    ...options,
    errorMessage: `must be a whole number from ${minimum} to ${maximum}, got {value}`,
  });
}

export const Revision = Type.Integer({ minimum: 1 });

/** Output times: always UTC with milliseconds. */
export const Time = Type.String({ format: "date-time", description: "RFC 3339 UTC with milliseconds" });

/**
 * Input times: RFC 3339 with any offset and up to nanoseconds. The pattern states the shape (and its groups are
 * what input.ts reads); the format, checked by input.ts, that the date, the time and the offset exist and that
 * the instant, after applying its offset, falls within years 0001 to 9999.
 */
export const TimeInput = Type.String({
  format: "date-time",
  pattern: "^(\\d{4})-(\\d{2})-(\\d{2})[Tt](\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?([Zz]|[+-]\\d{2}:\\d{2})$",
  description: "RFC 3339 with any offset, up to nanoseconds",
  errorMessage: {
    default: "must be an RFC 3339 time like 2026-01-02T03:04:05.678Z, got {value}",
    format: "is not a real time: {value}",
    range: "must fall within years 0001 to 9999 once its offset is applied, got {value}",
  },
});

export const ExpectedRevision = Type.Union(
  [
    Type.Integer({ minimum: 0, maximum: maxWholeNumber }),
    Type.Literal("any"),
    Type.Literal("no-stream"),
    Type.Literal("stream-exists"),
  ],
  {
    description: "the stream's revision (0: no stream yet), or any, no-stream, stream-exists",
    errorMessage: 'must be a revision (0 or more), "any", "no-stream" or "stream-exists", got {value}',
  },
);

/** What a client says about an event besides its payload: any JSON object, returned exactly as given. */
export const Metadata = Type.Object(
  {},
  { additionalProperties: true, description: "any JSON object; returned exactly as given" },
);

export const NewEvent = Type.Object(
  {
    eventType: Type.String({
      minLength: 1,
      maxLength: maxEventTypeLength,
      errorMessage: {
        default: "is required: a non-empty string",
        maxLength: `must be at most ${maxEventTypeLength} characters`,
      },
    }),
    payload: Type.Unknown({
      description: "any JSON value; returned exactly as given",
      errorMessage: { default: "must be a JSON value", required: "is required: any JSON value" },
    }),
    eventId: Type.Optional({ ...Uuid, description: "makes retries idempotent; generated when absent" }),
    metadata: Type.Optional({ ...Metadata, errorMessage: "must be a JSON object" }),
  },
  {
    $id: "NewEvent",
    additionalProperties: false,
    errorMessage: {
      default: "must be an object {eventType, payload, eventId?, metadata?}",
      required: "is required: {eventType, payload}",
      additionalProperties: "is not a field of an event (eventType, payload, eventId, metadata)",
    },
  },
);

/**
 * A request body: a JSON object of exactly these members (an unknown one is a 400 naming it, saying `unknown`,
 * by default the members there are).
 */
export function requestBody<Members extends TProperties>(members: Members, unknown?: string) {
  return Type.Object(members, {
    additionalProperties: false,
    errorMessage: {
      default: "must be a JSON object",
      additionalProperties: unknown ?? `is not a field of this request (${Object.keys(members).join(", ")})`,
    },
  });
}

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

// Path, query and header parameters, one object schema per endpoint group. A member with a default may be
// left out by the client (openapi.ts does not mark it required); input.ts fills the default in.
export const PageSize = wholeNumber(1, maxPageSize, { default: defaultPageSize });
/** The store gives out base64url text; anything else, or anything longer, was not given out by this API. */
export const PageKey = Type.String({
  pattern: "^[A-Za-z0-9_-]*$",
  maxLength: maxPageKeyLength,
  description: "the nextPageKey of the previous page, unchanged",
  errorMessage: {
    default: "pass the nextPageKey of the previous page unchanged",
    maxLength: `must be at most ${maxPageKeyLength} characters: pass the nextPageKey of the previous page unchanged`,
  },
});

/** The query of a listing that takes nothing but its page. */
export const PageQuery = Type.Object({ limit: PageSize, nextPageKey: Type.Optional(PageKey) });

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
  limit: PageSize,
});

/** The Idempotency-Key header of a POST that creates something: `what` a retry with the same key returns. */
export function idempotencyKeyHeader(what: string) {
  return Type.Object({
    "Idempotency-Key": Type.Optional(
      Type.String({
        pattern: "^[\\x21-\\x7e]{1,255}$",
        description: `a retry with the same key returns the same ${what}`,
        errorMessage: "must be 1 to 255 visible ASCII characters",
      }),
    ),
  });
}

export const CreateStreamHeaders = idempotencyKeyHeader("stream");

// Answers.
export const Stream = Type.Object(
  {
    streamId: Uuid,
    streamType: StreamType,
    revision: { ...Revision, description: "number of events in the stream" },
    updatedAt: { ...Time, description: "time of the stream's last event" },
  },
  { $id: "Stream", additionalProperties: false },
);

export const Event = Type.Object(
  {
    streamId: Uuid,
    streamType: StreamType,
    revision: Revision,
    eventType: Type.String(),
    eventId: Uuid,
    payload: Type.Unknown({
      description: "the JSON value as it was appended; a string with payload-encoding=string (see that parameter)",
    }),
    metadata: Type.Optional(Metadata),
    createdAt: Time,
    tags: Type.Optional(Type.Array(Type.String(), { description: "the tags of an event appended through the DCB" })),
  },
  { $id: "Event", additionalProperties: false },
);

export const Problem = Type.Object(
  {
    type: Type.String({ description: "tag:event-store,2026:problem:<slug>, stable for clients to switch on" }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Object({}, { additionalProperties: Type.Array(Type.String()), description: "400: field → messages" }),
    ),
    currentRevision: Type.Optional(Type.Integer({ description: "409: the stream's revision" })),
    limitBytes: Type.Optional(Type.Integer({ description: "413: the limit that was exceeded" })),
    failures: Type.Optional(
      Type.Array(
        Type.Object({
          streamType: Type.String(),
          streamId: Type.String(),
          expectedRevision: Type.Union([Type.Integer(), Type.String()]),
          currentRevision: Type.Integer(),
        }),
        { description: "409 of POST /appends: every stream whose expectation failed, with its current revision" },
      ),
    ),
    conflictingPosition: Type.Optional(
      Type.Integer({ description: "409 of POST /dcb/append: the first matching event after the condition's position" }),
    ),
  },
  { $id: "Problem", description: "RFC 9457 problem details" },
);

export const Liveness = Type.Object({
  status: Type.Literal("ok"),
  at: Time,
  database: Type.Literal("ok", { description: "the table answered" }),
});

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

/** A page of a listing: its items under their own name, whether more follow, and the key of the next page if so. */
export function listingPage<Items extends TProperties>(items: Items) {
  return Type.Object(
    { ...items, hasMore: Type.Boolean(), nextPageKey: Type.Optional(Type.String()) },
    { additionalProperties: false },
  );
}

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

/** The schemas the OpenAPI document names as components; elsewhere in it they appear as $refs. */
export const components = { StreamType, Stream, StreamTypeSummary, NewEvent, Event, Problem };

export type NewEventInput = Static<typeof NewEvent>;
