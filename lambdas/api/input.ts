/**
 * Turning HTTP inputs (path segments, query parameters, JSON bodies) into domain values. Every problem found
 * is collected per field, so one 400 answer tells the caller everything that is wrong at once.
 */
import { InvalidInputError } from "#store/errors.ts";
import type { ExpectedRevision, NewEvent } from "#store/model.ts";
import type { JsonBody, JsonNode } from "./json-body.ts";

export const defaultPageSize = 100;
export const maxPageSize = 1000;

/** Collects field errors; `done()` throws them all as one InvalidInputError. */
export class InputErrors {
  private readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): undefined {
    const messages = this.errors[field] ?? [];
    messages.push(message);
    this.errors[field] = messages;
    return undefined;
  }

  count(): number {
    return Object.values(this.errors).reduce((sum, messages) => sum + messages.length, 0);
  }

  done(): void {
    const fields = Object.keys(this.errors);
    if (fields.length > 0) {
      throw new InvalidInputError(`invalid ${fields.join(", ")}: see errors`, this.errors);
    }
  }
}

const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID in any case, returned in lower case (the form ids are stored in). */
export function parseUuid(value: string | undefined, field: string, errors: InputErrors): string | undefined {
  if (value === undefined) return errors.add(field, "is required");
  if (!uuid.test(value))
    return errors.add(field, `must be a UUID like 3f2b8c1e-6f7a-4d2b-9c1e-2a3b4c5d6e7f, got "${value}"`);
  return value.toLowerCase();
}

/** A whole number from text, within bounds. */
export function parseInteger(
  value: string | undefined,
  field: string,
  errors: InputErrors,
  bounds: { min: number; max?: number; fallback?: number },
): number | undefined {
  if (value === undefined || value === "") {
    return bounds.fallback !== undefined ? bounds.fallback : errors.add(field, "is required");
  }
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(value) || Number(value) < bounds.min || Number(value) > max) {
    return errors.add(field, `must be a whole number from ${bounds.min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

export function parsePageSize(value: string | undefined, errors: InputErrors): number | undefined {
  return parseInteger(value, "limit", errors, { min: 1, max: maxPageSize, fallback: defaultPageSize });
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 time (any offset, up to nanoseconds) as epoch milliseconds, rounded down to the millisecond.
 * A '+' that a client forgot to URL-encode arrives as a space; it is read as the '+' it was.
 */
export function parseTime(value: string | undefined, field: string, errors: InputErrors): number | undefined {
  if (value === undefined) return errors.add(field, "is required");
  const match = rfc3339.exec(value.replace(/ (\d{2}:\d{2})$/, "+$1"));
  const example = "2026-01-02T03:04:05.678Z";
  if (!match) return errors.add(field, `must be an RFC 3339 time like ${example}, got "${value}"`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const millis = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year as number, (month as number) - 1, day as number); // years below 100 stay as given
  date.setUTCHours(hour as number, minute as number, second as number, millis);
  const valid =
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    (hour as number) < 24 &&
    (minute as number) < 60 &&
    (second as number) < 60;
  if (!valid) return errors.add(field, `is not a real time: "${value}"`);
  const offset = match[8] as string;
  const offsetMinutes =
    offset.toUpperCase() === "Z"
      ? 0
      : (offset.startsWith("-") ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return date.getTime() - offsetMinutes * 60_000;
}

/** `n`, "any", "no-stream" or "stream-exists". */
export function parseExpectedRevision(value: unknown, errors: InputErrors): ExpectedRevision | undefined {
  if (value === "any" || value === "no-stream" || value === "stream-exists") return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  return errors.add(
    "expectedRevision",
    `must be a revision (0 or more), "any", "no-stream" or "stream-exists", got ${JSON.stringify(value) ?? "nothing"}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The top-level body object's member `name`, with its position. */
export function bodyMember(body: JsonBody, name: string): { value: unknown; node: JsonNode } | undefined {
  const node = body.root.members?.get(name);
  if (!isObject(body.value) || node === undefined) return undefined;
  return { value: body.value[name], node };
}

export function requireBodyObject(body: JsonBody, errors: InputErrors): boolean {
  if (isObject(body.value)) return true;
  errors.add("body", "must be a JSON object");
  return false;
}

const newEventFields = new Set(["eventType", "payload", "eventId", "metadata"]);

/** A NewEvent (`{eventType, payload, eventId?, metadata?}`), keeping payload and metadata as sent. */
export function parseNewEvent(
  body: JsonBody,
  value: unknown,
  node: JsonNode,
  field: string,
  errors: InputErrors,
): NewEvent | undefined {
  if (!isObject(value) || !node.members)
    return errors.add(field, "must be an object {eventType, payload, eventId?, metadata?}");
  const before = errors.count();
  for (const key of Object.keys(value)) {
    if (!newEventFields.has(key))
      errors.add(`${field}.${key}`, "is not a field of an event (eventType, payload, eventId, metadata)");
  }
  const { eventType, eventId, metadata } = value;
  if (typeof eventType !== "string" || eventType.length === 0)
    errors.add(`${field}.eventType`, "is required: a non-empty string");
  else if (eventType.length > 256) errors.add(`${field}.eventType`, "must be at most 256 characters");
  if (!("payload" in value)) errors.add(`${field}.payload`, "is required: any JSON value");
  let parsedEventId: string | undefined;
  if (eventId !== undefined) {
    parsedEventId =
      typeof eventId === "string"
        ? parseUuid(eventId, `${field}.eventId`, errors)
        : errors.add(`${field}.eventId`, "must be a UUID string");
  }
  if (metadata !== undefined && !isObject(metadata)) errors.add(`${field}.metadata`, "must be a JSON object");
  if (errors.count() !== before) return undefined;
  const metadataNode = node.members.get("metadata");
  return {
    eventType: eventType as string,
    payload: body.raw(node.members.get("payload") as JsonNode),
    eventId: parsedEventId,
    metadata: metadata !== undefined && metadataNode ? body.raw(metadataNode) : undefined,
  };
}

/** The body's member `name` (required) as a NewEvent. */
export function parseEventMember(body: JsonBody, name: string, errors: InputErrors): NewEvent | undefined {
  if (!requireBodyObject(body, errors)) return undefined;
  const member = bodyMember(body, name);
  if (!member) return errors.add(name, "is required: {eventType, payload}");
  return parseNewEvent(body, member.value, member.node, name, errors);
}
