/**
 * Requests as a client can send them, bodies as text or as bytes (which a function URL delivers base64-encoded),
 * and the fuzz corpus's builders (fuzz-corpus-*.ts): a case is a request against a target, a stream type and
 * id that no other case or test uses, and the field its 400 must name.
 */
import type { LambdaFunctionURLResult } from "aws-lambda";
import { createApi } from "#api/app.ts";
import { functionUrlEvent, testStreamStore } from "#test/support/store.ts";

export interface Target {
  streamType: string;
  streamId: string;
}

export interface RawRequest {
  method: string;
  path: string;
  query?: string;
  /** Text is sent as it is; bytes are sent base64-encoded, as a function URL delivers a body it will not decode. */
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface FuzzCase {
  name: string;
  request: (target: Target) => RawRequest;
  /** The field that `errors` of the 400 names, when it is a 400 about one field. */
  field?: string;
}

/** A valid event, with members added or replaced. */
export const event = (more: Record<string, unknown> = {}) => ({ eventType: "Happened", payload: { n: 1 }, ...more });

/** A body as sent: text and bytes as they are, anything else as JSON (lone surrogates become \ud800 escapes). */
export const text = (body: unknown) =>
  typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);

export const create =
  (body: unknown) =>
  (t: Target): RawRequest => ({ method: "POST", path: `/streams/${t.streamType}`, body: text(body) });

export const put =
  (body: unknown) =>
  (t: Target): RawRequest => ({
    method: "PUT",
    path: `/streams/${t.streamType}/${t.streamId}/events/1`,
    body: text(body),
  });

export const append =
  (body: unknown) =>
  (t: Target): RawRequest => ({
    method: "POST",
    path: `/streams/${t.streamType}/${t.streamId}/events`,
    body: text(body),
  });

export const list =
  (query: string) =>
  (t: Target): RawRequest => ({ method: "GET", path: `/streams/${t.streamType}`, query });

export const read =
  (query: string) =>
  (t: Target): RawRequest => ({ method: "GET", path: `/streams/${t.streamType}/${t.streamId}/events`, query });

/** One case per write (create, put, append) with `newEvent` as an event; `member` is the event's field named. */
export function everyWrite(name: string, newEvent: unknown, member?: string): FuzzCase[] {
  const at = (prefix: string) => (member === undefined ? undefined : `${prefix}.${member}`);
  const batch = { expectedRevision: "any", events: [event(), newEvent] };
  return [
    { name: `create: ${name}`, request: create({ initialEvent: newEvent }), field: at("initialEvent") },
    { name: `put: ${name}`, request: put({ event: newEvent }), field: at("event") },
    { name: `append: ${name}`, request: append(batch), field: at("events[1]") },
  ];
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  json: any;
}

/** The API over the test table, sent requests as they are (bytes base64-encoded); the table's name. */
export async function rawApi(): Promise<{ send: (request: RawRequest) => Promise<Answer>; tableName: string }> {
  const { store, tableName } = await testStreamStore();
  const handle = createApi(store);
  const send = async ({ method, path, query = "", body, headers = {} }: RawRequest): Promise<Answer> => {
    const contentType: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    const event = functionUrlEvent(method, path, {
      query,
      headers: { ...contentType, ...headers },
      body: Buffer.isBuffer(body) ? body.toString("base64") : body,
      base64: Buffer.isBuffer(body),
    });
    const result = (await handle(event)) as Exclude<LambdaFunctionURLResult, string>;
    return {
      status: result.statusCode ?? 200,
      headers: (result.headers ?? {}) as Record<string, string>,
      json: result.body ? JSON.parse(result.body) : undefined,
    };
  };
  return { send, tableName };
}
