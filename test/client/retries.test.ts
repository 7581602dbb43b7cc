import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  EventStoreClient,
  NetworkError,
  type RetryEvent,
  ServiceUnavailable,
  WrongExpectedRevision,
} from "../../client/index.ts";
import { problem, type ScriptedAnswer, type ScriptedServer, scriptedServer, stream, streamAnswer } from "./support.ts";

describe("the client's retries", () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A client of a server answering `answers`, whose own backoff would take far longer than any test runs. */
  async function clientOf(
    answers: ScriptedAnswer[],
    options: { maxRetries?: number; baseDelayMs?: number; timeoutMs?: number } = {},
  ) {
    server = await scriptedServer(answers);
    const retries: RetryEvent[] = [];
    const client = new EventStoreClient({
      url: server.url,
      auth: "none",
      retries: {
        maxRetries: options.maxRetries ?? 3,
        baseDelayMs: options.baseDelayMs ?? 120_000,
        onRetry: (retry) => retries.push(retry),
      },
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    return { client, retries, requests: (server as ScriptedServer).requests };
  }

  it("retries a 503 after the Retry-After it names (not its own backoff), then answers", async () => {
    const { client, retries, requests } = await clientOf([
      { status: 503, headers: { "retry-after": "1" }, body: problem("throttled", 503) },
      { status: 200, body: streamAnswer(3) },
    ]);

    const answer = await client.getStream("order", stream.streamId);

    assert.equal(answer.revision, 3);
    assert.equal(requests.length, 2);
    assert.deepEqual(retries, [{ attempt: 1, delayMs: 1000, status: 503 }]);
  });

  it("retries a 429 whose Retry-After is an HTTP date, waiting until then", async () => {
    const at = new Date(Date.now() + 1000).toUTCString();
    const { client, retries, requests } = await clientOf([
      { status: 429, headers: { "retry-after": at }, body: { message: "Too Many Requests" } },
      { status: 200, body: streamAnswer() },
    ]);

    await client.getStream("order", stream.streamId);

    assert.equal(requests.length, 2);
    assert.equal(retries[0]?.status, 429);
    // The date has whole seconds: the wait is what is left until then, never more than the second asked for.
    assert.ok((retries[0]?.delayMs as number) <= 1000, JSON.stringify(retries));
  });

  it("retries POSTs with the very same body: eventIds and Idempotency-Key are fixed before the first attempt", async () => {
    const { client, requests } = await clientOf([
      { status: 503, headers: { "retry-after": "0" }, body: problem("database-unavailable", 503) },
      { status: 429, headers: { "retry-after": "0" } },
      { status: 201, body: streamAnswer() },
    ]);

    await client.createStream("order", { eventType: "Placed", payload: { total: 42 } });
    await client.append("order", stream.streamId, [{ eventType: "Paid", payload: 42 }], { expectedRevision: 1 });

    const [first, second, third] = requests;
    assert.equal(requests.length, 4);
    const sent = JSON.parse(first?.body ?? "");
    assert.match(sent.initialEvent.eventId, /^[0-9a-f-]{36}$/);
    assert.match(String(first?.headers["idempotency-key"]), /^[0-9a-f-]{36}$/);
    for (const retry of [second, third]) {
      assert.equal(retry?.body, first?.body);
      assert.equal(retry?.headers["idempotency-key"], first?.headers["idempotency-key"]);
    }
    const appended = JSON.parse(requests[3]?.body ?? "");
    assert.match(appended.events[0].eventId, /^[0-9a-f-]{36}$/);
  });

  it("keeps the caller's eventIds and Idempotency-Key", async () => {
    const { client, requests } = await clientOf([{ status: 201, body: streamAnswer() }]);
    const eventId = "0b230b96-8909-48f7-afd2-9f7cafa6b928";

    await client.createStream("order", { eventType: "Placed", payload: 1, eventId }, { idempotencyKey: "order-7" });

    assert.equal(JSON.parse(requests[0]?.body ?? "").initialEvent.eventId, eventId);
    assert.equal(requests[0]?.headers["idempotency-key"], "order-7");
  });

  it("retries an attempt that got no answer (connection closed) as a NetworkError", async () => {
    // Its own backoff this time, kept short.
    const { client, retries, requests } = await clientOf([{ drop: true }, { status: 200, body: streamAnswer() }], {
      baseDelayMs: 1,
    });

    await client.getStream("order", stream.streamId);

    assert.equal(requests.length, 2);
    assert.ok(retries[0]?.error instanceof NetworkError, String(retries[0]?.error));
  });

  it("retries an attempt that timed out", async () => {
    const { client, retries, requests } = await clientOf([{ hang: true }, { status: 200, body: streamAnswer() }], {
      baseDelayMs: 1,
      timeoutMs: 300,
    });

    await client.getStream("order", stream.streamId);

    assert.equal(requests.length, 2);
    assert.match(String(retries[0]?.error?.message), /no answer within 300 ms/);
  });

  it("stops after maxRetries: the last 503 becomes a ServiceUnavailable with its problem", async () => {
    const { client, requests } = await clientOf(
      [{ status: 503, headers: { "retry-after": "0" }, body: problem("throttled", 503) }],
      { maxRetries: 2 },
    );

    const error = await client.getStream("order", stream.streamId).then(
      () => assert.fail("no error"),
      (error: unknown) => error,
    );

    assert.equal(requests.length, 3);
    assert.ok(error instanceof ServiceUnavailable);
    assert.equal(error.status, 503);
    assert.equal(error.problem.type, "tag:event-store,2026:problem:throttled");
    assert.equal(error.retryAfterSeconds, 0);
  });

  it("does not wait for a Retry-After beyond maxRetryAfterMs: the call fails at once", async () => {
    const { client, requests } = await clientOf([
      { status: 503, headers: { "retry-after": "120" }, body: problem("throttled", 503) },
    ]);

    await assert.rejects(client.getStream("order", stream.streamId), (error: unknown) => {
      assert.ok(error instanceof ServiceUnavailable);
      assert.equal(error.retryAfterSeconds, 120);
      return true;
    });
    assert.equal(requests.length, 1);
  });

  it("does not retry a 503 that says retrying will not help, nor a 4xx", async () => {
    const { client, requests } = await clientOf([
      { status: 503, body: problem("operations-not-configured", 503) },
      { status: 409, body: problem("wrong-expected-revision", 409, { currentRevision: 4 }) },
    ]);

    await assert.rejects(client.startReplay({ undelivered: true }), ServiceUnavailable);
    await assert.rejects(
      client.append("order", stream.streamId, [{ eventType: "Paid", payload: 1 }], { expectedRevision: 2 }),
      (error: unknown) => error instanceof WrongExpectedRevision && error.currentRevision === 4,
    );
    assert.equal(requests.length, 2);
  });

  it("a caller's abort ends the wait between attempts", async () => {
    const { client, requests } = await clientOf([{ status: 503, headers: { "retry-after": "10" } }]);
    const abort = new AbortController();

    const call = client.getStream("order", stream.streamId, { signal: abort.signal });
    while (requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    abort.abort(new Error("stopped by the test"));

    await assert.rejects(call, /stopped by the test/);
    assert.equal(requests.length, 1);
  });
});
