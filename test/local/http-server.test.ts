import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { type HttpServer, maxRequestBodyBytes, startHttpServer } from "#local/http-server.ts";

describe("local function URL adapter", () => {
  let server: HttpServer;
  let lastEvent: LambdaFunctionURLEvent | undefined;
  let nextResult: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult> = async () => ({
    statusCode: 204,
  });

  before(async () => {
    server = await startHttpServer({
      port: 0,
      handler: (event) => {
        lastEvent = event;
        return nextResult(event);
      },
    });
  });
  after(() => server.close());

  // A function, so that TypeScript does not narrow `lastEvent` to the `undefined` assigned before a request.
  function received(): LambdaFunctionURLEvent {
    assert.ok(lastEvent, "the handler was called");
    return lastEvent;
  }

  test("maps method, path, query string, headers and cookies as a function URL does (payload 2.0)", async () => {
    lastEvent = undefined;
    const response = await send("POST", "/streams/order/abc?limit=5&tag=a&tag=b%20c", {
      headers: [
        ["content-type", "application/json"],
        ["X-Custom", "one"],
        ["x-custom", "two"],
        ["cookie", "session=1; theme=dark"],
        ["user-agent", "test-agent"],
      ],
      body: '{"initialEvent":{}}',
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers["content-length"], undefined, "a 204 has no body and no Content-Length");
    const event = received();
    assert.equal(event.version, "2.0");
    assert.equal(event.routeKey, "$default");
    assert.equal(event.rawPath, "/streams/order/abc");
    assert.equal(event.rawQueryString, "limit=5&tag=a&tag=b%20c");
    assert.deepEqual(event.queryStringParameters, { limit: "5", tag: "a,b c" });
    assert.equal(event.headers["x-custom"], "one,two");
    assert.equal(event.headers["content-type"], "application/json");
    assert.equal(event.headers.cookie, undefined);
    assert.deepEqual(event.cookies, ["session=1", "theme=dark"]);
    assert.equal(event.body, '{"initialEvent":{}}');
    assert.equal(event.isBase64Encoded, false);
    const context = event.requestContext;
    assert.equal(context.accountId, "anonymous");
    assert.equal(context.stage, "$default");
    assert.equal(context.routeKey, "$default");
    assert.deepEqual(context.http, {
      method: "POST",
      path: "/streams/order/abc",
      protocol: "HTTP/1.1",
      sourceIp: "127.0.0.1",
      userAgent: "test-agent",
    });
    assert.match(context.requestId, /^[0-9a-f-]{36}$/);
    assert.match(context.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(typeof context.timeEpoch, "number");
    assert.equal(typeof context.domainName, "string");
  });

  test("a request without body or query string has neither body nor queryStringParameters", async () => {
    await send("GET", "/liveness-check");
    assert.equal(lastEvent?.body, undefined);
    assert.equal(lastEvent?.queryStringParameters, undefined);
    assert.equal(lastEvent?.rawQueryString, "");
    assert.equal(lastEvent?.isBase64Encoded, false);
    assert.equal(lastEvent?.cookies, undefined);
  });

  test("a binary body is passed base64-encoded with isBase64Encoded", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await send("GET", "/blob", { headers: [["content-type", "application/octet-stream"]], body: bytes });
    assert.equal(lastEvent?.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(lastEvent?.body ?? "", "base64"), bytes);
  });

  test("a JSON body that is not valid UTF-8 is passed base64-encoded, byte for byte (no U+FFFD)", async () => {
    nextResult = async () => ({ statusCode: 204 });
    const bytes = Buffer.concat([Buffer.from('{"payload":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    await send("POST", "/streams/order", { headers: [["content-type", "application/json"]], body: bytes });
    assert.equal(lastEvent?.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(lastEvent?.body ?? "", "base64"), bytes);
  });

  test("writes the handler's status, headers, cookies and base64 body back", async () => {
    nextResult = async () => ({
      statusCode: 201,
      headers: { Location: "/streams/order/1", "Content-Type": "application/octet-stream" },
      cookies: ["a=1", "b=2"],
      body: Buffer.from("binary!").toString("base64"),
      isBase64Encoded: true,
    });
    const response = await send("GET", "/x");
    assert.equal(response.status, 201);
    assert.equal(response.headers.location, "/streams/order/1");
    assert.deepEqual(response.headers["set-cookie"], ["a=1", "b=2"]);
    assert.equal(response.body.toString(), "binary!");
  });

  test("a result without statusCode is sent as a JSON 200, as a function URL does", async () => {
    nextResult = async () => ({ status: "ok" }) as unknown as LambdaFunctionURLResult;
    const response = await send("GET", "/x");
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(response.body.toString()), { status: "ok" });
  });

  test("HEAD sends the handler's headers and the length GET's body has, and no body", async () => {
    nextResult = async () => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: '{"a":1}' });
    const head = await send("HEAD", "/x");
    assert.equal(received().requestContext.http.method, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-type"], "application/json");
    assert.equal(head.headers["content-length"], "7");
    assert.equal(head.body.length, 0);
  });

  test("a body over 6 MB answers 413 problem+json without calling the handler", async () => {
    lastEvent = undefined;
    const response = await send("POST", "/streams/order", {
      headers: [["content-type", "application/json"]],
      body: Buffer.alloc(maxRequestBodyBytes + 1, "a"),
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers["content-type"], "application/problem+json");
    const problem = JSON.parse(response.body.toString());
    assert.equal(problem.status, 413);
    assert.match(problem.detail, /6 MB/);
    assert.equal(typeof problem.requestId, "string");
    assert.equal(lastEvent as LambdaFunctionURLEvent | undefined, undefined);
  });

  test("a body of exactly 6 MB reaches the handler", async () => {
    nextResult = async () => ({ statusCode: 204 });
    const response = await send("POST", "/big", {
      headers: [["content-type", "application/json"]],
      body: Buffer.alloc(maxRequestBodyBytes, "a"),
    });
    assert.equal(response.status, 204);
    assert.equal(lastEvent?.body?.length, maxRequestBodyBytes);
  });

  test("a handler that throws answers 500 problem+json without internals", async (t) => {
    t.mock.method(console, "error", () => {});
    nextResult = async () => {
      throw new Error("secret table name events-prod");
    };
    const response = await send("GET", "/boom");
    assert.equal(response.status, 500);
    assert.equal(response.headers["content-type"], "application/problem+json");
    const text = response.body.toString();
    assert.doesNotMatch(text, /secret|events-prod|at /);
    assert.equal(JSON.parse(text).status, 500);
  });

  test("a port in use is refused with a one-line hint", async () => {
    await assert.rejects(startHttpServer({ port: server.port, handler: async () => ({ statusCode: 200 }) }), {
      message: `port ${server.port} is in use: pass --port or set PORT`,
    });
  });

  test("a write without a JSON content type answers 415 problem+json without calling the handler", async () => {
    const cases: [string, [string, string][], string | undefined][] = [
      ["POST", [["content-type", "text/plain"]], '{"initialEvent":{}}'],
      ["POST", [["content-type", "application/x-www-form-urlencoded"]], "a=1"],
      ["POST", [], '{"initialEvent":{}}'],
      ["POST", [], undefined],
      ["PUT", [["content-type", "application/octet-stream"]], "{}"],
      ["PATCH", [["content-type", "multipart/form-data; boundary=x"]], "--x--"],
      ["DELETE", [["content-type", "text/plain"]], "{}"],
    ];
    for (const [method, headers, body] of cases) {
      lastEvent = undefined;
      const response = await send(method, "/streams/order", { headers, body });
      assert.equal(response.status, 415, `${method} ${JSON.stringify(headers)}`);
      assert.equal(response.headers["content-type"], "application/problem+json");
      assert.equal(JSON.parse(response.body.toString()).type, "tag:event-store,2026:problem:unsupported-media-type");
      assert.equal(lastEvent as LambdaFunctionURLEvent | undefined, undefined);
    }
  });

  test("writes with application/json or a +json type pass, and so does a DELETE without a body", async () => {
    nextResult = async () => ({ statusCode: 204 });
    for (const [method, contentType] of [
      ["POST", "application/json; charset=utf-8"],
      ["PUT", "application/merge-patch+json"],
      ["DELETE", undefined],
    ] as const) {
      const headers: [string, string][] = contentType ? [["content-type", contentType]] : [];
      const response = await send(method, "/operations/x", { headers, body: contentType ? "{}" : undefined });
      assert.equal(response.status, 204, `${method} ${contentType}`);
    }
  });

  test("a Host that is not a loopback name answers 421 naming the header (DNS rebinding)", async () => {
    for (const host of [
      "evil.example",
      "evil.example:3000",
      "127.0.0.1.nip.io",
      "192.168.1.20:3000",
      "localhost.evil",
    ]) {
      lastEvent = undefined;
      const response = await send("GET", "/liveness-check", { headers: [["host", host]] });
      assert.equal(response.status, 421, host);
      const problem = JSON.parse(response.body.toString());
      assert.equal(problem.type, "tag:event-store,2026:problem:misdirected-request");
      assert.ok(problem.errors.host, host);
      assert.equal(lastEvent as LambdaFunctionURLEvent | undefined, undefined);
    }
  });

  test("loopback names with any port, or none, are served", async () => {
    nextResult = async () => ({ statusCode: 204 });
    for (const host of ["localhost", "LOCALHOST:3000", "127.0.0.1", `127.0.0.1:${server.port}`, "[::1]", "[::1]:80"]) {
      const response = await send("GET", "/liveness-check", { headers: [["host", host]] });
      assert.equal(response.status, 204, host);
    }
  });

  test("--allow-host adds names; every answer is logged as one line", async () => {
    const lines: string[] = [];
    const allowing = await startHttpServer({
      port: 0,
      allowedHosts: ["dev.test"],
      handler: async () => ({ statusCode: 204 }),
      log: (line) => lines.push(line),
    });
    try {
      const allowed = await send("GET", "/liveness-check?x=1", { headers: [["host", "dev.test:8080"]] }, allowing.url);
      assert.equal(allowed.status, 204);
      const refused = await send("GET", "/liveness-check", { headers: [["host", "other.test"]] }, allowing.url);
      assert.equal(refused.status, 421);
      assert.equal(lines.length, 2);
      assert.match(lines[0] as string, /^GET \/liveness-check 204 \d+ ms$/);
      assert.match(lines[1] as string, /^GET \/liveness-check 421 \d+ ms$/);
    } finally {
      await allowing.close();
    }
  });

  function send(
    method: string,
    path: string,
    options: { headers?: [string, string][]; body?: string | Buffer } = {},
    base = server.url,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      // node:http rather than fetch: fetch would merge the repeated request headers this test sends, and
      // would not let it choose the Host header.
      const url = new URL(path, base);
      const given = options.headers ?? [];
      const host: [string, string][] = given.some(([name]) => name === "host") ? [] : [["host", url.host]];
      // A declared length, so that Node frames a body on GET and DELETE as well.
      const length: [string, string][] =
        options.body === undefined ? [] : [["content-length", String(Buffer.byteLength(options.body))]];
      const headers = [...host, ...length, ...given].flat();
      const request = httpRequest(url, { method, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
      });
      request.on("error", reject);
      request.end(options.body);
    });
  }
});
