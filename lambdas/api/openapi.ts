/**
 * The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json. Its schemas and parameters are the
 * ones schema.ts checks requests with, so the document cannot drift from the code; what is written here is the
 * operations and their answers. test/api/openapi.test.ts keeps it true: every route of router.ts is here and
 * nothing else is, and real answers match the schemas.
 */
import type { TObject, TSchema } from "@sinclair/typebox";
import {
  AcceptedAnswer,
  ListOperationsQuery,
  ListUndeliveredQuery,
  Operation,
  OperationPageAnswer,
  OperationPath,
  operationComponents,
  ReplayHeaders,
  ReplaysBody,
  UndeliveredPageAnswer,
} from "./operation-schema.ts";
import {
  AppendAnswer,
  AppendAtRevisionBody,
  AppendBody,
  CreateStreamBody,
  CreateStreamHeaders,
  components,
  EventPageAnswer,
  EventPath,
  ListStreamsQuery,
  Liveness,
  ReadEventsQuery,
  StreamAnswer,
  StreamPageAnswer,
  StreamPath,
  StreamTypePath,
} from "./schema.ts";

/**
 * A schema as the document shows it: plain JSON without our `errorMessage` keyword, and every component
 * (a schema with an `$id`, see schema.ts `components`) other than `self` as a $ref to it.
 */
function documented(schema: TSchema, self?: string): Record<string, unknown> {
  const text = JSON.stringify(schema, (key, value) => {
    if (key === "errorMessage" || key === "$id") return undefined;
    if (typeof value?.$id === "string" && value.$id !== self) return { $ref: `#/components/schemas/${value.$id}` };
    return value;
  });
  return JSON.parse(text);
}

/** The members of a parameter schema (schema.ts) as OpenAPI parameters; one with a default may be left out. */
function parameters(schema: TObject, location: "path" | "query" | "header") {
  return Object.entries(schema.properties).map(([name, property]) => {
    const required = location === "path" || (schema.required?.includes(name) && property.default === undefined);
    return { name, in: location, ...(required ? { required: true } : {}), schema: documented(property) };
  });
}

const json = (schema: TSchema) => ({ content: { "application/json": { schema: documented(schema) } } });
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const badInput = { "400": problem("bad input: see errors") };
const busy = { "503": problem("DynamoDB throttled after retries, or did not answer in time; see Retry-After") };
const notJson = { "415": problem("the body is not application/json") };
const errors = {
  ...badInput,
  "404": problem("no such stream, or the stream has another type"),
  "413": problem("an event over 400 KB, an append over 4 MB or a request over 6 MB"),
  ...notJson,
  ...busy,
};
const conflict = { "409": problem("the stream is not at the expected revision; nothing was written") };

const noOperation = { "404": problem("no such operation") };

/** The asynchronous operations (SPEC section 5): replays and redrives, and what they work through. */
const operationPaths = {
  "/replays": {
    post: {
      summary: "Replay the notifications of a stream type's events, or redrive the undelivered ones",
      parameters: parameters(ReplayHeaders, "header"),
      requestBody: { required: true, ...json(ReplaysBody) },
      responses: {
        "202": {
          description: "accepted: poll the operation at Location",
          headers: { Location: { schema: { type: "string" } }, "Retry-After": { schema: { type: "integer" } } },
          ...json(AcceptedAnswer),
        },
        ...badInput,
        ...notJson,
        "422": problem("the Idempotency-Key was used with another body"),
        "503": problem("DynamoDB throttled or did not answer (see Retry-After), or this API runs no operations"),
      },
    },
  },
  "/operations": {
    get: {
      summary: "Operations oldest first, of a kind and in a state",
      parameters: parameters(ListOperationsQuery, "query"),
      responses: { "200": { description: "a page of operations", ...json(OperationPageAnswer) }, ...badInput, ...busy },
    },
  },
  "/operations/{id}": {
    parameters: parameters(OperationPath, "path"),
    get: {
      summary: "An operation's state and progress",
      responses: { "200": { description: "the operation", ...json(Operation) }, ...badInput, ...noOperation, ...busy },
    },
    delete: {
      summary: "Cancel an operation: at once when pending, at the worker's next step when running",
      responses: {
        "202": { description: "canceled, or asked to stop", ...json(Operation) },
        ...badInput,
        ...noOperation,
        "409": problem("the operation has finished: succeeded, failed or canceled"),
        ...busy,
      },
    },
  },
  "/notifications/undelivered": {
    get: {
      summary: "Notifications that could not be published, waiting for a redrive, oldest failure first",
      parameters: parameters(ListUndeliveredQuery, "query"),
      responses: {
        "200": { description: "a page of undelivered ranges", ...json(UndeliveredPageAnswer) },
        ...badInput,
        ...busy,
      },
    },
  },
};

const details = {
  summary: "Stream details (strongly consistent)",
  parameters: parameters(StreamPath, "path"),
  responses: { "200": { description: "the stream", ...json(StreamAnswer) }, ...errors },
};

const namedSchemas: Record<string, TSchema> = { ...components, ...operationComponents };

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Serverless event store",
    version: "1.0.0",
    description:
      "Event streams with optimistic concurrency on DynamoDB, their notifications replayed and redriven by " +
      "asynchronous operations. Compatible with the eshttp Go client of serverless-event-store.",
  },
  paths: {
    "/liveness-check": {
      get: {
        summary: "Liveness, including the table",
        responses: {
          "200": { description: "alive, and the table answers", ...json(Liveness) },
          "503": problem("DynamoDB did not answer in time; see Retry-After"),
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: {} } } } },
      },
    },
    "/streams/{streamType}": {
      parameters: parameters(StreamTypePath, "path"),
      post: {
        summary: "Create a stream with its initial event",
        parameters: parameters(CreateStreamHeaders, "header"),
        requestBody: { required: true, ...json(CreateStreamBody) },
        responses: {
          "201": {
            description: "created",
            headers: { Location: { schema: { type: "string" } } },
            ...json(StreamAnswer),
          },
          ...errors,
          "422": problem("the Idempotency-Key was used with another body"),
        },
      },
      get: {
        summary: "Streams of a type updated after a time, oldest update first (follows the change feed)",
        parameters: parameters(ListStreamsQuery, "query"),
        responses: { "200": { description: "a page of streams", ...json(StreamPageAnswer) }, ...errors },
      },
    },
    "/streams/{streamType}/{streamId}": { get: details },
    "/streams/{streamType}/{streamId}/details": { get: details },
    "/streams/{streamType}/{streamId}/events": {
      parameters: parameters(StreamPath, "path"),
      get: {
        summary: "Read events forward after a revision, or backward from one (strongly consistent)",
        parameters: parameters(ReadEventsQuery, "query"),
        responses: { "200": { description: "a page of events", ...json(EventPageAnswer) }, ...errors },
      },
      post: {
        summary: "Append 1–100 events atomically",
        requestBody: { required: true, ...json(AppendBody) },
        responses: { "201": { description: "appended", ...json(AppendAnswer) }, ...errors, ...conflict },
      },
    },
    "/streams/{streamType}/{streamId}/events/{revision}": {
      put: {
        summary: "Append exactly revision N+1 (revision 1 creates the stream with this id)",
        parameters: parameters(EventPath, "path"),
        requestBody: { required: true, ...json(AppendAtRevisionBody) },
        responses: { "201": { description: "appended", ...json(StreamAnswer) }, ...errors, ...conflict },
      },
    },
    ...operationPaths,
  },
  components: {
    schemas: Object.fromEntries(Object.entries(namedSchemas).map(([name, schema]) => [name, documented(schema, name)])),
  },
};
