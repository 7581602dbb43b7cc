import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type CallApi, testApi } from "#test/support/store.ts";
import { assertInvalid } from "./support.ts";

let call: CallApi;

before(async () => {
  ({ call } = await testApi());
});

/**
 * A new stream whose events carry these payloads, each given as JSON text exactly as a client sends it (spacing,
 * key order and digits kept); its id.
 */
async function streamWithPayloads(payloadTexts: string[], metadataText?: string): Promise<string> {
  const events = payloadTexts.map(
    (payload) => `{"eventType":"Noted","payload":${payload}${metadataText ? `,"metadata":${metadataText}` : ""}}`,
  );
  const body = `{"expectedRevision":"no-stream","events":[${events.join(",")}]}`;
  const id = randomUUID();
  const response = await call("POST", `/streams/order/${id}/events`, { body });
  assert.equal(response.status, 201, response.body);
  return id;
}

/** The payloads of the stream's first page as the API serves them with this query. */
async function servedPayloads(id: string, query: string): Promise<unknown[]> {
  const response = await call("GET", `/streams/order/${id}/events`, { query });
  assert.equal(response.status, 200, response.body);
  return response.json.eventPage.events.map((event: { payload: unknown }) => event.payload);
}

describe("GET events with payload-encoding (for clients that hold payloads as strings, like the Go client)", () => {
  const object = '{ "b": 1, "a": [12345678901234567890, "é\\u2028\\"x\\\\"] }';
  const others = ["[1,2]", "42", "-0.5e10", "true", "false", "null", "{}"];

  it("payload-encoding=json, the default, serves each payload as the JSON value it was appended as", async () => {
    const id = await streamWithPayloads([object, '"done"']);
    const asJson = await servedPayloads(id, "payload-encoding=json");
    assert.deepEqual(asJson, await servedPayloads(id, ""));
    assert.deepEqual(asJson, [JSON.parse(object), "done"]);
  });

  it("payload-encoding=string serves an object or array payload as a string of its JSON text exactly as stored", async () => {
    const id = await streamWithPayloads([object, ...others]);
    const payloads = await servedPayloads(id, "payload-encoding=string");
    assert.deepEqual(payloads, [object, ...others]);
    // What a Go reader's json.Unmarshal of the string reads is the value that was appended.
    assert.deepEqual(JSON.parse(payloads[0] as string), JSON.parse(object));
  });

  it("payload-encoding=string serves a payload that is a JSON string as that string, as a Go client wrote it", async () => {
    const goWritten = JSON.stringify(JSON.stringify({ total: 42 }));
    const id = await streamWithPayloads([goWritten, '"done"', '""']);
    assert.deepEqual(await servedPayloads(id, "payload-encoding=string"), ['{"total":42}', "done", ""]);
    assert.deepEqual(await servedPayloads(id, ""), ['{"total":42}', "done", ""]);
  });

  it("payload-encoding=string writes the payload's text escaped once, not parsed and written again", async () => {
    const id = await streamWithPayloads([object]);
    const response = await call("GET", `/streams/order/${id}/events`, { query: "payload-encoding=string" });
    assert.ok(response.body.includes(`"payload":${JSON.stringify(object)}`), response.body);
  });

  it("metadata stays a JSON object with payload-encoding=string", async () => {
    const id = await streamWithPayloads(["1"], '{"by":"ops","n":12345678901234567890}');
    const response = await call("GET", `/streams/order/${id}/events`, { query: "payload-encoding=string" });
    assert.ok(response.body.includes('"metadata":{"by":"ops","n":12345678901234567890}'), response.body);
    assert.deepEqual(response.json.eventPage.events[0].payload, "1");
  });

  it("applies to backward reads and to every page", async () => {
    const id = await streamWithPayloads(['{"n":1}', '{"n":2}', '{"n":3}']);
    assert.deepEqual(await servedPayloads(id, "direction=backward&limit=2&payload-encoding=string"), [
      '{"n":3}',
      '{"n":2}',
    ]);
    assert.deepEqual(await servedPayloads(id, "after-revision=2&limit=2&payload-encoding=string"), ['{"n":3}']);
  });

  it("another value is a 400 that names the parameter; an empty one takes the default", async () => {
    const id = await streamWithPayloads(["{}"]);
    for (const value of ["xml", "STRING", "raw"]) {
      const response = await call("GET", `/streams/order/${id}/events`, { query: `payload-encoding=${value}` });
      assertInvalid(response, "payload-encoding", [`must be json or string, got "${value}"`]);
    }
    assert.deepEqual(await servedPayloads(id, "payload-encoding="), [{}]);
  });
});
