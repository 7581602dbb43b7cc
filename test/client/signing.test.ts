import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { EventStoreClient, Forbidden } from "../../client/index.ts";
import {
  type CapturedRequest,
  expectedSignature,
  problem,
  type ScriptedServer,
  scriptedServer,
  sha256Hex,
  signatureParts,
  stream,
  streamAnswer,
} from "./support.ts";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

describe("SigV4 signing (auth: iam)", () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("signs a request with a body for service lambda: Authorization, x-amz-date, x-amz-content-sha256 of the body", async () => {
    server = await scriptedServer([{ status: 201, body: { ...streamAnswer(2), firstRevision: 2, lastRevision: 2 } }]);
    const client = new EventStoreClient({ url: server.url, auth: "iam", region: "eu-west-1", credentials });

    await client.append("order", stream.streamId, [{ eventType: "Paid", payload: { amount: 42 } }], {
      expectedRevision: 1,
    });

    const [request] = server.requests as [CapturedRequest];
    const parts = signatureParts(request.headers.authorization);
    assert.ok(parts, request.headers.authorization);
    assert.deepEqual(
      { accessKeyId: parts.accessKeyId, region: parts.region, service: parts.service },
      { accessKeyId: "AKIDEXAMPLE", region: "eu-west-1", service: "lambda" },
    );
    assert.match(String(request.headers["x-amz-date"]), /^\d{8}T\d{6}Z$/);
    assert.equal(parts.date, String(request.headers["x-amz-date"]).slice(0, 8));
    assert.equal(request.headers["x-amz-content-sha256"], sha256Hex(request.body));
    for (const header of ["host", "x-amz-date", "x-amz-content-sha256", "content-type"]) {
      assert.ok(parts.signedHeaders.includes(header), `${header} signed: ${parts.signedHeaders}`);
    }
    assert.equal(parts.signature, expectedSignature(request, credentials.secretAccessKey));
  });

  it("signs a query string (a listing's updated-after) as the service will check it", async () => {
    server = await scriptedServer([{ status: 200, body: { streamPage: { streams: [], hasMore: false } } }]);
    const client = new EventStoreClient({ url: `${server.url}/`, auth: "iam", region: "us-east-2", credentials });

    for await (const _ of client.listStreams("order", { updatedAfter: new Date("2026-01-02T03:04:05.678Z") })) {
      assert.fail("no streams expected");
    }

    const [request] = server.requests as [CapturedRequest];
    assert.equal(request.target, "/streams/order?updated-after=2026-01-02T03%3A04%3A05.678Z");
    assert.equal(request.headers["x-amz-content-sha256"], sha256Hex(""));
    assert.equal(
      signatureParts(request.headers.authorization)?.signature,
      expectedSignature(request, credentials.secretAccessKey),
    );
  });

  it("sends and signs the session token of temporary credentials", async () => {
    server = await scriptedServer([{ status: 200, body: streamAnswer() }]);
    const temporary = { ...credentials, sessionToken: "session-token-of-the-role" };
    const client = new EventStoreClient({
      url: server.url,
      auth: "iam",
      region: "eu-west-1",
      credentials: async () => temporary,
    });

    await client.getStream("order", stream.streamId);

    const [request] = server.requests as [CapturedRequest];
    assert.equal(request.headers["x-amz-security-token"], "session-token-of-the-role");
    assert.ok(signatureParts(request.headers.authorization)?.signedHeaders.includes("x-amz-security-token"));
    assert.equal(
      signatureParts(request.headers.authorization)?.signature,
      expectedSignature(request, credentials.secretAccessKey),
    );
  });

  it("signs each retry afresh: its own date and signature, both valid", async () => {
    server = await scriptedServer([
      { status: 503, headers: { "retry-after": "1" }, body: problem("throttled", 503) },
      { status: 201, body: streamAnswer() },
    ]);
    const client = new EventStoreClient({ url: server.url, auth: "iam", region: "eu-west-1", credentials });

    await client.createStream("order", { eventType: "Placed", payload: {} });

    const [first, retry] = server.requests as [CapturedRequest, CapturedRequest];
    assert.notEqual(retry.headers["x-amz-date"], first.headers["x-amz-date"]);
    assert.notEqual(retry.headers.authorization, first.headers.authorization);
    assert.equal(retry.body, first.body);
    for (const request of [first, retry]) {
      assert.equal(
        signatureParts(request.headers.authorization)?.signature,
        expectedSignature(request, credentials.secretAccessKey),
      );
    }
  });

  it("takes the region from a function URL's host", async () => {
    const sent: Request[] = [];
    const client = new EventStoreClient({
      url: "https://abcdefghijklmnop.lambda-url.ap-southeast-2.on.aws/",
      auth: "iam",
      credentials,
      fetch: async (input, init) => {
        sent.push(new Request(input, init));
        return Response.json(streamAnswer());
      },
    });

    await client.getStream("order", stream.streamId);

    assert.equal(
      sent[0]?.url,
      `https://abcdefghijklmnop.lambda-url.ap-southeast-2.on.aws/streams/order/${stream.streamId}/details`,
    );
    assert.equal(signatureParts(sent[0]?.headers.get("authorization") ?? "")?.region, "ap-southeast-2");
  });

  it("signs with the AWS SDK's default credential chain when given no credentials", async () => {
    server = await scriptedServer([{ status: 200, body: streamAnswer() }]);
    // npm test sets AWS_ACCESS_KEY_ID (local dummy credentials) for every test process: the chain's first link.
    const client = new EventStoreClient({ url: server.url, auth: "iam", region: "eu-west-1" });

    await client.getStream("order", stream.streamId);

    const request = server.requests[0] as CapturedRequest;
    assert.equal(signatureParts(request.headers.authorization)?.accessKeyId, process.env.AWS_ACCESS_KEY_ID);
    assert.equal(
      signatureParts(request.headers.authorization)?.signature,
      expectedSignature(request, process.env.AWS_SECRET_ACCESS_KEY as string),
    );
  });

  it("a function URL's own refusal (403 {Message}) is a Forbidden error", async () => {
    server = await scriptedServer([{ status: 403, body: { Message: "Forbidden" } }]);
    const client = new EventStoreClient({ url: server.url, auth: "iam", region: "eu-west-1", credentials });

    await assert.rejects(client.getStream("order", stream.streamId), (error: unknown) => {
      assert.ok(error instanceof Forbidden);
      assert.deepEqual(error.problem, { type: "about:blank", title: "HTTP 403", status: 403, detail: "Forbidden" });
      return true;
    });
  });

  it("auth none sends no signature", async () => {
    server = await scriptedServer([{ status: 200, body: streamAnswer() }]);
    const client = new EventStoreClient({ url: server.url, auth: "none" });

    await client.getStream("order", stream.streamId);

    assert.equal(server.requests[0]?.headers.authorization, undefined);
    assert.equal(server.requests[0]?.headers["x-amz-date"], undefined);
  });

  it("refuses to sign without a region it can find", () => {
    const previous = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      assert.throws(
        () => new EventStoreClient({ url: "https://events.example.com", auth: "iam", credentials }),
        /region/,
      );
    } finally {
      for (const [name, value] of Object.entries(previous)) if (value !== undefined) process.env[name] = value;
    }
  });
});
