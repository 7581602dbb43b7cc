import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type TestNotifications, testNotificationsAt } from "#test/support/notifications.ts";
import { eventually, listeningAddresses, loopbackAddresses, type RunningLocalMode, startLocalMode } from "./support.ts";

describe("local mode end to end (npm start)", () => {
  let local: RunningLocalMode;
  let notifications: TestNotifications;
  before(async () => {
    local = await startLocalMode(["--in-memory", "--port", "0", "--sns-port", "0"]);
    notifications = await testNotificationsAt(local.snsEndpoint);
  });
  after(async () => {
    await local?.stop();
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

  it("listens on loopback only: the API, DynamoDB Local and the local SNS/SQS", () => {
    const ports = {
      api: new URL(local.apiUrl).port,
      dynamoDb: new URL(local.dynamoDb?.endpoint ?? "http://x").port,
      sns: new URL(local.snsEndpoint).port,
    };
    for (const [part, port] of Object.entries(ports)) {
      const addresses = listeningAddresses(Number(port));
      assert.ok(addresses.length > 0, `${part} listens on port ${port}`);
      for (const address of addresses) assert.ok(loopbackAddresses.includes(address), `${part} listens on ${address}`);
    }
  });

  it("serves the console at / to a browser, and names it in the banner", async () => {
    assert.match(local.output(), new RegExp(`Console\\s+${local.apiUrl}/`));
    const page = await fetch(`${local.apiUrl}/`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    const tail = await fetch(`${local.apiUrl}/_console/tail?streamType=order`);
    assert.equal(tail.headers.get("content-type"), "text/event-stream; charset=utf-8");
    await tail.body?.cancel();
  });

  it("logs one line per request: method, path, status, milliseconds", async () => {
    await fetch(`${local.apiUrl}/liveness-check?probe=1`);
    await post("/streams/order", "not json");
    // The line is written once the answer is sent; it reaches this process's pipe a moment later.
    const logged = (pattern: RegExp) => eventually(() => pattern.test(local.output()), 5_000);
    assert.ok(await logged(/^GET \/liveness-check 200 \d+ ms$/m), local.output());
    assert.ok(await logged(/^POST \/streams\/order 400 \d+ ms$/m), local.output());
  });

  it("a body that is not valid UTF-8 is refused with 400, not stored with U+FFFD in place of its bytes", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"initialEvent":{"eventType":"Placed","payload":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ]);
    const response = await fetch(`${local.apiUrl}/streams/order`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
  });

  it("lists the stream types with their counts once the change feed has kept the new streams", async () => {
    const prefix = `types-${randomUUID().slice(0, 8)}`;
    const wanted: Record<string, number> = { [`${prefix}-a`]: 2, [`${prefix}-b`]: 1 };
    let streamId = "";
    for (const [streamType, count] of Object.entries(wanted)) {
      for (let index = 0; index < count; index++) {
        const created = await post(`/streams/${streamType}`, { initialEvent: { eventType: "Opened", payload: {} } });
        assert.equal(created.status, 201);
        streamId = created.json.stream.streamId;
      }
    }
    const get = (path: string) => fetch(`${local.apiUrl}${path}`).then((response) => response.json() as any);
    const ours = async () =>
      ((await get("/streams?limit=1000")).streamTypePage.streamTypes as { streamType: string; streamCount: number }[])
        .filter((type) => type.streamType.startsWith(prefix))
        .map((type) => [type.streamType, type.streamCount]);
    let listed: unknown[] = [];
    const counted = await eventually(async () => {
      listed = await ours();
      return JSON.stringify(listed) === JSON.stringify(Object.entries(wanted));
    }, 10_000);
    assert.ok(counted, JSON.stringify(listed));

    // Another event of a stream that is counted already counts nothing.
    const streamType = `${prefix}-b`;
    const appended = await fetch(`${local.apiUrl}/streams/${streamType}/${streamId}/events/2`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: { eventType: "Noted", payload: {} } }),
    });
    assert.equal(appended.status, 201);
    const kept = await eventually(
      async () => (await get(`/streams/${streamType}`)).streamPage.streams[0]?.revision === 2,
      10_000,
    );
    assert.ok(kept, "the change feed kept the append");
    assert.deepEqual(await ours(), Object.entries(wanted));
  });

  it("Ctrl-C stops everything it started and exits 0", async () => {
    assert.equal(await local.stop(), 0);
  });
});
