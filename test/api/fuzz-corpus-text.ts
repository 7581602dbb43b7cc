/**
 * Fuzz cases about what text says (fuzz.test.ts runs them): page keys this API never gave out, bodies that
 * are not UTF-8 JSON, strings that are not well-formed Unicode, and times outside what RFC 3339 writes.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { create, event, everyWrite, type FuzzCase, list, put } from "./requests.ts";

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const position = `2026-01-01T00:00:00.000Z#${randomUUID()}`;

/** Keys this API never gave out, under both names it reads them by. */
function pageKeyCases(): FuzzCase[] {
  const keys: [string, string][] = [
    ["an empty position", base64url({ v: 1, after: "" })],
    ["random base64", randomBytes(16).toString("base64")],
    ["random base64 with padding", randomBytes(20).toString("base64")],
    ["random base64url", randomBytes(48).toString("base64url")],
    ["random text", randomUUID()],
    ["JSON {}", base64url({})],
    ["JSON []", base64url([])],
    ["JSON null", base64url(null)],
    ["JSON number", base64url(1)],
    ["JSON string", base64url(position)],
    ["another version", base64url({ v: 2, after: position })],
    ["a version as text", base64url({ v: "1", after: position })],
    ["a number as position", base64url({ v: 1, after: 5 })],
    ["a position of another shape", base64url({ v: 1, after: "not-a-position" })],
    ["not base64 at all", "has%20space%2Band%2Fslash"],
    ["a lone surrogate, percent-encoded", "%ED%A0%80"],
    ["1025 characters", "A".repeat(1025)],
    ["100,000 characters", "A".repeat(100_000)],
  ];
  return keys.flatMap(([name, key]) =>
    ["nextPageKey", "stream-next-page-key"].map((field) => ({
      name: `page key under ${field}: ${name}`,
      request: list(`${field}=${key}`),
      field,
    })),
  );
}

/** A create body with the bytes `bad` in the middle of a string payload. */
const bytesInPayload = (bad: number[]) =>
  Buffer.concat([Buffer.from('{"initialEvent":{"eventType":"A","payload":"x'), Buffer.from(bad), Buffer.from('y"}}')]);

const utf16 = (value: string, bigEndian = false) => {
  const bytes = Buffer.from(value, "utf16le");
  return bigEndian ? bytes.swap16() : bytes;
};

function encodingCases(): FuzzCase[] {
  const json = JSON.stringify({ initialEvent: event() });
  const bodies: [string, string | Buffer][] = [
    ["a byte 0xFF", bytesInPayload([0xff])],
    ["a lead byte without its continuation", bytesInPayload([0xc3, 0x28])],
    ["an overlong '/'", bytesInPayload([0xc0, 0xaf])],
    ["a surrogate encoded in UTF-8", bytesInPayload([0xed, 0xa0, 0x80])],
    ["a code point above U+10FFFF", bytesInPayload([0xf4, 0x90, 0x80, 0x80])],
    ["a lone continuation byte", bytesInPayload([0x80])],
    ["a sequence cut short at the end", Buffer.concat([Buffer.from(json), Buffer.from([0xe2, 0x82])])],
    ["Latin-1 text", Buffer.from(JSON.stringify({ initialEvent: event({ payload: "café" }) }), "latin1")],
    ["a UTF-8 byte order mark", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])],
    ["a byte order mark in text", `\uFEFF${json}`],
    ["UTF-16LE with its byte order mark", utf16(`\uFEFF${json}`)],
    ["UTF-16LE", utf16(json)],
    ["UTF-16BE with its byte order mark", utf16(`\uFEFF${json}`, true)],
    ["UTF-32LE", Buffer.from([...json].flatMap((char) => [char.charCodeAt(0), 0, 0, 0]))],
  ];
  return bodies.map(([name, body]) => ({ name: `encoding: ${name}`, request: create(body), field: "body" }));
}

const lone = "\ud800";

/** Lone surrogates in every string of every write (JSON.stringify sends them as \ud800 escapes), and as raw text. */
function surrogateCases(): FuzzCase[] {
  const positions: [string, Record<string, unknown>, string][] = [
    ["eventType", { eventType: `A${lone}` }, "eventType"],
    ["a string payload", { payload: lone }, "payload"],
    ["a payload of a low surrogate alone", { payload: "\udc00" }, "payload"],
    ["a payload of a reversed pair", { payload: "\udc00\ud83d" }, "payload"],
    ["a payload ending in a high surrogate", { payload: "ab\ud83d" }, "payload"],
    ["a nested payload value", { payload: { a: [1, { b: lone }] } }, "payload"],
    ["a payload member name", { payload: { [lone]: 1 } }, "payload"],
    ["metadata", { metadata: { by: lone } }, "metadata"],
    ["a metadata member name", { metadata: { [lone]: "x" } }, "metadata"],
    ["eventId", { eventId: lone }, "eventId"],
    ["an event's member name", { [lone]: 1 }, lone],
  ];
  const deep = `${"[".repeat(10_000)}"\\ud800"${"]".repeat(10_000)}`;
  const named = (name: string) => `{"${name}":{"eventType":"A","payload":1}}`;
  return [
    ...positions.flatMap(([name, members, member]) => everyWrite(`lone surrogate in ${name}`, event(members), member)),
    {
      name: "lone surrogate 10,000 levels deep",
      request: put(`{"event":{"eventType":"A","payload":${deep}}}`),
      field: "event.payload",
    },
    {
      name: "lone surrogate unescaped in the text",
      request: put(`{"event":{"eventType":"A","payload":"${lone}"}}`),
      field: "event.payload",
    },
    {
      name: "lone surrogate in a top-level member name",
      request: create({ initialEvent: event(), [lone]: 1 }),
      field: lone,
    },
    {
      name: "lone surrogate in the name initialEvent",
      request: create(named(`initialEvent${lone}`)),
      field: "initialEvent",
    },
  ];
}

function timeCases(): FuzzCase[] {
  const times = [
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00%2B01:00",
    "0001-01-01T00:00:00+01:00",
    "0000-01-01T00:00:00Z",
    "0000-12-31T23:59:59.999999999Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-12-31T23:59:60Z",
    "2016-12-31T23:59:60Z",
    "2026-01-01T00:00:00.1234567891Z",
    "2026-01-01T00:00:00.Z",
    "2026-01-01T00:00:00%2B24:00",
    "2026-01-01T00:00:00-23:60",
    "2026-01-01T00:00:00%2B0100",
    "2026-01-01T00:00:00%2B01",
    "2026-01-01T00:00:00",
    "2026-01-01 00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "1e400",
    "",
  ];
  return times.map((time) => ({
    name: `updated-after=${time || "(empty)"}`,
    request: list(`updated-after=${time}`),
    field: "updated-after",
  }));
}

export function textCases(): FuzzCase[] {
  return [...pageKeyCases(), ...encodingCases(), ...surrogateCases(), ...timeCases()];
}
