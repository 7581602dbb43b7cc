/**
 * The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json. Its schemas and parameters are the
 * ones schema.ts checks requests with, so the document cannot drift from the code; what is written here is the
 * operations and their answers. test/api/openapi.test.ts keeps it true: every route of router.ts is here and
 * nothing else is, and real answers match the schemas.
 */
import type { TSchema } from "@sinclair/typebox";
import { consistencyPaths } from "./consistency-openapi.ts";
import { consistencyComponents } from "./consistency-schema.ts";
import { feedComponents, feedPaths } from "./feed-openapi.ts";
import {
  always,
  badInput,
  busy,
  conflict,
  documented,
  json,
  keyReused,
  notJson,
  parameters,
  problem,
  retryAfter,
  streamNotFound,
  tooLarge,
} from "./openapi-parts.ts";
import { operationComponents } from "./operation-schema.ts";
import { operationPaths } from "./operations-openapi.ts";
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
  PageQuery,
  ReadEventsQuery,
  StreamAnswer,
  StreamPageAnswer,
  StreamPath,
  StreamTypePageAnswer,
  StreamTypePath,
} from "./schema.ts";

/** GET of a stream's details, served at two paths (the Go client reads /details). */
const details = (operationId: string) => ({
  operationId,
  summary: "Stream details (strongly consistent)",
  parameters: parameters(StreamPath, "path"),
  responses: {
    "200": { description: "the stream", ...json(StreamAnswer) },
    ...badInput,
    ...streamNotFound,
    ...busy,
    ...always,
  },
});

const namedSchemas: Record<string, TSchema> = {
  ...components,
  ...operationComponents,
  ...feedComponents,
  ...consistencyComponents,
};

/** Where the API is when the document is read without a request to tell (a deployment's ApiUrl output). */
const functionUrlTemplate = {
  url: "https://{urlId}.lambda-url.{region}.on.aws",
  description: "the function URL of a deployment: the stack's ApiUrl output (SSM /event-store/<stage>/url)",
  variables: {
    urlId: { default: "url-id", description: "the URL id Lambda gave the function URL" },
    region: { default: "us-east-1", description: "the stack's region" },
  },
};

const signing =
  "With the function URL's default auth type AWS_IAM, every request is signed with AWS Signature Version 4 for " +
  "the service `lambda` and the stack's region (headers Authorization, X-Amz-Date, X-Amz-Security-Token for " +
  "temporary credentials, X-Amz-Content-Sha256 with the body's SHA-256), by a caller allowed " +
  "lambda:InvokeFunctionUrl and lambda:InvokeFunction on the API function. A deployment with auth type NONE " +
  "(the construct's publicUrl option) ignores the scheme: anybody with the URL may call every operation. See " +
  "docs/clients.md.";

/**
 * The OpenAPI document, with a placeholder server; `servedOpenApiDocument` gives it with the origin of the request
 * that reads it.
 */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Serverless event store",
    version: "1.0.0",
    description:
      "Event streams with optimistic concurrency on DynamoDB, their notifications replayed and redriven by " +
      "asynchronous operations. Compatible with the eshttp Go client of serverless-event-store.\n\n" +
      "Errors are application/problem+json (RFC 9457) with a stable `type` and a `requestId`. Besides the " +
      "answers each operation lists, any path the API does not serve answers 404, and a path it serves asked " +
      "with another method answers 405 with an Allow header, both as problem+json. Every GET path also answers " +
      "HEAD (GET's headers, no body), and every path answers OPTIONS with 204 and the methods it serves in Allow.\n\n" +
      signing,
    license: { name: "MIT", identifier: "MIT" },
  },
  servers: [functionUrlTemplate],
  security: [{ sigv4: [] }],
  paths: {
    "/liveness-check": {
      get: {
        operationId: "livenessCheck",
        summary: "Liveness, including the table",
        responses: {
          "200": { description: "alive, and the table answers", ...json(Liveness) },
          "503": problem("DynamoDB did not answer in time; see Retry-After", retryAfter),
          ...always,
        },
      },
    },
    "/openapi.json": {
      get: {
        operationId: "getOpenApi",
        summary: "This document",
        responses: {
          "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } },
          ...always,
        },
      },
    },
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
          ...busy,
          ...always,
        },
      },
      post: {
        operationId: "appendEvents",
        summary: "Append 1–100 events atomically",
        requestBody: { required: true, ...json(AppendBody) },
        responses: {
          "201": { description: "appended", ...json(AppendAnswer) },
          ...badInput,
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
        parameters: parameters(EventPath, "path"),
        requestBody: { required: true, ...json(AppendAtRevisionBody) },
        responses: {
          "201": { description: "appended", ...json(StreamAnswer) },
          ...badInput,
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
    ...operationPaths,
    ...feedPaths,
    ...consistencyPaths,
  },
  components: {
    schemas: Object.fromEntries(Object.entries(namedSchemas).map(([name, schema]) => [name, documented(schema, name)])),
    securitySchemes: {
      sigv4: {
        type: "apiKey",
        in: "header",
        name: "Authorization",
        description: signing,
        "x-amazon-apigateway-authtype": "awsSigv4",
      },
    },
  },
};

/** The document as GET /openapi.json serves it: its server is `origin`, where the request came to, when known. */
export function servedOpenApiDocument(origin: string | undefined) {
  if (origin === undefined) return openApiDocument;
  return { ...openApiDocument, servers: [{ url: origin, description: "where this document was served from" }] };
}
