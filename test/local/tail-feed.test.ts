// `npm run tail -- --feed` as a user runs it (local/tail.ts in a child process) against local mode: it follows the
// global feed from the head, or from a position, and prints a line (or a JSON object) per event.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { eventually } from "./support.ts";

interface RunningTail {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function runTail(args: string[]): RunningTail {
  const child = spawn(process.execPath, ["--import", "tsx", "local/tail.ts", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    err += chunk;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exited };
}

describe("npm run tail -- --feed, against local mode", () => {
  let local: LocalMode;
  let server: HttpServer;
  const tails: RunningTail[] = [];
  before(async () => {
    local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName: "tail-feed-test" });
    server = await startHttpServer({ port: 0, handler: local.api });
  });
  after(async () => {
    for (const tail of tails) if (tail.child.exitCode === null) tail.child.kill("SIGKILL");
    await server?.close();
    await local?.stop();
  });

  function tail(args: string[]): RunningTail {
    const running = runTail(["--feed", "--api", server.url, ...args]);
    tails.push(running);
    return running;
  }

  async function createStream(streamType: string, payload: unknown): Promise<string> {
    const answer = await fetch(`${server.url}/streams/${streamType}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ initialEvent: { eventType: "OrderPlaced", payload } }),
    });
    assert.equal(answer.status, 201);
    return ((await answer.json()) as { stream: { streamId: string } }).stream.streamId;
  }

  /** Whether the feed (indexed in the background) holds `count` events of the type. */
  async function indexed(streamType: string, count: number): Promise<boolean> {
    const answer = await fetch(`${server.url}/feed?stream-type=${streamType}`);
    return ((await answer.json()) as { feedPage: { events: unknown[] } }).feedPage.events.length >= count;
  }

  it("from the head: prints a line for an event appended after it started, and stops on Ctrl-C", async () => {
    const streamType = uniqueStreamType("tail-order");
    await createStream(streamType, { before: true });
    // Before the head the tail starts from: not printed.
    assert.ok(await eventually(() => indexed(streamType, 1), 10_000));
    const running = tail(["--stream-type", streamType]);
    assert.ok(await eventually(() => running.stderr().includes("Following the feed"), 15_000), running.stderr());
    const streamId = await createStream(streamType, { total: 42 });
    await createStream(uniqueStreamType("tail-other"), {});
    const line = new RegExp(`^\\d+  ${streamType}  ${streamId}  r1  OrderPlaced  \\d{4}-\\d\\d-\\d\\dT\\S+Z$`, "m");
    assert.ok(await eventually(() => line.test(running.stdout()), 10_000), `${running.stdout()}\n${running.stderr()}`);
    assert.equal(running.stdout().trim().split("\n").length, 1, "only the new event of its stream type");
    running.child.kill("SIGINT");
    assert.equal(await running.exited, 0);
  });

  it("--from 0 --json: every event of the type since the start, whole, payload included", async () => {
    const streamType = uniqueStreamType("tail-json");
    const first = await createStream(streamType, { n: 1 });
    const second = await createStream(streamType, { n: 2 });
    const running = tail(["--from", "0", "--stream-type", streamType, "--json"]);
    const events = () =>
      running
        .stdout()
        .split("\n")
        .filter(Boolean)
        .map((text) => JSON.parse(text));
    assert.ok(await eventually(() => events().length === 2, 15_000), `${running.stdout()}\n${running.stderr()}`);
    const [one, two] = events();
    assert.equal(one.streamId, first);
    assert.deepEqual(one.payload, { n: 1 });
    assert.equal(two.streamId, second);
    assert.ok(two.position > one.position);
    assert.deepEqual(Object.keys(one).sort(), [
      "createdAt",
      "eventId",
      "eventType",
      "payload",
      "position",
      "revision",
      "streamId",
      "streamType",
    ]);
    running.child.kill("SIGINT");
    assert.equal(await running.exited, 0);
  });

  it("says what is wrong with its options, and when the API refuses the filter", async () => {
    const cases: [string[], RegExp][] = [
      [["--from", "x"], /--from must be a position/],
      [["--replay"], /--replay is for notifications/],
      [["--stream-type", "not a type"], /the API refused the read \(400\): stream-type must be/],
    ];
    for (const [args, message] of cases) {
      const running = tail(args);
      assert.equal(await running.exited, 1, args.join(" "));
      assert.match(running.stderr(), message);
    }
    const noFeed = runTail(["--from", "3"]);
    assert.equal(await noFeed.exited, 1);
    assert.match(noFeed.stderr(), /--from goes with --feed/);
  });
});
