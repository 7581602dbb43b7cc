/** Deleting and truncating streams: their slice of the OpenAPI document (openapi.ts spreads it in; SPEC section 13). */
import {
  DeleteStreamQuery,
  LifecyclePath,
  RemovalAcceptedAnswer,
  RetentionAnswer,
  RetentionBody,
  TruncateBody,
  TruncatedAlreadyAnswer,
} from "./lifecycle-schema.ts";
import {
  adminOnly,
  always,
  badInput,
  json,
  notJson,
  parameters,
  problem,
  retryAfter,
  streamDeleted,
  tooLarge,
} from "./openapi-parts.ts";

const accepted = {
  "202": {
    description:
      "hidden now; the removal operation at Location deletes the hidden items (kind removal; its request records " +
      "who asked, when and what)",
    headers: { Location: { description: "where to poll the removal", schema: { type: "string" } }, ...retryAfter },
    ...json(RemovalAcceptedAnswer),
  },
};

const notThere = {
  "404": problem("no such stream, the stream has another type than the path names, or it was deleted (soft)"),
  ...streamDeleted,
};

const unavailable = {
  "503": problem(
    "DynamoDB throttled or did not answer (retry after Retry-After), or this API runs no operations",
    retryAfter,
  ),
};

/** What a removal that takes a JSON body answers (setting a stream's retention, truncating it). */
const bodyRemovalResponses = {
  ...accepted,
  ...badInput,
  ...notThere,
  ...tooLarge,
  ...notJson,
  ...unavailable,
  ...always,
  ...adminOnly,
};

export const lifecyclePaths = {
  "/streams/{streamType}/{streamId}/retention": {
    get: {
      operationId: "getRetention",
      summary: "The stream's retention: its own limits, its type's, and what applies",
      parameters: parameters(LifecyclePath, "path"),
      responses: {
        "200": { description: "the limits", ...json(RetentionAnswer) },
        ...badInput,
        ...notThere,
        ...unavailable,
        ...always,
      },
    },
    put: {
      operationId: "setRetention",
      summary: "Set the stream's own retention limits (maxAge, maxCount), replacing those it had",
      description:
        "Reads hide at once what the limits no longer keep (events past maxAge by the reader's clock, events before " +
        "the newest maxCount); the removal operation records who set what and deletes those events, and the hourly " +
        "retention sweep keeps the stream within them. An empty body removes the stream's own limits: its type's apply.",
      parameters: parameters(LifecyclePath, "path"),
      requestBody: { required: true, ...json(RetentionBody) },
      responses: bodyRemovalResponses,
    },
  },
  "/streams/{streamType}/{streamId}/truncation": {
    post: {
      operationId: "truncateStream",
      summary: "Hide the stream's events before a revision, and remove them",
      description:
        "Reads never return the hidden events again, from this answer on; the removal operation deletes them. A " +
        "revision at or below what the stream hides already changes nothing (200).",
      parameters: parameters(LifecyclePath, "path"),
      requestBody: { required: true, ...json(TruncateBody) },
      responses: {
        ...bodyRemovalResponses,
        "200": { description: "nothing new to hide", ...json(TruncatedAlreadyAnswer) },
      },
    },
  },
};

/** The DELETE of a stream, which openapi.ts adds to the path of the stream's details. */
export const deleteStreamOperation = {
  operationId: "deleteStream",
  summary: "Delete a stream: soft (404 from now on, appends continue its revisions) or hard (410 for ever)",
  description:
    "The delete writes a marker at the stream's next revision (so it races appends like an append: one of them " +
    "wins, the other answers 409 or 410), takes the stream out of the listing and its type's count, and hides its " +
    "events at once; the removal operation deletes them. Deletes are not notified.",
  parameters: [...parameters(LifecyclePath, "path"), ...parameters(DeleteStreamQuery, "query")],
  responses: {
    ...accepted,
    ...badInput,
    ...notThere,
    "409": problem("the stream is not at expected-revision, or moved on while it was deleted: see currentRevision"),
    ...unavailable,
    ...always,
    ...adminOnly,
  },
};
