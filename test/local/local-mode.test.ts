import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { type TestNotifications, testNotificationsAt } from "#test/support/notifications.ts";

/** `npm start` as a user runs it (in memory, free ports), with the URLs its banner prints. */
async function startLocalMode(): Promise<{ child: ChildProcess; apiUrl: string; snsEndpoint: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "local/start.ts", "--in-memory", "--port", "0", "--sns-port", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 60_000);
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const apiUrl = /API\s+(http:\/\/\S+)/.exec(output)?.[1];
      const snsEndpoint = /Notifications\s+(http:\/\/\S+)/.exec(output)?.[1];
      if (apiUrl && snsEndpoint && output.includes("Ctrl-C stops everything")) {
        clearTimeout(timer);
        resolve({ child, apiUrl, snsEndpoint });
      }
    });
    child.on("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

describe("local mode end to end (npm start)", () => {
  let local: Awaited<ReturnType<typeof startLocalMode>>;
  let notifications: TestNotifications;
  before(async () => {
    local = await startLocalMode();
    notifications = await testNotificationsAt(local.snsEndpoint);
  });
  after(async () => {
    if (local?.child.exitCode === null) {
      local.child.kill("SIGINT");
      await once(local.child, "exit");
    }
  });

  async function post(path: string, body: unknown) {
    const response = await fetch(`${local.apiUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as any };
  }

  it("an append over HTTP reaches a queue filtered on its stream type, and the listing shows the stream", async (t) => {
    const queue = await notifications.subscribedQueue({ streamType: ["order"] });
    const delays: number[] = [];
    let streamId = "";
    for (let index = 0; index < 10; index++) {
      const sent = Date.now();
      const created = await post("/streams/order", { initialEvent: { eventType: "OrderPlaced", payload: { index } } });
      assert.equal(created.status, 201);
      streamId = created.json.stream.streamId;
      const [notification] = await notifications.receive(queue, 1, 10_000);
      delays.push(Date.now() - sent);
      assert.equal(notification?.body.StreamId, streamId);
      assert.equal(notification?.attributes.streamType, "order");
    }
    delays.sort((a, b) => a - b);
    t.diagnostic(`append → notification received: p50 ${delays[5]} ms, max ${delays.at(-1)} ms (not asserted)`);
    const listing = await fetch(`${local.apiUrl}/streams/order?limit=1000`).then((response) => response.json() as any);
    assert.ok(
      listing.streamPage.streams.some((stream: any) => stream.streamId === streamId),
      "summary kept before the notification",
    );
  });

  it("an append to another stream type reaches no queue filtered on order", async () => {
    const queue = await notifications.subscribedQueue({ streamType: ["order"] });
    const created = await post("/streams/invoice", { initialEvent: { eventType: "InvoiceIssued", payload: {} } });
    assert.equal(created.status, 201);
    assert.deepEqual(await notifications.receive(queue, 1, 1500), []);
  });

  it("Ctrl-C stops everything it started and exits 0", async () => {
    local.child.kill("SIGINT");
    const [code] = await once(local.child, "exit");
    assert.equal(code, 0);
  });
});
