// Personal data through the client (SPEC section 13), against real local mode (its subject keys table and local
// wrapping key): values read back, eraseSubject, "[erased]" with erased: true after it, SubjectErased for the subject,
// and the erasure listed as an operation; a snapshot of the subject too.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { composeLocalMode, type LocalMode } from "#local/compose.ts";
import { type HttpServer, startHttpServer } from "#local/http-server.ts";
import { testDynamoDb } from "#test/support/dynamodb.ts";
import { uniqueStreamType } from "#test/support/store.ts";
import { EventStoreClient, SubjectErased } from "../../client/index.ts";

describe("personal data through EventStoreClient, against local mode", () => {
  let local: LocalMode;
  let server: HttpServer;
  let client: EventStoreClient;
  before(async () => {
    local = await composeLocalMode({ dynamoDbEndpoint: testDynamoDb().endpoint, tableName: "client-subjects-test" });
    server = await startHttpServer({ port: 0, handler: local.api });
    client = new EventStoreClient({ url: server.url, auth: "none" });
  });
  after(async () => {
    await server?.close();
    await local?.stop();
  });

  it("reads personal values back, erases the subject, then reads [erased] and refuses the subject", async () => {
    const streamType = uniqueStreamType("customer");
    const streamId = randomUUID();
    const subject = `customer-${randomUUID()}`;
    const registered = {
      eventType: "Registered",
      payload: { email: "ada@example.com", plan: "gold" },
      subject,
      personalData: ["/payload/email"],
    };
    await client.append(streamType, streamId, [registered], { expectedRevision: "no-stream" });
    await client.putSnapshot(streamType, streamId, { revision: 1, schema: "customer-v1", state: { n: 1 }, subject });
    const [live] = (await client.readEventPage(streamType, streamId)).events;
    assert.deepEqual(live?.payload, { email: "ada@example.com", plan: "gold" });
    assert.equal(live?.subject, subject);

    const erasure = await client.eraseSubject(subject);
    assert.equal(erasure.subject, subject);
    assert.equal(erasure.erasedBy, "anonymous");
    const [erased] = (await client.readEventPage(streamType, streamId)).events;
    assert.deepEqual(erased?.payload, { email: "[erased]", plan: "gold" });
    assert.equal(erased?.erased, true);
    const snapshot = await client.getLatestSnapshot(streamType, streamId, "customer-v1");
    assert.equal(snapshot?.state, "[erased]");
    assert.equal(snapshot?.erased, true);

    await assert.rejects(
      client.append(streamType, streamId, [registered], { expectedRevision: "any" }),
      (error: unknown) => error instanceof SubjectErased && error.subject === subject && error.status === 410,
    );
    const erasures = [];
    for await (const operation of client.listOperations({ kind: "erasure" })) {
      if ("subject" in operation.request && operation.request.subject === subject) erasures.push(operation);
    }
    assert.equal(erasures.length, 1);
    assert.equal(erasures[0]?.requestedBy, "anonymous");
  });
});
