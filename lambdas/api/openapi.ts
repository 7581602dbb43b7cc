/**
 * The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json. Its schemas and parameters are the
 * ones schema.ts and each group's <group>-schema.ts check requests with, so the document cannot drift from the
 * code; what is written here and in the slices is the operations and their answers. This file holds the document's
 * frame (info, servers, security, the components) and the service paths (/liveness-check, /openapi.json); each
 * endpoint group's paths sit beside its schemas and are spread in: streams-openapi.ts, operations-openapi.ts,
 * feed-openapi.ts, consistency-openapi.ts, lifecycle-openapi.ts. test/api/openapi.test.ts keeps it true: every route of router.ts is
 * here and nothing else is, and real answers match the schemas.
 */
import type { TSchema } from "@sinclair/typebox";
import { consistencyPaths } from "./consistency-openapi.ts";
import { consistencyComponents } from "./consistency-schema.ts";
import { feedComponents, feedPaths } from "./feed-openapi.ts";
import { deleteStreamOperation, lifecyclePaths } from "./lifecycle-openapi.ts";
import { always, documented, json, problem, retryAfter } from "./openapi-parts.ts";
import { operationComponents } from "./operation-schema.ts";
import { operationPaths } from "./operations-openapi.ts";
import { components, Liveness } from "./schema.ts";
import { snapshotsPaths } from "./snapshots-openapi.ts";
import { snapshotsComponents } from "./snapshots-schema.ts";
import { streamsPaths } from "./streams-openapi.ts";
import { streamsComponents } from "./streams-schema.ts";
import { subjectsPaths } from "./subjects-openapi.ts";
import { uploadsPaths } from "./uploads-openapi.ts";

const namedSchemas: Record<string, TSchema> = {
  ...components,
  ...streamsComponents,
  ...operationComponents,
  ...feedComponents,
  ...consistencyComponents,
  ...snapshotsComponents,
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
    ...streamsPaths,
    "/streams/{streamType}/{streamId}": {
      ...streamsPaths["/streams/{streamType}/{streamId}"],
      delete: deleteStreamOperation,
    },
    ...lifecyclePaths,
    ...operationPaths,
    ...feedPaths,
    ...consistencyPaths,
    ...uploadsPaths,
    ...snapshotsPaths,
    ...subjectsPaths,
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
