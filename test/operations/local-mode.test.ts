import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { localAwsClientConfig } from "#local/aws-local.ts";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { type Notification, openLocalQueue } from "#local/subscription.ts";
import { createDocumentClient } from "#shared/aws-clients.ts";
import { isoTime } from "#store/model.ts";
import { StreamStore } from "#store/stream-store.ts";
import { eventually } from "#test/local/support.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotificationsAt } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { firstArrivals, range, seedStreams } from "./support.ts";

describe("operations in local mode (the worker on the local SQS, driven by its poller and the redrive timer)", () => {
  const tableName = "operations-local-test";
  let local: LocalMode;
  let server: HttpServer;
  let notifications: TestNotifications;
  let store: StreamStore;
  before(async () => {
    local = await composeLocalMode({
      dynamoDbEndpoint: testDynamoDb().endpoint,
      tableName,
      operations: { redriveIntervalMs: 200, eventsPerStep: 100 },
    });
    server = await startHttpServer({ port: 0, handler: local.api });
    notifications = await testNotificationsAt(local.notifications.endpoint);
    store = new StreamStore({ client: createDocumentClient(localAwsClientConfig(testDynamoDb().endpoint)), tableName });
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as any };
  };

  it("POST /replays into a queue runs step by step to the end, and GET /operations/{id} shows it", async () => {
    const streamType = uniqueStreamType("local-replay");
    const streamIds = await seedStreams(store, streamType, { streams: 3, events: 120 });
    const target = await openLocalQueue({ endpoint: local.notifications.endpoint, namePrefix: "read-model" });

    const started = await call("POST", "/replays", { streamType, target: { queueUrl: target.queueUrl } });

    assert.equal(started.status, 202);
    assert.equal(started.headers.get("location"), `/operations/${started.json.id}`);
    let operation: any;
    const finished = await eventually(async () => {
      operation = (await call("GET", `/operations/${started.json.id}`)).json;
      return operation.state === "succeeded";
    }, 20_000);
    assert.ok(finished, JSON.stringify(operation));
    assert.deepEqual(operation.progress, { streams: 3, events: 360 });
    const received = await notifications.receive(target, 360, 10_000);
    // At least once: a step that outlived its message's visibility timeout on a busy machine may come twice.
    const streams = firstArrivals(received);
    for (const streamId of streamIds) assert.deepEqual(streams.get(streamId), range(1, 120));
    assert.ok(received.every(({ attributes }) => attributes.replayId === started.json.id));
    await target.close();
  });

  it("the redrive timer publishes what waits undelivered, with redrive: true, and clears it", async () => {
    const streamType = uniqueStreamType("local-redrive");
    const [streamId] = (await seedStreams(store, streamType, { streams: 1, events: 3 })) as [string];
    const subscriber = await notifications.subscribedQueue({ streamType: [streamType] });
    // What the change feed records when SNS stays down.
    const since = isoTime(Date.now());
    await store.recordUndelivered([{ streamId, streamType, firstRevision: 2, lastRevision: 3, cause: "test", since }]);

    // The change feed publishes the stream live too; the redriven ones are told apart by their attribute.
    const redriven: Notification[] = [];
    const arrived = await eventually(async () => {
      redriven.push(...(await subscriber.receive()).filter(({ attributes }) => attributes.redrive === "true"));
      return redriven.length >= 2;
    }, 10_000);

    assert.ok(arrived, `redriven: ${JSON.stringify(redriven)}`);
    assert.deepEqual(firstArrivals(redriven).get(streamId), [2, 3]);
    assert.ok(await eventually(async () => (await store.undeliveredOfStream(streamId)).length === 0, 5_000));
    await subscriber.close();
  });

  it("npm run tail -- --replay prints the history as replayed, then live notifications", async () => {
    const streamType = uniqueStreamType("local-tail");
    const [streamId] = (await seedStreams(store, streamType, { streams: 1, events: 3 })) as [string];
    const tail = runTail([
      "--stream-type",
      streamType,
      "--replay",
      "--json",
      "--endpoint",
      local.notifications.endpoint,
      "--api",
      server.url,
    ]);
    try {
      assert.ok(await eventually(() => tail.lines().length >= 3, 20_000), tail.output());
      const appended = await call("POST", `/streams/${streamType}/${streamId}/events`, {
        expectedRevision: 3,
        events: [{ eventType: "Live", payload: {} }],
      });
      assert.equal(appended.status, 201);
      assert.ok(await eventually(() => tail.lines().length >= 4, 20_000), tail.output());

      const lines = tail.lines();
      assert.deepEqual(
        lines.slice(0, 3).map((line) => [line.StreamRevision, typeof line.attributes.replayId]),
        [
          ["1", "string"],
          ["2", "string"],
          ["3", "string"],
        ],
      );
      assert.equal(lines[3]?.StreamRevision, "4");
      assert.equal(lines[3]?.attributes.replayId, undefined);
      assert.ok(await eventually(() => /Replay of .* succeeded: 3 events of 1 streams/.test(tail.output()), 10_000));
    } finally {
      await tail.stop();
    }
  });
});

/** `npm run tail` as a user runs it; its stdout lines parsed as JSON. */
function runTail(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "local/tail.ts", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", all: "" };
  for (const [stream, isStdout] of [
    [child.stdout, true],
    [child.stderr, false],
  ] as const) {
    stream?.on("data", (chunk: Buffer) => {
      output.all += chunk;
      if (isStdout) output.stdout += chunk;
    });
  }
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    lines: () =>
      output.stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, any>),
    output: () => output.all,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGINT");
      await exited;
    },
  };
}
