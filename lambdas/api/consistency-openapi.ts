/** Consistency across streams' slice of the OpenAPI document (openapi.ts spreads it in; SPEC section 11). */
import {
  AppendsAnswer,
  AppendsBody,
  DcbAppendAnswer,
  DcbAppendBody,
  DcbPageAnswer,
  DcbReadBody,
} from "./consistency-schema.ts";
import {
  always,
  badInput,
  busy,
  json,
  notJson,
  parameters,
  problem,
  streamDeleted,
  streamNotFound,
} from "./openapi-parts.ts";
import { TraceContextHeaders } from "./trace-context.ts";

const transactionLimits = {
  "400": problem(
    "bad input (errors names each field), or more than DynamoDB's 100 items in one transaction: events + checks " +
      "(+ for the DCB one entry per tag of each event and one head per tag)",
  ),
  "413": problem("an event over 400 KB, or the items of the transaction over DynamoDB's 4 MB: see limitBytes"),
};

export const consistencyPaths = {
  "/appends": {
    post: {
      operationId: "appendMany",
      summary: "Append to several streams at once, each at its own expected revision, and check others: all or nothing",
      description:
        "One DynamoDB transaction. Every expectation of a single append works for each stream; a check names a " +
        "stream that is not written but must be at its expected revision. A retry with the same eventIds writes " +
        "nothing and answers the original revisions. The events are stream events like any others: " +
        "notifications, the listing, the feed and replays see them.",
      parameters: parameters(TraceContextHeaders, "header"),
      requestBody: { required: true, ...json(AppendsBody) },
      responses: {
        "201": {
          description: "appended: each stream's new revisions, in the order of the request",
          ...json(AppendsAnswer),
        },
        ...transactionLimits,
        ...streamNotFound,
        ...streamDeleted,
        "409": problem(
          "streams are not at their expected revisions; nothing was written: failures names every one with its " +
            "currentRevision",
        ),
        ...notJson,
        ...busy,
        ...always,
      },
    },
  },
  "/dcb/read": {
    post: {
      operationId: "readDcb",
      summary: "Dynamic Consistency Boundary: the events matching a query, and the condition to append on",
      description:
        "An item matches an event of one of its types (any, if none) that carries all its tags; items are ORed. " +
        "Strongly consistent: an acknowledged append is seen. appendCondition decides on exactly what was read: " +
        "send it with the append the decision makes. Events of deleted or truncated streams (SPEC section 13) are " +
        "left out, at the cost of one strongly consistent read of the settings of the page's streams (1 RRU per " +
        "stream, by BatchGetItem); their positions stay covered by the condition's after, and a page may hold " +
        "fewer events than the limit while hasMore is true.",
      requestBody: { required: true, ...json(DcbReadBody) },
      responses: {
        "200": { description: "the matching events in position order", ...json(DcbPageAnswer) },
        ...badInput,
        "413": problem("a request body over 6 MB: see limitBytes"),
        ...notJson,
        ...busy,
        ...always,
      },
    },
  },
  "/dcb/append": {
    post: {
      operationId: "appendDcb",
      summary: "Dynamic Consistency Boundary: append tagged events if nothing matching the condition came after it",
      description:
        "Atomic with the check, which is strongly consistent and per tag (no item every append writes). Events " +
        "are stored in the stream they name, by default one of stream type dcb derived from their first tag.",
      parameters: parameters(TraceContextHeaders, "header"),
      requestBody: { required: true, ...json(DcbAppendBody) },
      responses: {
        "201": { description: "appended: the events' positions and streams", ...json(DcbAppendAnswer) },
        ...transactionLimits,
        ...streamNotFound,
        ...streamDeleted,
        "409": problem(
          "an event matching failIfEventsMatch was appended after the condition's position (conflictingPosition); " +
            "nothing was written: read again and decide again (also when that event's stream was deleted or " +
            "truncated since: the read again passes its position)",
        ),
        ...notJson,
        ...busy,
        ...always,
      },
    },
  },
};
