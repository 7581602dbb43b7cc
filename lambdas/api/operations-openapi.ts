/** The asynchronous operations' slice of the OpenAPI document (openapi.ts spreads it in): replays and redrives. */

import {
  always,
  badInput,
  busy,
  json,
  keyReused,
  notJson,
  parameters,
  problem,
  retryAfter,
  tooLarge,
} from "./openapi-parts.ts";
import {
  AcceptedAnswer,
  ListOperationsQuery,
  ListUndeliveredQuery,
  Operation,
  OperationPageAnswer,
  OperationPath,
  ReplayHeaders,
  ReplaysBody,
  UndeliveredPageAnswer,
} from "./operation-schema.ts";

const noOperation = { "404": problem("no such operation") };

/** The asynchronous operations (SPEC section 5): replays and redrives, and what they work through. */
export const operationPaths = {
  "/replays": {
    post: {
      operationId: "startReplay",
      summary: "Replay the notifications of a stream type's events, or redrive the undelivered ones",
      parameters: parameters(ReplayHeaders, "header"),
      requestBody: { required: true, ...json(ReplaysBody) },
      responses: {
        "202": {
          description: "accepted: poll the operation at Location",
          headers: {
            Location: { description: "where to poll the operation", schema: { type: "string" } },
            ...retryAfter,
          },
          ...json(AcceptedAnswer),
        },
        ...badInput,
        ...tooLarge,
        ...notJson,
        ...keyReused,
        "503": problem(
          "DynamoDB throttled or did not answer (retry after Retry-After), or this API runs no operations",
          retryAfter,
        ),
        ...always,
      },
    },
  },
  "/operations": {
    get: {
      operationId: "listOperations",
      summary: "Operations oldest first, of a kind and in a state",
      parameters: parameters(ListOperationsQuery, "query"),
      responses: {
        "200": { description: "a page of operations", ...json(OperationPageAnswer) },
        ...badInput,
        ...busy,
        ...always,
      },
    },
  },
  "/operations/{id}": {
    parameters: parameters(OperationPath, "path"),
    get: {
      operationId: "getOperation",
      summary: "An operation's state and progress",
      responses: {
        "200": { description: "the operation", ...json(Operation) },
        ...badInput,
        ...noOperation,
        ...busy,
        ...always,
      },
    },
    delete: {
      operationId: "cancelOperation",
      summary: "Cancel an operation: at once when pending, at the worker's next step when running",
      responses: {
        "202": { description: "canceled, or asked to stop", ...json(Operation) },
        ...badInput,
        ...noOperation,
        "409": problem("the operation has finished: succeeded, failed or canceled"),
        ...busy,
        ...always,
      },
    },
  },
  "/notifications/undelivered": {
    get: {
      operationId: "listUndelivered",
      summary: "Notifications that could not be published, waiting for a redrive, oldest failure first",
      parameters: parameters(ListUndeliveredQuery, "query"),
      responses: {
        "200": { description: "a page of undelivered ranges", ...json(UndeliveredPageAnswer) },
        ...badInput,
        ...busy,
        ...always,
      },
    },
  },
};
