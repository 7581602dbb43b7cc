/**
 * The input rules and answers of the asynchronous operations (SPEC section 5): replays and redrives, the operations
 * that carry them out, and the undelivered notifications a redrive sends again. The same kind of TypeBox schemas as
 * schema.ts (whose building blocks they use), kept apart only so that each file stays readable.
 */
import * as Type from "@sinclair/typebox/type";
import { RetentionLimits } from "./retention-schema.ts";
import {
  idempotencyKeyHeader,
  listingPage,
  maxEventTypeLength,
  maxWholeNumber,
  PageKey,
  PageQuery,
  PageSize,
  Revision,
  requestBody,
  StreamType,
  Time,
  TimeInput,
  Uuid,
  wholeNumber,
} from "./schema.ts";

export const maxReplayStreamIds = 100;
export const maxReplayEventTypes = 100;

const queueUrlRule = "^https?://[\\x21-\\x7e]{1,2040}$";
const topicArnRule = "^arn:[a-z0-9-]+:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$";

/** Where a replay sends its notifications instead of the store's topic (only where the stack allows it). */
const ReplayTarget = Type.Union(
  [
    Type.Object(
      { queueUrl: Type.String({ pattern: queueUrlRule, description: "an SQS queue URL" }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { topicArn: Type.String({ pattern: topicArnRule, description: "an SNS topic ARN" }) },
      { additionalProperties: false },
    ),
  ],
  {
    description: "a queue or topic the stack's replayTargets option allows (default: the store's own topic)",
    errorMessage:
      'must be {"queueUrl": "https://sqs.<region>.amazonaws.com/<account>/<name>"} or ' +
      '{"topicArn": "arn:aws:sns:<region>:<account>:<name>"}, got {value}',
  },
);

const replayMembers = {
  streamType: {
    ...StreamType,
    errorMessage: {
      default: StreamType.errorMessage as string,
      required: 'is required: the stream type to replay (or {"undelivered": true} alone, to redrive)',
    },
  },
  streamIds: Type.Optional(
    Type.Array(Uuid, {
      minItems: 1,
      maxItems: maxReplayStreamIds,
      description: "only these streams (default: every stream of the type)",
      errorMessage: `must be an array of 1 to ${maxReplayStreamIds} stream ids`,
    }),
  ),
  updatedAfter: Type.Optional({ ...TimeInput, description: "only streams updated at or after this time" }),
  fromRevision: Type.Optional(
    wholeNumber(1, maxWholeNumber, { description: "each stream's events from this revision on (default 1)" }),
  ),
  eventTypes: Type.Optional(
    Type.Array(
      Type.String({
        minLength: 1,
        maxLength: maxEventTypeLength,
        errorMessage: `must be an event type: a string of 1 to ${maxEventTypeLength} characters, got {value}`,
      }),
      {
        minItems: 1,
        maxItems: maxReplayEventTypes,
        description: "only events of these types (default: all)",
        errorMessage: `must be an array of 1 to ${maxReplayEventTypes} event types`,
      },
    ),
  ),
  target: Type.Optional(ReplayTarget),
};

const ReplayBody = requestBody(replayMembers);

const RedriveBody = requestBody(
  {
    undelivered: Type.Literal(true, {
      description: "redrive every undelivered notification",
      errorMessage: 'must be true: {"undelivered": true} redrives every undelivered notification',
    }),
  },
  'is not a field of a redrive: {"undelivered": true} stands alone',
);

/**
 * POST /replays: a replay of a stream type's events, or `{"undelivered": true}`, a redrive. input.ts checks a body
 * against the first shape whose required members it has (else the replay), so a 400 names the fields of that one.
 */
export const ReplaysBody = Type.Union([RedriveBody, ReplayBody]);

export const ReplayHeaders = idempotencyKeyHeader("operation");

const OperationKind = Type.Union(
  [Type.Literal("replay"), Type.Literal("redrive"), Type.Literal("removal"), Type.Literal("erasure")],
  {
    errorMessage: "must be replay, redrive, removal or erasure, got {value}",
  },
);

const OperationState = Type.Union(
  [
    Type.Literal("pending"),
    Type.Literal("running"),
    Type.Literal("succeeded"),
    Type.Literal("failed"),
    Type.Literal("canceled"),
  ],
  { errorMessage: "must be pending, running, succeeded, failed or canceled, got {value}" },
);

export const OperationPath = Type.Object({ id: Uuid });

export const ListOperationsQuery = Type.Object({
  kind: Type.Optional(OperationKind),
  state: Type.Optional(OperationState),
  limit: PageSize,
  nextPageKey: Type.Optional(PageKey),
});

export const ListUndeliveredQuery = PageQuery;

// Answers.
const { streamType, ...replayOptions } = replayMembers;

export const ReplayRequest = Type.Object(
  {
    streamType: Type.Optional(streamType),
    ...replayOptions,
    undelivered: Type.Optional(Type.Literal(true)),
  },
  {
    $id: "ReplayRequest",
    additionalProperties: false,
    description: "the request as posted, stream ids in lower case and updatedAfter in UTC",
  },
);

/** What a removal operation records of the delete or truncation that started it (SPEC section 13). */
export const RemovalRequest = Type.Object(
  {
    streamType: StreamType,
    streamId: Uuid,
    action: Type.Union(
      [Type.Literal("delete"), Type.Literal("hard-delete"), Type.Literal("truncate"), Type.Literal("retention")],
      {
        description:
          "retention: the stream's own limits were set (retention says which); truncate by requestedBy retention: the hourly retention sweep",
      },
    ),
    retention: Type.Optional(RetentionLimits("retention: the stream's own limits set (none: its type's apply)")),
    expectedRevision: Type.Optional(Type.Integer({ minimum: 0, description: "the revision the delete expected" })),
    truncateBefore: Type.Optional({ ...Revision, description: "truncations: the revision asked for" }),
    hiddenBelow: Type.Integer({ minimum: 1, description: "events below this revision are hidden (and removed)" }),
    markerRevision: Type.Optional({ ...Revision, description: "deletes: the revision of the delete's marker" }),
    requestedBy: Type.String({
      description: "who asked: the IAM principal that signed the request, anonymous, or retention (the sweep)",
    }),
  },
  { $id: "RemovalRequest", additionalProperties: false },
);

/** What an erasure operation records (DELETE /subjects/{subject}); who asked is the operation's requestedBy. */
export const ErasureRequest = Type.Object(
  { subject: Type.String({ description: "the erased data subject" }) },
  { $id: "ErasureRequest", additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });

export const Operation = Type.Object(
  {
    id: Uuid,
    kind: OperationKind,
    state: OperationState,
    createdAt: Time,
    updatedAt: Time,
    progress: Type.Object(
      {
        streams: { ...Count, description: "streams done" },
        events: { ...Count, description: "events published (a removal: events removed)" },
      },
      { additionalProperties: false },
    ),
    request: Type.Union([ReplayRequest, RemovalRequest, ErasureRequest]),
    result: Type.Optional(Type.Unknown({ description: "succeeded: what the operation did" })),
    problem: Type.Optional(
      Type.Object({ title: Type.String(), detail: Type.String() }, { description: "failed: why" }),
    ),
    cancelRequested: Type.Optional(
      Type.Literal(true, { description: "canceled by a caller while running: it ends as canceled at its next step" }),
    ),
    requestedBy: Type.Optional(
      Type.String({
        description:
          "who asked for it: the signer's IAM ARN, anonymous, or retention (the hourly sweep); recorded for removals and erasures",
      }),
    ),
  },
  { $id: "Operation", additionalProperties: false },
);

export const AcceptedAnswer = Type.Object(
  { id: Uuid, kind: OperationKind, state: OperationState, location: Type.String({ description: "/operations/{id}" }) },
  { additionalProperties: false },
);

export const OperationPageAnswer = Type.Object({ operationPage: listingPage({ operations: Type.Array(Operation) }) });

export const UndeliveredNotification = Type.Object(
  {
    streamId: Uuid,
    streamType: StreamType,
    firstRevision: Revision,
    lastRevision: Revision,
    cause: Type.String({ description: "why the last attempt to publish failed" }),
    since: { ...Time, description: "when publishing them failed first" },
  },
  { $id: "UndeliveredNotification", additionalProperties: false },
);

export const UndeliveredPageAnswer = Type.Object({
  undeliveredPage: listingPage({ notifications: Type.Array(UndeliveredNotification) }),
});

/** The schemas of this group the OpenAPI document names as components, with those of schema.ts. */
export const operationComponents = {
  ReplayRequest,
  RemovalRequest,
  ErasureRequest,
  Operation,
  UndeliveredNotification,
};
