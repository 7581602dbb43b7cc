/**
 * The shared building blocks of the HTTP API's input rules and answers, as TypeBox schemas: the limits, the
 * scalars (StreamType, Uuid, Revision, times), a new event and its expected revision, request bodies, pages and
 * page keys, the Idempotency-Key header, and the answers every group shows (Stream, Event, Problem, Liveness).
 * Each endpoint group builds its own input and answers from these beside its OpenAPI slice: the streams endpoints
 * in streams-schema.ts, the operations' (replays, operations, undelivered notifications) in operation-schema.ts,
 * the global feed's in feed-schema.ts, consistency across streams in consistency-schema.ts.
 *
 * They are JSON Schema: openapi.ts publishes them as the document's components and parameters, `Static<>` gives
 * their TypeScript types, and input.ts checks each request against them. The few rules JSON Schema cannot state (an
 * eventId twice in one append, after-revision only on forward reads) sit next to the endpoint that needs them;
 * one holds for every body and is checked by input.ts for all: each string and member name is well-formed Unicode.
 *
 * `errorMessage` (our own keyword, in the manner of ajv-errors) is what a 400 says of a value that breaks the
 * schema, see ErrorMessage. openapi.ts leaves it out of the published document.
 */

import type { SchemaOptions, Static, TProperties } from "@sinclair/typebox";
// The builders by name, not the `Type` object of the package root: only the ones used are bundled.
import * as Type from "@sinclair/typebox/type";
import { streamTypeRule } from "#shared/stream-type.ts";
import { maxPersonalPointers } from "#store/personal-data.ts";

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

/**
 * Our keyword `exactlyOne` (checked by input.ts, left out of the published document like errorMessage): an object
 * holds exactly one of `members`; `missing` and `both` are what a 400 says of the first member otherwise.
 */
export interface ExactlyOne {
  members: string[];
  missing: string;
  both: string;
}

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

/** A data subject (SPEC section 13): an opaque id such as customer-42, never the personal data itself. */
export const Subject = Type.String({
  pattern: "^[\\x21-\\x7e]{1,256}$",
  description: "a data subject: an opaque id such as customer-42 (not an e-mail address: the id outlives erasure)",
  errorMessage: "must be 1 to 256 visible ASCII characters, e.g. customer-42, got {value}",
});

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
    payload: Type.Optional(
      Type.Unknown({
        description:
          "any JSON value; returned exactly as given. Over the store's threshold (350 KB) it is kept in S3; beyond " +
          "what a request carries, upload it first and name the upload instead",
        errorMessage: { default: "must be a JSON value", required: "is required: any JSON value" },
      }),
    ),
    upload: Type.Optional({
      ...Uuid,
      description: "instead of payload: the uploadId of POST /uploads, once the payload was PUT to its url",
    }),
    eventId: Type.Optional({ ...Uuid, description: "makes retries idempotent; generated when absent" }),
    metadata: Type.Optional({ ...Metadata, errorMessage: "must be a JSON object" }),
    subject: Type.Optional({
      ...Subject,
      description:
        "the data subject (e.g. customer-42) whose personal data the event carries; given with personalData. " +
        "DELETE /subjects/{subject} erases it",
    }),
    personalData: Type.Optional(
      Type.Array(
        Type.String({
          pattern: "^/(payload|metadata)(/.*)?$",
          maxLength: 1024,
          errorMessage: "must be a JSON Pointer (RFC 6901) starting with /payload or /metadata, e.g. /payload/email",
        }),
        {
          minItems: 1,
          maxItems: maxPersonalPointers,
          uniqueItems: true,
          description:
            "JSON Pointers of the personal values: /payload (the whole payload) or values in the payload and the " +
            'metadata (/payload/email, /metadata/ip); encrypted with the subject\'s key, read as "[erased]" once ' +
            "the subject is erased",
          errorMessage: `must be 1 to ${maxPersonalPointers} distinct JSON Pointers, e.g. ["/payload/email"]`,
        },
      ),
    ),
  },
  {
    $id: "NewEvent",
    additionalProperties: false,
    exactlyOne: {
      members: ["payload", "upload"],
      missing: "is required: any JSON value (or upload: the id of an uploaded payload too large for a request)",
      both: "is one of payload and upload, not both: an uploaded payload is named by its upload alone",
    } satisfies ExactlyOne,
    errorMessage: {
      default: "must be an object {eventType, payload (or upload), eventId?, metadata?}",
      required: "is required: {eventType, payload}",
      additionalProperties:
        "is not a field of an event (eventType, payload, upload, eventId, metadata, subject, personalData)",
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

// Path, query and header parameters: the parts every group's are made of; each group's own, one object schema per
// endpoint group, sit in its <group>-schema.ts. A member with a default may be left out by the client (openapi.ts
// does not mark it required); input.ts fills the default in.
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

/** What an event with personal data says about it on every read (members of Event, FeedEvent and the DCB's). */
export const personalDataMembers = {
  subject: Type.Optional(Type.String({ description: "the data subject of the event's personal data" })),
  personalData: Type.Optional(
    Type.Array(Type.String(), { description: "JSON Pointers of the event's personal values" }),
  ),
  erased: Type.Optional(
    Type.Boolean({ description: 'true once the subject was erased: each personal value reads as "[erased]"' }),
  ),
};

export const Event = Type.Object(
  {
    streamId: Uuid,
    streamType: StreamType,
    revision: Revision,
    eventType: Type.String(),
    eventId: Uuid,
    payload: Type.Optional(
      Type.Unknown({
        description:
          "the JSON value as it was appended; a string with payload-encoding=string (see that parameter). Absent " +
          "only for a payload kept in S3 that the answer had no room for: then payloadUrl",
      }),
    ),
    payloadUrl: Type.Optional(
      Type.String({ description: "a payload kept in S3: a URL that reads it for 15 minutes, no credentials needed" }),
    ),
    payloadSize: Type.Optional(Type.Integer({ description: "with payloadUrl: the payload's bytes" })),
    payloadSha256: Type.Optional(Type.String({ description: "with payloadUrl: the payload's SHA-256, hex" })),
    metadata: Type.Optional(Metadata),
    createdAt: Time,
    tags: Type.Optional(Type.Array(Type.String(), { description: "the tags of an event appended through the DCB" })),
    // The append's W3C trace context, when it carried one (trace-context.ts).
    traceparent: Type.Optional(Type.String({ description: "the W3C traceparent of the append that wrote the event" })),
    tracestate: Type.Optional(Type.String({ description: "the W3C tracestate of that append" })),
    ...personalDataMembers,
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
    subject: Type.Optional(Type.String({ description: "410 subject-erased: the erased subject" })),
    erasedAt: Type.Optional(Type.String({ description: "410 subject-erased: when it was erased" })),
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

/** A page of a listing: its items under their own name, whether more follow, and the key of the next page if so. */
export function listingPage<Items extends TProperties>(items: Items) {
  return Type.Object(
    { ...items, hasMore: Type.Boolean(), nextPageKey: Type.Optional(Type.String()) },
    { additionalProperties: false },
  );
}

/**
 * The shared schemas the OpenAPI document names as components; elsewhere in it they appear as $refs. Each group
 * names its own beside them (streamsComponents, operationComponents, …).
 */
export const components = { StreamType, Stream, NewEvent, Event, Problem };

export type NewEventInput = Static<typeof NewEvent>;
