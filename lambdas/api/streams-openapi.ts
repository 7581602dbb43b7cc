/**
 * The streams endpoints' slice of the OpenAPI document (openapi.ts spreads it in): stream types and the streams of a
 * type, creating a stream, its details, reading its events and appending to it.
 */
import {
  always,
  badInput,
  busy,
  conflict,
  json,
  keyReused,
  notJson,
  parameters,
  problem,
  streamDeleted,
  streamNotFound,
  tooLarge,
} from "./openapi-parts.ts";
import { PageQuery } from "./schema.ts";
import {
  AppendAnswer,
  AppendAtRevisionBody,
  AppendBody,
  CreateStreamBody,
  CreateStreamHeaders,
  EventPageAnswer,
  EventPath,
  ListStreamsQuery,
  ReadEventsQuery,
  StreamAnswer,
  StreamPageAnswer,
  StreamPath,
  StreamTypePageAnswer,
  StreamTypePath,
} from "./streams-schema.ts";
import { TraceContextHeaders } from "./trace-context.ts";

/** GET of a stream's details, served at two paths (the Go client reads /details). */
const details = (operationId: string) => ({
  operationId,
  summary: "Stream details (strongly consistent)",
  parameters: parameters(StreamPath, "path"),
  responses: {
    "200": { description: "the stream", ...json(StreamAnswer) },
    ...badInput,
    ...streamNotFound,
    ...streamDeleted,
    ...busy,
    ...always,
  },
});

export const streamsPaths = {
  "/streams": {
    get: {
      operationId: "listStreamTypes",
      summary:
        "Stream types by name, each with its number of streams (follows the change feed: a type shows once " +
        "the change feed has kept its first stream's summary)",
      parameters: parameters(PageQuery, "query"),
      responses: {
        "200": { description: "a page of stream types", ...json(StreamTypePageAnswer) },
        ...badInput,
        ...busy,
        ...always,
      },
    },
  },
  "/streams/{streamType}": {
    parameters: parameters(StreamTypePath, "path"),
    post: {
      operationId: "createStream",
      summary: "Create a stream with its initial event",
      parameters: parameters(CreateStreamHeaders, "header"),
      requestBody: { required: true, ...json(CreateStreamBody) },
      responses: {
        "201": {
          description: "created",
          headers: { Location: { description: "where the stream is read", schema: { type: "string" } } },
          ...json(StreamAnswer),
        },
        ...badInput,
        ...tooLarge,
        ...notJson,
        ...keyReused,
        ...busy,
        ...always,
      },
    },
    get: {
      operationId: "listStreams",
      summary: "Streams of a type updated at or after a time, oldest update first (follows the change feed)",
      parameters: parameters(ListStreamsQuery, "query"),
      responses: {
        "200": { description: "a page of streams", ...json(StreamPageAnswer) },
        ...badInput,
        ...busy,
        ...always,
      },
    },
  },
  "/streams/{streamType}/{streamId}": { get: details("getStream") },
  "/streams/{streamType}/{streamId}/details": { get: details("getStreamDetails") },
  "/streams/{streamType}/{streamId}/events": {
    parameters: parameters(StreamPath, "path"),
    get: {
      operationId: "readEvents",
      summary: "Read events forward after a revision, or backward from one (strongly consistent)",
      parameters: parameters(ReadEventsQuery, "query"),
      responses: {
        "200": { description: "a page of events", ...json(EventPageAnswer) },
        ...badInput,
        ...streamNotFound,
        ...streamDeleted,
        ...streamDeleted,
        ...busy,
        ...always,
      },
    },
    post: {
      operationId: "appendEvents",
      summary: "Append 1–100 events atomically",
      parameters: parameters(TraceContextHeaders, "header"),
      requestBody: { required: true, ...json(AppendBody) },
      responses: {
        "201": { description: "appended", ...json(AppendAnswer) },
        ...badInput,
        ...streamDeleted,
        "404": problem(
          "the stream has another type than the path names, or does not exist while the expectation needs it " +
            "(stream-exists, or a revision above 0)",
        ),
        ...conflict,
        ...tooLarge,
        ...notJson,
        ...busy,
        ...always,
      },
    },
  },
  "/streams/{streamType}/{streamId}/events/{revision}": {
    put: {
      operationId: "appendAtRevision",
      summary: "Append exactly revision N+1 (revision 1 creates the stream with this id)",
      parameters: [...parameters(EventPath, "path"), ...parameters(TraceContextHeaders, "header")],
      requestBody: { required: true, ...json(AppendAtRevisionBody) },
      responses: {
        "201": { description: "appended", ...json(StreamAnswer) },
        ...badInput,
        ...streamDeleted,
        "404": problem(
          "the stream has another type than the path names, or does not exist and the revision is above 1",
        ),
        ...conflict,
        ...tooLarge,
        ...notJson,
        ...busy,
        ...always,
      },
    },
  },
};
