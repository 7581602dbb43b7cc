/**
 * Retention (SPEC section 13): how long a stream keeps its events, by age (`maxAge`, seconds) and by count
 * (`maxCount`, the newest N), as EventStoreDB's `$maxAge` and `$maxCount`. A policy comes from the stream's type
 * (the stack option `retention`, known to every process without a read) and from the stream itself (its settings
 * item, lifecycle-items.ts), the stream's own limits winning limit by limit.
 *
 * Reads hide what a policy no longer keeps at once, by the reader's clock; storage follows later and costs as little
 * as it can: an event of a type with a `maxAge` is written with its expiry (`expiresAt`, DynamoDB's TTL attribute),
 * so TTL removes it for nothing; everything else (`maxCount`, a stream's own `maxAge`) is removed by the hourly
 * retention sweep (retention-sweep.ts) as a truncation, so the feed and DCB reads drop those events before they go.
 */

import { streamTypePattern } from "../shared/stream-type.ts";
import { tableDefinition } from "./table.ts";

/** A stream's or a stream type's limits; either may be absent (no limit). */
export interface Retention {
  /** Seconds an event stays readable after its append. */
  maxAge?: number | undefined;
  /** How many of the newest events stay readable. */
  maxCount?: number | undefined;
}

/** Each stream type's policy (the stack option `retention`). */
export type RetentionByType = Readonly<Record<string, Retention>>;

/** What hides events by age: the types' policies and the reader's clock (milliseconds since the epoch). */
export interface RetentionClock {
  retention?: RetentionByType | undefined;
  now: () => number;
}

/** The largest maxAge taken: about 100 years, so that an expiry stays a safe integer of seconds. */
export const maxAgeLimitSeconds = 3_153_600_000;

/** The stream's own limits over its type's, limit by limit. */
export function effectiveRetention(ofType: Retention | undefined, ofStream: Retention | undefined): Retention {
  const maxAge = ofStream?.maxAge ?? ofType?.maxAge;
  const maxCount = ofStream?.maxCount ?? ofType?.maxCount;
  return { ...(maxAge !== undefined ? { maxAge } : {}), ...(maxCount !== undefined ? { maxCount } : {}) };
}

export function hasLimits(retention: Retention | undefined): boolean {
  return retention?.maxAge !== undefined || retention?.maxCount !== undefined;
}

/** The expiry (epoch seconds, DynamoDB's TTL) an event of this type appended at `createdAt` gets from its type's maxAge. */
export function expiryOf(
  byType: RetentionByType | undefined,
  streamType: string,
  createdAt: string,
): number | undefined {
  const maxAge = byType?.[streamType]?.maxAge;
  return maxAge === undefined ? undefined : Math.ceil(Date.parse(createdAt) / 1000) + maxAge;
}

/**
 * Whether an event is past its age: its own expiry (written at append; TTL may remove it any time after) or the
 * policy's `maxAge` now, whichever comes first. A raised `maxAge` never brings back what TTL may already have taken.
 */
export function isExpired(
  event: { createdAt: string; expiresAt?: number | undefined },
  retention: Retention,
  nowMs: number,
): boolean {
  if (event.expiresAt !== undefined && event.expiresAt * 1000 <= nowMs) return true;
  return retention.maxAge !== undefined && Date.parse(event.createdAt) + retention.maxAge * 1000 <= nowMs;
}

/** An event item's times as isExpired reads them. */
export function eventTimesOf(item: Record<string, unknown>): { createdAt: string; expiresAt?: number } {
  const expiresAt = item[tableDefinition.timeToLiveAttribute];
  return { createdAt: String(item.createdAt), ...(typeof expiresAt === "number" ? { expiresAt } : {}) };
}

/** The first revision `maxCount` keeps of a stream at `headRevision` (1 when it keeps all). */
export function firstKeptByCount(retention: Retention, headRevision: number): number {
  return retention.maxCount === undefined ? 1 : Math.max(1, headRevision - retention.maxCount + 1);
}

const ageUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Reads a policy list as local mode's `--retention` and the stack's environment give it:
 * `order:maxAge=30d,maxCount=1000;audit:maxAge=365d` (ages in s, m, h or d; a bare number is seconds). Throws with
 * what is wrong.
 */
export function parseRetentionByType(text: string): RetentionByType {
  const byType: Record<string, Retention> = {};
  for (const part of text.split(";").map((entry) => entry.trim())) {
    if (part === "") continue;
    const [streamType, limits] = part.split(":");
    if (!streamType || limits === undefined) {
      throw new RangeError(`retention "${part}": write <streamType>:maxAge=<age>,maxCount=<n>`);
    }
    if (!streamTypePattern.test(streamType)) {
      throw new RangeError(`retention "${part}": "${streamType}" is not a stream type (${streamTypePattern})`);
    }
    const retention: Retention = {};
    for (const limit of limits.split(",")) {
      const [name, value = ""] = limit.split("=").map((piece) => piece.trim());
      if (name === "maxAge") retention.maxAge = parseAge(value, streamType);
      else if (name === "maxCount") retention.maxCount = parseCount(value, streamType);
      else throw new RangeError(`retention of ${streamType}: "${name}" is not a limit (maxAge or maxCount)`);
    }
    byType[streamType] = retention;
  }
  return byType;
}

/** The policy list as parseRetentionByType reads it (the construct writes the environment with it). */
export function formatRetentionByType(byType: RetentionByType): string {
  return Object.entries(byType)
    .map(([streamType, retention]) => {
      const limits = [
        retention.maxAge !== undefined ? `maxAge=${retention.maxAge}` : undefined,
        retention.maxCount !== undefined ? `maxCount=${retention.maxCount}` : undefined,
      ].filter((limit) => limit !== undefined);
      return `${streamType}:${limits.join(",")}`;
    })
    .join(";");
}

function parseAge(text: string, streamType: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  const seconds = match ? Number(match[1]) * (ageUnits[match[2] || "s"] as number) : Number.NaN;
  if (!(seconds >= 1 && seconds <= maxAgeLimitSeconds)) {
    throw new RangeError(
      `retention of ${streamType}: maxAge must be a whole number of s, m, h or d (e.g. 30d), not "${text}"`,
    );
  }
  return seconds;
}

function parseCount(text: string, streamType: string): number {
  const count = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(count) && count >= 1)) {
    throw new RangeError(`retention of ${streamType}: maxCount must be a whole number of at least 1, not "${text}"`);
  }
  return count;
}
