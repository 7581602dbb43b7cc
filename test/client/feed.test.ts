// The client's global feed against real local mode (the API behind the local function-URL server, DynamoDB Local,
// the change feed that indexes the feed): a read model catching up, following, and resuming from its checkpoint.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { BadRequest, EventStoreClient, type FeedEvent } from "../../client/index.ts";

/** Runs `check` until it passes (the change feed indexes in the background), at most 15 s. */
async function eventually(check: () => void | Promise<void>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("the global feed through EventStoreClient, against local mode", () => {
  let local: LocalMode;
  let server: HttpServer;
  let client: EventStoreClient;
  before(async () => {
    local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName: "client-feed-test" });
    server = await startHttpServer({ port: 0, handler: local.api });
    client = new EventStoreClient({ url: server.url, auth: "none" });
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  async function createStreams(streamType: string, count: number, eventsEach: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const stream = await client.createStream(streamType, { eventType: "Opened", payload: { i } });
      const more = Array.from({ length: eventsEach - 1 }, (_, r) => ({ eventType: "Noted", payload: { r: r + 2 } }));
      if (more.length > 0) await client.append(streamType, stream.streamId, more, { expectedRevision: 1 });
      ids.push(stream.streamId);
    }
    return ids;
  }

  it("catches a read model up from position 0, follows new events, and resumes after its checkpoint", async () => {
    const orders = uniqueStreamType("order");
    const others = uniqueStreamType("other");
    await createStreams(orders, 3, 3);
    await createStreams(others, 2, 2);

    const seen: FeedEvent[] = [];
    let checkpoint = 0;
    const subscription = client.subscribe({
      from: 0,
      streamTypes: [orders],
      includePayload: true,
      waitSeconds: 2,
      handler: (event) => {
        seen.push(event);
      },
      checkpoint: (position) => {
        checkpoint = position;
      },
    });
    await eventually(() => assert.equal(seen.length, 9));
    assert.ok(seen.every((event) => event.streamType === orders));
    assert.deepEqual(
      seen.map((event) => event.position),
      [...seen.map((event) => event.position)].sort((a, b) => a - b),
    );
    assert.deepEqual(seen[0]?.payload, { i: 0 });

    // A new event reaches the running subscription through its long poll.
    const [late] = await createStreams(orders, 1, 1);
    await eventually(() => assert.equal(seen.at(-1)?.streamId, late));
    await eventually(() => assert.ok(checkpoint >= (seen.at(-1)?.position ?? Infinity)));
    await subscription.stop();

    // Appended while the read model was down: a new subscription from the checkpoint gets exactly those.
    const [whileDown] = await createStreams(orders, 1, 2);
    const resumed: FeedEvent[] = [];
    const again = client.subscribe({
      from: checkpoint,
      streamTypes: [orders],
      waitSeconds: 1,
      handler: (event) => {
        resumed.push(event);
      },
    });
    await eventually(() => assert.equal(resumed.length, 2));
    await again.stop();
    assert.deepEqual(
      resumed.map((event) => [event.streamId, event.revision]),
      [
        [whileDown, 1],
        [whileDown, 2],
      ],
    );
  });

  it("iterates the whole feed with readFeed, and reports the head", async () => {
    const streamType = uniqueStreamType("iterated");
    await createStreams(streamType, 2, 3);
    await eventually(async () => {
      const events: FeedEvent[] = [];
      for await (const event of client.readFeed({ streamTypes: [streamType], pageSize: 2 })) events.push(event);
      assert.equal(events.length, 6);
    });
    const head = await client.getFeedHead();
    assert.ok(head.position > 0);
    assert.equal(typeof head.lagMs, "number");
  });

  it("ends a subscription whose filter the API refuses, with the API's error", async () => {
    const subscription = client.subscribe({ from: 0, streamTypes: ["not a type"], handler: () => undefined });
    await assert.rejects(subscription.done, BadRequest);
  });
});
