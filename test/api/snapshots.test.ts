/** PUT /streams/{type}/{id}/snapshots and GET …/snapshots/latest over HTTP: answers, conflicts, bad input. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "#api/openapi.ts";
import { type ApiResponse, type CallApi, testApi } from "#test/support/store.ts";
import { assertInvalid, assertProblem, createdStream } from "./support.ts";

const problemType = (slug: string) => `tag:event-store,2026:problem:${slug}`;

/** Asserts that an answer matches the schema the OpenAPI document gives for its path, method and status. */
function assertDocumented(path: string, method: string, response: ApiResponse): void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(openApiDocument, "openapi");
  type Documented = { responses: Record<string, { content: Record<string, unknown> } | undefined> };
  const paths = openApiDocument.paths as unknown as Record<string, Record<string, Documented | undefined>>;
  const documented = paths[path]?.[method]?.responses[String(response.status)];
  assert.ok(documented, `${method} ${path} documents ${response.status}`);
  const [mediaType = ""] = Object.keys(documented.content);
  assert.equal(response.headers["content-type"], mediaType);
  const pointer = ["paths", path, method, "responses", String(response.status), "content", mediaType, "schema"]
    .map((token) => String(token).replaceAll("~", "~0").replaceAll("/", "~1"))
    .join("/");
  const validate = ajv.compile({ $ref: `openapi#/${pointer}` });
  assert.ok(validate(response.json), `${method} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}`);
}

describe("snapshots over HTTP", () => {
  let call: CallApi;
  before(async () => {
    ({ call } = await testApi());
  });

  const put = (streamId: string, body: unknown, streamType = "order") =>
    call("PUT", `/streams/${streamType}/${streamId}/snapshots`, { body });
  const latest = (streamId: string, schema: string, streamType = "order") =>
    call("GET", `/streams/${streamType}/${streamId}/snapshots/latest`, { query: `schema=${schema}` });

  it("a put snapshot answers 201 with its details, and latest answers its state exactly as sent", async () => {
    const id = await createdStream(call);
    const body =
      '{"revision": 1, "schema": "order-v1", "state": {"z":1,  "a":[1.50,"\\u00e9"],"n":12345678901234567890}}';
    const created = await put(id, body);
    assert.equal(created.status, 201, created.body);
    const { createdAt, ...rest } = created.json.snapshot;
    assert.deepEqual(rest, {
      streamId: id,
      streamType: "order",
      revision: 1,
      schema: "order-v1",
      stateSize: Buffer.byteLength('{"z":1,  "a":[1.50,"\\u00e9"],"n":12345678901234567890}'),
    });
    assert.match(createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const read = await latest(id, "order-v1");
    assert.equal(read.status, 200, read.body);
    assert.ok(
      read.body.includes('"state":{"z":1,  "a":[1.50,"\\u00e9"],"n":12345678901234567890}'),
      `state kept byte for byte in ${read.body}`,
    );
    assert.deepEqual({ ...read.json.snapshot, state: undefined }, { ...created.json.snapshot, state: undefined });
  });

  it("putting the same revision again answers 200", async () => {
    const id = await createdStream(call);
    assert.equal((await put(id, { revision: 1, schema: "s", state: [1] })).status, 201);
    const again = await put(id, { revision: 1, schema: "s", state: [1] });
    assert.equal(again.status, 200, again.body);
    assert.equal(again.json.snapshot.revision, 1);
  });

  it("an older snapshot than the stored one answers 409 snapshot-superseded naming it, and writes nothing", async () => {
    const id = await createdStream(call);
    await call("POST", `/streams/order/${id}/events`, {
      body: {
        expectedRevision: 1,
        events: [
          { eventType: "A", payload: 2 },
          { eventType: "B", payload: 3 },
        ],
      },
    });
    assert.equal((await put(id, { revision: 3, schema: "s", state: "three" })).status, 201);
    const older = await put(id, { revision: 2, schema: "s", state: "two" });
    assertProblem(older, 409);
    assert.equal(older.json.type, problemType("snapshot-superseded"));
    assert.equal(older.json.snapshotRevision, 3);
    assert.equal((await latest(id, "s")).json.snapshot.state, "three");
  });

  it("a revision the stream does not have answers 409 with its current revision; no stream or another type 404", async () => {
    const id = await createdStream(call);
    const ahead = await put(id, { revision: 2, schema: "s", state: {} });
    assertProblem(ahead, 409);
    assert.equal(ahead.json.type, problemType("wrong-expected-revision"));
    assert.equal(ahead.json.currentRevision, 1);
    const missing = await put(randomUUID(), { revision: 1, schema: "s", state: {} });
    assertProblem(missing, 404);
    assert.equal(missing.json.type, problemType("stream-not-found"));
    assertProblem(await put(id, { revision: 1, schema: "s", state: {} }, "invoice"), 404);
    assertProblem(await latest(id, "s"), 404);
  });

  it("latest answers 404 snapshot-not-found for another schema, another type or no stream", async () => {
    const id = await createdStream(call);
    assert.equal((await put(id, { revision: 1, schema: "order-v1", state: 1 })).status, 201);
    for (const response of [
      await latest(id, "order-v2"),
      await latest(id, "order-v1", "invoice"),
      await latest(randomUUID(), "order-v1"),
    ]) {
      assertProblem(response, 404);
      assert.equal(response.json.type, problemType("snapshot-not-found"));
    }
  });

  it("answers as the OpenAPI document says, for every status it gives", async () => {
    const id = await createdStream(call);
    const putPath = "/streams/{streamType}/{streamId}/snapshots";
    const getPath = "/streams/{streamType}/{streamId}/snapshots/latest";
    assertDocumented(putPath, "put", await put(id, { revision: 1, schema: "s", state: { a: 1 } }));
    assertDocumented(putPath, "put", await put(id, { revision: 1, schema: "s", state: { a: 1 } }));
    assertDocumented(putPath, "put", await put(id, { revision: 2, schema: "s", state: {} }));
    assertDocumented(putPath, "put", await put(randomUUID(), { revision: 1, schema: "s", state: {} }));
    assertDocumented(putPath, "put", await put(id, { revision: 0, schema: "s", state: {} }));
    assertDocumented(getPath, "get", await latest(id, "s"));
    assertDocumented(getPath, "get", await latest(id, "other"));
    assertDocumented(getPath, "get", await latest(id, "bad schema"));
  });

  it("refuses bad input with a 400 naming the field, and writes nothing", async () => {
    const id = await createdStream(call);
    const valid = { revision: 1, schema: "s", state: { ok: true } };
    const cases: [string, unknown, string][] = [
      [randomUUID(), { ...valid, revision: 0 }, "revision"],
      [id, { ...valid, revision: -1 }, "revision"],
      [id, { ...valid, revision: "1" }, "revision"],
      [id, { ...valid, revision: 1.5 }, "revision"],
      [id, { ...valid, schema: "has spaces" }, "schema"],
      [id, { ...valid, schema: "" }, "schema"],
      [id, { ...valid, schema: "x".repeat(129) }, "schema"],
      [id, { revision: 1, schema: "s" }, "state"],
      [id, { ...valid, extra: 1 }, "extra"],
    ];
    for (const [streamId, body, field] of cases) assertInvalid(await put(streamId, body), field);
    assertInvalid(await put("not-a-uuid", valid), "streamId");
    assertInvalid(await put(id, valid, "no spaces"), "streamType");
    assertInvalid(await call("GET", `/streams/order/${id}/snapshots/latest`), "schema");
    assertInvalid(await latest(id, "has%20spaces"), "schema");
    assertProblem(await latest(id, "s"), 404);
  });

  it("answers 413 for a state over DynamoDB's 400 KB item when the store has no bucket", async () => {
    const id = await createdStream(call);
    const response = await put(id, { revision: 1, schema: "s", state: "x".repeat(410 * 1024) });
    assertProblem(response, 413);
    assert.equal(typeof response.json.limitBytes, "number");
    assertProblem(await latest(id, "s"), 404);
  });
});
