// What the API reports: each answer counted by its status, retries of contended appends, and every 500 logged
// with its requestId and error (and never shown to the caller); local mode's default prints nothing else.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from "aws-lambda";
import { createApi } from "#api/app.ts";
import { createApiHandler } from "#api/handler.ts";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { ThrottledError } from "#store/errors.ts";
import type { StreamStore } from "#store/stream-store.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { eventsTable, functionUrlEvent, newEvent, testStreamStore } from "#test/support/store.ts";
import { lambdaContext, recordingObservability } from "./recorder.ts";

type Answer = Exclude<LambdaFunctionURLResult, string>;

function request(method: string, path: string, body?: unknown): LambdaFunctionURLEvent {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = text === undefined ? {} : { "content-type": "application/json" };
  return functionUrlEvent(method, path, { query: "", headers, body: text, base64: false });
}

/** A store whose every operation fails with `error`. */
function failingStore(error: Error): StreamStore {
  const fail = async () => {
    throw error;
  };
  return {
    append: fail,
    readEvents: fail,
    streamDetails: fail,
    listStreams: fail,
    ping: fail,
  } as unknown as StreamStore;
}

describe("API observability", () => {
  before(async () => {
    await testStreamStore(); // creates the shared table
  });

  function handlerWith(observability = recordingObservability()) {
    const dynamoDb = localAwsClientConfig(testDynamoDb().endpoint);
    return { observability, handler: createApiHandler({ tableName: eventsTable, dynamoDb, observability }) };
  }

  it("counts appends (201) and conflicts (409), and frames each invocation with its Lambda context", async () => {
    const { observability, handler } = handlerWith();
    const created = (await handler(
      request("POST", "/streams/order", { initialEvent: newEvent() }),
      lambdaContext("r-1"),
    )) as Answer;
    assert.equal(created.statusCode, 201);
    const id = JSON.parse(created.body as string).stream.streamId as string;
    const appended = (await handler(request("PUT", `/streams/order/${id}/events/2`, { event: newEvent() }))) as Answer;
    const stale = (await handler(request("PUT", `/streams/order/${id}/events/2`, { event: newEvent() }))) as Answer;
    assert.deepEqual([appended.statusCode, stale.statusCode], [201, 409]);
    assert.deepEqual(observability.counts, { Appends: 2, Conflicts: 1 });
    assert.equal(observability.invocations.length, 3);
    assert.equal(observability.invocations[0]?.context?.awsRequestId, "r-1");
    assert.ok(observability.invocations.every((invocation) => invocation.ended));
    assert.deepEqual(observability.logs, []);
  });

  it("counts the retries of appends that lost a race to another writer (the store's onContention)", async () => {
    const { observability, handler } = handlerWith();
    const created = (await handler(request("POST", "/streams/order", { initialEvent: newEvent() }))) as Answer;
    const id = JSON.parse(created.body as string).stream.streamId as string;
    // Concurrent "any" appends to one stream read the same head, so all but one lose the first race.
    for (let round = 0; round < 5 && !observability.counts.AppendRetries; round++) {
      const body = { expectedRevision: "any", events: [newEvent()] };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => handler(request("POST", `/streams/order/${id}/events`, body))),
      );
      assert.ok(answers.every((answer) => (answer as Answer).statusCode === 201));
    }
    assert.ok((observability.counts.AppendRetries ?? 0) > 0, JSON.stringify(observability.counts));
  });

  it("logs a 500 as an error with its requestId and the error, counts it, and tells the caller nothing of it", async () => {
    const observability = recordingObservability();
    const api = createApi(failingStore(new Error("secret table name")), observability);
    const event = request("GET", `/streams/order/${randomUUID()}`);
    const answer = (await api(event)) as Answer;
    assert.equal(answer.statusCode, 500);
    assert.doesNotMatch(answer.body as string, /secret/);
    const requestId = event.requestContext.requestId;
    assert.equal(JSON.parse(answer.body as string).requestId, requestId);
    assert.equal(observability.logs.length, 1);
    const { level, details } = observability.logs[0] as (typeof observability.logs)[number];
    assert.equal(level, "error");
    assert.equal(details.requestId, requestId);
    assert.match((details.error as Error).message, /secret table name/);
    assert.deepEqual(observability.counts, { ServerErrors: 1 });
  });

  it("counts a throttled store's 503 as a throttle and a 5xx, without logging it as an error", async () => {
    const observability = recordingObservability();
    const api = createApi(failingStore(new ThrottledError("busy", 1)), observability);
    const answer = (await api(request("GET", `/streams/order/${randomUUID()}`))) as Answer;
    assert.equal(answer.statusCode, 503);
    assert.deepEqual(observability.counts, { Throttles: 1, ServerErrors: 1 });
    assert.deepEqual(observability.logs, []);
  });

  it("by default (local mode) prints nothing for a served request and one error line for a 500", async (t) => {
    const printed: string[] = [];
    for (const method of ["log", "info", "warn", "error"] as const) {
      t.mock.method(console, method, (...args: unknown[]) => printed.push(args.map(String).join(" ")));
    }
    const dynamoDb = localAwsClientConfig(testDynamoDb().endpoint);
    const handler = createApiHandler({ tableName: eventsTable, dynamoDb });
    assert.equal(
      ((await handler(request("POST", "/streams/order", { initialEvent: newEvent() }))) as Answer).statusCode,
      201,
    );
    assert.equal(((await handler(request("GET", `/streams/order/${randomUUID()}`))) as Answer).statusCode, 404);
    assert.equal(printed.length, 0, printed.join("\n"));

    const event = request("GET", `/streams/order/${randomUUID()}`);
    await createApi(failingStore(new Error("disk on fire")))(event);
    assert.equal(printed.length, 1);
    const line = JSON.parse(printed[0] as string);
    assert.equal(line.level, "ERROR");
    assert.equal(line.requestId, event.requestContext.requestId);
    assert.equal(line.error.message, "disk on fire");
  });
});
