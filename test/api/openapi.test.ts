import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "#api/openapi.ts";
import { routes } from "#api/router.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { type ApiResponse, type CallApi, newEvent, testApi } from "#test/support/store.ts";
import { createdStream, recordingQueue } from "./support.ts";

type Operation = {
  operationId: string;
  parameters?: { name: string; schema: { default?: unknown } }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, unknown> }>;
};

/** Every operation of the document, by path and method. */
function documentedOperations(): { path: string; method: string; operation: Operation }[] {
  const paths = openApiDocument.paths as unknown as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([key]) => key !== "parameters")
      .map(([method, operation]) => ({ path, method, operation })),
  );
}

/** Checks an answer against the document's schema for that path, method and status. */
function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(openApiDocument, "openapi");
  return (path: string, method: string, response: ApiResponse) => {
    const paths = openApiDocument.paths as unknown as Record<string, Record<string, Operation>>;
    const operation = paths[path]?.[method];
    assert.ok(operation, `${method} ${path} is documented`);
    const documented = operation.responses[String(response.status)];
    assert.ok(documented, `${method} ${path} documents status ${response.status}`);
    const [mediaType] = Object.keys(documented.content ?? {});
    assert.equal(response.headers["content-type"], mediaType);
    // The schema by its JSON pointer in the document, so that its own $refs resolve against the document.
    const pointer = [
      "paths",
      path,
      method,
      "responses",
      String(response.status),
      "content",
      mediaType as string,
      "schema",
    ]
      .map((token) => token.replaceAll("~", "~0").replaceAll("/", "~1"))
      .join("/");
    const validate = ajv.compile({ $ref: `openapi#/${pointer}` });
    assert.ok(validate(response.json), `${method} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}`);
  };
}

describe("GET /openapi.json", () => {
  let call: CallApi;
  let store: StreamStore;
  before(async () => {
    ({ call, store } = await testApi({ operations: { queue: recordingQueue(), allowedReplayTargets: [] } }));
  });

  it("documents exactly the routes the API serves", () => {
    const served = routes.flatMap((route) => {
      const path = `/${route.pattern.map((part) => (part.startsWith(":") ? `{${part.slice(1)}}` : part)).join("/")}`;
      return Object.keys(route.methods).map((method) => `${method.toLowerCase()} ${path}`);
    });
    const documented = Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== "parameters")
        .map((method) => `${method} ${path}`),
    );
    assert.deepEqual(documented.sort(), served.sort());
  });

  it("is served as JSON and is OpenAPI 3.1", async () => {
    const response = await call("GET", "/openapi.json");
    assert.equal(response.status, 200);
    assert.equal(response.json.openapi, "3.1.0");
  });

  it("pages the listing of streams by 1000 by default, events by 100 (SPEC section 3)", () => {
    const limitDefault = (path: string) =>
      documentedOperations()
        .find((operation) => operation.path === path && operation.method === "get")
        ?.operation.parameters?.find((parameter) => parameter.name === "limit")?.schema.default;
    assert.equal(limitDefault("/streams/{streamType}"), 1000);
    assert.equal(limitDefault("/streams/{streamType}/{streamId}/events"), 100);
  });

  it("names every operation with the client method that calls it", () => {
    const operationIds = Object.fromEntries(
      documentedOperations().map(({ path, method, operation }) => [`${method} ${path}`, operation.operationId]),
    );
    assert.deepEqual(operationIds, {
      "get /liveness-check": "livenessCheck",
      "get /openapi.json": "getOpenApi",
      "get /streams": "listStreamTypes",
      "post /streams/{streamType}": "createStream",
      "get /streams/{streamType}": "listStreams",
      "get /streams/{streamType}/{streamId}": "getStream",
      "delete /streams/{streamType}/{streamId}": "deleteStream",
      "get /streams/{streamType}/{streamId}/details": "getStreamDetails",
      "get /streams/{streamType}/{streamId}/events": "readEvents",
      "get /streams/{streamType}/{streamId}/retention": "getRetention",
      "put /streams/{streamType}/{streamId}/retention": "setRetention",
      "post /streams/{streamType}/{streamId}/events": "appendEvents",
      "put /streams/{streamType}/{streamId}/events/{revision}": "appendAtRevision",
      "post /replays": "startReplay",
      "get /operations": "listOperations",
      "get /operations/{id}": "getOperation",
      "delete /operations/{id}": "cancelOperation",
      "get /notifications/undelivered": "listUndelivered",
      "get /feed": "readFeed",
      "get /feed/head": "getFeedHead",
      "post /appends": "appendMany",
      "post /uploads": "createUpload",
      "post /dcb/read": "readDcb",
      "post /dcb/append": "appendDcb",
      "put /streams/{streamType}/{streamId}/snapshots": "putSnapshot",
      "get /streams/{streamType}/{streamId}/snapshots/latest": "getLatestSnapshot",
      "post /streams/{streamType}/{streamId}/truncation": "truncateStream",
      "delete /subjects/{subject}": "eraseSubject",
    });
  });

  it("names as its server the origin it was read from; a placeholder function URL when there is none", async () => {
    const served = async (headers: Record<string, string>) =>
      (await call("GET", "/openapi.json", { headers })).json.servers;
    assert.deepEqual(await served({ host: "Abc123.lambda-url.eu-west-1.on.aws", "x-forwarded-proto": "https" }), [
      { url: "https://abc123.lambda-url.eu-west-1.on.aws", description: "where this document was served from" },
    ]);
    assert.equal(
      (await served({ host: "127.0.0.1:3000", "x-forwarded-proto": "http" }))[0].url,
      "http://127.0.0.1:3000",
    );
    assert.equal((await served({ host: "[::1]:3000", "x-forwarded-proto": "http" }))[0].url, "http://[::1]:3000");
    const placeholder = "https://{urlId}.lambda-url.{region}.on.aws";
    assert.equal((await served({}))[0].url, placeholder);
    assert.equal((await served({ host: "evil.example/path?x" }))[0].url, placeholder);
    assert.equal((await served({ host: "a.example", "x-forwarded-proto": "javascript" }))[0].url, placeholder);
  });

  it("requires SigV4 on every operation, as an Authorization header scheme API Gateway tools know", () => {
    assert.deepEqual(openApiDocument.security, [{ sigv4: [] }]);
    const scheme = openApiDocument.components.securitySchemes.sigv4;
    assert.deepEqual(
      { type: scheme.type, in: scheme.in, name: scheme.name, authType: scheme["x-amazon-apigateway-authtype"] },
      { type: "apiKey", in: "header", name: "Authorization", authType: "awsSigv4" },
    );
    assert.match(scheme.description, /NONE/);
  });

  it("documents the errors each operation can answer, as problem+json where the API answers them", () => {
    for (const { path, method, operation } of documentedOperations()) {
      const statuses = Object.keys(operation.responses);
      const at = `${method} ${path}`;
      for (const status of ["403", "429", "500"]) assert.ok(statuses.includes(status), `${at} documents ${status}`);
      if (path.includes("{")) assert.ok(statuses.includes("400"), `${at} documents 400 (bad path parameters)`);
      if (operation.requestBody) {
        for (const status of ["400", "413", "415"]) assert.ok(statuses.includes(status), `${at} documents ${status}`);
      }
      if (path !== "/openapi.json") assert.ok(statuses.includes("503"), `${at} documents 503`);
      for (const status of statuses.filter((status) => status >= "400" && status !== "403" && status !== "429")) {
        const content = operation.responses[status]?.content;
        assert.deepEqual(Object.keys(content ?? {}), ["application/problem+json"], `${at} ${status}`);
      }
    }
  });

  it("types metadata as a JSON object with any members, in requests and in answers", () => {
    const schemas = openApiDocument.components.schemas as Record<string, any>;
    for (const name of ["NewEvent", "Event"]) {
      assert.equal(schemas[name].properties.metadata.type, "object", name);
      assert.equal(schemas[name].properties.metadata.additionalProperties, true, name);
    }
  });

  it("real answers match their documented schemas", async () => {
    const check = validator();
    check("/liveness-check", "get", await call("GET", "/liveness-check"));
    const created = await call("POST", "/streams/order", { body: { initialEvent: newEvent("Placed", { a: 1 }) } });
    check("/streams/{streamType}", "post", created);
    const id = created.json.stream.streamId;
    check(
      "/streams/{streamType}/{streamId}/events/{revision}",
      "put",
      await call("PUT", `/streams/order/${id}/events/2`, { body: { event: newEvent() } }),
    );
    const batch = {
      expectedRevision: 2,
      events: [{ eventType: "M", payload: "x", metadata: { by: "test" }, eventId: randomUUID() }],
    };
    check(
      "/streams/{streamType}/{streamId}/events",
      "post",
      await call("POST", `/streams/order/${id}/events`, { body: batch }),
    );
    check("/streams/{streamType}/{streamId}/events", "get", await call("GET", `/streams/order/${id}/events`));
    check(
      "/streams/{streamType}/{streamId}/events",
      "get",
      await call("GET", `/streams/order/${id}/events`, { query: "payload-encoding=string" }),
    );
    check("/streams/{streamType}/{streamId}/details", "get", await call("GET", `/streams/order/${id}/details`));
    check("/streams/{streamType}/{streamId}", "get", await call("GET", `/streams/order/${id}`));
    check("/streams/{streamType}", "get", await call("GET", "/streams/order", { query: "limit=2" }));
    await store.countNewStreams("order", 1, created.json.stream.updatedAt);
    check("/streams", "get", await call("GET", "/streams", { query: "limit=2" }));
    check(
      "/streams/{streamType}/{streamId}/events/{revision}",
      "put",
      await call("PUT", `/streams/order/${id}/events/2`, { body: { event: newEvent() } }),
    );
    check(
      "/streams/{streamType}/{streamId}/events",
      "get",
      await call("GET", `/streams/order/${id}/events`, { query: "limit=0" }),
    );
    check(
      "/streams/{streamType}/{streamId}/details",
      "get",
      await call("GET", `/streams/order/${randomUUID()}/details`),
    );
  });

  it("real error answers match their documented schemas", async () => {
    const check = validator();
    const id = await createdStream(call);
    const events = "/streams/{streamType}/{streamId}/events";
    check(events, "get", await call("GET", `/streams/order/${id}/events`, { query: "payload-encoding=xml" }));
    check(events, "get", await call("GET", `/streams/order/${randomUUID()}/events`));
    const append = { expectedRevision: 5, events: [newEvent()] };
    check(events, "post", await call("POST", `/streams/order/${id}/events`, { body: append }));
    check(events, "post", await call("POST", `/streams/order/${randomUUID()}/events`, { body: append }));
    const text = { body: "{}", headers: { "content-type": "text/plain" } };
    check(events, "post", await call("POST", `/streams/order/${id}/events`, text));
    const huge = { event: newEvent("Big", "x".repeat(500_000)) };
    check(`${events}/{revision}`, "put", await call("PUT", `/streams/order/${id}/events/2`, { body: huge }));
    const keyed = { headers: { "Idempotency-Key": randomUUID() } };
    await call("POST", "/streams/order", { body: { initialEvent: newEvent("A") }, ...keyed });
    check(
      "/streams/{streamType}",
      "post",
      await call("POST", "/streams/order", { body: { initialEvent: newEvent("B") }, ...keyed }),
    );
    check("/operations", "get", await call("GET", "/operations", { query: "state=sleeping" }));
    check("/streams", "get", await call("GET", "/streams", { query: "nextPageKey=bm90LWEta2V5" }));
  });

  it("real answers of multi-stream and DCB appends match their documented schemas", async () => {
    const check = validator();
    const id = await createdStream(call);
    const appends = (expectedRevision: number) => ({
      appends: [
        { streamType: "order", streamId: id, expectedRevision, events: [newEvent()] },
        { streamType: "order", streamId: randomUUID(), expectedRevision: "no-stream", events: [newEvent()] },
      ],
      checks: [{ streamType: "order", streamId: randomUUID(), expectedRevision: "no-stream" }],
    });
    check("/appends", "post", await call("POST", "/appends", { body: appends(1) }));
    check("/appends", "post", await call("POST", "/appends", { body: appends(1) }));
    check("/appends", "post", await call("POST", "/appends", { body: { appends: [] } }));
    const query = { items: [{ types: ["Placed"], tags: [`order:${id}`] }] };
    const read = await call("POST", "/dcb/read", { body: { query } });
    check("/dcb/read", "post", read);
    const event = { ...newEvent("Placed"), tags: [`order:${id}`, "region:eu"] };
    const condition = read.json.dcbPage.appendCondition;
    check("/dcb/append", "post", await call("POST", "/dcb/append", { body: { events: [event], condition } }));
    check("/dcb/append", "post", await call("POST", "/dcb/append", { body: { events: [event], condition } }));
    check("/dcb/read", "post", await call("POST", "/dcb/read", { body: { query, limit: 1 } }));
    check("/dcb/read", "post", await call("POST", "/dcb/read", { body: { query: { items: [{ tags: [] }] } } }));
  });

  it("real answers of the operations match their documented schemas", async () => {
    const check = validator();
    const body = { streamType: "order", streamIds: [randomUUID()], updatedAfter: "2026-01-02T03:04:05Z" };
    const accepted = await call("POST", "/replays", { body: { ...body, fromRevision: 2, eventTypes: ["Placed"] } });
    check("/replays", "post", accepted);
    check("/replays", "post", await call("POST", "/replays", { body: { undelivered: true } }));
    check("/replays", "post", await call("POST", "/replays", { body: { streamType: "order", target: {} } }));
    const { id } = accepted.json;
    check("/operations/{id}", "get", await call("GET", `/operations/${id}`));
    check("/operations/{id}", "get", await call("GET", `/operations/${randomUUID()}`));
    check("/operations", "get", await call("GET", "/operations", { query: "kind=replay&limit=2" }));
    check("/operations/{id}", "delete", await call("DELETE", `/operations/${id}`));
    check("/operations/{id}", "delete", await call("DELETE", `/operations/${id}`));
    const running = await call("POST", "/replays", { body: { undelivered: true }, headers: { "Idempotency-Key": id } });
    const operation = await store.getOperation(running.json.id);
    assert.ok(operation);
    await store.saveOperation({ ...operation, state: "running", version: 2 }, 1);
    check("/operations/{id}", "delete", await call("DELETE", `/operations/${operation.id}`));
    const since = new Date().toISOString();
    const undelivered = { streamId: randomUUID(), streamType: "order", firstRevision: 1, lastRevision: 2, since };
    await store.recordUndelivered([{ ...undelivered, cause: "SNS throttled" }]);
    check("/notifications/undelivered", "get", await call("GET", "/notifications/undelivered", { query: "limit=1" }));
  });
});
