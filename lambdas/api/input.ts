/**
 * Requests checked against the schemas (schema.ts and each group's <group>-schema.ts): path, query and header
 * parameters (text, read as the schema's types) and the JSON body. Every problem found is collected per field, so one 400 answer tells the caller everything that
 * is wrong at once. The code side of the schemas lives here too: the error messages of 400s, the formats, the
 * reading of times, the lower-casing of UUIDs, and the NewEvents built with payloads kept as the client sent them.
 */
import type { Static, TObject, TSchema } from "@sinclair/typebox";
import { DefaultErrorFunction, Errors, SetErrorFunction, ValueErrorType } from "@sinclair/typebox/errors";
import { FormatRegistry } from "@sinclair/typebox/type";
import type { NewEvent } from "#store/model.ts";
import { checkPersonalData } from "#store/personal-data.ts";
import { RawJson, UploadedPayload } from "#store/raw-json.ts";
import { type IllFormedString, type JsonBody, parseJsonBody } from "./json-body.ts";
import { HttpProblem, problemTypes } from "./problem.ts";
import type { ApiRequest } from "./request.ts";
import { type ErrorMessage, type ExactlyOne, type NewEventInput, TimeInput, Uuid } from "./schema.ts";

/** The 400 for bad input: `errors` maps each field to what is wrong with it. */
export function invalidInput(errors: Record<string, string[]>): HttpProblem {
  const detail = `invalid ${Object.keys(errors).join(", ")}: see errors`;
  return new HttpProblem(problemTypes.invalidInput, detail, { members: { errors } });
}

/** Collects the first message per field; `done()` throws them all as one 400. */
class InputErrors {
  // A Map, so that any member name a client sends ("__proto__" too) is a field like any other.
  private readonly errors = new Map<string, string[]>();

  add(field: string, message: string): void {
    if (!this.errors.has(field)) this.errors.set(field, [message]);
  }

  done(): void {
    if (this.errors.size > 0) throw invalidInput(Object.fromEntries(this.errors));
  }
}

interface InputSchemas {
  path?: TObject;
  query?: TObject;
  headers?: TObject;
  body?: TSchema;
  /** How deep the body's values are located (see scanJson): deep enough for the payloads read by `newEventAt`. */
  bodyDepth?: number;
}

type Checked<S> = S extends TSchema ? Static<S> : undefined;

/** A request's parts, each of the type its schema states. */
export interface Input<S extends InputSchemas> {
  path: Checked<S["path"]>;
  query: Checked<S["query"]>;
  headers: Checked<S["headers"]>;
  body: S["body"] extends TSchema ? JsonBody<Static<S["body"]>> : undefined;
}

/**
 * The parts of a request that `schemas` names, checked. Throws one 400 listing every field that breaks its
 * schema; a body that is missing, not JSON or of another media type is answered before that (400, 415).
 */
export function readInput<S extends InputSchemas>(request: ApiRequest, schemas: S): Input<S> {
  const errors = new InputErrors();
  const read = (schema: TObject | undefined, text: (name: string) => string | undefined) =>
    schema && readParameters(schema, text, errors);
  const input = {
    path: read(schemas.path, (name) => request.params[name]),
    query: read(schemas.query, (name) => request.query.get(name) ?? undefined),
    headers: read(schemas.headers, (name) => request.headers[name.toLowerCase()]),
    body: schemas.body && parseJsonBody(request.body, request.headers["content-type"], schemas.bodyDepth),
  };
  if (schemas.body && input.body) checkBody(schemas.body, input.body, errors);
  errors.done();
  return input as Input<S>;
}

function readParameters(
  schema: TObject,
  text: (name: string) => string | undefined,
  errors: InputErrors,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const given = text(name);
    // An empty value (`limit=`) counts as absent where there is a default to take.
    const absent = given === undefined || (given === "" && property.default !== undefined);
    if (absent) {
      if (property.default !== undefined) values[name] = property.default;
      else if (schema.required?.includes(name)) errors.add(name, messageOf(property, missing, undefined));
      continue;
    }
    const value = fromText(property, given);
    const error = Errors(property, value).First();
    // The message quotes the text as it came, also when it was read as a number.
    if (error) errors.add(name, messageOf(property, error.type, value, given));
    else values[name] = property.format === "uuid" ? given.toLowerCase() : value;
  }
  return values;
}

/** Parameters arrive as text: whole numbers are read as numbers, and a time's '+' that arrived as a space as '+'. */
function fromText(schema: TSchema, text: string): unknown {
  if (schema.type === "integer" && /^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (schema.format === "date-time") return text.replace(/ (\d{2}:\d{2})$/, "+$1");
  return text;
}

function checkBody(schema: TSchema, body: JsonBody, errors: InputErrors): void {
  const shape = shapeOf(schema, body.value);
  for (const error of Errors(shape, body.value)) errors.add(fieldName(stepsOf(error.path, body.value)), error.message);
  checkExactlyOne(shape, body.value, [], errors);
  for (const found of body.illFormed()) errors.add(...illFormedField(shape, found));
}

/**
 * Our keyword `exactlyOne` (schema.ts ExactlyOne: an object holds one of these members, not both, not neither),
 * which JSON Schema would say with `oneOf` of whole shapes and then lose every other field's message: checked here,
 * on every object of the body its schema names it for, along with the schema's other errors.
 */
function checkExactlyOne(schema: TSchema, value: unknown, steps: (string | number)[], errors: InputErrors): void {
  if (Array.isArray(value)) {
    if (!schema.items) return;
    for (const [index, item] of value.entries()) checkExactlyOne(schema.items, item, [...steps, index], errors);
    return;
  }
  if (value === null || typeof value !== "object" || !schema.properties) return;
  const rule = schema.exactlyOne as ExactlyOne | undefined;
  if (rule) {
    const present = rule.members.filter((member) => Object.hasOwn(value, member));
    if (present.length !== 1) {
      errors.add(fieldName([...steps, rule.members[0] as string]), present.length === 0 ? rule.missing : rule.both);
    }
  }
  for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
    if (Object.hasOwn(value, name)) {
      checkExactlyOne(property, (value as Record<string, unknown>)[name], [...steps, name], errors);
    }
  }
}

/**
 * The schema a body is checked against. A choice of shapes (`anyOf`, as POST /replays takes) is checked as the
 * first shape whose required members the body has, else as the last: a 400 then names the fields of the shape the
 * client meant, where the choice as a whole could only say that no shape fits.
 */
function shapeOf(schema: TSchema, value: unknown): TSchema {
  const shapes = schema.anyOf as TSchema[] | undefined;
  if (!shapes || shapes.length === 0) return schema;
  const members = value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
  const meant = shapes.find((shape) => (shape.required ?? []).every((name: string) => Object.hasOwn(members, name)));
  return meant ?? (shapes.at(-1) as TSchema);
}

/** A JSON pointer into `root` as steps: member names, and the indexes of array elements as numbers. */
function stepsOf(pointer: string, root: unknown): (string | number)[] {
  if (pointer === "") return [];
  let value = root;
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      const key = token.replaceAll("~1", "/").replaceAll("~0", "~");
      const step = Array.isArray(value) ? Number(key) : key;
      value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
      return step;
    });
}

/** Steps as the field name a 400 gives: `events, 0, eventType` → `events[0].eventType`; the root is `body`. */
function fieldName(path: (string | number)[]): string {
  if (path.length === 0) return "body";
  return path.map((step, index) => (typeof step === "number" ? `[${step}]` : index > 0 ? `.${step}` : step)).join("");
}

/**
 * A string that is not well-formed Unicode, as a field and its message. The field is as deep as the schema
 * names members and items (so `events[0].payload`, or an unknown member as a whole); below that, the message
 * says where as a JSON pointer.
 */
function illFormedField(schema: TSchema, { path, memberName }: IllFormedString): [string, string] {
  let depth = 0;
  for (let at: TSchema | undefined = schema; at && depth < path.length && names(at, path[depth]); depth++) {
    const step = path[depth];
    at = typeof step === "number" ? at.items : at.properties?.[step as string];
  }
  const field = fieldName(path.slice(0, depth));
  const problem = "not well-formed Unicode (it holds a lone surrogate)";
  if (depth === path.length) return [field, memberName ? `is a member name that is ${problem}` : `is ${problem}`];
  const pointer = path.slice(depth).map((step) => `/${String(step).replaceAll("~", "~0").replaceAll("/", "~1")}`);
  return [field, `has ${memberName ? "a member name" : "a string"} that is ${problem} at ${shown(pointer.join(""))}`];
}

/** Whether `schema` names `step` as a field: an element of an array, a member it lists, any member when closed. */
function names(schema: TSchema, step: string | number | undefined): boolean {
  if (schema.type === "array") return typeof step === "number";
  if (schema.type !== "object" || typeof step !== "string") return false;
  return Object.hasOwn(schema.properties ?? {}, step) || schema.additionalProperties === false;
}

const missing = ValueErrorType.ObjectRequiredProperty;

type Keyword = Exclude<keyof Exclude<ErrorMessage, string>, "default">;

/** The keyword of ErrorMessage that names each kind of failure; any other failure says the `default`. */
const keywordOf: Partial<Record<ValueErrorType, Keyword>> = {
  [ValueErrorType.ObjectRequiredProperty]: "required",
  [ValueErrorType.StringMaxLength]: "maxLength",
  [ValueErrorType.StringFormat]: "format",
  [ValueErrorType.ObjectAdditionalProperties]: "additionalProperties",
};

/** The keyword a failure of `value` is told by: a real time outside the years RFC 3339 writes is a `range` failure. */
function keywordFor(schema: TSchema, failure: ValueErrorType, value: unknown): Keyword | undefined {
  const keyword = keywordOf[failure];
  const realTime = schema.format === "date-time" && typeof value === "string" && epochMillis(value) !== undefined;
  return keyword === "format" && realTime ? "range" : keyword;
}

/** What a 400 says of `value` breaking `schema`, from the schema's `errorMessage`; it quotes `given`. */
function messageOf(schema: TSchema, failure: ValueErrorType, value: unknown, given: unknown = value): string {
  const message = schema.errorMessage as ErrorMessage | undefined;
  if (message === undefined) return DefaultErrorFunction({ errorType: failure, path: "", schema, value, errors: [] });
  const keyword = keywordFor(schema, failure, value);
  const text = typeof message === "string" ? message : ((keyword && message[keyword]) ?? message.default);
  return text.replace("{value}", shown(given));
}

/** A value as a message quotes it: as JSON, cut at 200 characters; a deeply nested one or 1e400 by its kind. */
function shown(value: unknown): string {
  if (nestedDeeperThan(value, 20)) return Array.isArray(value) ? "a deeply nested array" : "a deeply nested object";
  // JSON.parse reads 1e400 as Infinity, which JSON.stringify would show as null.
  if (typeof value === "number" && !Number.isFinite(value)) return "a number too large to read";
  const text = JSON.stringify(value) ?? "nothing";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Whether arrays and objects nest more than `levels` deep in `value` (found without recursion). */
function nestedDeeperThan(value: unknown, levels: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [at, level] = stack.pop() as [unknown, number];
    if (at === null || typeof at !== "object") continue;
    if (level >= levels) return true;
    for (const member of Object.values(at)) stack.push([member, level + 1]);
  }
  return false;
}

// TypeBox's messages are process-wide: the API is the only user of TypeBox, and every schema of it says its own.
SetErrorFunction((error) => messageOf(error.schema, error.errorType, error.value));
const uuidShape = new RegExp(Uuid.pattern as string);
FormatRegistry.Set("uuid", (text) => uuidShape.test(text));
FormatRegistry.Set("date-time", (text) => {
  const millis = epochMillis(text);
  return millis !== undefined && millis >= earliestTime && millis <= latestTime;
});

const timeShape = new RegExp(TimeInput.pattern as string);
/** The instants RFC 3339 can write in UTC: years 0001 to 9999. */
const earliestTime = Date.parse("0001-01-01T00:00:00.000Z");
const latestTime = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * An RFC 3339 time (any offset, up to nanoseconds; see TimeInput) as epoch milliseconds, rounded down to the
 * millisecond; undefined when it has another shape or names a date, time or offset that does not exist.
 */
export function epochMillis(text: string): number | undefined {
  const match = timeShape.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const millis = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year as number, (month as number) - 1, day as number); // years below 100 stay as given
  date.setUTCHours(hour as number, minute as number, second as number, millis);
  const real =
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    (hour as number) < 24 &&
    (minute as number) < 60 &&
    (second as number) < 60;
  if (!real) return undefined;
  const offset = match[8] as string;
  const zulu = offset.toUpperCase() === "Z";
  const offsetHours = zulu ? 0 : Number(offset.slice(1, 3));
  const offsetMinutes = zulu ? 0 : Number(offset.slice(4, 6));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offsetSign = offset.startsWith("-") ? -1 : 1;
  return date.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/**
 * The store's NewEvent from an event the schema has passed, found by its path in the body: payload and metadata
 * as the exact text the client sent (see RawJson), the eventId in lower case.
 */
export function newEventAt(body: JsonBody, ...path: (string | number)[]): NewEvent {
  const { value, node } = body.at(path);
  const event = value as NewEventInput;
  const metadata = node.members?.get("metadata");
  // One of the two, as the schema's ExactlyOne checked: the payload itself, or the upload that holds it.
  const payload = node.members?.get("payload");
  const newEvent: NewEvent = {
    eventType: event.eventType,
    payload: payload ? body.raw(payload) : new UploadedPayload((event.upload as string).toLowerCase()),
    eventId: event.eventId?.toLowerCase(),
    metadata: event.metadata !== undefined && metadata ? body.raw(metadata) : undefined,
  };
  if (event.subject === undefined && event.personalData === undefined) return newEvent;
  checkPersonalDataOf(newEvent, event, fieldName(path));
  return { ...newEvent, subject: event.subject, personalData: event.personalData };
}

/**
 * Personal data names its subject and its values (SPEC section 13): a subject needs personalData and personalData a
 * subject; each pointer names a value present in the event, none inside another. An upload cannot carry personal data:
 * it is sealed inside the event item (the store refuses a payload over its inline threshold the same way, 413).
 */
function checkPersonalDataOf(newEvent: NewEvent, input: NewEventInput, field: string): void {
  const prefix = `${field}.`;
  if (input.personalData === undefined) {
    throw invalidInput({
      [`${prefix}personalData`]: ["is required with subject: the pointers of the personal values"],
    });
  }
  if (input.subject === undefined) {
    throw invalidInput({ [`${prefix}subject`]: ["is required with personalData: the data subject, e.g. customer-42"] });
  }
  if (!(newEvent.payload instanceof RawJson)) {
    throw new HttpProblem(
      problemTypes.tooLarge,
      "an event with personal data is kept inline in its item, which an uploaded payload is not: append the personal " +
        "values in an event of their own",
      { members: { errors: { [`${prefix}upload`]: ["cannot carry personal data"] } } },
    );
  }
  const texts = { payload: newEvent.payload.text, metadata: newEvent.metadata?.text };
  const problem = checkPersonalData(input.personalData, texts, `${prefix}personalData`);
  if (problem) throw invalidInput(problem.errors);
}

/** An eventId stands once in a stream: the same one twice in one append (under `field`) can only be a mistake. */
export function rejectRepeatedEventIds(events: NewEvent[], field: string): void {
  const seen = new Set<string>();
  const errors: Record<string, string[]> = {};
  events.forEach((event, index) => {
    if (event.eventId === undefined) return;
    if (seen.has(event.eventId)) errors[`${field}[${index}].eventId`] = ["appears twice in this append"];
    seen.add(event.eventId);
  });
  if (Object.keys(errors).length > 0) throw invalidInput(errors);
}
