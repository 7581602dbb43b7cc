/**
 * The input rules and answers of deleting, truncating and keeping streams (SPEC section 13): `DELETE
 * /streams/{type}/{id}?expected-revision=N&hard=true`, `POST /streams/{type}/{id}/truncation` and
 * `GET|PUT /streams/{type}/{id}/retention`. TypeBox schemas
 * like schema.ts's, whose building blocks they use; lifecycle-openapi.ts publishes them.
 */
import * as Type from "@sinclair/typebox/type";
import { AcceptedAnswer } from "./operation-schema.ts";
import { maxAge, maxCount, RetentionLimits } from "./retention-schema.ts";
import { maxWholeNumber, requestBody, wholeNumber } from "./schema.ts";

export { StreamPath as LifecyclePath } from "./streams-schema.ts";

export const DeleteStreamQuery = Type.Object({
  "expected-revision": Type.Optional(
    wholeNumber(0, maxWholeNumber, {
      description: "delete only if the stream is at this revision (else 409 with currentRevision)",
    }),
  ),
  hard: Type.Union([Type.Literal("true"), Type.Literal("false")], {
    default: "false",
    description:
      "true: a hard delete, a tombstone (reads, details and appends answer 410 for ever). false: a soft delete " +
      "(reads and details answer 404; appending again continues the stream's revisions after the delete's marker)",
    errorMessage: "must be true or false, got {value}",
  }),
});

export const TruncateBody = requestBody({
  truncateBefore: wholeNumber(1, maxWholeNumber, {
    description:
      "events before this revision become unreadable at once, and are removed by the operation; at most the " +
      "stream's revision + 1 (which hides every event the stream has)",
  }),
});

/** A truncation that hides nothing new: events before that revision were hidden already. */
export const TruncatedAlreadyAnswer = Type.Object(
  {
    truncateBefore: Type.Integer({ minimum: 1, description: "what the stream hides already: events before this" }),
  },
  { additionalProperties: false },
);

/** A stream's own limits: each replaces its type's; one left out is its type's (none when the type has none). */
export const RetentionBody = requestBody({ maxAge: Type.Optional(maxAge), maxCount: Type.Optional(maxCount) });

export const RetentionAnswer = Type.Object(
  {
    retention: Type.Object({
      stream: RetentionLimits("the stream's own limits (PUT …/retention)"),
      streamType: RetentionLimits("its stream type's (the stack option retention)"),
      effective: RetentionLimits("what applies: the stream's own limit where it has one, else its type's"),
    }),
  },
  { additionalProperties: false },
);

export { AcceptedAnswer as RemovalAcceptedAnswer };
