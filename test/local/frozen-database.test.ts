import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "#local/dynamodb-local.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { eventually } from "./support.ts";

/** Generous: an answer at all before it is what counts, never how fast (the clients' timeouts are 300 ms). */
const answerDeadlineMs = 15_000;

describe("a frozen DynamoDB Local (kill -STOP): the API answers 503 instead of hanging", () => {
  // A DynamoDB Local of its own: freezing the run's shared one would stall every other test file.
  let dynamoDb: DynamoDbLocal;
  let local: LocalMode;
  let server: HttpServer;
  before(async () => {
    dynamoDb = await startDynamoDbLocal({ inMemory: true });
    local = await composeLocalMode({
      dynamoDbEndpoint: dynamoDb.endpoint,
      tableName: "events",
      dynamoDbTimeouts: { connectionTimeoutMs: 300, requestTimeoutMs: 300, maxAttempts: 2 },
      // The poller's calls fail too while frozen; that is expected here, not news.
      onChangeFeedError: () => {},
    });
    server = await startHttpServer({ port: 0, handler: local.api });
  });
  after(async () => {
    // Thaw first: a stopped Java would hold its SIGTERM until then.
    if (dynamoDb) process.kill(dynamoDb.pid, "SIGCONT");
    await server?.close();
    await local?.stop();
    await dynamoDb?.stop();
  });

  const get = (path: string) => fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(answerDeadlineMs) });

  it("liveness reports the database while it answers", async () => {
    const response = await get("/liveness-check");
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.status, "ok");
    assert.equal(body.database, "ok");
    assert.ok(!Number.isNaN(Date.parse(String(body.at))));
  });

  it("frozen: liveness and an append answer 503 database-unavailable with Retry-After", async () => {
    process.kill(dynamoDb.pid, "SIGSTOP");
    try {
      const liveness = await get("/liveness-check");
      assert.equal(liveness.status, 503);
      assert.ok(liveness.headers.get("retry-after"));
      assert.equal(liveness.headers.get("content-type"), "application/problem+json");
      const problem = (await liveness.json()) as Record<string, unknown>;
      assert.equal(problem.type, "tag:event-store,2026:problem:database-unavailable");
      assert.equal(problem.status, 503);

      const append = await fetch(`${server.url}/streams/order`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ initialEvent: { eventType: "Placed", payload: {} } }),
        signal: AbortSignal.timeout(answerDeadlineMs),
      });
      assert.equal(append.status, 503);
      assert.ok(append.headers.get("retry-after"));
      assert.equal(
        ((await append.json()) as { type: string }).type,
        "tag:event-store,2026:problem:database-unavailable",
      );
    } finally {
      process.kill(dynamoDb.pid, "SIGCONT");
    }
  });

  it("thawed (kill -CONT): liveness answers 200 again", async () => {
    const healthy = await eventually(async () => (await get("/liveness-check")).status === 200, answerDeadlineMs);
    assert.ok(healthy, "liveness is 200 again after SIGCONT");
  });
});
