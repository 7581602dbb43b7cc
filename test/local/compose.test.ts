import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { environmentVariables } from "#shared/environment.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { type TestNotifications, testNotificationsAt } from "#test/support/notifications.ts";
import { uniqueStreamType } from "#test/support/store.ts";

describe("local mode composed in-process (what npm start and the bench run)", () => {
  let local: LocalMode;
  let server: HttpServer;
  let notifications: TestNotifications;
  before(async () => {
    // A table of its own: the change feed reads it from the start, and the other suites' records are not ours.
    local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName: "local-mode-test" });
    server = await startHttpServer({ port: 0, handler: local.api });
    notifications = await testNotificationsAt(local.notifications.endpoint);
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  it("configures the handlers without the environment", () => {
    for (const name of Object.values(environmentVariables)) assert.equal(process.env[name], undefined, name);
  });

  it("an append over HTTP is notified to a filtered queue and listed by the change feed", async () => {
    const streamType = uniqueStreamType("composed");
    const queue = await notifications.subscribedQueue({ streamType: [streamType] });
    const created = await fetch(`${server.url}/streams/${streamType}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ initialEvent: { eventType: "Placed", payload: { n: 1 } } }),
    });
    assert.equal(created.status, 201);
    const { stream } = (await created.json()) as { stream: { streamId: string } };
    const [notification] = await notifications.receive(queue, 1, 10_000);
    assert.equal(notification?.body.StreamId, stream.streamId);
    // Summaries are kept before notifications go out, so the listing has the stream by now.
    const listing = (await (await fetch(`${server.url}/streams/${streamType}`)).json()) as {
      streamPage: { streams: { streamId: string }[] };
    };
    assert.deepEqual(
      listing.streamPage.streams.map((listed) => listed.streamId),
      [stream.streamId],
    );
  });
});
