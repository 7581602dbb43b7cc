/**
 * The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json. test/api/openapi.test.ts keeps it true:
 * every route of app.ts is here and nothing else is, and real answers match the schemas.
 */

const uuid = { type: "string", format: "uuid" } as const;
const time = { type: "string", format: "date-time", description: "RFC 3339 UTC with milliseconds" } as const;
const revision = { type: "integer", minimum: 1 } as const;

const schemas = {
  Stream: {
    type: "object",
    required: ["streamId", "streamType", "revision", "updatedAt"],
    additionalProperties: false,
    properties: {
      streamId: uuid,
      streamType: { $ref: "#/components/schemas/StreamType" },
      revision: { ...revision, description: "number of events in the stream" },
      updatedAt: { ...time, description: "time of the stream's last event" },
    },
  },
  StreamType: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" },
  NewEvent: {
    type: "object",
    required: ["eventType", "payload"],
    additionalProperties: false,
    properties: {
      eventType: { type: "string", minLength: 1, maxLength: 256 },
      payload: { description: "any JSON value; returned exactly as given" },
      eventId: { ...uuid, description: "makes retries idempotent; generated when absent" },
      metadata: { type: "object" },
    },
  },
  Event: {
    type: "object",
    required: ["streamId", "streamType", "revision", "eventType", "eventId", "payload", "createdAt"],
    additionalProperties: false,
    properties: {
      streamId: uuid,
      streamType: { $ref: "#/components/schemas/StreamType" },
      revision,
      eventType: { type: "string" },
      eventId: uuid,
      payload: { description: "the JSON value as it was appended" },
      metadata: { type: "object" },
      createdAt: time,
    },
  },
  Problem: {
    type: "object",
    description: "RFC 9457 problem details",
    required: ["type", "title", "status", "detail", "requestId"],
    properties: {
      type: { type: "string" },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
      requestId: { type: "string" },
      errors: {
        type: "object",
        description: "400: field → messages",
        additionalProperties: { type: "array", items: { type: "string" } },
      },
      currentRevision: { type: "integer", description: "409: the stream's revision" },
      limitBytes: { type: "integer", description: "413: the limit that was exceeded" },
    },
  },
} as const;

const json = (schema: object) => ({ content: { "application/json": { schema } } });
const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const streamAnswer = {
  type: "object",
  required: ["stream"],
  additionalProperties: false,
  properties: { stream: ref("Stream") },
};
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});
const errors = {
  "400": problem("bad input: see errors"),
  "404": problem("no such stream, or the stream has another type"),
  "413": problem("an event over 400 KB, an append over 4 MB or a request over 6 MB"),
  "415": problem("the body is not application/json"),
  "503": problem("DynamoDB throttled after retries; see Retry-After"),
};
const conflict = { "409": problem("the stream is not at the expected revision; nothing was written") };

const streamTypeParameter = { name: "streamType", in: "path", required: true, schema: ref("StreamType") };
const streamIdParameter = { name: "streamId", in: "path", required: true, schema: uuid };
const limitParameter = {
  name: "limit",
  in: "query",
  schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
};

const details = {
  summary: "Stream details (strongly consistent)",
  parameters: [streamTypeParameter, streamIdParameter],
  responses: { "200": { description: "the stream", ...json(streamAnswer) }, ...errors },
};

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Serverless event store",
    version: "1.0.0",
    description:
      "Event streams with optimistic concurrency on DynamoDB. Compatible with the eshttp Go client of serverless-event-store.",
  },
  paths: {
    "/liveness-check": {
      get: {
        summary: "Liveness",
        responses: {
          "200": {
            description: "alive",
            ...json({ type: "object", required: ["status", "at"], properties: { status: { const: "ok" }, at: time } }),
          },
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": { description: "OpenAPI 3.1", ...json({ type: "object" }) } },
      },
    },
    "/streams/{streamType}": {
      parameters: [streamTypeParameter],
      post: {
        summary: "Create a stream with its initial event",
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            schema: { type: "string", maxLength: 255 },
            description: "a retry with the same key returns the same stream",
          },
        ],
        requestBody: {
          required: true,
          ...json({ type: "object", required: ["initialEvent"], properties: { initialEvent: ref("NewEvent") } }),
        },
        responses: {
          "201": {
            description: "created",
            headers: { Location: { schema: { type: "string" } } },
            ...json(streamAnswer),
          },
          ...errors,
          "422": problem("the Idempotency-Key was used with another body"),
        },
      },
      get: {
        summary: "Streams of a type updated after a time, oldest update first (follows the change feed)",
        parameters: [
          { name: "updated-after", in: "query", schema: time },
          { name: "nextPageKey", in: "query", schema: { type: "string" } },
          {
            name: "stream-next-page-key",
            in: "query",
            schema: { type: "string" },
            description: "alias of nextPageKey",
          },
          limitParameter,
        ],
        responses: {
          "200": {
            description: "a page of streams",
            ...json({
              type: "object",
              required: ["streamPage"],
              properties: {
                streamPage: {
                  type: "object",
                  required: ["streams", "hasMore"],
                  additionalProperties: false,
                  properties: {
                    streams: { type: "array", items: ref("Stream") },
                    hasMore: { type: "boolean" },
                    nextPageKey: { type: "string" },
                  },
                },
              },
            }),
          },
          ...errors,
        },
      },
    },
    "/streams/{streamType}/{streamId}": { get: details },
    "/streams/{streamType}/{streamId}/details": { get: details },
    "/streams/{streamType}/{streamId}/events": {
      parameters: [streamTypeParameter, streamIdParameter],
      get: {
        summary: "Read events forward after a revision, or backward from one (strongly consistent)",
        parameters: [
          { name: "after-revision", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
          { name: "direction", in: "query", schema: { enum: ["forward", "backward"], default: "forward" } },
          { name: "from-revision", in: "query", schema: revision, description: "backward reads: start here" },
          limitParameter,
        ],
        responses: {
          "200": {
            description: "a page of events",
            ...json({
              type: "object",
              required: ["eventPage"],
              properties: {
                eventPage: {
                  type: "object",
                  required: ["events", "hasMore", "lastEvaluatedRevision"],
                  additionalProperties: false,
                  properties: {
                    events: { type: "array", items: ref("Event") },
                    hasMore: { type: "boolean" },
                    lastEvaluatedRevision: { type: "integer", minimum: 0 },
                  },
                },
              },
            }),
          },
          ...errors,
        },
      },
      post: {
        summary: "Append 1–100 events atomically",
        requestBody: {
          required: true,
          ...json({
            type: "object",
            required: ["expectedRevision", "events"],
            properties: {
              expectedRevision: {
                oneOf: [{ type: "integer", minimum: 0 }, { enum: ["any", "no-stream", "stream-exists"] }],
              },
              events: { type: "array", minItems: 1, maxItems: 100, items: ref("NewEvent") },
            },
          }),
        },
        responses: {
          "201": {
            description: "appended",
            ...json({
              type: "object",
              required: ["stream", "firstRevision", "lastRevision"],
              additionalProperties: false,
              properties: { stream: ref("Stream"), firstRevision: revision, lastRevision: revision },
            }),
          },
          ...errors,
          ...conflict,
        },
      },
    },
    "/streams/{streamType}/{streamId}/events/{revision}": {
      put: {
        summary: "Append exactly revision N+1 (revision 1 creates the stream with this id)",
        parameters: [
          streamTypeParameter,
          streamIdParameter,
          { name: "revision", in: "path", required: true, schema: revision },
        ],
        requestBody: {
          required: true,
          ...json({ type: "object", required: ["event"], properties: { event: ref("NewEvent") } }),
        },
        responses: { "201": { description: "appended", ...json(streamAnswer) }, ...errors, ...conflict },
      },
    },
  },
  components: { schemas },
} as const;
