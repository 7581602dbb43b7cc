/**
 * The request path's own DynamoDB calls (lambdas/store/dynamodb-wire.ts): what they send, how they are signed,
 * and what the store makes of DynamoDB's faults, which DynamoDB Local never shows by itself: the faults are
 * answered in DynamoDB's place where the client's exchanges go over the wire, or come from a port that refuses
 * or a server that never answers.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:net";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HttpResponse } from "@smithy/core/protocols";
import type { HttpRequest } from "@smithy/core/transport";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { findFreePort } from "#local/dynamodb-local.ts";
import { type AwsClientConfig, createDocumentClient } from "#shared/aws-clients.ts";
import { DynamoDbWire, interceptExchanges } from "#store/dynamodb-wire.ts";
import { StreamNotFoundError, ThrottledError, UnavailableError } from "#store/errors.ts";
import type { NewEvent } from "#store/model.ts";
import { RawJson } from "#store/raw-json.ts";
import { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { eventsTable, testStreamStore } from "#test/support/store.ts";

const event: NewEvent = { eventType: "Happened", payload: new RawJson('{"n":1}') };

/** A store over the test table whose exchanges `answer` sees first; it answers one itself or passes it on. */
async function storeWithExchanges(
  answer: (request: HttpRequest) => HttpResponse | undefined,
  config: Partial<AwsClientConfig> = {},
) {
  await testStreamStore(); // the shared table exists
  const client = createDocumentClient({ ...localAwsClientConfig(testDynamoDb().endpoint), ...config });
  const seen: HttpRequest[] = [];
  interceptExchanges(client, async (request, send) => {
    seen.push(request);
    return answer(request) ?? send(request);
  });
  return { store: new StreamStore({ client, tableName: eventsTable }), seen };
}

function dynamoDbError(statusCode: number, type: string, message: string): HttpResponse {
  const document = { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message };
  return new HttpResponse({
    statusCode,
    headers: { "content-type": "application/x-amz-json-1.0" },
    body: Readable.from([Buffer.from(JSON.stringify(document))]),
  });
}

const target = (request: HttpRequest) => String(request.headers["x-amz-target"]);

describe("the request path's DynamoDB calls", () => {
  it("send the store's input as DynamoDB's JSON protocol, and read the answer DynamoDB Local gives", async () => {
    const { store, seen } = await storeWithExchanges(() => undefined);
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event]);
    assert.equal((await store.streamDetails("order", id)).revision, 1);
    const put = seen.find((request) => target(request) === "DynamoDB_20120810.PutItem");
    assert.ok(put, "the append is one PutItem");
    assert.equal(put.method, "POST");
    assert.equal(put.headers["content-type"], "application/x-amz-json-1.0");
    assert.equal(Number(put.headers["content-length"]), Buffer.byteLength(String(put.body)));
    assert.equal(JSON.parse(String(put.body)).TableName, eventsTable);
    assert.ok(seen.some((request) => target(request) === "DynamoDB_20120810.Query"));
  });

  it("sign with SigV4 for dynamodb in the client's region, session token included", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token-1" };
    const client = new DynamoDBClient({ endpoint: "http://127.0.0.1:1", region: "eu-west-1", credentials });
    let signed: HttpRequest | undefined;
    interceptExchanges(client, async (request) => {
      signed = request;
      return new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([Buffer.from("{}")]) });
    });
    await new DynamoDbWire(client).send("Query", { TableName: "t" });
    assert.ok(signed);
    assert.equal(signed.headers["x-amz-security-token"], "token-1");
    assert.equal(signed.headers.authorization, expectedAuthorization(signed, credentials, "eu-west-1"));
  });

  it("use DynamoDB's regional endpoint by the SDK's rules when no endpoint is configured", async () => {
    const client = new DynamoDBClient({ region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    let host: string | undefined;
    interceptExchanges(client, async (request) => {
      host = `${request.protocol}//${request.hostname}${request.path}`;
      return new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([Buffer.from("{}")]) });
    });
    await new DynamoDbWire(client).send("Query", { TableName: "t" });
    assert.equal(host, "https://dynamodb.eu-west-1.amazonaws.com/");
  });

  it("use an endpoint configured in AWS_ENDPOINT_URL_DYNAMODB, as the SDK's own calls do", async () => {
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:4566";
    try {
      const client = new DynamoDBClient({
        region: "eu-west-1",
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
      });
      let host: string | undefined;
      interceptExchanges(client, async (request) => {
        host = `${request.protocol}//${request.hostname}:${request.port}${request.path}`;
        return new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([Buffer.from("{}")]) });
      });
      await new DynamoDbWire(client).send("Query", { TableName: "t" });
      assert.equal(host, "http://127.0.0.1:4566/");
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
    }
  });

  it("retry throttling with the client's strategy, and succeed when DynamoDB lets the call through", async () => {
    let throttled = 0;
    const { store } = await storeWithExchanges((request) => {
      if (target(request).endsWith(".PutItem") && throttled < 2) {
        throttled++;
        return dynamoDbError(400, "ProvisionedThroughputExceededException", "The level of configured provisioned…");
      }
      return undefined;
    });
    const id = randomUUID();
    await store.append("order", id, "no-stream", [event]);
    assert.equal(throttled, 2);
    assert.equal((await store.streamDetails("order", id)).revision, 1);
  });

  it("turn throttling that outlasts the attempts into ThrottledError, which the API answers with 503", async () => {
    const { store, seen } = await storeWithExchanges(
      (request) =>
        target(request).endsWith(".Query") ? dynamoDbError(400, "ThrottlingException", "Rate exceeded") : undefined,
      { maxAttempts: 2 },
    );
    await assert.rejects(store.streamDetails("order", randomUUID()), ThrottledError);
    assert.equal(seen.length, 2, "as many attempts as the client is configured for");
  });

  it("retry DynamoDB's 500s and pass a client error such as a validation error on at once", async () => {
    let failures = 0;
    const { store, seen } = await storeWithExchanges((request) => {
      if (target(request).endsWith(".Query") && failures++ === 0) {
        return dynamoDbError(500, "InternalServerError", "Internal server error");
      }
      return undefined;
    });
    await assert.rejects(store.streamDetails("order", randomUUID()), StreamNotFoundError);
    assert.equal(seen.length, 2);

    const invalid = await storeWithExchanges(() => dynamoDbError(400, "ValidationException", "One or more…"));
    await assert.rejects(invalid.store.streamDetails("order", randomUUID()), (error: Error) => {
      assert.equal(error.name, "ValidationException");
      assert.equal((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 400);
      return true;
    });
    assert.equal(invalid.seen.length, 1);
  });

  it("take DynamoDB's time when it refuses a signature from a skewed clock, and retry with it", async () => {
    const hourAhead = new Date(Date.now() + 3_600_000);
    let refused = 0;
    const { store, seen } = await storeWithExchanges((request) => {
      if (!target(request).endsWith(".Query") || refused > 0) return undefined;
      refused++;
      const response = dynamoDbError(400, "InvalidSignatureException", "Signature expired: … is now earlier than …");
      response.headers.date = hourAhead.toUTCString();
      return response;
    });
    await assert.rejects(store.streamDetails("order", randomUUID()), StreamNotFoundError);
    const signedAt = seen.map((request) => String(request.headers["x-amz-date"]));
    assert.equal(signedAt.length, 2);
    const asTime = (amzDate: string) =>
      Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
    const shift = asTime(signedAt[1] as string) - asTime(signedAt[0] as string);
    assert.ok(Math.abs(shift - 3_600_000) < 60_000, `the retry is signed an hour later (${shift} ms)`);
  });

  it("turn a DynamoDB that refuses connections into UnavailableError", async () => {
    const port = await findFreePort();
    const client = createDocumentClient({ ...localAwsClientConfig(`http://127.0.0.1:${port}`), maxAttempts: 2 });
    const store = new StreamStore({ client, tableName: eventsTable });
    await assert.rejects(store.streamDetails("order", randomUUID()), UnavailableError);
  });

  describe("a DynamoDB that accepts and never answers", () => {
    let server: Server | undefined;
    after(() => server?.close());

    it("is given up after the request timeout, as UnavailableError", async () => {
      const sockets: import("node:net").Socket[] = [];
      server = createServer((socket) => sockets.push(socket)); // reads nothing, answers nothing
      await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as import("node:net").AddressInfo;
      const client = createDocumentClient({
        ...localAwsClientConfig(`http://127.0.0.1:${port}`),
        requestTimeoutMs: 200,
        maxAttempts: 2,
      });
      const store = new StreamStore({ client, tableName: eventsTable });
      const started = performance.now();
      await assert.rejects(store.streamDetails("order", randomUUID()), UnavailableError);
      assert.ok(performance.now() - started < 5_000, "two attempts of 200 ms, not a hang");
      for (const socket of sockets) socket.destroy();
      client.destroy();
    });
  });
});

/**
 * The Authorization header of `request` by the SigV4 algorithm, computed here with node:crypto alone, so that the
 * signer is checked against the specification rather than against itself.
 */
function expectedAuthorization(
  request: HttpRequest,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
): string {
  const amzDate = String(request.headers["x-amz-date"]);
  const day = amzDate.slice(0, 8);
  const names = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name !== "authorization")
    .sort();
  const header = (name: string) =>
    String(Object.entries(request.headers).find(([key]) => key.toLowerCase() === name)?.[1]).trim();
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
  const canonical = [
    request.method,
    request.path,
    "",
    ...names.map((name) => `${name}:${header(name)}`),
    "",
    names.join(";"),
    sha256(String(request.body)),
  ].join("\n");
  const scope = `${day}/${region}/dynamodb/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key: Buffer = Buffer.from(`AWS4${credentials.secretAccessKey}`);
  for (const part of [day, region, "dynamodb", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex");
  return `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
}
