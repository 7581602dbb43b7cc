/**
 * Retention limits as the API takes and answers them (SPEC section 13): a stream's own (`PUT …/retention`), its
 * type's, and those a removal operation records. One schema, which lifecycle-schema.ts and operation-schema.ts use.
 */
import * as Type from "@sinclair/typebox/type";
import { maxAgeLimitSeconds } from "#store/retention.ts";
import { maxWholeNumber, wholeNumber } from "./schema.ts";

export const maxAge = Type.Integer({
  minimum: 1,
  maximum: maxAgeLimitSeconds,
  description: "seconds an event stays readable after its append (EventStoreDB's $maxAge)",
  errorMessage: `must be a whole number of seconds from 1 to ${maxAgeLimitSeconds} (30 days: 2592000), got {value}`,
});

export const maxCount = wholeNumber(1, maxWholeNumber, {
  description: "how many of the stream's newest events stay readable (EventStoreDB's $maxCount)",
});

/** Limits, either of which may be absent (no limit). */
export const RetentionLimits = (description: string) =>
  Type.Object({ maxAge: Type.Optional(maxAge), maxCount: Type.Optional(maxCount) }, { description });
