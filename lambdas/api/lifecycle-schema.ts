/**
 * The input rules and answers of deleting and truncating streams (SPEC section 13): `DELETE
 * /streams/{type}/{id}?expected-revision=N&hard=true` and `POST /streams/{type}/{id}/truncation`. TypeBox schemas
 * like schema.ts's, whose building blocks they use; lifecycle-openapi.ts publishes them.
 */
import * as Type from "@sinclair/typebox/type";
import { AcceptedAnswer } from "./operation-schema.ts";
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

export { AcceptedAnswer as RemovalAcceptedAnswer };
