import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseStartOptions } from "#local/start-options.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotifications } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { type RunningLocalMode, runLocalModeToEnd, startLocalMode } from "./support.ts";

describe("npm start's options", () => {
  it("--help lists every option", async () => {
    const help = await runLocalModeToEnd(["--help"]);
    assert.equal(help.code, 0);
    for (const option of [
      "--port",
      "--data-dir",
      "--in-memory",
      "--dynamodb-port",
      "--dynamodb-endpoint",
      "--sns-port",
      "--sns-endpoint",
      "--allow-host",
      "--quiet",
    ]) {
      assert.ok(help.stdout.includes(option), option);
    }
  });

  it("parses endpoints, repeated --allow-host and --quiet; defaults otherwise", () => {
    const options = parseStartOptions(
      [
        "--dynamodb-endpoint",
        "http://127.0.0.1:8000/",
        "--sns-endpoint",
        "http://localhost:4566",
        "--allow-host",
        "dev.test",
        "--allow-host",
        "box.local",
        "--quiet",
        "--retention",
        "order:maxAge=30d,maxCount=1000",
        "--retention",
        "audit:maxAge=90",
      ],
      {},
    );
    assert.deepEqual(options, {
      port: 3000,
      dataDir: resolve(".event-store"),
      dynamoDb: { endpoint: "http://127.0.0.1:8000" },
      sns: { endpoint: "http://localhost:4566" },
      allowedHosts: ["dev.test", "box.local"],
      retention: { order: { maxAge: 30 * 86_400, maxCount: 1000 }, audit: { maxAge: 90 } },
      quiet: true,
    });
    assert.deepEqual(parseStartOptions(["--in-memory"], { PORT: "0", SNS_PORT: "0" }), {
      port: 0,
      dataDir: undefined,
      dynamoDb: { port: 0 },
      sns: { port: 0 },
      allowedHosts: [],
      retention: undefined,
      quiet: false,
    });
  });

  it("refuses contradictions and bad values with one line each", () => {
    const cases: [string[], RegExp][] = [
      [["--dynamodb-endpoint", "http://x:1", "--dynamodb-port", "1"], /--dynamodb-endpoint and --dynamodb-port/],
      [["--sns-endpoint", "http://x:1", "--sns-port", "1"], /--sns-endpoint and --sns-port/],
      [["--in-memory", "--data-dir", "x"], /--in-memory and --data-dir/],
      [["--dynamodb-endpoint", "localhost:8000"], /--dynamodb-endpoint must be an http/],
      [["--sns-endpoint", "not a url"], /--sns-endpoint must be a URL/],
      [["--port", "70000"], /--port must be a port number/],
      [
        ["--retention", "order:maxAge=30y"],
        /--retention: retention of order: maxAge must be a whole number of s, m, h or d/,
      ],
      [
        ["--retention", "order:maxCount=0"],
        /--retention: retention of order: maxCount must be a whole number of at least 1/,
      ],
      [["--retention", "order:keep=3"], /--retention: retention of order: "keep" is not a limit/],
      [["--retention", "order"], /--retention: retention "order": write <streamType>:maxAge=<age>,maxCount=<n>/],
      [
        ["--retention", "no type:maxCount=1"],
        /--retention: retention "no type:maxCount=1": "no type" is not a stream type/,
      ],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseStartOptions(argv, {}), message);
  });
});

describe("npm start -- --dynamodb-endpoint URL --sns-endpoint URL (parts that run already)", () => {
  let notifications: TestNotifications;
  let local: RunningLocalMode;
  before(async () => {
    notifications = await testNotifications();
    local = await startLocalMode([
      "--in-memory",
      "--port",
      "0",
      "--quiet",
      "--dynamodb-endpoint",
      testDynamoDb().endpoint,
      "--sns-endpoint",
      notifications.endpoint,
    ]);
  });
  after(async () => {
    await local?.stop();
    await notifications?.stop();
  });

  it("starts no DynamoDB Local and no SNS of its own, and serves through the given ones", async () => {
    assert.equal(local.dynamoDb, undefined, "no DynamoDB Local pid in the banner");
    assert.equal(local.snsEndpoint, notifications.endpoint);
    const streamType = uniqueStreamType("given");
    const queue = await notifications.subscribedQueue({ streamType: [streamType] });
    const created = await fetch(`${local.apiUrl}/streams/${streamType}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ initialEvent: { eventType: "Placed", payload: {} } }),
    });
    assert.equal(created.status, 201);
    const { stream } = (await created.json()) as { stream: { streamId: string } };
    const [notification] = await notifications.receive(queue, 1, 10_000);
    assert.equal(notification?.body.StreamId, stream.streamId);
  });

  it("--quiet: no line per request", () => {
    assert.doesNotMatch(local.output(), /^POST \//m);
  });
});
